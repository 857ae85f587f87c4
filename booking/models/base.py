"""What every table shares: the length limits, the clock they store, and state columns with a CHECK."""

from datetime import UTC, datetime

from sqlalchemy import Enum

from booking.enums import RichStrEnum

# Each limit is written once: the column holds it, and the form's Length validator (and so the page's
# maxlength) reads it from here.
NAME_MAX = 120
EMAIL_MAX = 254
PHONE_MAX = 40
PHONE_E164_MAX = 16  # "+" and at most 15 digits (ITU-T E.164)
CONDITION_OTHER_MAX = 120
DESCRIPTION_MAX = 2000


def utcnow() -> datetime:
    """Naive UTC, the one form every database here stores and compares the same way."""
    return datetime.now(UTC).replace(tzinfo=None)


def state(states: type[RichStrEnum], name: str, length: int) -> Enum:
    """A state column that stores the enum's value, and a named CHECK so the database refuses a typo."""
    return Enum(
        states,
        name=name,  # the CHECK constraint is named ck_<table>_<name>
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )

# SQLite reuses the highest id after a delete unless a table says AUTOINCREMENT: tables whose rows a
# patient's link, an email or a session ever pointed at keep their ids unique for good.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}
