"""Every answer of a request, worded for staff: one source for the clinic email, the inbox and CSV."""

from dataclasses import dataclass

from booking.intake.choices import all_choices, label
from booking.intake.wording import load_wording
from booking.models import ConsultationRequest

NOT_GIVEN = "not given"


@dataclass(frozen=True)
class Answer:
    key: str  # the request's column, so a page can link an email or phone
    question: str
    text: str


@dataclass(frozen=True)
class Section:
    title: str
    answers: list[Answer]


def _wording() -> dict[str, dict[str, str]]:
    return load_wording("answers.toml")


def _text(req: ConsultationRequest, key: str) -> str:
    """One answer as words: choice keys become their labels; lists are joined; blanks say so."""
    value = getattr(req, key)
    if key == "condition":
        words = label("condition", value)
        return f"{words}: {req.condition_other}" if req.condition_other else words
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(label(key, item) for item in value) or NOT_GIVEN
    if value is None or value == "":
        return NOT_GIVEN
    if key in all_choices():
        return label(key, value)
    return str(value)


# Asked only when the patient took no time: a request that chose one leaves them empty, and nobody should read
# "not given" as a patient who gave no availability.
ASKED_WITHOUT_A_TIME = ("preferred_days", "preferred_times")


def answer_sections(req: ConsultationRequest, every_row: bool = False) -> list[Section]:
    """Every answer, in the form's order, under the section it belongs to; rows never asked are left out
    unless `every_row` (a table whose columns must line up, as the CSV)."""
    wording = _wording()
    took_a_time = req.appointment is not None

    def asked(key: str) -> bool:
        return every_row or not (took_a_time and key in ASKED_WITHOUT_A_TIME and not getattr(req, key))

    return [
        Section(title, [Answer(key, question, _text(req, key))
                        for key, question in wording[section].items() if asked(key)])
        for section, title in wording["sections"].items()
    ]


def questions() -> list[str]:
    """The questions in answer_sections' order, for a table's header row."""
    wording = _wording()
    return [question for section in wording["sections"] for question in wording[section].values()]


def flag_labels(req: ConsultationRequest) -> list[str]:
    """The safety-screening answers staff must read first, in words."""
    return [label("screening", flag) for flag in req.raised_flags]
