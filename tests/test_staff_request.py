"""One request, as staff see it: every answer, the status workflow and its history, the email's link."""

import re

from booking.extensions import db
from booking.models import ConsultationRequest
from tests.factories import make_request, make_staff
from tests.fixtures.staff import log_in


def test_status_workflow_and_audit_trail(app, desk, reference):
    page = f"/staff/requests/{reference}"

    def move(status, **extra):
        return desk.post_form(f"{page}/status", {"status": status, **extra}, page=page)

    assert move("contacted", note="Spoke on the phone").status_code == 303
    assert move("scheduled").status_code == 303
    missing_reason = move("closed")
    assert "Choose why the request is being closed." in missing_reason.get_data(as_text=True)
    assert move("closed", closed_reason="booked").status_code == 303
    # closed -> scheduled skips a step: refused, with a message.
    refused = move("scheduled")
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)

    assert desk.post_form(f"{page}/notes", {"note": "Booked for Tuesday 9am"}, page=page).status_code == 303

    with app.app_context():
        stored = db.session.execute(db.select(ConsultationRequest)).scalar_one()
        assert (stored.status, stored.closed_reason) == ("closed", "booked") and stored.closed_at
        events = [(e.from_status, e.to_status, e.closed_reason, e.note, e.staff.email) for e in stored.events]
    assert events == [
        ("new", "contacted", None, "Spoke on the phone", "desk@clinic.test"),
        ("contacted", "scheduled", None, "", "desk@clinic.test"),
        ("scheduled", "closed", "booked", "", "desk@clinic.test"),
        (None, None, None, "Booked for Tuesday 9am", "desk@clinic.test"),  # a note: no states
    ]
    html = desk.get(page).get_data(as_text=True)
    assert "Marked contacted (was new)" in html and "Marked closed (was scheduled), booked a consultation" in html
    assert "Booked for Tuesday 9am" in html and "desk@clinic.test" in html


def test_request_page_shows_every_answer_flags_first_with_contact_links(desk, reference):
    page = desk.get(f"/staff/requests/{reference}").get_data(as_text=True)
    assert page.index("Safety screening: 2 flags") < page.index("maria@example.org")
    for answer in ["I take blood thinners or have a bleeding disorder", "Plantar fasciitis", "Ankle or foot",
                   "Left", "3 to 12 months", "Sharp heel pain", "Tuesday, Thursday", "Morning"]:
        assert answer in page, answer
    assert 'href="mailto:maria%40example.org?subject=' in page
    assert 'href="tel:+15415550123"' in page  # E.164, not "(541) 555-0123" as typed


def test_minimal_notification_carries_no_health_details_and_its_link_works_after_login(make_app, smtp):
    app = make_app(NOTIFY_DETAILS="minimal", PUBLIC_BASE_URL="https://booking.clinic.test")
    with app.app_context():
        make_staff("desk@clinic.test")
        reference = make_request(condition="other", condition_other="Frozen-Shoulder",
                                 description="Private-Words").reference
    assert app.test_cli_runner().invoke(args=["send-mail"]).exit_code == 0
    [clinic] = [m for m in smtp.messages if "frontdesk@clinic.test" in m["To"]]
    whole = clinic.as_string()
    for detail in ["Maria", "Lopez", "maria@example.org", "010 0123", "Frozen", "Private-Words", "Something else",
                   "Plantar", "blood thinners", "needle", "heel"]:
        assert detail not in whole, detail
    assert clinic["Reply-To"] is None
    assert clinic["Subject"] == f"New consultation request [{reference}]: no time chosen"
    text = clinic.get_body(("plain",)).get_content()
    assert "SAFETY SCREENING: FLAGS RAISED" in text
    link = f"https://booking.clinic.test/staff/requests/{reference}"
    assert link in text

    client = app.test_client()
    path = link.removeprefix("https://booking.clinic.test")
    bounced = client.get(path)
    assert bounced.status_code == 302 and b"Private" not in bounced.data
    login_url = bounced.headers["Location"]
    next_path = re.search(r"next=([^&]+)", login_url).group(1).replace("%2F", "/")
    landed = log_in(client, "desk@clinic.test", next_path=next_path)
    assert landed.headers["Location"] == path
    assert "Private-Words" in client.get(path).get_data(as_text=True)


def test_full_notification_is_the_default_outside_production(app):
    assert app.config["NOTIFY_DETAILS"] == "full"
