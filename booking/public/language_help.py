"""The free-language-help notice, one line per language, read from language_help.toml."""

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

NOTICES_FILE = Path(__file__).with_name("language_help.toml")
ALWAYS = ("en", "es")


@dataclass(frozen=True)
class Notice:
    code: str
    name: str
    text: str
    direction: str = "ltr"


@cache
def _notices() -> dict[str, dict[str, str]]:
    with NOTICES_FILE.open("rb") as fh:
        return tomllib.load(fh)


def language_notices(extra_codes: list[str], phone: str) -> list[Notice]:
    """English and Spanish, then the clinic's other languages in the order it lists them (unknown codes skipped)."""
    known = _notices()
    codes = list(ALWAYS) + [code for code in extra_codes if code in known and code not in ALWAYS]
    return [Notice(code, known[code]["name"], known[code]["notice"].format(phone=phone),
                   known[code].get("direction", "ltr")) for code in codes]
