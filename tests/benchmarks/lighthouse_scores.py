"""Lighthouse scores for the patient pages, served by gunicorn as in production.

The public pages in both languages, and a confirmed appointment's private pages (manage, change, cancel,
consent), seeded into the served database. Run with `make lighthouse`, which installs Lighthouse from npm
into .cache/ first. Prints each category's score and any audit that cost points; exits 1 unless every
score is 100 (the private pages' SEO aside: they say noindex on purpose).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIGHTHOUSE = ROOT / ".cache" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
PATHS = ["/", "/consultation", "/es/", "/es/consultation", "/privacy", "/language-help", "/es/privacy"]
# A confirmed appointment's private pages, seeded into the served database (see seed_appointment).
APPOINTMENT_PAGES = ["", "/change", "/cancel", "/consent"]
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run")

sys.path.insert(0, str(ROOT))
from tests.conftest import free_port  # noqa: E402


def serve(instance: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "INSTANCE_PATH": instance, "OUTBOX_WORKER": "false", "BOOKING_ENV": "development"}
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "flask", "--app", "booking", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    server = subprocess.Popen([bin_dir / "gunicorn", "--bind", f"127.0.0.1:{port}", "booking:create_app()"],
                              cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def seed_appointment(instance: str) -> str:
    """A practitioner and a patient's confirmed consultation in the served database; its manage link's path."""
    os.environ.update(INSTANCE_PATH=instance, OUTBOX_WORKER="false", BOOKING_ENV="development")
    from urllib.parse import urlsplit

    from booking import create_app
    from booking.appointments.links import manage_url
    from booking.appointments.operations import hold_time
    from booking.extensions import db
    from booking.lifecycle import operations
    from tests.factories import first_free_time, make_practitioner, make_request

    app = create_app()
    with app.app_context():
        practitioner = make_practitioner("Avery Lee", dry_needling_training="Certified in dry needling.")
        consultation = make_request(notifications=False)
        hold_time(consultation, first_free_time(practitioner.id).start, practitioner.id)
        operations.confirm_time(consultation, operations.SYSTEM)
        db.session.commit()
        path = urlsplit(manage_url(consultation.appointment)).path
        db.session.remove()
        db.engine.dispose()
    return path


def audit(url: str, report: Path) -> dict[str, int]:
    subprocess.run([LIGHTHOUSE, url, "--quiet", f"--chrome-flags={CHROME_FLAGS}", "--output=json",
                    f"--output-path={report}", "--form-factor=mobile"],
                   env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"}, check=True, timeout=300)
    result = json.loads(report.read_text())
    scores = {}
    for name, category in result["categories"].items():
        scores[name] = round((category["score"] or 0) * 100)
        for ref in category["auditRefs"]:
            found = result["audits"][ref["id"]]
            if ref.get("weight") and found.get("score") is not None and found["score"] < 1:
                print(f"    {name}: {ref['id']} scored {found['score']} {found.get('displayValue', '')}")
    return scores


def main() -> int:
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        server = serve(workdir, port)
        try:
            manage = seed_appointment(workdir)
            private = [*(manage + page for page in APPOINTMENT_PAGES), "/es" + manage + "/consent"]
            all_perfect = True
            for path in [*PATHS, *private]:
                scores = audit(f"http://127.0.0.1:{port}{path}", Path(workdir) / "report.json")
                if path in private:  # noindex on purpose (the token is the key): SEO's is-crawlable fails by design
                    scores.pop("seo")
                print(f"{path}: {scores}")
                all_perfect &= all(score == 100 for score in scores.values())
        finally:
            server.terminate()
            server.wait(10)
    return 0 if all_perfect else 1


if __name__ == "__main__":
    raise SystemExit(main())
