"""Bar charts drawn on the server as SVG: geometry here, markup in templates/staff/_chart.html.

Horizontal bars, one row per week (or condition, or language) and one bar per series in it, so long labels
read on a phone. Every chart has a <title>, and its figures are in the table beside it: the chart is a view
of the table, not the only place a number is.
"""

from dataclasses import dataclass

WIDTH = 640
LABEL_WIDTH = 170
VALUE_ROOM = 60
BAR = 14
BAR_GAP = 2
ROW_GAP = 10
LEGEND = 24
# Each at least 3:1 against white (WCAG 1.4.11), and told apart by the legend's words and the table too.
COLOURS = ("#0b5394", "#b45f06", "#38761d", "#8a0019")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    colour: str
    value_text: str


@dataclass(frozen=True)
class Label:
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    width: int
    height: int
    labels: list[Label]
    bars: list[Bar]
    legend: list[tuple[float, str, str]]  # (x, colour, series name)
    series: list[str]  # the table's column headings after the row label
    rows: list[tuple[str, list[str]]]  # the table beside the chart: each row's label and its values as written
    bar_height: int = BAR
    label_right: int = LABEL_WIDTH - 6


def bar_chart(slug: str, title: str, rows: list[tuple[str, list[float | int | None]]], series: list[str],
              unit: str = "") -> Chart:
    """rows: (label, one value per series); None draws no bar and reads as a dash."""
    top = LEGEND if len(series) > 1 else 4
    values = [v for _, row in rows for v in row if v is not None]
    largest = max(values, default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_ROOM
    row_height = len(series) * (BAR + BAR_GAP) - BAR_GAP + ROW_GAP
    labels, bars = [], []
    for index, (label, row) in enumerate(rows):
        y = top + index * row_height
        labels.append(Label(y + (row_height - ROW_GAP) / 2, label))
        for n, value in enumerate(row):
            width = 0 if value is None else room * value / largest
            text = "–" if value is None else f"{_number(value)}{unit}"
            bars.append(Bar(LABEL_WIDTH, y + n * (BAR + BAR_GAP), round(width, 1), COLOURS[n % len(COLOURS)], text))
    legend = [(LABEL_WIDTH + n * 150, COLOURS[n % len(COLOURS)], name) for n, name in enumerate(series)] \
        if len(series) > 1 else []
    written = [(label, ["–" if v is None else f"{_number(v)}{unit}" for v in row]) for label, row in rows]
    return Chart(slug, title, WIDTH, int(top + len(rows) * row_height), labels, bars, legend, series, written)


def _number(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
