"""The info page's schema.org JSON-LD, read back as a search engine does (extruct), field by field against the settings."""

import extruct
import pytest

from booking.public.clinic_schema import OpeningHours, parse_opening_hours

BASE_URL = "https://juniper.example"
SETTINGS = {
    "PUBLIC_BASE_URL": BASE_URL,
    "CLINIC_NAME": "Juniper Physical Therapy",
    "CLINIC_PHONE": "(541) 555-0142",
    "CLINIC_COUNTRY": "US",
    "CLINIC_PUBLIC_EMAIL": "hello@juniper.example",
    "CLINIC_STREET_ADDRESS": "7 Cedar Lane, Suite 2",
    "CLINIC_LOCALITY": "Eugene",
    "CLINIC_REGION": "OR",
    "CLINIC_POSTAL_CODE": "97401",
    "CLINIC_OPENING_HOURS": ["Mo-Th 08:00-18:30", "Fr 08:00-14:00", "Sa,Su 09:00-12:00"],
    "CLINIC_ACCEPTING_NEW_PATIENTS": True,
}


def clinic_on(client, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200
    found = extruct.extract(response.get_data(as_text=True), base_url=BASE_URL + path, syntaxes=["json-ld"])
    clinics = [item for item in found["json-ld"] if item.get("@type") == "MedicalClinic"]
    assert len(clinics) == 1, found
    return clinics[0]


@pytest.mark.parametrize("path, language, service, action, page, form", [
    ("/", "en", "Dry needling", "Request a consultation", "/", "/consultation"),
    ("/es/", "es", "Punción seca", "Pedir una consulta", "/es/", "/es/consultation"),
])
def test_the_info_page_describes_the_clinic_from_its_settings(make_app, path, language, service, action, page, form):
    client = make_app(**SETTINGS).test_client()
    clinic = clinic_on(client, path)
    assert clinic["@context"] == "https://schema.org"
    assert clinic["name"] == SETTINGS["CLINIC_NAME"]
    assert clinic["inLanguage"] == language
    assert clinic["url"] == BASE_URL + page
    assert clinic["telephone"] == "+15415550142"
    assert clinic["email"] == SETTINGS["CLINIC_PUBLIC_EMAIL"]
    assert clinic["address"] == {
        "@type": "PostalAddress", "streetAddress": "7 Cedar Lane, Suite 2", "addressLocality": "Eugene",
        "addressRegion": "OR", "postalCode": "97401", "addressCountry": "US",
    }
    assert clinic["openingHoursSpecification"] == [
        {"@type": "OpeningHoursSpecification", "dayOfWeek": ["Monday", "Tuesday", "Wednesday", "Thursday"],
         "opens": "08:00", "closes": "18:30"},
        {"@type": "OpeningHoursSpecification", "dayOfWeek": ["Friday"], "opens": "08:00", "closes": "14:00"},
        {"@type": "OpeningHoursSpecification", "dayOfWeek": ["Saturday", "Sunday"], "opens": "09:00",
         "closes": "12:00"},
    ]
    assert clinic["availableService"] == {"@type": "MedicalTherapy", "name": service}
    assert clinic["isAcceptingNewPatients"] is True
    assert clinic["medicalSpecialty"] == "Physiotherapy"
    assert clinic["potentialAction"]["@type"] == "ReserveAction"
    assert clinic["potentialAction"]["name"] == action
    assert clinic["potentialAction"]["target"]["urlTemplate"] == BASE_URL + form
    if language == "es":
        assert clinic["description"].startswith("La punción seca en Juniper Physical Therapy")
    else:
        assert clinic["description"].startswith("Dry needling at Juniper Physical Therapy")
    # The consultation URL it names is the form, in the same language.
    assert client.get(form).status_code == 200


def test_a_clinic_not_taking_new_patients_says_so(make_app):
    client = make_app(**{**SETTINGS, "CLINIC_ACCEPTING_NEW_PATIENTS": False}).test_client()
    assert clinic_on(client, "/")["isAcceptingNewPatients"] is False


def test_a_setting_cannot_close_the_script_element(make_app):
    """A name with </script> in it stays inside the JSON: the page has exactly one script, and the name reads back."""
    name = "Juniper </script><script>alert(1)</script> & Co"
    client = make_app(**{**SETTINGS, "CLINIC_NAME": name}).test_client()
    html = client.get("/").get_data(as_text=True)
    assert "</script><script>alert(1)" not in html
    assert html.count("<script") == 1
    assert clinic_on(client, "/")["name"] == name


def test_the_kept_page_still_carries_it(make_app):
    """The info page is answered from memory after its first visit (booking/public/page_cache.py)."""
    client = make_app(**SETTINGS).test_client()
    first, second = clinic_on(client, "/es/"), clinic_on(client, "/es/")
    assert first == second and first["inLanguage"] == "es"


@pytest.mark.parametrize("lines, parsed", [
    (["Mo-Fr 07:00-19:00"], [OpeningHours(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"), "07:00", "19:00")]),
    (["Mo,We 09:00-12:00"], [OpeningHours(("Monday", "Wednesday"), "09:00", "12:00")]),
    ([], []),
])
def test_opening_hours_are_read(lines, parsed):
    assert parse_opening_hours(lines) == parsed


@pytest.mark.parametrize("line", ["Monday 9-5", "Mo-Fr 7:00-19:00", "Fr-Mo 09:00-17:00", "Mo 17:00-09:00",
                                  "Xx 09:00-17:00", "Mo 25:00-26:00", "Mo-Fr 07:00-19:00 extra"])
def test_unreadable_opening_hours_stop_the_app_at_start(make_app, line):
    with pytest.raises(ValueError):
        parse_opening_hours([line])
    with pytest.raises(RuntimeError, match="CLINIC_OPENING_HOURS"):
        make_app(CLINIC_OPENING_HOURS=[line])
