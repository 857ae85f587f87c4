"""memory:// rate limits count as limits' MemoryStorage does, without starting a thread every few requests."""

import threading
import time
from datetime import UTC, datetime, timedelta

import time_machine
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from booking.extensions import limiter
from booking.rate_limit_storage import PacedMemoryStorage

FIVE_A_MINUTE = parse("5 per minute")


def test_the_app_counts_memory_limits_in_the_paced_storage(make_app):
    make_app()
    assert type(limiter._storage) is PacedMemoryStorage  # noqa: SLF001  (what Flask-Limiter built from the URI)
    assert type(storage_from_string("memory://")) is PacedMemoryStorage


def test_a_burst_starts_at_most_one_sweep_thread(monkeypatch):
    storage = PacedMemoryStorage()
    storage.SWEEP_SECONDS = 60  # one sweep pending for the whole burst, however slow the machine
    started = []
    real_start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda thread: (started.append(thread), real_start(thread)))
    limiter_ = FixedWindowRateLimiter(storage)
    for n in range(300):
        limiter_.hit(FIVE_A_MINUTE, f"patient-{n % 7}")
        time.sleep(0.0005)  # 0.15 s in all: limits' own storage would start a thread after each 10 ms
    assert len(started) <= 1


def test_limits_are_kept_and_expire_on_time_without_the_sweep():
    for strategy in (FixedWindowRateLimiter, MovingWindowRateLimiter):
        with time_machine.travel(datetime(2027, 3, 1, 9, 0, 0, 500000, tzinfo=UTC), tick=False) as clock:
            storage = PacedMemoryStorage()
            storage.SWEEP_SECONDS = 3600  # the sweep never runs here: reads alone must honour expiry
            counter = strategy(storage)
            assert all(counter.hit(FIVE_A_MINUTE, "one address") for _ in range(5)), strategy
            assert not counter.hit(FIVE_A_MINUTE, "one address"), strategy
            assert counter.hit(FIVE_A_MINUTE, "another address"), strategy
            clock.shift(timedelta(seconds=61))
            assert counter.hit(FIVE_A_MINUTE, "one address"), strategy
            storage.timer.cancel()


def test_the_sweep_still_frees_expired_counts():
    storage = PacedMemoryStorage()
    storage.timer.cancel()  # the one limits starts in __init__: the sweep under test is the paced one
    storage.timer.join()
    storage.SWEEP_SECONDS = 0.5  # far after both counts expire, even if this thread stalls between them
    storage.incr("gone soon", expiry=0.01)  # schedules the sweep, 0.5 s on: after both counts expire
    storage.acquire_entry("gone soon too", limit=5, expiry=0.01)
    storage.timer.join(5)
    assert not storage.timer.is_alive()
    assert not storage.storage and not any(storage.events.values()) and not storage.expirations
