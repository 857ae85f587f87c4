"""The lock (requirements.txt, requirements-test.txt, written by `make lock`) agrees with pyproject.toml.

Checked without the network: every requirement pyproject.toml states is pinned in the lock at a version it
allows, the lock pins nothing pyproject.toml names no longer, both files pin the shared libraries alike and
with hashes, and every library the app imports is one pyproject.toml names.
"""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)")


def _requirements(*extras: str) -> list[Requirement]:
    listed = list(PROJECT["dependencies"])
    for extra in extras:
        listed += PROJECT["optional-dependencies"][extra]
    return [Requirement(text) for text in listed]


def _lock(name: str) -> dict[str, dict]:
    """Each pin of a lock file: its version, its hashes and whom it is there for (pip-compile's `# via`)."""
    pins: dict[str, dict] = {}
    current = None
    for line in (ROOT / name).read_text().splitlines():
        if match := PIN.match(line):
            current = pins[canonicalize_name(match[1])] = {"version": match[2], "hashes": 0, "via": []}
        elif current is not None and "--hash=sha256:" in line:
            current["hashes"] += 1
        elif current is not None and line.strip().startswith("#"):
            via = line.strip("# ").removeprefix("via").strip()
            if via:
                current["via"].append(via)
    return pins


LOCKS = {"requirements.txt": ("postgres",), "requirements-test.txt": ("postgres", "test")}


@pytest.mark.parametrize("lock_name", LOCKS)
def test_every_requirement_is_pinned_at_a_version_it_allows(lock_name):
    pins = _lock(lock_name)
    for requirement in _requirements(*LOCKS[lock_name]):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is in pyproject.toml but not in {lock_name}: run `make lock`"
        assert requirement.specifier.contains(pins[name]["version"], prereleases=True), (
            f"{lock_name} pins {name}=={pins[name]['version']}, which pyproject.toml's {requirement} refuses: "
            "run `make lock`")


@pytest.mark.parametrize("lock_name", LOCKS)
def test_the_lock_pins_only_what_pyproject_or_a_pinned_library_needs(lock_name):
    pins = _lock(lock_name)
    named = {canonicalize_name(r.name) for r in _requirements(*LOCKS[lock_name])}
    for name, pin in pins.items():
        assert pin["hashes"], f"{name} has no hash in {lock_name}"
        project_only = all(via.startswith("juniper-booking") for via in pin["via"])
        if project_only:
            assert name in named, f"{lock_name} pins {name} for pyproject.toml, which no longer names it: run `make lock`"


def test_both_locks_pin_the_shared_libraries_alike():
    deployed, tested = _lock("requirements.txt"), _lock("requirements-test.txt")
    differ = {name: (pin["version"], tested[name]["version"]) for name, pin in deployed.items()
              if name in tested and tested[name]["version"] != pin["version"]}
    missing = set(deployed) - set(tested)
    assert not differ and not missing, f"CI would test other versions than a clinic deploys: {differ or missing}"


def _imported_top_level(folder: Path) -> set[str]:
    names = set()
    for path in [*folder.rglob("*.py"), ROOT / "config.py"]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.partition(".")[0])
    return names


def test_every_library_the_app_imports_is_named_in_pyproject():
    providers = packages_distributions()
    named = {canonicalize_name(r.name) for r in _requirements("postgres")}
    unnamed = {}
    for module in _imported_top_level(ROOT / "booking") - {"booking", "config"}:
        if module in sys.stdlib_module_names:
            continue
        distributions = {canonicalize_name(d) for d in providers.get(module, [])}
        assert distributions, f"booking imports {module}, which no installed distribution provides"
        if not distributions & named:
            unnamed[module] = sorted(distributions)
    assert not unnamed, f"imported by booking/ but not named in pyproject.toml: {unnamed}"
