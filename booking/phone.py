"""Phone numbers read the way people write them, with Google's libphonenumber (the phonenumbers port)."""

import phonenumbers

PHONE_HINT_EXAMPLE = "(541) 555-0142"


class NotAPhoneNumber(ValueError):
    """The text cannot be a phone number in the clinic's country or with the country code given."""


def parse_phone(text: str, region: str) -> phonenumbers.PhoneNumber:
    """A real, dialable number; numbers without a +country code are read as in `region`."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise NotAPhoneNumber(str(exc)) from None
    if not phonenumbers.is_valid_number(number):
        raise NotAPhoneNumber("not a valid number")
    return number


def e164(number: phonenumbers.PhoneNumber) -> str:
    """The normal form stored and dialled: +15415550142 (an extension is kept only as typed)."""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def to_e164(text: str, region: str) -> str:
    """E.164 for a number that may not pass validation (the clinic's sample number), else ''."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return ""
    return e164(number) if phonenumbers.is_possible_number(number) else ""


def search_digits(text: str) -> str:
    """The digits of a search that looks like (part of) a phone number, written any way; else ''."""
    if not text or any(ch not in "0123456789+-(). " for ch in text):
        return ""
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits if len(digits) >= 4 else ""
