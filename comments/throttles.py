"""Limits on how often something may happen (R22, R57), counted in the store every gunicorn worker shares.

Flask-Limiter's decorators limit requests to a route before its view runs (sign-in, the comment form).
Some limits can only be decided inside a request that goes on whatever they say: a receipt mail per
recipient (the opinion is stored and its receipt shown even when the mail is left out) and a reset link
per account (the answer must not tell whether the account exists). ``spend`` counts those in the same
store, under the same key prefix.

A person appears in a key only as a keyed digest (``subject_key``), so neither Redis nor a log line holds
an e-mail address. A limit that is reached is logged as a warning, the alert of R57, naming the limit and
never whose it was.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, g, has_request_context
from limits import parse

from comments import clock
from comments.extensions import limiter

logger = logging.getLogger("comments.throttles")

# The scope the sign-in form and the approval's password share: a wrong password counts the same in both.
SIGN_IN_FAILURES = "sign-in-failures"


def subject_key(kind: str, value: str) -> str:
    """The key that stands for a person (an address, an account) in the limiter's store: a digest keyed
    with SECRET_KEY, so the store holds no address and a list of likely addresses cannot be tried on it."""
    secret = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{digest[:32]}"


def account_key(email: str) -> str:
    """One account's failed passwords, named by the address it signs in with (as typed, normalised)."""
    return subject_key("account", (email or "").strip().lower())


def sign_in_failures_per_account() -> str:
    """The limit on one account's wrong passwords (the sign-in form and re-authentication together)."""
    return f"{current_app.config['LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR']}/hour"


def public_form_posts_per_address() -> str:
    """The limits on sending the comment form from one address."""
    config = current_app.config
    return (
        f"{config['PUBLIC_FORM_POSTS_PER_ADDRESS_PER_MINUTE']}/minute;"
        f"{config['PUBLIC_FORM_POSTS_PER_ADDRESS_PER_HOUR']}/hour"
    )


def report_limit_reached(name: str, limit: object) -> None:
    """Log that a limit was reached: which one and in which request, never who reached it."""
    request_id = g.get("request_id", "-") if has_request_context() else "-"
    logger.warning("limit reached: %s (%s) in request %s", name, limit, request_id)


def spend(name: str, subject: str, limit: str, *, report: bool = True) -> bool:
    """Count one ``name`` (a receipt mail, a reset link) for ``subject`` (a ``subject_key``) against ``limit``
    ("10/day"); False once the limit is reached, and the caller then leaves the thing out. ``report=False``
    leaves the warning to the caller, for a limit reached on every request of a flood.

    When the store cannot be reached the answer is True: an opinion is never refused, nor a reset link
    withheld, because Redis is down (Flask-Limiter then counts requests in each worker's memory).
    """
    item = parse(limit)
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "-"
    try:
        allowed = limiter.limiter.hit(item, prefix, subject, name)
    except Exception as error:  # the store's own errors (redis.ConnectionError, ...): fail open, say so
        logger.warning("limit store unreachable (%s); %s not counted", type(error).__name__, name)
        return True
    if not allowed and report:
        report_limit_reached(name, item)
    return allowed


@dataclass(frozen=True)
class RetryAfter:
    """When the limit a request ran into lets the next one through."""

    at: datetime
    seconds: int

    @property
    def minutes(self) -> int:
        """Whole minutes to wait, rounded up: "in about 1 minute" rather than "in 0"."""
        return max(1, math.ceil(self.seconds / 60))


def retry_after() -> RetryAfter | None:
    """For the 429 page: when the limit this request broke opens again, or None when none was broken here."""
    current = limiter.current_limit
    if current is None or not current.breached:
        return None
    try:
        reset_at = current.window[0]  # seconds since the epoch, by the store's clock (the system clock)
    except Exception:  # the store went away after refusing: the page then gives no time
        return None
    seconds = max(0, math.ceil(reset_at - clock.now().timestamp()))
    # Shown to the minute, so rounded up to one: a citizen who comes back at 14:05 finds the limit open.
    at = datetime.fromtimestamp(math.ceil(reset_at / 60) * 60, UTC)
    return RetryAfter(at=at, seconds=seconds)
