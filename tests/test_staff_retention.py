"""Keeping requests no longer than needed: the purge command, and an administrator erasing one request."""

from datetime import timedelta

from booking.extensions import db
from booking.models import ConsultationRequest, Notification, RequestEvent, utcnow
from tests.factories import make_request, make_staff


def test_purge_removes_every_request_without_recent_activity_whatever_its_status(app, runner, caplog):
    with app.app_context():
        staff = make_staff("desk@clinic.test")
        long_ago = utcnow() - timedelta(days=app.config["RETENTION_DAYS"] + 1)
        old_new = make_request(created_at=long_ago)
        old_closed = make_request(created_at=long_ago, status="closed", closed_reason="booked", closed_at=long_ago)
        db.session.add(RequestEvent(consultation_request=old_closed, staff=staff, to_status="closed", note="n",
                                    created_at=long_ago))
        old_but_noted = make_request(created_at=long_ago)
        db.session.add(RequestEvent(consultation_request=old_but_noted, staff=staff, note="called back"))
        recent = make_request()
        db.session.commit()
        old_new, old_closed, old_but_noted, recent = (
            r.reference for r in (old_new, old_closed, old_but_noted, recent))

    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0 and "Purged 2 request(s)" in result.output
    with app.app_context():
        remaining = set(db.session.execute(db.select(ConsultationRequest.reference)).scalars())
        assert remaining == {old_but_noted, recent}
        assert db.session.execute(db.select(db.func.count(Notification.id))).scalar_one() == 4
        assert db.session.execute(db.select(db.func.count(RequestEvent.id))).scalar_one() == 1
    assert any(old_new in r.getMessage() for r in caplog.records)
    assert any(old_closed in r.getMessage() for r in caplog.records)


def test_an_administrator_erases_one_request_completely(app, boss, desk):
    with app.app_context():
        keep = make_request(name="Keep Me").reference
        erase = make_request(name="Erase Me").reference
    page = f"/staff/requests/{erase}"
    boss.post_form(f"{page}/notes", {"note": "asked to be forgotten"}, page=page)

    # Staff who are not administrators cannot, and a mistyped confirmation does nothing.
    assert desk.post(f"{page}/erase",
                     data={"csrf_token": desk.csrf_token("/staff"), "confirm_reference": erase}).status_code == 403
    boss.post_form(f"{page}/erase", {"confirm_reference": keep}, page=page)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(ConsultationRequest.id))).scalar_one() == 2

    response = boss.post_form(f"{page}/erase", {"confirm_reference": erase}, page=page)
    assert response.status_code == 303
    with app.app_context():
        assert set(db.session.execute(db.select(ConsultationRequest.reference)).scalars()) == {keep}
        kept_id = db.session.execute(db.select(ConsultationRequest.id)).scalar_one()
        notifications = db.session.execute(db.select(Notification.request_id)).scalars().all()
        assert notifications == [kept_id, kept_id]
        assert db.session.execute(db.select(RequestEvent)).scalars().all() == []
    assert boss.get(page).status_code == 404
