"""Every email reads well on a phone: viewport, one column, 16 px text, the clinic's name on its colour at
the top; a patient's email leads with the time and its one action, in HTML and in plain text alike."""

import re

import pytest
from flask import render_template


WHEN = "Thursday 11 March, 9:00 am"
LINK = "https://clinic.example/appointment/abc"
CONTEXT = {"name": "Maria Lopez", "when": WHEN, "was": "Monday 8 March, 9:00 am", "reference": "JPT-AB12-CD34",
           "manage_link": LINK, "link": LINK, "cutoff_hours": 24, "confirmed": True, "held_when": WHEN}
# Each patient email whose time leads, and the one action it offers (None: nothing to do).
LEADS = {"appointment_confirmed": "Change or cancel your consultation",
         "appointment_moved": "Change or cancel your consultation",
         "appointment_offered": "Accept this time, or choose another",
         "appointment_reminder": "Change or cancel your consultation",
         "waitlist_offer": "Open this link and press the button to take it",
         "appointment_cancelled": None}


def _render(app, name: str, suffix: str) -> str:
    """The template as the outbox renders it, with the clinic's details every template gets."""
    with app.test_request_context():
        return render_template(f"email/{name}.{suffix}", **CONTEXT, practitioner="Avery Lee")


@pytest.mark.parametrize("name", sorted(LEADS))
def test_a_patient_email_leads_with_the_time_and_its_action(app, name):
    html = _render(app, name, "html")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "max-width: 600px" in html and "font-size: 16px" in html
    clinic = app.config["CLINIC_NAME"]
    top = html.index(f">{clinic}</div>")
    assert top < html.index(WHEN) < html.index("Dear Maria Lopez")
    if LEADS[name]:
        button = re.search(rf'<a href="{re.escape(LINK)}" style="display: inline-block;[^"]*">([^<]+)</a>', html)
        assert button and button.group(1) == LEADS[name] and button.start() < html.index("Dear Maria Lopez")
    text = _render(app, name, "txt")
    assert text.lstrip().startswith(clinic)
    assert text.index(WHEN) < text.index("Dear Maria Lopez")
    if LEADS[name]:
        assert f"{LEADS[name]}: {LINK}" in text[:text.index("Dear Maria Lopez")]


@pytest.mark.parametrize("name", ["patient_acknowledgement", "clinic_appointment_cancelled"])
def test_every_other_email_has_the_same_frame(app, name):
    html = _render(app, name, "html")
    assert '<meta name="viewport"' in html and "font-size: 16px" in html and "#1e4d3a" in html
