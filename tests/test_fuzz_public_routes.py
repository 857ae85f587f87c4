"""Every public route, fed hypothesis-generated query parameters, form fields and path values: never a 500.

Public means what a stranger reaches: every route outside /staff, and the staff sign-in, set-up link and
calendar feed pages. Each generated form carries a genuine CSRF token (or, when drawn so, none), so it reaches
the validation and the operations behind it.
"""

from datetime import UTC

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking.extensions import db
from booking.models import WaitlistEntry
from booking.staff.guard import PUBLIC_ENDPOINTS
from tests.appointment_helpers import manage_path, offered_link
from tests.conftest import open_form, valid_answers
from tests.factories import first_free_time, make_confirmed_appointment, make_practitioner, make_request

FIELDS = sorted({*valid_answers(), "practitioner", "slot", "show_week", "from", "next", "email", "password",
                 "code", "confirm_password", "submission_token", "website", "page", "q", "status"})
ODD = ["²", "٣", "1" * 400, "-1", "0", "9" * 20, "1e9", "\x00", "\u202e", "\ud7ff", "%00", "../../etc/passwd",
       "2027-02-30", "2027-03-08T09:00:00-05:00", "2027-03-08T09:00:00+99:00", "none", "null", "[]", "{}", " "]

values = st.one_of(st.sampled_from(ODD), st.text(st.characters(exclude_categories=["Cs"]), max_size=80),
                   st.integers().map(str))
params = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(min_size=1, max_size=12)),
                         st.one_of(values, st.lists(values, max_size=3)), max_size=6)


def _public_routes(app) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        if rule.rule.startswith("/staff") and rule.endpoint not in PUBLIC_ENDPOINTS | {"staff.set_up_account"}:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, rule.rule, rule.endpoint))
    return routes


@pytest.fixture
def fuzzed(make_app):
    app = make_app(MAIL_SERVER="")
    with app.app_context():
        practitioner = make_practitioner()
        appointment = make_confirmed_appointment(practitioner=practitioner,
                                                 start=first_free_time(practitioner.id).start)
        waiting = make_request(email="sam@example.net", notifications=False)
        db.session.add(WaitlistEntry(consultation_request=waiting))
        db.session.commit()
        tokens = [manage_path(appointment).rsplit("/", 1)[1],
                  offered_link(waiting, practitioner.id, appointment.starts_at.replace(tzinfo=UTC)).rsplit("/", 1)[1]]
    return app, tokens


def test_the_route_list_covers_the_patient_pages(fuzzed):
    app, _ = fuzzed
    rules = {rule for _, rule, _ in _public_routes(app)}
    assert {"/", "/es/", "/consultation", "/es/consultation", "/appointment/<token>/change",
            "/appointment/freed/<token>", "/staff/login", "/staff/set-up/<token>"} <= rules
    assert not any(rule.startswith(("/staff/requests", "/staff/team")) for rule in rules)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_no_public_route_answers_500_to_anything(fuzzed, data):
    app, tokens = fuzzed
    method, rule, endpoint = data.draw(st.sampled_from(_public_routes(app)))
    path = rule
    for name in ("token", "reference"):
        if f"<{name}>" in path:
            value = data.draw(st.one_of(st.sampled_from(tokens), st.text(
                st.characters(exclude_categories=["Cs"], exclude_characters="/?#"), min_size=1, max_size=60)))
            path = path.replace(f"<{name}>", value)
    query = data.draw(params)
    client = app.test_client()
    if method == "GET":
        response = client.get(path, query_string=query)
    else:
        form = dict(query)
        if data.draw(st.booleans()):
            form["csrf_token"] = open_form(client)["csrf_token"]
        response = client.post(path, query_string=data.draw(params), data=form)
    assert response.status_code < 500, (method, path, query, response.status_code)
