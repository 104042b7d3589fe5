"""The public face: consultations, the comment form, receipts. No login anywhere here."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from comments.blueprints.public import (  # noqa: E402,F401 - registers the routes on bp
    meetings,
    minutes,
    routes,
)
