"""The CSV export: for administrators only, following the inbox's filters, safe to open in a spreadsheet."""

import csv
import io

from tests.factories import make_request


def test_csv_export_neutralises_spreadsheet_formulas(app, boss):
    with app.app_context():
        make_request(name="=HYPERLINK(\"http://evil.example\",\"x\")", description="+SUM(A1:A9)")
        make_request(name="-2+3", description="@cmd")
        make_request(name="Tab", description="\tTabbed\r\nsecond line", phone="+1 541 555 0123")
    response = boss.get("/staff/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 4
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    cells = {cell for row in rows for cell in row}
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in cells and "'+SUM(A1:A9)" in cells
    assert "'@cmd" in cells and "'-2+3" in cells and "'+1 541 555 0123" in cells


def test_csv_export_follows_the_inbox_filters(app, boss):
    with app.app_context():
        flagged = make_request().reference
        make_request(screening_flags=["none"])
    rows = list(csv.reader(io.StringIO(boss.get("/staff/export.csv?flagged=1").get_data(as_text=True))))
    assert [row[0] for row in rows] == ["Reference", flagged]
    assert rows[0][5:] and "In their words" in rows[0]
    empty = list(csv.reader(io.StringIO(boss.get("/staff/export.csv?q=nobody").get_data(as_text=True))))
    assert len(empty) == 1 and empty[0][0] == "Reference"


def test_csv_export_is_for_administrators_only(desk):
    assert desk.get("/staff/export.csv").status_code == 403
