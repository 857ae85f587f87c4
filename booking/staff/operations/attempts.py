"""Failed sign-ins, counted in the database so a stranger cannot lock a staff member out.

Only attempts that passed CSRF and form checks are counted. The tight limit is per account and client
address; the per-account ceiling is much looser; the per-address limit stops one address trying many
accounts. A browser with a device cookie for the account (booking/staff/operations/devices.py) is counted apart: the
tight limit per device alone, and the ceiling, which counts only untrusted clients, does not refuse it. Each attempt is written (and committed) before the counts are read, so of many parallel
attempts at most the limit's number can pass: a row that pushed a count over is removed again.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from limits import parse_many
from sqlalchemy import and_

from booking.extensions import db
from booking.models import SignInFailure, utcnow
from booking.models.staff import ADDRESS_MAX


class TooManyAttempts(Exception):
    """Wait before trying again."""


@dataclass
class Attempt:
    """One sign-in attempt, counted as failed until forgiven."""

    row_id: int

    def succeeded(self) -> None:
        """A right password or code is not a failure: it leaves the counts as they were (with the caller's commit)."""
        db.session.execute(db.delete(SignInFailure).where(SignInFailure.id == self.row_id))


def _limits() -> list[tuple[str, int, timedelta]]:
    config = current_app.config
    found = []
    for scope, setting in [("account_address", "LOGIN_RATE_LIMIT_ACCOUNT_ADDRESS"),
                           ("account", "LOGIN_RATE_LIMIT_ACCOUNT"), ("address", "LOGIN_RATE_LIMIT_ADDRESS")]:
        for item in parse_many(config[setting]):
            found.append((scope, item.amount, timedelta(seconds=item.get_expiry())))
    return found


def begin_attempt(account: str, device: str | None = None) -> Attempt:
    """Count this attempt, then refuse it if it is over any limit (raising TooManyAttempts).

    `device`: the trusted device this browser proved for the account, or None for an untrusted client.
    """
    account = account.strip().lower()[:254]
    address = (request.remote_addr or "")[:ADDRESS_MAX]
    limits = _limits()
    now = utcnow()
    longest = max(window for _, _, window in limits)
    db.session.execute(db.delete(SignInFailure).where(SignInFailure.at < now - longest))
    row = SignInFailure(account=account, address=address, at=now, device=device)
    db.session.add(row)
    db.session.commit()  # the point: counted before the counts are read, and even if the request then fails
    if device is not None:  # one of the owner's own browsers: only its own failures count against it
        matching = {"account_address": and_(SignInFailure.account == account, SignInFailure.device == device)}
    else:
        untrusted = SignInFailure.device.is_(None)
        matching = {
            "account_address": and_(SignInFailure.account == account, SignInFailure.address == address, untrusted),
            "account": and_(SignInFailure.account == account, untrusted),
            "address": and_(SignInFailure.address == address, untrusted),
        }
    for scope, amount, window in limits:
        if scope not in matching:
            continue
        count = db.session.execute(
            db.select(db.func.count()).select_from(SignInFailure)
            .where(matching[scope], SignInFailure.at > now - window)
        ).scalar_one()
        if count > amount:
            Attempt(row.id).succeeded()  # a refused attempt was never tried, so it does not count
            db.session.commit()  # the point: the 429 that follows commits nothing, and the row must go
            current_app.logger.info("Sign-in refused: too many failures (%s)", scope.replace("_", " and "))
            raise TooManyAttempts(scope)
    return Attempt(row.id)
