"""The clinic's wall clock: stored times are naive UTC, people read them in CLINIC_TIMEZONE."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

UTC = ZoneInfo("UTC")


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["CLINIC_TIMEZONE"])


def clinic_time(moment: datetime) -> datetime:
    """A stored naive-UTC time, shown on the clinic's wall clock."""
    return moment.replace(tzinfo=UTC).astimezone(clinic_zone())


def to_stored(moment: datetime) -> datetime:
    """An aware time as the database stores it: naive UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_stored(moment: datetime) -> datetime:
    """A stored naive-UTC time, made aware again."""
    return moment.replace(tzinfo=UTC)
