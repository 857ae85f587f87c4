"""The inbox: the list of requests, one request's page, and what staff do there."""

import csv
import io
import unicodedata

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from booking.clock import clinic_time
from booking.extensions import db
from booking.intake.answers import answer_sections, flag_labels, questions
from booking.intake.choices import all_choices, label
from booking.lifecycle import operations
from booking.lifecycle.operations import NotAllowed, by_staff
from booking.lifecycle.workflow import WorkflowError, age, is_overdue
from booking.models import ConsultationRequest, utcnow
from booking.outbox.admin import delete_copies
from booking.staff.forms import EraseForm, NoteForm, StatusForm
from booking.staff.guard import admin_required, bp
from booking.staff.operations.erasure import erase_request
from booking.staff.queries import find_request, header_counts, inbox_query
from booking.states import RequestStatus
from booking.storage import fold_write_ahead_log

# What makes a spreadsheet run a cell as a formula; their full-width and small forms (＝, ﹢ ...) fold to these.
FORMULA_STARTERS = frozenset("=+-@\t\r")
# Where a spreadsheet that splits on something other than commas may start a new cell.
CELL_BREAKS = frozenset(",;|\t\r\n")


@bp.context_processor
def staff_page_context() -> dict:
    """What every staff page shows: the header counts, times on the clinic's clock, labels, ages."""
    return {
        "counts": header_counts() if current_user.is_authenticated else None,
        "now": utcnow(),
        "clinic_time": clinic_time,
        "label": label,
        "age": age,
        "is_overdue": is_overdue,
        "RequestStatus": RequestStatus,
    }


def _filters() -> dict:
    """The inbox filters from the query string, each checked against what exists."""
    args = request.args
    status = args.get("status", "")
    condition = args.get("condition", "")
    return {
        "status": status if status in set(RequestStatus) or status in ("open", "attention") else "",
        "condition": condition if condition in all_choices()["condition"] else "",
        "flagged": args.get("flagged") == "1",
        "search": args.get("q", "").strip()[:100],
    }


@bp.get("")
def inbox():
    filters = _filters()
    per_page = current_app.config["INBOX_PAGE_SIZE"]
    # Each row shows the time its request holds: load those in one query, not one per row.
    query = inbox_query(**filters).options(selectinload(ConsultationRequest.appointment))
    pagination = db.paginate(query, page=_page_within(query, per_page), per_page=per_page, error_out=False)
    return render_template(
        "staff/inbox.html", pagination=pagination, filters=filters, conditions=all_choices()["condition"]
    )


def _page_within(query, per_page: int) -> int:
    """The page asked for, held between the first and the last, so no number in the URL reaches SQL unchecked."""
    asked = request.args.get("page", 1, type=int) or 1
    total = db.session.execute(db.select(db.func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    last = max(1, -(-total // per_page))
    return min(max(asked, 1), last)


def _request_or_404(reference: str):
    consultation = find_request(reference)
    if consultation is None:
        abort(404)
    return consultation


@bp.get("/requests/<reference>")
def request_detail(reference: str):
    """The request's page; opening it is how the front desk sees what the patient did since."""
    consultation = _request_or_404(reference)
    if operations.mark_seen(consultation):
        db.session.commit()
    return _render_detail(consultation)


def _render_detail(consultation, status_form=None, note_form=None):
    status_form = status_form or StatusForm()
    status_form.offer_moves_from(consultation.status)
    return render_template(
        "staff/request.html",
        req=consultation,
        flags=flag_labels(consultation),
        sections=answer_sections(consultation),
        status_form=status_form,
        note_form=note_form or NoteForm(formdata=None),
        erase_form=EraseForm(formdata=None),
    )


@bp.post("/requests/<reference>/status")
def update_status(reference: str):
    consultation = _request_or_404(reference)
    form = StatusForm()
    form.offer_moves_from(consultation.status)
    if form.validate_on_submit():
        try:
            operations.change_status(consultation, form.status.data, by_staff(current_user),
                                     form.closed_reason.data or None, (form.note.data or "").strip())
        except (WorkflowError, NotAllowed) as exc:
            db.session.rollback()
            form.status.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Marked {consultation.status.title.lower()}.")
            return redirect(url_for("staff.request_detail", reference=consultation.reference), 303)
    return _render_detail(consultation, status_form=form)


@bp.post("/requests/<reference>/notes")
def add_request_note(reference: str):
    consultation = _request_or_404(reference)
    form = NoteForm()
    if form.validate_on_submit():
        operations.add_note(consultation, by_staff(current_user), form.note.data.strip())
        db.session.commit()
        flash("Note saved.")
        return redirect(url_for("staff.request_detail", reference=consultation.reference), 303)
    return _render_detail(consultation, note_form=form)


@bp.post("/requests/<reference>/erase")
@admin_required
def erase(reference: str):
    consultation = _request_or_404(reference)
    form = EraseForm()
    if form.validate_on_submit() and form.confirm_reference.data.strip().upper() == consultation.reference:
        copies = erase_request(consultation, current_user)
        db.session.commit()
        delete_copies(copies)  # files no rollback brings back: only once the rows are surely gone
        fold_write_ahead_log()  # the erased rows leave the -wal file too
        flash(f"Request {reference} and everything about it has been erased.")
        return redirect(url_for("staff.inbox"), 303)
    flash("Not erased: type the request's reference exactly to confirm.")
    return redirect(url_for("staff.request_detail", reference=consultation.reference), 303)


def _starts_formula(ch: str) -> bool:
    return ch in FORMULA_STARTERS or unicodedata.normalize("NFKC", ch) in FORMULA_STARTERS


def spreadsheet_safe(value) -> str:
    """A cell a spreadsheet will show as text, never run as a formula: a ' before any formula starter that
    begins the cell, or begins what a spreadsheet splitting on ; | or tab would take as a cell."""
    out, at_start = [], True
    for ch in "" if value is None else str(value):
        if at_start and _starts_formula(ch):
            out.append("'")
        out.append(ch)
        if ch in CELL_BREAKS:
            at_start = True
        elif ch != " ":
            at_start = False
    return "".join(out)


@bp.get("/export.csv")
@admin_required
def export_csv():
    rows = db.session.execute(inbox_query(**_filters())).scalars().all()
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)  # a ; or | inside a cell stays inside it
    writer.writerow(["Reference", "Received", "Status", "Closed because", "Safety flags", *questions()])
    for req in rows:
        answers = [answer for section in answer_sections(req, every_row=True) for answer in section.answers]
        writer.writerow([spreadsheet_safe(cell) for cell in [
            req.reference,
            clinic_time(req.created_at).strftime("%Y-%m-%d %H:%M"),
            req.status.title,
            req.closed_reason.title if req.closed_reason else "",
            "; ".join(flag_labels(req)) or "none",
            *(answer.text for answer in answers),
        ]])
    current_app.logger.info("CSV export of %s requests by staff %s", len(rows), current_user.id)
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=consultation-requests.csv",
                 "Cache-Control": "no-store"},
    )

