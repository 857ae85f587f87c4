"""The outbox is plumbing: it imports no feature, features register their emails, files stay private."""

import ast
import os
import stat
import sys
from pathlib import Path

import pytest
from flask_mail import Message

import booking.outbox
from booking.extensions import db
from booking.models import Notification
from booking.outbox.admin import retry_now
from booking.outbox.queue import enqueue, enqueue_for_request
from booking.outbox.registry import UnknownEmailKind, register_email
from tests.conftest import make_app, open_form, valid_answers

OUTBOX = Path(booking.outbox.__file__).parent
# What plumbing may lean on: the shared base of the app, and itself.
ALLOWED_BOOKING_MODULES = ("booking.extensions", "booking.models", "booking.clock", "booking.enums", "booking.states",
                           "booking.outbox")


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, relative imports resolved against booking.outbox."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = "booking.outbox" if node.level == 1 else "booking"
                found.add(f"{base}.{node.module}" if node.module else base)
            else:
                found.add(node.module)
    return found


def test_no_outbox_module_imports_a_feature():
    modules = sorted(OUTBOX.rglob("*.py"))
    assert {m.name for m in modules} >= {"queue.py", "registry.py", "delivery.py", "transport.py", "claims.py",
                                         "backoff.py", "admin.py", "worker.py", "commands.py"}
    upward = {}
    for module in modules:
        for name in imported_modules(module):
            if name == "booking" or name.startswith("booking."):
                if not any(name == ok or name.startswith(ok + ".") for ok in ALLOWED_BOOKING_MODULES):
                    upward.setdefault(module.name, []).append(name)
    assert upward == {}, f"the outbox imports features: {upward}"


def test_the_import_check_would_see_a_feature_import(tmp_path):
    """The check above can fail: it finds absolute, from- and relative imports of a feature."""
    sample = tmp_path / "sample.py"
    sample.write_text("import booking.intake.emails\nfrom booking.staff import bp\nfrom ..public import views\n")
    assert imported_modules(sample) == {"booking.intake.emails", "booking.staff", "booking.public"}


def test_the_outbox_builds_only_kinds_a_feature_registered(app):
    def builder(notification):
        return Message("x", recipients=["a@example.org"], body="x")

    register_email("test_only_kind", builder)
    register_email("test_only_kind", builder)  # the same feature registering again (a second app) is fine
    with pytest.raises(ValueError, match="already registered"):
        register_email("test_only_kind", lambda notification: None)
    with app.app_context(), pytest.raises(UnknownEmailKind):
        enqueue("clinic_new_reqeust", request_id=1)  # a typo'd kind is refused at once, not retried forever
    with app.app_context(), pytest.raises(UnknownEmailKind):
        enqueue_for_request(1, "clinic_new_request", "clinic_new_reqeust")  # the intake form's one-insert way too


def test_retry_now_is_atomic_and_refuses_an_unknown_email(app, submit):
    submit()
    with app.app_context():
        first, second = db.session.execute(db.select(Notification).order_by(Notification.id)).scalars()
        first.status = "sent"
        second.status = "refused"
        db.session.commit()
        assert retry_now(first.id) is False  # a sent email is never sent again
        assert retry_now(second.id) is True
        db.session.refresh(first)
        db.session.refresh(second)
        assert (first.status, second.status) == ("sent", "pending")
        with pytest.raises(LookupError):
            retry_now(999)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_mail_files_are_private_named_after_the_email_and_go_with_erasure(tmp_path):
    app = make_app(tmp_path, MAIL_SERVER="")
    client = app.test_client()
    client.post("/consultation", data={**open_form(client), **valid_answers()})
    assert app.test_cli_runner().invoke(args=["send-mail"]).exit_code == 0
    folder = tmp_path / "mail"
    files = sorted(folder.glob("*.eml"))
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert len(files) == 2 and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    with app.app_context():
        ids = {n.message_id.strip("<>") for n in db.session.execute(db.select(Notification)).scalars()}
    assert {f.stem for f in files} == ids

    from booking.models import ConsultationRequest
    from booking.outbox.admin import delete_copies
    from booking.staff.operations.accounts import create_staff
    from booking.staff.operations.erasure import erase_request

    with app.app_context():  # as the erase view does: the files go once the rows are committed
        admin = create_staff("boss@clinic.test", "a long enough password", is_admin=True)
        copies = erase_request(db.session.execute(db.select(ConsultationRequest)).scalar_one(), admin)
        db.session.commit()
        delete_copies(copies)
    assert list(folder.glob("*.eml")) == []


def test_purge_takes_a_requests_mail_files_with_it(tmp_path):
    from datetime import timedelta

    from booking.models import ConsultationRequest, utcnow

    app = make_app(tmp_path, MAIL_SERVER="")
    client = app.test_client()
    for name in ("Old Patient", "Recent Patient"):
        client.post("/consultation", data={**open_form(client), **valid_answers(name=name)})
    assert app.test_cli_runner().invoke(args=["send-mail"]).exit_code == 0
    folder = tmp_path / "mail"
    assert len(list(folder.glob("*.eml"))) == 4
    with app.app_context():
        old = db.session.execute(db.select(ConsultationRequest).filter_by(name="Old Patient")).scalar_one()
        old.created_at = utcnow() - timedelta(days=app.config["RETENTION_DAYS"] + 1)
        recent_ids = {n.message_id.strip("<>") for n in db.session.execute(
            db.select(Notification).join(ConsultationRequest).filter(ConsultationRequest.name == "Recent Patient")
        ).scalars()}
        db.session.commit()
    assert "Purged 1 request(s)" in app.test_cli_runner().invoke(args=["purge"]).output
    assert {f.stem for f in folder.glob("*.eml")} == recent_ids
