"""The intake's editable wording files (choices.toml, answers.toml), each read once per process."""

import tomllib
from functools import cache
from pathlib import Path

HERE = Path(__file__).parent


@cache
def load_wording(name: str) -> dict:
    """The TOML file `name` beside this module, parsed."""
    with (HERE / name).open("rb") as fh:
        return tomllib.load(fh)
