"""Installed as a deployer installs it: the built wheel, in a fresh virtualenv, serves Spanish on /es/.

`pip install .` once built a Spanish site that served English, because only `make setup` compiled the
catalogue. Here nothing of the checkout is on the path: the wheel (built by setup.py's build step) and the
locked libraries are all the server has.
"""

import os
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from booking.i18n import MissingCatalogue, require_catalogues
from tests.fixtures.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent

@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", out, ROOT],
                   check=True, capture_output=True)
    (built,) = out.glob("juniper_booking-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_carries_the_compiled_catalogue_and_templates(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "booking/translations/es/LC_MESSAGES/messages.mo" in names
    assert "booking/templates/public/dry_needling.html" in names
    assert any(name.startswith("booking/migrations/versions/") for name in names)


@pytest.mark.slow
def test_a_fresh_virtualenv_with_the_wheel_serves_spanish(wheel, tmp_path):
    # A virtualenv of its own with nothing in it; this pip installs into it (--python), which saves installing
    # pip there first (its own, older pip took twice as long), and --no-compile leaves the .pyc files to Python.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    pip = [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--quiet", "--no-compile"]
    subprocess.run([*pip, "-r", ROOT / "requirements.txt"], check=True, capture_output=True)
    subprocess.run([*pip, "--no-deps", wheel], check=True, capture_output=True)

    elsewhere = tmp_path / "cwd"  # not the checkout: `booking` must come from the wheel
    elsewhere.mkdir()
    env = {**os.environ, "BOOKING_ENV": "development", "INSTANCE_PATH": str(tmp_path / "instance"),
           "OUTBOX_WORKER": "off", "PYTHONPATH": ""}
    where = subprocess.run([venv / "bin" / "python", "-c", "import booking; print(booking.__file__)"],
                           cwd=elsewhere, env=env, check=True, capture_output=True, text=True).stdout
    assert str(venv) in where
    subprocess.run([venv / "bin" / "flask", "--app", "booking", "db", "upgrade"], cwd=elsewhere, env=env,
                   check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([venv / "bin" / "gunicorn", "--bind", f"127.0.0.1:{port}", "booking:create_app()"],
                              cwd=elsewhere, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        page = _get_when_up(f"http://127.0.0.1:{port}/es/", server)
    finally:
        server.terminate()
        server.wait(10)
    assert '<html lang="es"' in page
    assert "La punción seca en" in page
    assert "Dry needling at" not in page


def test_a_served_language_without_its_compiled_catalogue_stops_the_start(tmp_path):
    """create_app() runs this check on the package's translations folder (booking/i18n.py register())."""
    (tmp_path / "es" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "es" / "LC_MESSAGES" / "messages.po").write_text("")
    with pytest.raises(MissingCatalogue, match="No compiled es catalogue"):
        require_catalogues(str(tmp_path))
    require_catalogues(str(ROOT / "booking" / "translations"))  # the checkout's, compiled by make setup


def _get_when_up(url: str, server: subprocess.Popen, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            if server.poll() is not None:
                raise AssertionError(f"gunicorn exited: {server.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
