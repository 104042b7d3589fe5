"""Administration: accounts, departments, the audit trail and the service's status. Every view declares its permission."""

from flask import Blueprint

from comments.permissions import guard_blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp)

from comments.blueprints.admin import (  # noqa: E402,F401 - registers the routes on bp
    account_roles,
    departments,
    invitations,
    routes,
    second_factor_resets,
    service_status,
    transfers,
)
