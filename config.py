"""Configuration, read from environment variables only.

Each variable is named as the library that reads it names it (``MAIL_SERVER``, ``SECRET_KEY``, ...),
so the libraries' own documentation applies. ``env()`` is the one place that reads the environment.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import secrets
from datetime import date, timedelta
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from limits import parse as parse_limit
from werkzeug.sansio.utils import host_is_trusted

BASE_DIR = Path(__file__).resolve().parent
# A secret key shorter than this is refused in production.
MIN_SECRET_KEY_CHARS = 32


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


# The usual grounds of a city's disclosure ordinance (情報公開条例 第7条), as the minutes cite them.
DEFAULT_NONDISCLOSURE_GROUNDS = (
    {"key": "7-1", "ja": "第7条第1号（法令秘情報）", "en": "Article 7(1) (information made secret by law)"},
    {"key": "7-2", "ja": "第7条第2号（個人に関する情報）", "en": "Article 7(2) (information about an individual)"},
    {
        "key": "7-3",
        "ja": "第7条第3号（法人等に関する情報）",
        "en": "Article 7(3) (information about a corporation or other body)",
    },
    {"key": "7-4", "ja": "第7条第4号（公共の安全等に関する情報）", "en": "Article 7(4) (information on public safety)"},
    {
        "key": "7-5",
        "ja": "第7条第5号（審議・検討等に関する情報）",
        "en": "Article 7(5) (information on deliberation and examination)",
    },
    {
        "key": "7-6",
        "ja": "第7条第6号（事務・事業に関する情報）",
        "en": "Article 7(6) (information on the conduct of affairs and business)",
    },
)
# A key is typed inside a marker (［非開示：7-2］): short, one line, no brackets, colons or spaces.
_GROUND_KEY = re.compile(r"[^\s\[\]［］:：]{1,20}")
_GROUND_LABEL_MAX_CHARS = 100


def check_nondisclosure_grounds(settings) -> None:
    """Read NONDISCLOSURE_GROUNDS (a JSON string from the environment, or the default list) into a tuple of
    {"key", "ja", "en"}, refusing to start on anything the minutes could not cite without ambiguity."""
    import json
    import unicodedata

    raw = settings.get("NONDISCLOSURE_GROUNDS")
    example = '[{"key": "7-2", "ja": "第7条第2号（個人に関する情報）", "en": "Article 7(2) (personal information)"}]'
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as error:
            raise ConfigError(f"NONDISCLOSURE_GROUNDS is not JSON; write it as {example}") from error
    if not isinstance(raw, list | tuple) or not raw:
        raise ConfigError(f"NONDISCLOSURE_GROUNDS must be a non-empty list such as {example}")
    grounds, seen = [], set()
    for ground in raw:
        if not isinstance(ground, dict) or set(ground) != {"key", "ja", "en"}:
            raise ConfigError(f"NONDISCLOSURE_GROUNDS: {ground!r} must have exactly key, ja and en, as in {example}")
        key, ja, en = ground["key"], ground["ja"], ground["en"]
        if not isinstance(key, str) or not _GROUND_KEY.fullmatch(unicodedata.normalize("NFKC", key)):
            raise ConfigError(
                f"NONDISCLOSURE_GROUNDS: the key {key!r} must be 1 to 20 characters with no spaces, brackets or "
                "colons, such as 7-2"
            )
        typed = unicodedata.normalize("NFKC", key).casefold()
        if typed in seen:
            raise ConfigError(f"NONDISCLOSURE_GROUNDS: the key {key!r} is given twice (keys are matched as typed)")
        seen.add(typed)
        for name, label in (("ja", ja), ("en", en)):
            if (
                not isinstance(label, str)
                or not label.strip()
                or len(label) > _GROUND_LABEL_MAX_CHARS
                or any(c in label for c in "\n〔〕")
            ):
                raise ConfigError(
                    f"NONDISCLOSURE_GROUNDS: the {name} label of {key!r} must be one line of 1 to "
                    f"{_GROUND_LABEL_MAX_CHARS} characters without 〔 or 〕"
                )
        grounds.append({"key": key, "ja": ja.strip(), "en": en.strip()})
    settings["NONDISCLOSURE_GROUNDS"] = tuple(grounds)


def env(name: str, default=None, *, cast=str):
    """Read one environment variable with its type; an empty value counts as unset."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if cast is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{name} must be true or false, not {raw!r}")
    try:
        return cast(raw)
    except ValueError as error:
        raise ConfigError(f"{name}: cannot read {raw!r} as {cast.__name__}") from error


def env_list(name: str, default: list[str] | None = None) -> list[str] | None:
    """A comma-separated variable as a list of its non-empty items; unset or empty, ``default``."""
    raw = env(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    return items or default


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` and ``postgresql://`` forms and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Settings shared by every environment."""

    INSTANCE_PATH = Path(env("INSTANCE_PATH", str(BASE_DIR / "instance")))
    SECRET_KEY = env("SECRET_KEY")
    # Flask refuses a request whose Host is not one of these (400): a link is never built from a Host a
    # client chose. "comments.city.example,.city.example" (a leading dot admits the subdomains).
    TRUSTED_HOSTS = env_list("TRUSTED_HOSTS")
    # The address the public reaches the service at: every link in a mail is built on it, never on the
    # request (a reset link sent to an attacker's host would give away the account).
    PUBLIC_BASE_URL = env("PUBLIC_BASE_URL")
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        env("DATABASE_URL", sqlite_url(INSTANCE_PATH / "comments.sqlite3"))
    )
    # hide_parameters: an error message never quotes the values of the statement (a comment, a name: R16).
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True, "hide_parameters": True}
    # Contact data is encrypted at rest (R46): "id:key,id:key", the first sealing (comments/crypto.py).
    CONTACT_DATA_KEYS = env("CONTACT_DATA_KEYS")
    # Days after a consultation's results are published that its submitters' contact data is kept; each
    # consultation may set its own, and the public notice shows the date.
    CONTACT_RETENTION_DAYS = env("CONTACT_RETENTION_DAYS", 365, cast=int)
    # The audit chain's head is published once a day outside the database (R43): appended to this file
    # (best on another host or a write-once volume) and mailed to AUDIT_HEAD_MAIL_TO when that is set.
    AUDIT_HEAD_FILE = env("AUDIT_HEAD_FILE", str(INSTANCE_PATH / "audit-heads.log"))
    AUDIT_HEAD_MAIL_TO = env("AUDIT_HEAD_MAIL_TO")
    # Attachments are stored by content hash here, outside any folder the web server serves.
    ATTACHMENT_STORAGE = Path(env("ATTACHMENT_STORAGE", str(INSTANCE_PATH / "attachments")))
    # Where every kept file is (comments/storage.py): "local", the folder ATTACHMENT_STORAGE on this host, or
    # "s3", a bucket of an S3-compatible object store (AWS S3, MinIO, Ceph RGW) that several servers share.
    # For s3: S3_BUCKET, created beforehand (the service never creates one); S3_ENDPOINT_URL, the store's
    # https:// address (unset for AWS itself; plain http:// only to this host in production); S3_REGION,
    # required for AWS (us-east-1 when an endpoint is set and it is not); S3_PREFIX, the start of every key
    # ("" or ending in "/", e.g. "comments/"), which must be this service's alone, because `flask blobs gc`
    # removes what no record refers to under it. Credentials: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, both
    # or neither; with neither, boto3 looks where it always does (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
    # ~/.aws/credentials, the instance's role).
    BLOB_STORAGE = env("BLOB_STORAGE", "local")
    S3_BUCKET = env("S3_BUCKET")
    S3_ENDPOINT_URL = env("S3_ENDPOINT_URL")
    S3_REGION = env("S3_REGION")
    S3_PREFIX = env("S3_PREFIX", "")
    S3_ACCESS_KEY_ID = env("S3_ACCESS_KEY_ID")
    S3_SECRET_ACCESS_KEY = env("S3_SECRET_ACCESS_KEY")

    # Uploads (R38-R40). MAX_CONTENT_LENGTH is Flask's own cap on a whole request body.
    ATTACHMENT_MAX_FILES = env("ATTACHMENT_MAX_FILES", 5, cast=int)
    ATTACHMENT_MAX_BYTES = env("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, cast=int)
    ATTACHMENT_MAX_TOTAL_BYTES = env("ATTACHMENT_MAX_TOTAL_BYTES", 20 * 1024 * 1024, cast=int)
    MAX_CONTENT_LENGTH = env("MAX_CONTENT_LENGTH", 21 * 1024 * 1024, cast=int)
    # Reading a PDF or Word file (its text, its individual numbers) runs in a child process that stops at
    # these limits (R40; comments/sandbox.py): CPU seconds for one file, memory beyond the reader's own
    # program for one file, and wall-clock seconds for all the files of one request together, which must
    # stay below gunicorn's --timeout (30 s by default) so the refusal reaches the sender as a page.
    FILE_READ_CPU_SECONDS = env("FILE_READ_CPU_SECONDS", 10, cast=int)
    FILE_READ_MEMORY_MB = env("FILE_READ_MEMORY_MB", 512, cast=int)
    FILE_READ_WALL_SECONDS = env("FILE_READ_WALL_SECONDS", 20, cast=int)
    # The longest comment text, in characters (R32). Longer opinions come as attachments.
    COMMENT_MAX_CHARS = env("COMMENT_MAX_CHARS", 10000, cast=int)

    # Flask-WTF: a citizen may take an evening to write; the public form overrides this per form.
    WTF_CSRF_TIME_LIMIT = env("WTF_CSRF_TIME_LIMIT", 3600, cast=int)
    PUBLIC_FORM_CSRF_HOURS = env("PUBLIC_FORM_CSRF_HOURS", 24, cast=int)

    # Flask-Babel: Japanese first, dates in Japan time.
    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
    LANGUAGES = ("ja", "en")
    # Flask-Babel's setting: the folder of the compiled catalogs (`pybabel compile -d translations` writes them).
    # The app refuses to start without the Japanese one (comments/__init__.py), rather than show English pages.
    BABEL_TRANSLATION_DIRECTORIES = env("BABEL_TRANSLATION_DIRECTORIES", str(BASE_DIR / "translations"))

    # Flask-Mail
    MAIL_SERVER = env("MAIL_SERVER", "localhost")
    MAIL_PORT = env("MAIL_PORT", 25, cast=int)
    MAIL_USE_TLS = env("MAIL_USE_TLS", False, cast=bool)
    MAIL_USE_SSL = env("MAIL_USE_SSL", False, cast=bool)
    MAIL_USERNAME = env("MAIL_USERNAME")
    MAIL_PASSWORD = env("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "comments@localhost")
    MAIL_SUPPRESS_SEND = env("MAIL_SUPPRESS_SEND", False, cast=bool)
    # The right-hand side of every Message-ID we mint.
    MAIL_MESSAGE_ID_DOMAIN = env("MAIL_MESSAGE_ID_DOMAIN", "comments.localhost")
    # The committee's e-mail intake (R59-R64): members write to <local part>+<token>@<domain>.
    MAIL_INTAKE_LOCAL_PART = env("MAIL_INTAKE_LOCAL_PART", "questions")
    MAIL_INTAKE_DOMAIN = env("MAIL_INTAKE_DOMAIN", "intake.comments.localhost")
    MAIL_INTAKE_MAX_BYTES = env("MAIL_INTAKE_MAX_BYTES", 10 * 1024 * 1024, cast=int)
    # The authserv-id of our own mail server's Authentication-Results header (R60); unset, DMARC is not judged.
    MAIL_TRUSTED_AUTHSERV_ID = env("MAIL_TRUSTED_AUTHSERV_ID")
    # Production refuses to start without MAIL_TRUSTED_AUTHSERV_ID unless this says the token is enough.
    MAIL_INTAKE_TOKEN_ONLY = env("MAIL_INTAKE_TOKEN_ONLY", False, cast=bool)
    # `flask mail poll`: the IMAP mailbox the intake address delivers to.
    MAIL_IMAP_HOST = env("MAIL_IMAP_HOST", "127.0.0.1")
    MAIL_IMAP_PORT = env("MAIL_IMAP_PORT", 993, cast=int)
    MAIL_IMAP_SECURITY = env("MAIL_IMAP_SECURITY", "tls")
    MAIL_IMAP_USERNAME = env("MAIL_IMAP_USERNAME")
    MAIL_IMAP_PASSWORD = env("MAIL_IMAP_PASSWORD")
    MAIL_IMAP_CA_FILE = env("MAIL_IMAP_CA_FILE")
    OUTBOX_MAX_ATTEMPTS = env("OUTBOX_MAX_ATTEMPTS", 8, cast=int)
    # How long the worker waits for the SMTP server at each step before trying the message again later.
    MAIL_TIMEOUT_SECONDS = env("MAIL_TIMEOUT_SECONDS", 30, cast=int)
    OUTBOX_LEASE_SECONDS = env("OUTBOX_LEASE_SECONDS", 300, cast=int)

    # Flask-Limiter (R22, R57). memory:// counts in each gunicorn worker apart, so four workers allow four
    # times every limit: production refuses it and needs the Redis every worker shares (redis://host:6379).
    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")
    # Every key starts with this, so one Redis can serve several services (and each test server its own).
    RATELIMIT_KEY_PREFIX = env("RATELIMIT_KEY_PREFIX", "comments")
    # Redis unreachable: each worker counts in its own memory until it answers again (a warning is logged),
    # rather than a citizen's opinion failing with an error page.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # No X-RateLimit-* headers on every answer of a limited form: each costs the limiter's store two more
    # round trips (a third of the comment form's time against Redis), and no browser reads them. A refusal
    # (429) still says when to come back, in its page and its Retry-After (comments/__init__.py).
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR = env("LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR", 100, cast=int)
    LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE = env("LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE", 30, cast=int)
    # Sends of the comment form (stored or refused alike) from one address. Many citizens may share one
    # address (a library's or an office's network, a workshop sending together): a person sends one opinion
    # in minutes, perhaps twice after a correction, so 20 a minute and 200 an hour leave a full room room to
    # spare, while a script storing hundreds a minute stops at the twentieth.
    PUBLIC_FORM_POSTS_PER_ADDRESS_PER_MINUTE = env("PUBLIC_FORM_POSTS_PER_ADDRESS_PER_MINUTE", 20, cast=int)
    PUBLIC_FORM_POSTS_PER_ADDRESS_PER_HOUR = env("PUBLIC_FORM_POSTS_PER_ADDRESS_PER_HOUR", 200, cast=int)
    # Receipt mails to one address, whatever the channel: the form cannot be used to flood somebody's
    # mailbox. Over it the opinion is still stored and its receipt shown; only the mail is left out.
    RECEIPT_MAILS_PER_RECIPIENT_PER_DAY = env("RECEIPT_MAILS_PER_RECIPIENT_PER_DAY", 10, cast=int)
    # Reset links mailed to one account; over it the answer is the same as always and no mail goes out.
    PASSWORD_RESET_MAILS_PER_ACCOUNT_PER_HOUR = env("PASSWORD_RESET_MAILS_PER_ACCOUNT_PER_HOUR", 3, cast=int)
    # Access denials and refused forms written to the audit trail per person (or address, when nobody is
    # signed in), as a limit ("30/minute", "500/day"); past it one event says the rest were left out, so a
    # script hammering a form cannot fill the trail (R43). A person correcting a form is refused a few times.
    REFUSALS_AUDITED_PER_ACTOR = env("REFUSALS_AUDITED_PER_ACTOR", "30/minute")
    # How many proxies in front of gunicorn append the client's address to X-Forwarded-For (werkzeug's
    # ProxyFix x_for): 1 behind the usual TLS proxy, else every citizen shares the proxy's address and its
    # per-address limits. 0 ignores the header, which a client could otherwise write to escape its limits.
    PROXY_FIX_X_FOR = env("PROXY_FIX_X_FOR", 0, cast=int)
    # How many of those proxies set X-Forwarded-Proto (ProxyFix x_proto); unset, as many as PROXY_FIX_X_FOR. Behind
    # the TLS proxy a request is https only by this header: Talisman's redirect to https, HSTS and the CSRF
    # check's Referer rule read it. X-Forwarded-Host is never read: the proxy passes the Host it was asked for,
    # TRUSTED_HOSTS checks it, and the links in mail are built on PUBLIC_BASE_URL (deploy/nginx/comments.conf).
    PROXY_FIX_X_PROTO = env("PROXY_FIX_X_PROTO", None, cast=int)
    # argon2id cost; argon2-cffi's defaults (RFC 9106 low-memory profile) unless lowered for tests.
    ARGON2_TIME_COST = env("ARGON2_TIME_COST", 3, cast=int)
    ARGON2_MEMORY_COST = env("ARGON2_MEMORY_COST", 65536, cast=int)
    # Staff sessions (R24): at most 30 minutes idle and 12 hours in all.
    STAFF_SESSION_IDLE_MINUTES = env("STAFF_SESSION_IDLE_MINUTES", 30, cast=int)
    STAFF_SESSION_MAX_HOURS = env("STAFF_SESSION_MAX_HOURS", 12, cast=int)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env("SESSION_COOKIE_SECURE", True, cast=bool)
    # R23: a __Host- cookie is Secure, has no Domain and Path=/ , so no other host can set or read it.
    SESSION_COOKIE_NAME = "__Host-session" if SESSION_COOKIE_SECURE else "session"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=24)
    # Talisman redirects to HTTPS and sends HSTS; a local demo on 127.0.0.1 has no TLS.
    FORCE_HTTPS = env("FORCE_HTTPS", True, cast=bool)

    # How far behind the worker may fall, in seconds of the oldest row still waiting for it (mail not sent,
    # audit events not sealed into the chain, submissions not in the staff's search), before /readyz answers
    # 503 and the administrator's service status page says so. The worker passes every 10 s (a cron'd
    # `flask worker --once` every few minutes), so a quarter of an hour means it stopped or keeps failing.
    LAG_MAIL_SECONDS = env("LAG_MAIL_SECONDS", 900, cast=int)
    LAG_AUDIT_SECONDS = env("LAG_AUDIT_SECONDS", 900, cast=int)
    LAG_SEARCH_SECONDS = env("LAG_SEARCH_SECONDS", 900, cast=int)
    # Notifications (comments/domain/notifications.py): the hour (0-23, Japan time) after which the daily
    # digest goes to those who chose it, and how many Japan days ahead a due date counts as near.
    NOTIFICATION_DIGEST_HOUR = env("NOTIFICATION_DIGEST_HOUR", 8, cast=int)
    NOTIFICATION_DUE_SOON_DAYS = env("NOTIFICATION_DUE_SOON_DAYS", 3, cast=int)
    # /metrics answers these client addresses only (networks, comma-separated) and 404 to every other one:
    # Prometheus scrapes gunicorn's port from inside; behind the TLS proxy (PROXY_FIX_X_FOR) the address is
    # the one the proxy appended, so a citizen never reaches it. Counters add up over gunicorn's workers when
    # PROMETHEUS_MULTIPROC_DIR (read by prometheus_client itself) names an empty directory the workers share.
    METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])
    # Log lines: "json" (one JSON object a line, with the request id, for a log collector) or "text" (for a
    # person reading a terminal). Either way every record is cleaned first (comments/logs.py).
    LOG_FORMAT = env("LOG_FORMAT", "json")
    # Error reports to Sentry, only when a DSN is set; what is sent is cleaned (comments/error_reporting.py).
    SENTRY_DSN = env("SENTRY_DSN")
    SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", "production")
    SENTRY_RELEASE = env("SENTRY_RELEASE")

    # The city running the service, shown in the header and on the receipt.
    ORGANISATION_NAME = env("ORGANISATION_NAME", "千葉市")
    # Dates in Japanese pages, mail and files in the era calendar (令和8年12月3日), as the city's documents
    # print them; false gives Western years (2026年12月3日). English always uses Western years.
    JAPANESE_ERA_DATES = env("JAPANESE_ERA_DATES", True, cast=bool)
    # The grounds a passage of the minutes may be withheld under (clauses of the city's disclosure ordinance),
    # in the order the edit page lists them: a JSON list of {"key": ..., "ja": ..., "en": ...}; checked at
    # start (check_nondisclosure_grounds). A key in use in any minutes must never be removed.
    NONDISCLOSURE_GROUNDS = env("NONDISCLOSURE_GROUNDS", DEFAULT_NONDISCLOSURE_GROUNDS)

    # Alternative channels for the public notice (R55), overridable per deployment.
    SECRETARIAT_POSTAL_ADDRESS = env(
        "SECRETARIAT_POSTAL_ADDRESS", "〒260-8722 千葉市中央区千葉港1番1号 総務局市長公室政策法務課市政情報室"
    )
    SECRETARIAT_EMAIL = env("SECRETARIAT_EMAIL", "shiseijoho@example.jp")
    SECRETARIAT_FAX = env("SECRETARIAT_FAX", "043-245-5555")
    # The day by which the city means to reach JIS X 8341-3:2016 level AA 準拠 (達成期限), as its accessibility
    # policy page states it (YYYY-MM-DD); unset, the page says the city has yet to set one.
    ACCESSIBILITY_TARGET_DATE = env("ACCESSIBILITY_TARGET_DATE", cast=date.fromisoformat)

    @classmethod
    def complete(cls, settings) -> None:
        """Fill in what this environment may make for itself; production makes nothing."""

    @classmethod
    def check(cls, settings) -> None:
        """Refuse to start without what this environment must have."""
        if not settings.get("SECRET_KEY"):
            raise ConfigError("SECRET_KEY is not set: set it to a long random value (no fallback exists)")
        if not settings.get("CONTACT_DATA_KEYS"):
            raise ConfigError(
                "CONTACT_DATA_KEYS is not set: contact data is encrypted at rest; `flask keys new` prints a key"
            )
        if settings.get("CONTACT_RETENTION_DAYS", 0) < 1:
            raise ConfigError("CONTACT_RETENTION_DAYS must be a whole number of days, 1 or more")
        check_blob_storage(settings)
        try:
            parse_limit(str(settings.get("REFUSALS_AUDITED_PER_ACTOR") or ""))
        except ValueError as error:
            raise ConfigError("REFUSALS_AUDITED_PER_ACTOR must be a limit such as 30/minute or 500/day") from error
        for network in settings.get("METRICS_ALLOWED_NETWORKS") or ():
            try:
                ipaddress.ip_network(network)
            except ValueError as error:
                raise ConfigError(
                    f"METRICS_ALLOWED_NETWORKS: {network!r} is not a network such as 10.0.0.0/8 or 127.0.0.1/32"
                ) from error
        if settings.get("LOG_FORMAT") not in ("json", "text"):
            raise ConfigError(f"LOG_FORMAT must be json or text, not {settings.get('LOG_FORMAT')!r}")
        if not 0 <= settings.get("NOTIFICATION_DIGEST_HOUR", 8) <= 23:
            raise ConfigError("NOTIFICATION_DIGEST_HOUR must be an hour of the day in Japan, 0 to 23")
        if settings.get("NOTIFICATION_DUE_SOON_DAYS", 3) < 0:
            raise ConfigError("NOTIFICATION_DUE_SOON_DAYS must be a whole number of days, 0 or more")
        check_nondisclosure_grounds(settings)


class DevelopmentConfig(Config):
    """``make run``: a local demo on 127.0.0.1 over plain HTTP."""

    TRUSTED_HOSTS = env_list("TRUSTED_HOSTS", ["127.0.0.1", "localhost"])
    PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    SESSION_COOKIE_SECURE = env("SESSION_COOKIE_SECURE", False, cast=bool)
    SESSION_COOKIE_NAME = "__Host-session" if SESSION_COOKIE_SECURE else "session"
    FORCE_HTTPS = env("FORCE_HTTPS", False, cast=bool)
    LOG_FORMAT = env("LOG_FORMAT", "text")
    SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", "development")
    # `flask users totp-code` prints a demo account's current code; never in production.
    DEBUG_DEMO_TOOLS = True

    @classmethod
    def complete(cls, settings) -> None:
        """A fresh clone needs no setting: the secret key and the contact data key are made once, random,
        in the instance folder (never committed), and read from there afterwards."""
        instance = Path(settings["INSTANCE_PATH"])
        if not settings.get("SECRET_KEY"):
            settings["SECRET_KEY"] = _instance_secret(instance / "secret_key", lambda: secrets.token_urlsafe(48))
        if not settings.get("CONTACT_DATA_KEYS"):
            settings["CONTACT_DATA_KEYS"] = _instance_secret(
                instance / "contact_data_keys", lambda: "dev:" + secrets.token_urlsafe(32)
            )


class TestingConfig(DevelopmentConfig):
    """pytest: a database URL comes from the test fixtures."""

    TESTING = True
    TRUSTED_HOSTS = ("localhost", "127.0.0.1")
    PUBLIC_BASE_URL = "http://localhost"
    # The tests keep files in a folder, whatever the environment says; the S3 tests set their own bucket on
    # a moto server on 127.0.0.1 (tests/s3_server.py), never a real store.
    BLOB_STORAGE = "local"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    # Every test client comes from 127.0.0.1; the per-address limit is tested with its own setting.
    LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE = 100000
    # Likewise the comment form, and the suite's fixed addresses get many receipts; the throttle tests set
    # their own limits.
    PUBLIC_FORM_POSTS_PER_ADDRESS_PER_MINUTE = 100000
    PUBLIC_FORM_POSTS_PER_ADDRESS_PER_HOUR = 100000
    RECEIPT_MAILS_PER_RECIPIENT_PER_DAY = 100000
    # The tests' files are read in milliseconds; their crafted bombs are refused in two seconds, not ten.
    FILE_READ_CPU_SECONDS = 2
    FILE_READ_MEMORY_MB = 256
    FILE_READ_WALL_SECONDS = 10
    SECRET_KEY = "testing-only-secret-key-not-for-production"  # noqa: S105 - never used outside tests
    # Two keys, so that tests can rotate from the second to the first; never used outside tests.
    CONTACT_DATA_KEYS = (
        "test1:dGVzdC1vbmx5LWtleS0xLW5vdC1wcm9kdWN0aW9uISE,old:dGVzdC1vbmx5LWtleS0yLW5vdC1wcm9kdWN0aW9uISE"
    )
    MAIL_SUPPRESS_SEND = False
    MAIL_SERVER = "127.0.0.1"


def _instance_secret(path: Path, make) -> str:
    """The secret kept in ``path``, made with ``make`` and written (owner-only) the first time."""
    if not path.exists() or not path.read_text(encoding="utf-8").strip():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make() + "\n", encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


BUCKET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def check_blob_storage(settings) -> None:
    """BLOB_STORAGE and, for s3, the S3_ settings (see ``Config``), each with how to put it right."""
    backend = settings.get("BLOB_STORAGE") or "local"
    if backend not in ("local", "s3"):
        raise ConfigError(
            f"BLOB_STORAGE must be local (files in the folder ATTACHMENT_STORAGE) or s3 (a bucket of an "
            f"S3-compatible store, named by S3_BUCKET), not {backend!r}"
        )
    if backend == "local":
        return
    bucket = settings.get("S3_BUCKET")
    if not bucket:
        raise ConfigError(
            "BLOB_STORAGE=s3 but S3_BUCKET is not set: name the bucket the files are kept in, e.g. "
            "S3_BUCKET=comments-files (create it first; the service never creates one)"
        )
    if not BUCKET_NAME.fullmatch(bucket):
        raise ConfigError(
            f"S3_BUCKET {bucket!r} is not a bucket name: 3 or more letters, digits, dots, hyphens and "
            "underscores, starting and ending with a letter or digit, e.g. comments-files"
        )
    endpoint = settings.get("S3_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ConfigError(
                f"S3_ENDPOINT_URL must be the store's address, e.g. https://minio.city.example:9000, not {endpoint!r}"
            )
    elif not settings.get("S3_REGION"):
        raise ConfigError(
            "S3_REGION is not set: with no S3_ENDPOINT_URL the bucket is on AWS; name its region, e.g. "
            "S3_REGION=ap-northeast-1 (for MinIO or Ceph, set S3_ENDPOINT_URL to the store's address instead)"
        )
    prefix = settings.get("S3_PREFIX") or ""
    if prefix and (prefix.startswith("/") or not prefix.endswith("/")):
        raise ConfigError(
            f"S3_PREFIX must be empty or a path ending in / (and not starting with one), e.g. "
            f"S3_PREFIX=comments/, not {prefix!r}"
        )
    if bool(settings.get("S3_ACCESS_KEY_ID")) != bool(settings.get("S3_SECRET_ACCESS_KEY")):
        raise ConfigError(
            "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both, or neither to let boto3 find the "
            "credentials itself (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, an instance role)"
        )


def check_blob_storage_encrypted(settings) -> None:
    """Production: the files (personal data) never cross the network in the clear."""
    endpoint = settings.get("S3_ENDPOINT_URL") if settings.get("BLOB_STORAGE") == "s3" else None
    if endpoint and urlsplit(endpoint).scheme == "http" and urlsplit(endpoint).hostname not in LOOPBACK_NAMES:
        raise ConfigError(
            f"S3_ENDPOINT_URL {endpoint} is plain http:// to another host: the files, personal data among them, "
            "would cross the network unencrypted. Use the store's https:// address (plain http:// is for a store "
            "on this host, 127.0.0.1)"
        )


class ProductionConfig(Config):
    """gunicorn behind TLS; PostgreSQL; SECRET_KEY and DATABASE_URL required."""

    @classmethod
    def check(cls, settings) -> None:
        super().check(settings)
        check_blob_storage_encrypted(settings)
        if not env("DATABASE_URL") and "SQLALCHEMY_DATABASE_URI" not in settings.get("OVERRIDDEN", ()):
            raise ConfigError("DATABASE_URL is not set: production needs PostgreSQL, e.g. postgresql://user@host/db")
        if not str(settings.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
            raise ConfigError(
                "DATABASE_URL must name a PostgreSQL database in production (postgresql://user@host/db): SQLite "
                "lets one writer in at a time and is for the demo and the tests"
            )
        if len(settings.get("SECRET_KEY") or "") < MIN_SECRET_KEY_CHARS:
            raise ConfigError(
                f"SECRET_KEY is shorter than {MIN_SECRET_KEY_CHARS} characters: it signs sessions and reset links; "
                'make one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        if not settings.get("TRUSTED_HOSTS"):
            raise ConfigError(
                "TRUSTED_HOSTS is not set: name the host names the service answers to, e.g. "
                "TRUSTED_HOSTS=comments.city.example (a request for any other Host is refused)"
            )
        base = urlsplit(settings.get("PUBLIC_BASE_URL") or "")
        if base.scheme != "https" or not base.hostname or base.path not in ("", "/") or base.query:
            raise ConfigError(
                "PUBLIC_BASE_URL must be the https:// address the public reaches the service at, e.g. "
                "https://comments.city.example: the links in every mail are built on it"
            )
        if not host_is_trusted(base.hostname, settings["TRUSTED_HOSTS"]):
            raise ConfigError(f"PUBLIC_BASE_URL's host {base.hostname} is not one of TRUSTED_HOSTS")
        if not settings.get("MAIL_TRUSTED_AUTHSERV_ID"):
            if not settings.get("MAIL_INTAKE_TOKEN_ONLY"):
                raise ConfigError(
                    "MAIL_TRUSTED_AUTHSERV_ID is not set: without it a forged From: carrying a member's token is "
                    "accepted. Set it to the authserv-id of your mail server's Authentication-Results header, or "
                    "set MAIL_INTAKE_TOKEN_ONLY=true to accept that the token in the address is the only protection"
                )
            logging.getLogger("comments.config").warning(
                "MAIL_INTAKE_TOKEN_ONLY: the committee's e-mail intake does not check the sender's domain "
                "(no MAIL_TRUSTED_AUTHSERV_ID); the token in the address is the only protection"
            )
        if str(settings.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory://"):
            raise ConfigError(
                "RATELIMIT_STORAGE_URI is memory://: each gunicorn worker would count on its own, so every limit "
                "(sign-in, the comment form, mail) would be several times too high. Set "
                "RATELIMIT_STORAGE_URI=redis://host:6379 to the Redis all workers share"
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_environment() -> type[Config]:
    name = env("COMMENTS_ENV", "production")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(f"COMMENTS_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
