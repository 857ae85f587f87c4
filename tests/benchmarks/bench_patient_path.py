"""Measure the patient path: page weight, and whether a slow mail server slows the patient down.

Run with `make bench`. Every number is measured in this run, against a baseline from this run:
- the information page's bytes and request count, against the budget (30 kB, 4 requests);
- the time to send the form while the mail server answers at once, and while it stalls each
  message for STALL seconds. The outbox promises the two are about the same;
- the form page's throughput with its week of times (PRACTITIONERS practitioners, hours over the
  whole booking horizon, some times already taken) against the same form with no practitioner, so
  no times. Issue 8 asks that the times cost no more than half: the ratio must be at least 0.5.
"""

import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from booking.extensions import db  # noqa: E402
from booking.models import Practitioner  # noqa: E402
from tests.conftest import SmtpServer, make_app, open_form, valid_answers  # noqa: E402
from tests.fixtures.app import close_app  # noqa: E402

ROUNDS = 20
STALL = 2.0
PAGE_BUDGET_BYTES = 30_000
PAGE_BUDGET_REQUESTS = 4
PRACTITIONERS = 5
HOURS = "mon-fri 08:00-12:00,13:00-18:00"
TAKEN = 20  # times patients already hold when the form is measured
FORM_SECONDS = 3.0
FORM_ROUNDS = 5
MIN_TIMES_RATIO = 0.5
SLOT = re.compile(r'name="slot" type="radio" value="([^"]+)"')


def page_weight() -> tuple[int, int]:
    app = make_app(Path(tempfile.mkdtemp()), MAIL_SERVER="")
    client = app.test_client()
    page = client.get("/")
    html = page.get_data(as_text=True)
    assets = re.findall(r'<(?:link|script|img)[^>]+(?:href|src)="(/[^"]+)"', html)
    return len(page.data) + sum(len(client.get(url).data) for url in assets), 1 + len(assets)


def submit_times(stall: float) -> list[float]:
    smtp = SmtpServer()
    app = None
    try:
        if stall:
            original = smtp.handler.handle_DATA

            async def slow_data(server, session, envelope):
                import asyncio

                await asyncio.sleep(stall)
                return await original(server, session, envelope)

            smtp.handler.handle_DATA = slow_data
        app = make_app(Path(tempfile.mkdtemp()), MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
                       OUTBOX_WORKER=True, SUBMIT_RATE_LIMIT="10000 per minute")
        client = app.test_client()
        times = []
        for _ in range(ROUNDS):
            form = {**open_form(client), **valid_answers()}
            started = time.perf_counter()
            response = client.post("/consultation", data=form)
            times.append(time.perf_counter() - started)
            assert response.status_code == 303
        return times
    finally:
        # The sender holds the posts' mail while they keep coming; stopped first, it does not try the
        # SMTP server after that has gone (a warning per email, and nothing measured).
        if app is not None:
            close_app(app)
        smtp.stop()


def form_app(practitioners: int):
    """The app with `practitioners` working HOURS for the whole horizon (the default 42 days, 6 weeks)."""
    app = make_app(Path(tempfile.mkdtemp()), MAIL_SERVER="", SUBMIT_RATE_LIMIT="10000 per minute")
    app.logger.setLevel("WARNING")  # a line per stored request would bury the figures
    with app.app_context():
        db.session.add_all(Practitioner(name=f"Therapist {n}", hours=HOURS) for n in range(practitioners))
        db.session.commit()
    client = app.test_client()
    if practitioners:
        times = [t for t in SLOT.findall(client.get("/consultation").get_data(as_text=True)) if t != "none"]
        assert len(times) > TAKEN, "the form offers too few times to take some"
        for wanted in times[:TAKEN]:
            response = client.post("/consultation", data={**open_form(client), **valid_answers(slot=wanted)})
            assert response.status_code == 303
    return app


def form_throughput(app, expect_times: bool) -> float:
    """Form pages served per CPU second, in-process, over FORM_SECONDS of repeated GETs.

    CPU time, not wall time: on a shared machine another process's burst would otherwise decide the ratio.
    """
    client = app.test_client()
    page = client.get("/consultation").get_data(as_text=True)
    assert bool(SLOT.search(page)) == expect_times, "the form should offer times" if expect_times else "no times"
    served, started = 0, time.process_time()
    while (elapsed := time.process_time() - started) < FORM_SECONDS:
        assert client.get("/consultation").status_code == 200
        served += 1
    return served / elapsed


def form_with_and_without_times() -> tuple[float, float]:
    """Best of FORM_ROUNDS for each, interleaved, so a noisy neighbour hurts both alike."""
    with_times, without_times = form_app(PRACTITIONERS), form_app(0)
    plain, timed = [], []
    for _ in range(FORM_ROUNDS):
        plain.append(form_throughput(without_times, expect_times=False))
        timed.append(form_throughput(with_times, expect_times=True))
    return max(plain), max(timed)


def main() -> int:
    size, requests = page_weight()
    print(f"information page: {size:,} bytes in {requests} requests "
          f"(budget {PAGE_BUDGET_BYTES:,} bytes, {PAGE_BUDGET_REQUESTS} requests)")

    healthy = statistics.median(submit_times(stall=0))
    stalled = statistics.median(submit_times(stall=STALL))
    print(f"send the form, healthy mail server:   median {healthy * 1000:.1f} ms over {ROUNDS}")
    print(f"send the form, mail server stalls {STALL:.0f} s: median {stalled * 1000:.1f} ms over {ROUNDS}")
    print(f"ratio stalled/healthy: {stalled / healthy:.2f} (1.00 means the patient never waits on SMTP)")

    plain, timed = form_with_and_without_times()
    print(f"form page without times: {plain:.0f} pages per CPU second")
    print(f"form page with times ({PRACTITIONERS} practitioners, {HOURS}, {TAKEN} taken): "
          f"{timed:.0f} pages per CPU second")
    print(f"ratio with/without times: {timed / plain:.2f} (at least {MIN_TIMES_RATIO} required)")

    ok = (size < PAGE_BUDGET_BYTES and requests <= PAGE_BUDGET_REQUESTS and stalled < STALL / 4
          and timed / plain >= MIN_TIMES_RATIO)
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
