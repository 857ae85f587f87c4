"""/staff/numbers: the front desk's last 12 weeks, as charts with their tables, and as CSV. Administrators only.

Counts only: no name, contact detail or answer other than the condition and the language leaves the queries.
"""

import csv
import io
from datetime import UTC

from flask import Response, render_template

from booking.clock import clinic_zone
from booking.intake.choices import label as answer_label
from booking.models import utcnow
from booking.numbers import queries
from booking.numbers.charts import bar_chart
from booking.numbers.figures import COLUMNS, Numbers, Split, build, week_label
from booking.staff.guard import admin_required, bp

LANGUAGES = {"en": "English", "es": "Spanish"}


def current_numbers() -> Numbers:
    zone = clinic_zone()
    weeks = queries.last_weeks(utcnow().replace(tzinfo=UTC).astimezone(zone).date())
    return build(weeks, zone, received=queries.requests_received(weeks), timings=queries.request_timings(weeks),
                 attendance=queries.attendance(weeks), offers=queries.waitlist_offers(weeks),
                 condition_label=lambda key: answer_label("condition", key),
                 language_label=lambda code: LANGUAGES.get(code, code))


def charts(numbers: Numbers) -> list:
    """The weekly charts, then the two splits; each drawn from the same figures as its table."""
    everyone = numbers.everyone
    weeks = [(week_label(first), figures) for first, figures in zip(numbers.weeks.firsts, everyone.weeks)]

    def weekly(slug, title, series, read, unit=""):
        return bar_chart(slug, title, [(label, read(f)) for label, f in weeks], series, unit)

    def split(slug, title, groups: list[Split]):
        return bar_chart(slug, title, [(g.label, [g.total.requests, g.total.booked]) for g in groups],
                         ["Requests received", "With a time booked"])

    return [
        weekly("requests", "Requests received each week", ["Requests received"], lambda f: [f.requests]),
        weekly("first-action", "Median hours to the first staff action", ["Median hours"],
               lambda f: [f.median_first_action_hours], " h"),
        weekly("booked", "Share of requests with a time booked, and confirmed within one business day",
               ["Time booked", "Confirmed within a business day"], lambda f: [f.booked_share, f.confirmed_share],
               " %"),
        weekly("attendance", "Attendance each week", ["Arrived", "No-show", "Cancelled late"],
               lambda f: [f.arrived, f.no_show, f.cancelled_late]),
        weekly("waitlist", "Waitlist offers sent and taken", ["Sent", "Taken"],
               lambda f: [f.offers_sent, f.offers_taken]),
        split("by-condition", "Requests by condition, last 12 weeks", numbers.by_condition),
        split("by-language", "Requests by the patient's language, last 12 weeks", numbers.by_language),
    ]


@bp.get("/numbers")
@admin_required
def numbers_page():
    numbers = current_numbers()
    weekly_rows = [(week_label(first), figures) for first, figures in zip(numbers.weeks.firsts, numbers.everyone.weeks)]
    return render_template("staff/numbers.html", numbers=numbers, charts=charts(numbers), columns=COLUMNS,
                           weekly_rows=weekly_rows)


@bp.get("/numbers.csv")
@admin_required
def numbers_csv():
    """Every figure on the page, week by week and in total, for everyone and for each condition and language."""
    numbers = current_numbers()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Split", "Group", "Week", *(heading for heading, _ in COLUMNS)])
    splits = [("All", numbers.everyone), *(("Condition", s) for s in numbers.by_condition),
              *(("Language", s) for s in numbers.by_language)]
    for kind, group in splits:
        for first, figures in zip(numbers.weeks.firsts, group.weeks):
            writer.writerow([kind, group.label, first.isoformat(), *(_cell(read(figures)) for _, read in COLUMNS)])
        writer.writerow([kind, group.label, "Total", *(_cell(read(group.total)) for _, read in COLUMNS)])
    stamp = numbers.weeks.firsts[-1].isoformat()
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="numbers-week-of-{stamp}.csv"'})


def _cell(value) -> str:
    return "" if value is None else str(value)
