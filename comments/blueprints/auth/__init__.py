"""Signing in and out: password, then the second factor where the role requires it."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from comments.blueprints.auth import (  # noqa: E402,F401 - registers the routes on bp
    invitations,
    notifications,
    password_confirmation,
    routes,
)
