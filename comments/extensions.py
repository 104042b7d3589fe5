"""Extensions, created unbound and bound to the app in ``create_app``."""

import logging

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so that migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
mail = Mail()
babel = Babel()
login_manager = LoginManager()


def _report_breach(request_limit) -> None:
    """R57: a limit that is reached is logged as a warning, naming the route and the limit, never the key."""
    from flask import request

    from comments.throttles import report_limit_reached  # here: that module imports this one

    report_limit_reached(request.endpoint or "-", request_limit.limit)


# memory:// for the demo and the tests; production refuses it and counts in the Redis all workers share.
limiter = Limiter(key_func=get_remote_address, default_limits=[], on_breach=_report_breach)
# Flask-Limiter's own line for a limit reached quotes the key (an address); ours above says the same without it.
logging.getLogger("flask-limiter").setLevel(logging.WARNING)
