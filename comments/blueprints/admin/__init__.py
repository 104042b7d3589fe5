"""Administration: accounts, the audit trail and the service's status. Every view declares its permission."""

from flask import Blueprint

from comments.permissions import guard_blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp)

from comments.blueprints.admin import account_roles, routes, service_status  # noqa: E402,F401 - registers the routes on bp
