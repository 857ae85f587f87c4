"""Notification emails: written with the request, delivered later, retried until sent."""
