"""The clinic's identity: a brand colour refused at start-up when white text on it fails WCAG AA, a logo
served from its own path, and practitioners' public titles and bios on the information page and picker."""

import re

import pytest
import time_machine
from datetime import datetime, timezone

from booking.branding import contrast_ratio, relative_luminance
from booking.extensions import db
from booking.models import Practitioner


def test_luminance_and_contrast_follow_the_wcag_formula():
    assert relative_luminance("#000000") == 0 and relative_luminance("#ffffff") == pytest.approx(1)
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21)
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)  # either order
    # Mid-grey around the AA line: #767676 passes on white (4.54:1), #777777 does not (4.48:1).
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("colour, message", [
    ("#777777", "contrast of 4.48:1, below the 4.5:1"),
    ("#ffcc00", "below the 4.5:1 WCAG AA asks for"),
    ("teal", 'must be a colour written "#rrggbb"'),
    ("#12345", 'must be a colour written "#rrggbb"'),
])
def test_a_colour_white_text_cannot_be_read_on_stops_the_start(make_app, colour, message):
    with pytest.raises(RuntimeError, match=re.escape(message)):
        make_app(CLINIC_COLOUR=colour)


def test_a_readable_colour_styles_the_header_through_a_same_origin_stylesheet(make_app):
    client = make_app(CLINIC_COLOUR="#6A1B4D").test_client()
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/clinic.css">' in page
    css = client.get("/clinic.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert ".site-header { background: #6a1b4d; }" in css.get_data(as_text=True)


def test_without_a_colour_or_logo_nothing_extra_is_linked(app, client):
    page = client.get("/").get_data(as_text=True)
    assert "/clinic.css" not in page and "/clinic-logo" not in page
    assert client.get("/clinic.css").status_code == 404 and client.get("/clinic-logo").status_code == 404


def test_a_logo_is_shown_beside_the_name_and_served_from_its_path(make_app, tmp_path):
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>')
    client = make_app(CLINIC_LOGO=str(logo)).test_client()
    page = client.get("/").get_data(as_text=True)
    assert '<img src="/clinic-logo" alt="" class="brand-logo">Juniper Physical Therapy</a>' in page
    served = client.get("/clinic-logo")
    assert served.status_code == 200 and served.mimetype == "image/svg+xml" and served.data == logo.read_bytes()


@pytest.mark.parametrize("name, message", [("missing.svg", "is not a file"), ("logo.gif", "must be an .svg or .png")])
def test_a_logo_that_is_not_there_or_not_svg_or_png_stops_the_start(make_app, tmp_path, name, message):
    (tmp_path / "logo.gif").write_bytes(b"GIF89a")
    with pytest.raises(RuntimeError, match=re.escape(message)):
        make_app(CLINIC_LOGO=str(tmp_path / name))


def test_a_practitioners_title_and_bio_reach_the_information_page_and_the_picker(app, client, boss):
    with app.app_context():
        avery = Practitioner(name="Avery Lee", hours="mon-fri 09:00-12:00")
        blake = Practitioner(name="Blake Kim", hours="mon-fri 13:00-15:00")
        db.session.add_all([avery, blake])
        db.session.commit()
        avery_id = avery.id
    assert "Who you will see" in client.get("/").get_data(as_text=True)
    sent = boss.post_form(f"/staff/availability/{avery_id}/profile",
                          {f"profile-{avery_id}-public_title": "PT,  DPT, certified in dry needling",
                           f"profile-{avery_id}-bio": "Twelve years treating runners."}, page="/staff/availability")
    assert sent.status_code == 303
    info = client.get("/").get_data(as_text=True)
    assert '<h3>Avery Lee<span class="team-title">, PT, DPT, certified in dry needling</span></h3>' in info
    assert "Twelve years treating runners." in info and "<h3>Blake Kim</h3>" in info
    with time_machine.travel(datetime(2027, 3, 10, 12, 0, tzinfo=timezone.utc), tick=False):
        form = client.get("/consultation").get_data(as_text=True)
    assert "Avery Lee, PT, DPT, certified in dry needling</span>" in form  # beside each of Avery's times
    too_long = boss.post_form(f"/staff/availability/{avery_id}/profile",
                              {f"profile-{avery_id}-public_title": "x" * 200}, page="/staff/availability")
    assert too_long.status_code == 200 and "That change was not saved" in too_long.get_data(as_text=True)
