"""Administration: accounts and the audit trail. Every view declares its permission."""

from flask import Blueprint

from comments.blueprints.views import never_cache_pages
from comments.permissions import guard_blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp)
never_cache_pages(bp)

from comments.blueprints.admin import routes  # noqa: E402,F401 - registers the routes on bp
