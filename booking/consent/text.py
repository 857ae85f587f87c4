"""The consent text: one file per version and language, rendered for one practitioner, kept exactly as shown.

Files live in booking/consent/texts/<language>/<version>.md (or CONSENT_TEXT_DIR, laid out the same way);
the highest version number is the one patients read now. A file is a Jinja template of plain lines:
"# " a title, "## " a heading, "- " a list item, anything else a paragraph.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from booking.i18n import N_
from booking.models import Practitioner

PACKAGE_TEXTS = Path(__file__).parent / "texts"
LANGUAGES = ("en", "es")

# The key statements the patient confirms one by one; the keys are stored with each signature.
STATEMENTS = {
    "read": N_("I have read this consent and had the chance to ask questions."),
    "risks": N_("I understand the common effects and the rare risks, including a collapsed lung (pneumothorax) "
                "when needling near the chest wall."),
    "alternatives": N_("I know there are other treatments and that dry needling is my choice."),
    "stop": N_("I know I can ask to stop at any time and withdraw my consent."),
    "answers": N_("My answers to the safety questions are true to the best of my knowledge."),
}


@dataclass(frozen=True)
class ConsentText:
    language: str
    version: str
    source_sha256: str  # of the file as published
    text: str  # exactly what the patient reads, the practitioner's training filled in

    @property
    def sha256(self) -> str:
        return sha256(self.text)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def text_folder() -> Path:
    """The clinic's own texts if CONSENT_TEXT_DIR names a folder, otherwise the ones shipped in the package."""
    configured = current_app.config.get("CONSENT_TEXT_DIR")
    return Path(configured) if configured else PACKAGE_TEXTS


def versions(language: str) -> list[int]:
    folder = text_folder() / language
    return sorted(int(path.stem) for path in folder.glob("*.md") if path.stem.isdigit())


def current_version(language: str) -> str:
    published = versions(language)
    if not published:
        raise LookupError(f"no consent text in {text_folder() / language}")
    return str(published[-1])


def consent_text(language: str, practitioner: Practitioner | None) -> ConsentText:
    """The current text in `language` (English if there is none in it), for this practitioner."""
    language = language if language in LANGUAGES and versions(language) else "en"
    version = current_version(language)
    source = (text_folder() / language / f"{version}.md").read_text("utf-8")
    template = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False).from_string(source)
    config = current_app.config
    rendered = template.render(
        clinic=config["CLINIC_NAME"], emergency_number=config["CLINIC_EMERGENCY_NUMBER"],
        practitioner=practitioner.name if practitioner else "",
        training=(practitioner.dry_needling_training or "").strip() if practitioner else "",
    )
    text = "\n".join(line.rstrip() for line in rendered.strip().splitlines()) + "\n"
    return ConsentText(language, version, sha256(source), text)


def blocks(text: str) -> list[tuple[str, str | list[str]]]:
    """The text as ("title"|"heading"|"paragraph", words) and ("list", [items]), for the page and the PDF."""
    shown: list[tuple[str, str | list[str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("## "):
            shown.append(("heading", line[3:]))
        elif line.startswith("# "):
            shown.append(("title", line[2:]))
        elif line.startswith("- "):
            if shown and shown[-1][0] == "list":
                shown[-1][1].append(line[2:])
            else:
                shown.append(("list", [line[2:]]))
        else:
            shown.append(("paragraph", line))
    return shown
