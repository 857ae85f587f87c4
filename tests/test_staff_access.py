"""Who may reach the staff pages: nobody anonymous or disabled, nothing without CSRF, nothing cached."""

from booking.extensions import db
from booking.models import ConsultationRequest, Notification, RequestEvent, StaffUser
from booking.staff.guard import PUBLIC_ENDPOINTS
from tests.factories import PASSWORD
from tests.fixtures.staff import log_in


def staff_urls(app, reference: str) -> list[tuple[str, str]]:
    """Every (method, url) under /staff except the public login page, found from the URL map."""
    with app.app_context():
        notification_id = db.session.execute(db.select(Notification.id)).scalars().first()
        staff_id = db.session.execute(db.select(StaffUser.id)).scalars().first()
    values = {"reference": reference, "notification_id": notification_id, "staff_id": staff_id,
              # The guard refuses before any lookup, so these need no rows behind them.
              "practitioner_id": 1, "time_off_id": 1, "session_id": 1}
    found = []
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = adapter.build(rule.endpoint, {arg: values[arg] for arg in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def test_every_staff_route_refuses_an_anonymous_visitor(app, staff, reference):
    routes = staff_urls(app, reference)
    assert len(routes) >= 12, routes  # the walk found the inbox's routes, not an empty map
    client = app.test_client()
    token = client.csrf_token()  # a valid CSRF token, so only the login check can refuse
    for method, url in routes:
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/staff/login"), (method, url)
        assert b"Maria" not in response.data and b"heel" not in response.data
    with app.app_context():
        assert db.session.execute(db.select(ConsultationRequest)).scalars().all()  # nothing was erased


def test_every_staff_route_refuses_a_disabled_account(app, staff, reference):
    client = app.test_client()
    log_in(client, "boss@clinic.test")
    assert client.get("/staff").status_code == 200
    with app.app_context():
        db.session.execute(db.update(StaffUser).values(enabled=False))
        db.session.commit()
    token = client.csrf_token()
    for method, url in staff_urls(app, reference):
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"], (method, url)
    # And a disabled account cannot log in again.
    fresh = app.test_client()
    assert log_in(fresh, "boss@clinic.test").status_code == 200


def test_a_staff_member_cannot_act_without_csrf(app, desk, reference):
    for url, data in [
        (f"/staff/requests/{reference}/status", {"status": "contacted"}),
        (f"/staff/requests/{reference}/notes", {"note": "hello"}),
        ("/staff/logout", {}),
        ("/staff/password", {"current_password": PASSWORD, "new_password": "x" * 20, "confirm_password": "x" * 20}),
    ]:
        response = desk.post(url, data=data)
        assert response.status_code in (200, 400), url
    with app.app_context():
        stored = db.session.execute(db.select(ConsultationRequest)).scalar_one()
        assert stored.status == "new"
        assert db.session.execute(db.select(RequestEvent)).scalars().all() == []
    assert desk.get("/staff").status_code == 200  # still logged in: the logout without a token did nothing
    assert log_in(desk.application.test_client(), "desk@clinic.test").status_code == 303  # password unchanged


def test_staff_pages_are_never_cached_or_indexed(desk, reference):
    for path in ["/staff", f"/staff/requests/{reference}", "/staff/outbox", "/staff/login"]:
        headers = desk.get(path).headers
        assert headers["Cache-Control"] == "no-store", path
        assert headers["X-Robots-Tag"] == "noindex, nofollow", path
