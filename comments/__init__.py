"""The application factory: extensions, blueprints, error pages, CLI."""

from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path

from flask import Flask, g, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFError
from sqlalchemy.engine import make_url
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from comments import clock, crypto, error_reporting, extensions, health, logging_setup, logs, metrics, storage
from comments.blueprints import refusals
from comments.domain.masking import contains_individual_number
from comments.extensions import babel, csrf, db, limiter, login_manager, migrate
from comments.transactions import install_sqlite_hooks
from config import BASE_DIR, Config, ConfigError, config_from_environment

# No inline script or style anywhere (R35); pages load their own files from 'self' only.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


# No page uses a camera, a microphone, the location or any other powerful feature: none may, not even ours.
PERMISSIONS_POLICY = dict.fromkeys(
    (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "interest-cohort",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "sync-xhr",
        "usb",
        "xr-spatial-tracking",
    ),
    "()",
)


def create_app(config_class: type[Config] | None = None, **overrides) -> Flask:
    """Build the app. ``overrides`` replace single settings (the tests' database URL, say)."""
    config_class = config_class or config_from_environment()
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        # An overridden INSTANCE_PATH (the tests' temporary folder) is the instance folder too, so nothing a test
        # runs (the demo accounts file, say) writes into the checkout's instance/.
        instance_path=str(overrides.get("INSTANCE_PATH", config_class.INSTANCE_PATH)),
    )
    app.config.from_object(config_class)
    app.config.update(overrides)
    app.config["OVERRIDDEN"] = tuple(overrides)
    config_class.complete(app.config)
    config_class.check(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _check_translations(app)
    x_for = app.config["PROXY_FIX_X_FOR"]
    x_proto = app.config.get("PROXY_FIX_X_PROTO")
    x_proto = x_for if x_proto is None else x_proto
    if x_for or x_proto:
        # Behind the TLS proxy every request comes from the proxy; the client's own address, which the
        # per-address limits and the audit trail need, is the last one the proxy wrote in X-Forwarded-For, and
        # the request was https when the proxy says so in X-Forwarded-Proto. gunicorn itself reads neither
        # (gunicorn.conf.py), and no X-Forwarded-Host is read: mail links come from PUBLIC_BASE_URL.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=x_for, x_proto=x_proto, x_host=0, x_port=0, x_prefix=0)

    logging_setup.configure_logging(app)
    error_reporting.init_app(app)
    # The request timer before every other hook: one that answers early stops the hooks after it.
    metrics.init_app(app)
    # Request hooks first: they stamp the arrival instant before CSRFProtect's check can reject a request.
    _register_request_hooks(app)
    refusals.init_app(app)
    _init_extensions(app)
    health.init_app(app)
    _register_blueprints(app)
    _register_error_pages(app)
    _register_template_helpers(app)

    from comments.cli import register_commands

    register_commands(app)
    logs.install()
    logging.getLogger("comments").setLevel(logging.INFO)
    return app


def _check_translations(app: Flask) -> None:
    """Refuse to start without the compiled Japanese catalog: Flask-Babel would quietly show every page in
    English (the message ids), and the .mo files are built, not committed."""
    folders = [
        folder if Path(folder).is_absolute() else str(Path(app.root_path) / folder)
        for folder in str(app.config["BABEL_TRANSLATION_DIRECTORIES"]).split(";")
    ]
    for language in app.config["LANGUAGES"]:
        if language == "en":  # the message ids are English
            continue
        catalog = Path(language, "LC_MESSAGES", "messages.mo")
        if not any((Path(folder) / catalog).is_file() for folder in folders):
            raise ConfigError(
                f"{Path(folders[0]) / catalog} is missing: the pages in {language} need the compiled catalog. "
                "Run `pybabel compile -d translations` in the project folder (`make translations` in a development "
                "checkout), then start again"
            )


def select_locale() -> str:
    """Japanese unless the visitor chose English with the language switch (a cookie, no PII)."""
    from flask import current_app

    chosen = request.cookies.get("lang") if request else None
    return chosen if chosen in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def _engine_options(app: Flask) -> None:
    """No ping before each checkout on SQLite: the pool's pre-ping finds a connection the server dropped (a
    restarted PostgreSQL, a failover), and a SQLite file has no server to drop one. There it was one more
    statement on every request, the comment form's included."""
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "sqlite" and options.get("pool_pre_ping"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "pool_pre_ping": False}  # a copy: the class keeps its own


def _init_extensions(app: Flask) -> None:
    _engine_options(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    # Through the module: the subpackage comments.mail shadows a bare name `mail` in this package.
    extensions.mail.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(BASE_DIR / "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Sign in to see this page.")
    login_manager.session_protection = None  # the server-side session row does this job
    login_manager.user_loader(_load_user)
    limiter.init_app(app)
    storage.init_app(app)
    crypto.init_app(app)
    # One Talisman per app: it keeps its settings on the instance, so a shared one would let a second
    # app (a test's production-like app, say) change the first one's.
    Talisman(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="same-origin",
        frame_options="DENY",
        permissions_policy=PERMISSIONS_POLICY,
    )


install_sqlite_hooks()


def _load_user(session_id: str):
    """Flask-Login's loader: the cookie names a session row; only a live one signs the user in."""
    from comments.domain.accounts import load_session

    row = load_session(session_id)
    if row is None:
        return None
    row.user.session_id = row.id
    return row.user


def _register_blueprints(app: Flask) -> None:
    from comments.blueprints.admin import bp as admin_bp
    from comments.blueprints.auth import bp as auth_bp
    from comments.blueprints.committee import bp as committee_bp
    from comments.blueprints.public import bp as public_bp
    from comments.blueprints.staff import bp as staff_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(committee_bp)
    app.register_blueprint(admin_bp)


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _request_id(sent: str) -> str:
    """The proxy's request id when it is a plain token, else one of our own: it is kept in the audit trail
    and the logs, so a header a client wrote (a line break, an individual number) is never kept."""
    if _REQUEST_ID.match(sent) and not contains_individual_number(sent):
        return sent
    return secrets.token_hex(8)


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def stamp_request():
        # The instant the request reached us decides the deadline, not when its transaction commits (R52).
        g.received_at = clock.now()
        g.request_id = _request_id(request.headers.get("X-Request-Id", ""))

    @app.after_request
    def add_headers(response):
        response.headers.setdefault("X-Request-Id", g.get("request_id", ""))
        if response.mimetype == "text/html" and "charset" not in response.headers.get("Content-Type", ""):
            response.headers["Content-Type"] = "text/html; charset=utf-8"
        # Nothing but the static files is kept by a browser or a proxy (R36), by default: pages marked one by
        # one, or a blueprint at a time, leave the next new page unmarked. Even the public pages show comments
        # once results are out, and every page a signed-in person's name.
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Server", None)
        return response


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        from comments.blueprints.public.routes import rerender_after_csrf_failure

        kept = rerender_after_csrf_failure()
        if kept is not None:
            return kept
        return render_error(
            400, _l("The form had expired or was sent from elsewhere. Go back, reload the page and send it again.")
        )

    @app.errorhandler(SecurityError)
    def untrusted_host(_error):
        # No page of ours: a page's links are built on the request's host, and this one is not ours.
        response = make_response(UNTRUSTED_HOST_TEXT, 400)
        response.headers["Content-Type"] = "text/plain; charset=utf-8"
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_error):
        limit_mb = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return render_error(
            413,
            _l(
                "What you sent is larger than %(limit)d MB in all. Attach fewer or smaller files "
                "(at most %(files)d files, %(per_file)d MB each), or send large documents by post.",
                limit=limit_mb,
                files=app.config["ATTACHMENT_MAX_FILES"],
                per_file=app.config["ATTACHMENT_MAX_BYTES"] // (1024 * 1024),
            ),
        )

    # The same page for a body the TLS proxy stopped itself: nginx's `error_page 413` asks for it here with a GET
    # (deploy/nginx/comments.conf), so a citizen never sees the proxy's own English page.
    app.add_url_rule("/errors/too-large", "too_large", lambda: too_large(None))

    @app.errorhandler(429)
    def too_many(_error):
        from comments.blueprints.public.routes import rerender_comment_form
        from comments.dates import japan_time
        from comments.throttles import retry_after

        wait = retry_after()
        if wait is None:
            message = _l("Too many attempts in a short time. Wait a few minutes, then try again.")
            form_message = _l(
                "Too many opinions were sent from your connection in a short time, so this one was not sent yet. "
                "Your text is kept below: wait a few minutes, then send it again."
            )
        else:
            when = {"time": japan_time(wait.at), "minutes": wait.minutes}
            message = _l(
                "Too many attempts in a short time. Try again after %(time)s (in about %(minutes)d min.).", **when
            )
            form_message = _l(
                "Too many opinions were sent from your connection in a short time, so this one was not sent yet. "
                "Your text is kept below: send it again after %(time)s (in about %(minutes)d min.).",
                **when,
            )
        # Nothing a citizen typed is lost: the comment form comes back filled in (files must be chosen again).
        response = make_response(rerender_comment_form(form_message, 429) or render_error(429, message))
        if wait is not None:
            response.headers["Retry-After"] = str(wait.seconds)
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 403:  # R43: every access denial is in the audit trail
            view = app.view_functions.get(request.endpoint or "")
            permission = getattr(view, "required_permission", None)
            refusals.note_denial(**({"permission": permission.value} if permission else {}))
        return render_error(error.code or 500, None)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unhandled error in request %s", g.get("request_id"))
        error_reporting.report_exception(error)
        db.session.rollback()
        return render_error(500, None)


# Both languages at once: the visitor's choice is not read for a request this service does not answer.
UNTRUSTED_HOST_TEXT = (
    "400 このアドレス（ホスト名）ではお受けしていません。市のホームページのリンクから開き直してください。\n"
    "400 This service does not answer at this address (host name). Open it again from the city's website.\n"
)

ERROR_TITLES = {
    400: _l("The request could not be understood"),
    401: _l("Sign-in failed"),
    403: _l("You may not see this page"),
    404: _l("Page not found"),
    405: _l("This action is not allowed here"),
    413: _l("Too large to accept"),
    429: _l("Too many attempts"),
    422: _l("Please check what you entered"),
    500: _l("Something went wrong on our side"),
}


def render_error(status: int, message):
    title = ERROR_TITLES.get(status, ERROR_TITLES[500] if status >= 500 else ERROR_TITLES[400])
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _register_template_helpers(app: Flask) -> None:
    from comments.blueprints.public.helpers import template_helpers

    app.context_processor(template_helpers)
