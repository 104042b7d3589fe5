"""The committee portal: members, the chair and observers read what they inspect and send questions."""

from flask import Blueprint

from comments.permissions import guard_blueprint

bp = Blueprint("committee", __name__, url_prefix="/committee")
guard_blueprint(bp)

from comments.blueprints.committee import (  # noqa: E402,F401 - registers the routes on bp
    council_reports,
    meetings,
    minutes,
    routes,
)
