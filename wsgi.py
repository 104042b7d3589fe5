"""The WSGI entry point: ``gunicorn wsgi:app``."""

from comments import create_app

app = create_app()
