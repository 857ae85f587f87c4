"""What people type, kept to what they see: one Unicode form (NFC), and no invisible format characters.

Bidirectional controls (U+202E right-to-left override and its kin), other format characters (Unicode
category Cf) and the line and paragraph separators U+2028, U+2029 and U+0085 change how a name reads in an
email or the inbox without being visible. Zero-width joiner and non-joiner are the exception: Persian,
Indic and other scripts need them inside ordinary words and names.
"""

import unicodedata

from wtforms.validators import ValidationError

NEEDED_JOINERS = frozenset("\u200c\u200d")
SEPARATORS = frozenset("\u2028\u2029\u0085")


def nfc(value):
    """A WTForms filter: the composed form, so "é" typed two ways is stored, compared and searched as one."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def invisible_characters(text: str) -> list[str]:
    """The invisible format characters in `text`, as U+XXXX, in order of first appearance."""
    found = []
    for ch in text:
        if ch in NEEDED_JOINERS:
            continue
        if ch in SEPARATORS or unicodedata.category(ch) == "Cf":
            code = f"U+{ord(ch):04X}"
            if code not in found:
                found.append(code)
    return found


class Visible:
    """A WTForms validator: refuse an answer carrying invisible format characters, with a clear message."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if isinstance(field.data, str) and invisible_characters(field.data):
            raise ValidationError(self.message)
