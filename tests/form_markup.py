"""The consultation form's controls as a screen reader and a browser see them: tag, attributes, label."""

from html.parser import HTMLParser

# Values that differ on every page load.
VOLATILE = {"csrf_token", "submission_token"}


class _Controls(HTMLParser):
    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []
        self.labels: dict[str, str] = {}
        self._label_for: str | None = None
        self._label_text: list[str] = []
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_form = True
        if not self._in_form:
            return
        if tag in {"input", "select", "textarea", "option", "button", "fieldset"}:
            if attrs.get("name") in VOLATILE:
                attrs["value"] = "<volatile>"
            self.controls.append({"tag": tag, "attrs": {k: (v if v is not None else "") for k, v in attrs.items()}})
        if tag == "label":
            self._label_for = attrs.get("for")
            self._label_text = []

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        if tag == "label" and self._label_for:
            self.labels[self._label_for] = " ".join("".join(self._label_text).split())
            self._label_for = None

    def handle_data(self, data):
        if self._label_for is not None:
            self._label_text.append(data)


def form_controls(html: str) -> list[dict]:
    """Every control in the page's form with its attributes and the text of its <label for>."""
    parser = _Controls()
    parser.feed(html)
    for control in parser.controls:
        control["label"] = parser.labels.get(control["attrs"].get("id", ""), "")
    return parser.controls
