"""The staff inbox: newest first, filters, search, pages, and the header's counts."""

import re
from datetime import timedelta

from booking.extensions import db
from booking.models import ConsultationRequest, utcnow
from tests.factories import make_request, make_staff
from tests.fixtures.staff import log_in


def test_inbox_lists_newest_first_with_filters_search_and_pages(make_app):
    app = make_app(INBOX_PAGE_SIZE=2)
    with app.app_context():
        make_staff("desk@clinic.test")
        first = make_request(name="Ana First", screening_flags=["none"], condition="lower_back").reference
        second = make_request(name="Ben Second", email="ben@example.net", phone="+1 541 555 7777", phone_e164="+15415557777").reference
        third = make_request(name="Cai Third", condition="other", condition_other="Jaw").reference
    client = app.test_client()
    log_in(client, "desk@clinic.test")

    def listed(query=""):
        return re.findall(r">(JPT-[A-Z0-9-]+)</a>", client.get("/staff" + query).get_data(as_text=True))

    assert listed() == [third, second]
    assert listed("?page=2") == [first]
    assert listed("?flagged=1") == [third, second]
    assert listed("?condition=lower_back") == [first]
    assert listed("?q=ben%40example") == [second]
    assert listed("?q=7777") == [second]
    assert listed("?q=ana") == [first]
    assert listed("?q=" + first.lower()) == [first]
    assert listed("?q=%25") == []  # a wildcard is searched for literally
    assert listed("?status=closed") == []
    assert listed("?status=bogus&condition=bogus&page=-3") == [third, second]


def test_header_counts_new_and_not_contacted_after_one_business_day(app, desk, reference):
    with app.app_context():
        make_request()
        db.session.execute(db.update(ConsultationRequest).where(ConsultationRequest.reference == reference)
                           .values(created_at=utcnow() - timedelta(days=5)))
        db.session.commit()
    page = desk.get("/staff").get_data(as_text=True)
    assert "2 new" in page and "1 not contacted after 1 business day" in page
