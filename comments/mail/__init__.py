"""Sending the outbox's mail through SMTP (Flask-Mail); the rows are written by domain/outbox.py."""
