"""Flask-Limiter's memory:// storage, without a new thread for nearly every rate-limited request.

limits' MemoryStorage frees expired counts in a threading.Timer of 10 ms, started again by the first hit after
the last one ended. Under load that is a thread per request or two, and Thread.start() waits until the new
thread runs: on two cores, about a tenth of a submission's time (docs/performance.md). Every read already
checks a count's expiry itself (`get`, and the entry times in `acquire_entry`), so the sweep only frees
memory; once a second is plenty for that.

Importing this module registers the class for memory:// (limits keeps one class per scheme), so
RATELIMIT_STORAGE_URI keeps its meaning and its default. Redis and the other storages are untouched.
"""

import threading

from limits.storage import MemoryStorage


class PacedMemoryStorage(MemoryStorage):
    """MemoryStorage whose sweep of expired counts runs at most once per SWEEP_SECONDS."""

    STORAGE_SCHEME = ["memory"]
    SWEEP_SECONDS = 1.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces MemoryStorage's private 10 ms timer
        if not self.timer.is_alive():
            self.timer = threading.Timer(self.SWEEP_SECONDS, self._MemoryStorage__expire_events)
            self.timer.daemon = True
            self.timer.start()
