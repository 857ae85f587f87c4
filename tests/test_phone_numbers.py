"""Phone numbers as patients write them: read with libphonenumber, stored in E.164, found however typed."""

import pytest
from flask_migrate import downgrade, upgrade

from booking.extensions import db
from booking.models import ConsultationRequest
from tests.conftest import make_app, open_form, valid_answers

REFUSED = ("Enter a phone number we can call, like (541) 555-0142. "
           "For a number in another country, start with + and its country code.")


@pytest.mark.parametrize("typed, stored", [
    ("(541) 555-0142", "+15415550142"),
    ("541.555.0142", "+15415550142"),
    ("541-555-0142", "+15415550142"),
    ("+1 541 555 0142", "+15415550142"),
    ("1-541-555-0142", "+15415550142"),
    ("5415550142", "+15415550142"),
    ("  (541) 555-0142  ", "+15415550142"),
    ("+44 20 7946 0958", "+442079460958"),
    ("541 555 0142 ext. 12", "+15415550142"),
])
def test_every_common_way_of_writing_a_number_is_accepted_and_stored_in_e164(app, submit, typed, stored):
    response = submit(phone=typed)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with app.app_context():
        req = db.session.execute(db.select(ConsultationRequest)).scalar_one()
        assert req.phone == typed.strip()  # shown to staff as the patient wrote it
        assert req.phone_e164 == stored


@pytest.mark.parametrize("typed", [
    "call me", "12345", "555-0142", "+1 541 555 01422", "(000) 000-0000", "541 555", "phone: none",
])
def test_what_cannot_be_a_phone_number_is_refused_with_what_to_type(app, submit, typed):
    response = submit(phone=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert REFUSED in page
    assert f'value="{typed}"' in page  # what they typed comes back to be corrected
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(ConsultationRequest.id))).scalar_one() == 0


def test_a_number_without_a_country_code_is_read_in_clinic_country(tmp_path, smtp):
    app = make_app(tmp_path, CLINIC_COUNTRY="GB", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    client = app.test_client()
    response = client.post("/consultation", data={**open_form(client), **valid_answers(phone="020 7946 0958")})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.execute(db.select(ConsultationRequest.phone_e164)).scalar_one() == "+442079460958"


def test_an_unknown_clinic_country_is_refused_at_start(tmp_path):
    with pytest.raises(RuntimeError, match="CLINIC_COUNTRY"):
        make_app(tmp_path, CLINIC_COUNTRY="USA")


def test_the_clinic_number_is_dialled_in_e164(tmp_path):
    app = make_app(tmp_path, CLINIC_PHONE="(541) 555-0199")
    page = app.test_client().get("/").get_data(as_text=True)
    assert 'href="tel:+15415550199"' in page and "(541) 555-0199" in page


@pytest.mark.parametrize("search", ["(541) 555-0142", "541.555.0142", "+1 541 555 0142", "1-541-555-0142",
                                    "5415550142", "555-0142"])
def test_staff_search_finds_a_number_written_any_way(app, submit, search):
    from booking.staff.queries import inbox_query

    submit(phone="541-555-0142", name="Dana Phone")
    submit(phone="+44 20 7946 0958", name="Ellis Abroad")
    with app.app_context():
        found = [r.name for r in db.session.execute(inbox_query(search=search)).scalars()]
    assert found == ["Dana Phone"]


def test_migration_fills_e164_for_rows_stored_before_it_and_goes_down_cleanly(app, submit):
    submit(phone="(541) 555-0142")
    submit(phone="+44 20 7946 0958")
    submit(phone="", contact_method="email")
    with app.app_context():
        downgrade(revision="5f2ac14a223e")
        columns = {c["name"] for c in db.inspect(db.engine).get_columns("consultation_request")}
        assert "phone_e164" not in columns
        upgrade()
        stored = sorted(db.session.execute(db.select(ConsultationRequest.phone_e164)).scalars())
    assert stored == ["", "+15415550142", "+442079460958"]


def test_the_phone_migration_fills_e164_and_goes_down_on_postgresql(make_app, postgres_url):
    app = make_app(SQLALCHEMY_DATABASE_URI=postgres_url)
    client = app.test_client()
    for phone in ("(541) 555-0142", "+44 20 7946 0958"):
        assert client.post_form("/consultation", valid_answers(phone=phone)).status_code == 303
    with app.app_context():
        downgrade(revision="425e6f9ca0c4")  # the revision before the phone numbers' own
        columns = {c["name"] for c in db.inspect(db.engine).get_columns("consultation_request")}
        assert "phone_e164" not in columns
        upgrade()
        stored = sorted(db.session.execute(db.select(ConsultationRequest.phone_e164)).scalars())
        db.session.remove()
    assert stored == ["+15415550142", "+442079460958"]
