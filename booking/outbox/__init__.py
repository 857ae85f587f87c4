"""Notification emails: written with the request, delivered later, retried until sent.

Plumbing only. Each feature registers the emails it owns (registry.py) and enqueues them in its own
transaction (queue.py); the outbox claims (claims.py), sends (transport.py, delivery.py), paces retries
(backoff.py) and reports (admin.py), and knows nothing of what an email is about.
"""
