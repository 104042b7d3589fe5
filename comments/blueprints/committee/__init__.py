"""The committee portal: members, the chair and observers read what they inspect and send questions."""

from flask import Blueprint

from comments.blueprints.views import never_cache_pages
from comments.permissions import guard_blueprint

bp = Blueprint("committee", __name__, url_prefix="/committee")
guard_blueprint(bp)
never_cache_pages(bp)

from comments.blueprints.committee import routes  # noqa: E402,F401 - registers the routes on bp
