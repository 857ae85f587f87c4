"""Gunicorn settings for the clinic's servers; gunicorn reads ./gunicorn.conf.py by itself, or pass -c.

Workers: set WEB_CONCURRENCY (gunicorn's own variable), e.g. 2 per core. With more than one worker,
rate limits must be counted in a shared store (RATELIMIT_STORAGE_URI=redis://...), or each worker
counts alone; the app warns at start-up when they are not.
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Path without query string, and no Referer: inbox searches (names, emails) stay out of the access log.
# The request id the app gives every response ties an access line to the app's own lines.
accesslog = os.environ.get("ACCESS_LOG", "-")
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss id=%({x-request-id}o)s'
# %(U)s is the decoded path: every value is escaped (\x0a for a newline) so no request forges a log line.
logger_class = "booking.access_log.EscapingLogger"
timeout = 30
graceful_timeout = 30
# Behind nginx on the same host: trust its X-Forwarded-* (the app's PROXY_COUNT decides what it reads).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Tell the app how many workers share its limits: --workers does not reach it otherwise."""
    os.environ["WEB_CONCURRENCY"] = str(server.cfg.workers)


def post_worker_init(worker):
    """Once the worker has loaded the app, its modules, templates and settings live as long as it does:
    gc.freeze() moves them out of the collector's sight. A full collection had to walk about 140,000 such
    objects (70 to 110 ms, measured in a worker under bench/submit.lua, twice in 2,000 requests), stalling
    whichever patient's request was in hand; after the freeze it takes 4 to 9 ms. Garbage made later is
    collected as before."""
    import gc

    gc.collect()
    gc.freeze()
