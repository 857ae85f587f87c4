"""SMART Scheduling Links: /fhir/$bulk-publish and its Location, Schedule and Slot files, validated as FHIR R4.

The resources are parsed with fhir.resources (its R4B models, the R4 revision the specification's servers
speak) and checked against the fields the specification's tables require of a slot publisher.
"""

import json
import re
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot

from booking.extensions import db
from booking.models import Practitioner, TimeOff
from tests.conftest import valid_answers

BASE_URL = "https://juniper.example"
# Wednesday 10 March 2027, 7:00 am in New York; 12 hours' notice: nothing more today, Thursday on is open.
NOW = datetime(2027, 3, 10, 12, 0, tzinfo=timezone.utc)
DEEP_LINK = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link"
PHONE = "http://fhir-registry.smarthealthit.org/StructureDefinition/booking-phone"
SPEC_ID = re.compile(r"[A-Za-z0-9_.]{1,64}")  # "up to 64 alphanumeric characters and may include _ and ."
CHECKED = re.compile(r'name="slot" type="radio" value="([^"]+)" checked')
MODELS = {"Location": Location, "Schedule": Schedule, "Slot": Slot}


@pytest.fixture(autouse=True)
def clinic_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def clinic(make_app):
    app = make_app(PUBLIC_BASE_URL=BASE_URL, CLINIC_PHONE="(541) 555-0142", CLINIC_STREET_ADDRESS="7 Cedar Lane",
                   CLINIC_LOCALITY="Eugene", CLINIC_REGION="OR", CLINIC_POSTAL_CODE="97401")
    with app.app_context():
        avery = Practitioner(name="Avery Lee", hours="mon-fri 09:00-12:00")
        blake = Practitioner(name="Blake Kim", hours="mon-fri 13:00-15:00")
        gone = Practitioner(name="Casey Gone", hours="mon-fri 09:00-17:00", active=False)
        db.session.add_all([avery, blake, gone])
        db.session.flush()
        # Blake is away all of Friday 12 March (17:00 to 05:00 UTC the next day covers the New York day).
        db.session.add(TimeOff(practitioner_id=blake.id, starts_at=datetime(2027, 3, 12, 5, 0),
                               ends_at=datetime(2027, 3, 13, 5, 0)))
        db.session.commit()
        app.ids = {"avery": avery.id, "blake": blake.id, "gone": gone.id}
    return app


def published(client) -> dict[str, list[dict]]:
    """Follow the manifest to each file, as a discovery client does; every line parsed as minified JSON."""
    response = client.get("/fhir/$bulk-publish")
    assert response.status_code == 200 and response.mimetype == "application/json"
    manifest = response.get_json()
    files: dict[str, list[dict]] = {}
    for output in manifest["output"]:
        assert output["url"].startswith(BASE_URL + "/fhir/")
        answer = client.get(urlsplit(output["url"]).path)
        assert answer.status_code == 200 and answer.mimetype == "application/fhir+ndjson"
        lines = answer.get_data(as_text=True).splitlines()
        for line in lines:
            assert json.dumps(json.loads(line), separators=(",", ":"), ensure_ascii=False) == line  # minified
        files.setdefault(output["type"], []).extend(json.loads(line) for line in lines)
    return files


def weekdays(first: date, last: date) -> int:
    return sum((first + timedelta(days=n)).weekday() < 5 for n in range((last - first).days + 1))


def test_the_manifest_names_the_three_files(clinic):
    manifest = clinic.test_client().get("/fhir/$bulk-publish").get_json()
    assert manifest["transactionTime"] == "2027-03-10T12:00:00Z"
    assert manifest["request"] == BASE_URL + "/fhir/$bulk-publish"
    assert manifest["output"] == [
        {"type": "Location", "url": BASE_URL + "/fhir/Location.ndjson"},
        {"type": "Schedule", "url": BASE_URL + "/fhir/Schedule.ndjson"},
        {"type": "Slot", "url": BASE_URL + "/fhir/Slot.ndjson"},
    ]
    assert manifest["error"] == []


def test_every_resource_is_valid_fhir_with_the_fields_the_specification_requires(clinic):
    files = published(clinic.test_client())
    for kind, resources in files.items():
        for resource in resources:
            MODELS[kind].model_validate(resource)  # raises on anything FHIR R4 does not allow
            assert resource["resourceType"] == kind and SPEC_ID.fullmatch(resource["id"])
    [location] = files["Location"]
    assert location["name"] == "Juniper Physical Therapy"
    assert {"system": "phone", "value": "+15415550142"} in location["telecom"]
    assert location["address"] == {"line": ["7 Cedar Lane"], "city": "Eugene", "state": "OR", "postalCode": "97401",
                                   "country": "US"}
    schedules = {s["id"]: s for s in files["Schedule"]}
    ids = clinic.ids
    assert set(schedules) == {f"practitioner{ids['avery']}", f"practitioner{ids['blake']}"}  # not the inactive one
    for schedule in schedules.values():
        assert schedule["actor"][0] == {"reference": f"Location/{location['id']}"}
        assert schedule["serviceType"][0]["text"] == "Dry needling consultation"
    for slot in files["Slot"]:
        assert slot["schedule"]["reference"].removeprefix("Schedule/") in schedules
        assert slot["status"] in {"free", "busy"}
        assert datetime.fromisoformat(slot["end"]) - datetime.fromisoformat(slot["start"]) == timedelta(minutes=30)
        assert {"url": PHONE, "valueString": "+15415550142"} in slot["extension"]
        assert any(e["url"] == DEEP_LINK for e in slot["extension"]) == (slot["status"] == "free")
    assert len({slot["id"] for slot in files["Slot"]}) == len(files["Slot"])


def test_every_start_in_the_horizon_is_listed_free_or_busy(clinic):
    slots = published(clinic.test_client())["Slot"]
    # 42 days from today (Wed 10 March) is Tuesday 20 April; today's mornings are inside the notice period.
    days = weekdays(date(2027, 3, 11), date(2027, 4, 20))
    avery = [s for s in slots if s["schedule"]["reference"] == f"Schedule/practitioner{clinic.ids['avery']}"]
    blake = [s for s in slots if s["schedule"]["reference"] == f"Schedule/practitioner{clinic.ids['blake']}"]
    assert len(avery) == days * 6 and len(blake) == days * 4
    assert avery[0]["start"] == "2027-03-11T09:00:00-05:00" and avery[-1]["start"] == "2027-04-20T11:30:00-04:00"
    assert all(s["status"] == "free" for s in avery)
    away = [s for s in blake if s["start"].startswith("2027-03-12")]
    assert len(away) == 4 and all(s["status"] == "busy" for s in away)
    assert sum(s["status"] == "busy" for s in blake) == 4


def test_each_free_slots_deep_link_opens_the_form_with_that_time_chosen_and_a_taken_slot_is_busy(clinic):
    client = clinic.test_client()
    thursday_nine = f"practitioner{clinic.ids['avery']}.20270311T1400Z"
    before = {s["id"]: s for s in published(client)["Slot"]}
    for slot in list(before.values())[:3] + [before[thursday_nine]]:
        [link] = [e["valueUrl"] for e in slot["extension"] if e["url"] == DEEP_LINK]
        parts = urlsplit(link)
        assert f"{parts.scheme}://{parts.netloc}" == BASE_URL and parts.path == "/consultation"
        query = parse_qs(parts.query)
        assert query["slot"] == [slot["start"]]
        page = client.get(f"{parts.path}?{parts.query}").get_data(as_text=True)
        assert CHECKED.findall(page) == [slot["start"]]
    # A patient follows Thursday 9:00's link and sends the form: the published Slot is busy at once.
    [link] = [e["valueUrl"] for e in before[thursday_nine]["extension"] if e["url"] == DEEP_LINK]
    path = urlsplit(link)._replace(scheme="", netloc="").geturl()
    patient = clinic.test_client()
    sent = patient.post_form("/consultation", valid_answers(slot="2027-03-11T09:00:00-05:00",
                                                            practitioner=str(clinic.ids["avery"])), page=path)
    assert sent.status_code == 303
    after = {s["id"]: s for s in published(client)["Slot"]}
    assert after[thursday_nine]["status"] == "busy"
    assert all(e["url"] != DEEP_LINK for e in after[thursday_nine]["extension"])
    assert {k for k in after if after[k] != before[k]} == {thursday_nine}
    assert CHECKED.findall(client.get(path).get_data(as_text=True)) == []  # the old link now says it is taken


def test_nothing_about_the_patient_is_published(clinic):
    client = clinic.test_client()
    answers = valid_answers(slot="2027-03-11T09:00:00-05:00", name="Maria Lopez", email="maria@example.org")
    assert client.post_form("/consultation", answers).status_code == 303
    everything = "".join(client.get(f"/fhir/{kind}.ndjson").get_data(as_text=True) for kind in MODELS)
    for private in ["Maria", "Lopez", "maria@example.org", "555-0123", "5550123", "JPT-", "heel", "Sharp",
                    "plantar", "blood", "held", "confirmed", "Appointment", "Patient"]:
        assert private not in everything, private


def test_an_unchanged_publication_answers_304_and_a_change_gives_a_new_etag(clinic, clinic_clock):
    client = clinic.test_client()
    first = client.get("/fhir/Slot.ndjson")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, no-cache"
    again = client.get("/fhir/Slot.ndjson", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get("/fhir/$bulk-publish", headers={"If-None-Match": etag}).status_code == 304
    with clinic.app_context():  # staff give Avery a day off through the availability page's model
        db.session.add(TimeOff(practitioner_id=clinic.ids["avery"], starts_at=datetime(2027, 3, 15, 4, 0),
                               ends_at=datetime(2027, 3, 16, 4, 0)))
        db.session.commit()
    changed = client.get("/fhir/Slot.ndjson", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    monday = [json.loads(line) for line in changed.get_data(as_text=True).splitlines()
              if f'"Schedule/practitioner{clinic.ids["avery"]}"' in line and '"start":"2027-03-15' in line]
    assert len(monday) == 6 and {s["status"] for s in monday} == {"busy"}
    # Time moves on. Within one five minutes of the grid starts sit on, nothing can change: still 304.
    clinic_clock.move_to(datetime(2027, 3, 10, 12, 1, tzinfo=timezone.utc))
    newer = client.get("/fhir/Slot.ndjson").headers["ETag"]
    clinic_clock.move_to(datetime(2027, 3, 10, 12, 4, 59, tzinfo=timezone.utc))
    assert client.get("/fhir/Slot.ndjson", headers={"If-None-Match": newer}).status_code == 304
    # Later a start comes inside the notice period and drops off (Thursday 9:00 is 12 hours away at 02:00 UTC).
    clinic_clock.move_to(datetime(2027, 3, 11, 2, 1, tzinfo=timezone.utc))
    later = client.get("/fhir/Slot.ndjson", headers={"If-None-Match": newer})
    assert later.status_code == 200
    assert '"start":"2027-03-11T09:00:00-05:00"' not in later.get_data(as_text=True)


def test_unknown_files_are_404(clinic):
    client = clinic.test_client()
    assert client.get("/fhir/Patient.ndjson").status_code == 404
    assert client.get("/fhir/Appointment.ndjson").status_code == 404
