"""Resetting a second factor (a lost or replaced phone) takes two administrators.

One asks, with the reason; another confirms within ``RESET_REQUEST_VALID_FOR``. Neither may be the
account's owner, so no single person, and nobody who took over one administrator's account, can strip an
account of its second factor. Only on confirmation is the TOTP secret cleared and every open session
ended; the owner then sets up a new authenticator at their next sign-in (the sign-in's setup step).
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from comments import clock
from comments.domain import DomainError
from comments.domain.accounts import end_open_sessions
from comments.domain.audit import Actor, record_event
from comments.extensions import db
from comments.models import SecondFactorReset, User

RESET_REQUEST_VALID_FOR = timedelta(hours=24)
REASON_MAX_CHARS = 1000


def _pending_reset(user: User) -> SecondFactorReset | None:
    return next(iter(_open_requests(user_id=user.id)), None)


def _open_requests(user_id: int | None = None) -> list[SecondFactorReset]:
    query = select(SecondFactorReset).where(
        SecondFactorReset.confirmed_at.is_(None),
        SecondFactorReset.cancelled_at.is_(None),
        SecondFactorReset.expires_at > clock.now(),
    )
    if user_id is not None:
        query = query.where(SecondFactorReset.user_id == user_id)
    return list(db.session.scalars(query.order_by(SecondFactorReset.requested_at, SecondFactorReset.id)))


def request_second_factor_reset(user: User, *, reason: str, requested_by: User, actor: Actor) -> SecondFactorReset:
    """Ask for ``user``'s second factor to be reset; nothing changes until another administrator confirms."""
    if user.id == requested_by.id:
        raise DomainError(_l("Another administrator asks for the reset of your own second factor."))
    if not user.totp_enabled:
        raise DomainError(_l("This account has no second factor set up: there is nothing to reset."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Write why the second factor is reset (e.g. the phone was lost)."), field="reason")
    if len(reason) > REASON_MAX_CHARS:
        raise DomainError(_l("At most %(max)d characters.", max=REASON_MAX_CHARS), field="reason")
    if _pending_reset(user) is not None:
        raise DomainError(_l("A reset of this account's second factor is already waiting for confirmation."))
    row = SecondFactorReset(
        user=user,
        reason=reason,
        requested_by_id=requested_by.id,
        expires_at=clock.now() + RESET_REQUEST_VALID_FOR,
    )
    db.session.add(row)
    db.session.flush()
    record_event(actor, "second_factor_reset.requested", user, reset_id=row.id)
    return row


def confirm_second_factor_reset(reset: SecondFactorReset, *, confirmed_by: User, actor: Actor) -> int:
    """The second administrator's confirmation: the secret is cleared and every open session of the account
    ends. Returns how many sessions were ended."""
    if not reset.is_pending(clock.now()):
        raise DomainError(_l("This request has expired or was already confirmed or cancelled. Ask again if needed."))
    if confirmed_by.id == reset.requested_by_id:
        raise DomainError(_l("A second administrator confirms: you asked for this reset yourself."))
    if confirmed_by.id == reset.user_id:
        raise DomainError(_l("The reset of your own second factor is confirmed by another administrator."))
    user = reset.user
    user.totp_secret = None
    user.totp_enabled = False
    user.totp_last_step = None
    ended = end_open_sessions(user)
    reset.confirmed_at = clock.now()
    reset.confirmed_by_id = confirmed_by.id
    db.session.flush()
    record_event(
        actor,
        "user.second_factor_reset",
        user,
        reset_id=reset.id,
        requested_by_id=reset.requested_by_id,
        sessions_ended=ended,
    )
    return ended


def cancel_second_factor_reset(reset: SecondFactorReset, *, cancelled_by: User, actor: Actor) -> None:
    """Withdraw a request that is still waiting."""
    if not reset.is_pending(clock.now()):
        raise DomainError(_l("This request has expired or was already confirmed or cancelled. Ask again if needed."))
    reset.cancelled_at = clock.now()
    reset.cancelled_by_id = cancelled_by.id
    record_event(actor, "second_factor_reset.cancelled", reset.user, reset_id=reset.id)


def waiting_second_factor_resets() -> list[SecondFactorReset]:
    """The requests waiting for a second administrator, the oldest first."""
    return _open_requests()
