"""The consent as a PDF: what was signed (or a blank form to sign on paper), built with fpdf2.

fpdf2 is pure Python and installs from PyPI alone (no Pango or Cairo from the system), and is actively
maintained. Its built-in Helvetica covers Latin-1, which holds English and Spanish; typographic marks
outside it are written as their plain equivalents, and anything else as "?" (the row keeps the exact text).

fpdf2 and the font and image libraries it loads take about 0.3 s to import, more than the rest of the app:
this module is imported inside the functions that draw a PDF, so that a web worker, a flask command or a
test's server that never draws one does not pay for it at every start.
"""

from datetime import UTC, datetime

from flask import current_app
from flask_babel import gettext
from fpdf import FPDF

from booking.clock import clinic_time, clinic_zone
from booking.consent.text import STATEMENTS, ConsentText, blocks
from booking.formatting import slot_label
from booking.intake.choices import all_choices, label
from booking.models import ConsentRecord

PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                       "\u2026": "...", "\u00a0": " ", "\u2022": "-"})


def latin(text: str) -> str:
    """Text the core font can draw: typographic marks made plain, anything outside Latin-1 as "?"."""
    return text.translate(PLAIN).encode("latin-1", "replace").decode("latin-1")


class ConsentPdf(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(format="Letter")
        self.footer_text = latin(footer_text)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title("Dry needling consent")
        self.set_author(latin(current_app.config["CLINIC_NAME"]))

    def footer(self):
        self.set_y(-14)
        self.set_font("Helvetica", size=8)
        self.cell(0, 6, self.footer_text + f"  -  {self.page_no()}/{{nb}}", align="C")

    def para(self, text: str, size: int = 10, style: str = "", space: float = 1.5) -> None:
        self.set_font("Helvetica", style=style, size=size)
        self.multi_cell(0, size * 0.5, latin(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(space)


def _header(pdf: ConsentPdf) -> None:
    config = current_app.config
    pdf.para(config["CLINIC_NAME"], size=14, style="B", space=0)
    pdf.para(", ".join(config["CLINIC_ADDRESS"]) + "  -  " + config["CLINIC_PHONE"], size=9, space=4)


def _text(pdf: ConsentPdf, text: str) -> None:
    for kind, words in blocks(text):
        if kind == "title":
            pdf.para(words, size=13, style="B", space=2)
        elif kind == "heading":
            pdf.ln(1)
            pdf.para(words, size=11, style="B", space=1)
        elif kind == "list":
            for item in words:
                pdf.para("-  " + item, space=0.5)
            pdf.ln(1)
        else:
            pdf.para(words)


def _stamp(moment: datetime, language: str) -> str:
    """A stored time on the clinic's clock, in the patient's words, then with its year and zone for the record."""
    aware = moment.replace(tzinfo=UTC)
    return f"{slot_label(aware, clinic_zone(), language)} ({clinic_time(moment).strftime('%Y-%m-%d %H:%M %Z')})"


def signed_pdf(record: ConsentRecord) -> bytes:
    """What this patient signed, in the language they signed in (the caller sets it), as PDF bytes."""
    pdf = ConsentPdf(gettext("Consent text %(version)s, SHA-256 %(hash)s",
                             version=f"{record.language}/{record.version}", hash=record.text_sha256))
    # Dated when signed, not when drawn: the same row makes the same PDF, byte for byte, whenever it is opened.
    pdf.set_creation_date(record.at.replace(tzinfo=UTC))
    pdf.add_page()
    _header(pdf)
    consultation = record.consultation_request
    pdf.para(gettext("Patient: %(name)s", name=consultation.name), style="B", space=0.5)
    pdf.para(gettext("Reference: %(reference)s", reference=consultation.reference), space=0.5)
    pdf.para(gettext("Appointment: %(when)s with %(practitioner)s",
                     when=_stamp(record.appointment_starts_at, record.language),
                     practitioner=record.practitioner_name), space=4)
    _text(pdf, record.text)
    pdf.ln(2)
    pdf.para(gettext("Your answers on this page"), size=11, style="B", space=1)
    flags = record.answers.get("screening", [])
    if flags:
        pdf.para(gettext("Yes to:"), space=0.5)
        for key in flags:
            pdf.para("-  " + gettext(label("screening", key)), space=0.5)
    else:
        pdf.para(gettext("None of the screening questions applies."))
    pdf.ln(1)
    pdf.para(gettext("Confirmed:"), space=0.5)
    for key in record.answers.get("statements", []):
        pdf.para("[x]  " + (gettext(STATEMENTS[key]) if key in STATEMENTS else key), space=0.5)
    pdf.ln(3)
    pdf.para(gettext("Signed electronically by typing their full name: %(name)s", name=record.typed_name),
             style="B", space=0.5)
    pdf.para(gettext("Signed on %(when)s", when=_stamp(record.at, record.language)), space=0.5)
    pdf.para(gettext("Consent text version %(version)s; SHA-256 of the text: %(hash)s",
                     version=f"{record.language}/{record.version}", hash=record.text_sha256), size=8)
    return bytes(pdf.output())


def blank_pdf(shown: ConsentText) -> bytes:
    """The current text with boxes to tick and a line to sign, for a walk-in to sign on paper."""
    pdf = ConsentPdf(gettext("Consent text %(version)s, SHA-256 %(hash)s",
                             version=f"{shown.language}/{shown.version}", hash=shown.sha256))
    pdf.add_page()
    _header(pdf)
    pdf.para(gettext("Patient's name:") + " " + "_" * 50, space=2)
    pdf.para(gettext("Appointment:") + " " + "_" * 50, space=4)
    _text(pdf, shown.text)
    pdf.ln(2)
    pdf.para(gettext("Tick any that apply to you"), size=11, style="B", space=1)
    for key, words in all_choices()["screening"].items():
        if key != "none":
            pdf.para("[  ]  " + gettext(words), space=0.5)
    pdf.ln(1)
    pdf.para(gettext("Please confirm each statement"), size=11, style="B", space=1)
    for words in STATEMENTS.values():
        pdf.para("[  ]  " + gettext(words), space=0.5)
    pdf.ln(6)
    pdf.para(gettext("Signature:") + " " + "_" * 40 + "   " + gettext("Date:") + " " + "_" * 16, space=2)
    return bytes(pdf.output())
