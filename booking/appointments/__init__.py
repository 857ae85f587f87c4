"""Appointments: practitioners' hours and the consultation times they can offer."""
