"""Measure the patient path: page weight, and whether a slow mail server slows the patient down.

Run with `make bench`. Every number is measured in this run, against a baseline from this run:
- the information page's bytes and request count, against the budget (30 kB, 4 requests);
- the time to send the form while the mail server answers at once, and while it stalls each
  message for STALL seconds. The outbox promises the two are about the same.
"""

import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.conftest import SmtpServer, make_app, open_form, valid_answers  # noqa: E402

ROUNDS = 20
STALL = 2.0
PAGE_BUDGET_BYTES = 30_000
PAGE_BUDGET_REQUESTS = 4


def page_weight() -> tuple[int, int]:
    app = make_app(Path(tempfile.mkdtemp()), MAIL_SERVER="")
    client = app.test_client()
    page = client.get("/")
    html = page.get_data(as_text=True)
    assets = re.findall(r'<(?:link|script|img)[^>]+(?:href|src)="(/[^"]+)"', html)
    return len(page.data) + sum(len(client.get(url).data) for url in assets), 1 + len(assets)


def submit_times(stall: float) -> list[float]:
    smtp = SmtpServer()
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
        smtp.stop()


def main() -> int:
    size, requests = page_weight()
    print(f"information page: {size:,} bytes in {requests} requests "
          f"(budget {PAGE_BUDGET_BYTES:,} bytes, {PAGE_BUDGET_REQUESTS} requests)")

    healthy = statistics.median(submit_times(stall=0))
    stalled = statistics.median(submit_times(stall=STALL))
    print(f"send the form, healthy mail server:   median {healthy * 1000:.1f} ms over {ROUNDS}")
    print(f"send the form, mail server stalls {STALL:.0f} s: median {stalled * 1000:.1f} ms over {ROUNDS}")
    print(f"ratio stalled/healthy: {stalled / healthy:.2f} (1.00 means the patient never waits on SMTP)")

    ok = size < PAGE_BUDGET_BYTES and requests <= PAGE_BUDGET_REQUESTS and stalled < STALL / 4
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
