"""One delivery pass records each outcome with a Core UPDATE: the same rows and the same mail as before."""

from booking.extensions import db
from booking.models import Notification
from booking.outbox.delivery import deliver_due
from booking.states import NotificationStatus
from tests.factories import make_request


def test_a_pass_records_every_outcome_as_before(app, smtp):
    """Sent and refused rows, each released from its claim, after one pass that records with Core UPDATEs."""
    with app.app_context():
        first, second = make_request(), make_request(email="nobody@example.org")
        smtp.handler.refuse.add("nobody@example.org")
        report = deliver_due(honour_backoff=False)
        rows = {n.id: n for n in db.session.execute(db.select(Notification)).scalars()}
        assert len(report.sent) == 3 and len(report.refused) == 1 and report.failed == []
        assert {rows[i].request_id for i in report.sent} == {first.id, second.id}
        for row in rows.values():
            assert row.attempts == 1 and row.claim_token is None and row.claimed_until is None
        for sent_id in report.sent:
            assert rows[sent_id].status == NotificationStatus.SENT and rows[sent_id].sent_at is not None
            assert rows[sent_id].last_error is None
        refused = rows[report.refused[0]]
        assert refused.status == NotificationStatus.REFUSED and refused.request_id == second.id
        assert refused.last_error.startswith("SMTPRecipientsRefused")
    assert sorted(m["Message-ID"] for m in smtp.messages) == sorted(rows[i].message_id for i in report.sent)
