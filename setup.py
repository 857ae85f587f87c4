"""The one build step pyproject.toml cannot declare: compile the translation catalogues (.po -> .mo).

Every way of installing runs it (`pip install .`, the wheel, `pip install -e .`), so an installed app serves
Spanish as a checkout does. The compiled files are build output, never committed (.gitignore).
"""

import os

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

CATALOGUES = os.path.join("booking", "translations")


def compile_catalogues(source: str, target: str) -> list[str]:
    """Write target/<lang>/LC_MESSAGES/messages.mo for each source/<lang>/LC_MESSAGES/messages.po."""
    written = []
    for language in sorted(os.listdir(source)):
        po = os.path.join(source, language, "LC_MESSAGES", "messages.po")
        if not os.path.isfile(po):
            continue
        with open(po, "rb") as fh:
            catalog = read_po(fh, locale=language)
        mo = os.path.join(target, language, "LC_MESSAGES", "messages.mo")
        os.makedirs(os.path.dirname(mo), exist_ok=True)
        with open(mo, "wb") as fh:
            write_mo(fh, catalog)
        written.append(mo)
    return written


class BuildPyWithCatalogues(build_py):
    """setuptools' build_py, then the compiled catalogues beside the .po files in what is installed."""

    def run(self):
        super().run()
        # An editable install runs the checkout itself: compile there; otherwise into the build.
        target = CATALOGUES if self.editable_mode else os.path.join(self.build_lib, CATALOGUES)
        self._compiled = compile_catalogues(CATALOGUES, target)

    def get_outputs(self, include_bytecode=True):
        return super().get_outputs(include_bytecode) + list(getattr(self, "_compiled", []))


setup(cmdclass={"build_py": BuildPyWithCatalogues})
