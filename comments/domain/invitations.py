"""Invitations: an administrator offers an account by mail, and the invitee makes it through a one-time link.

The link carries a random token (256 bits); only its SHA-256 hash is stored, so neither a copy of the
database nor the audit trail opens an invitation. A link works once and for ``INVITATION_VALID_FOR``; a
resent invitation has a new token, and the old link stops working. The invitee chooses the password (the
policy of comments/domain/accounts.py), and the account is made then, with the roles and department the
administrator chose; a role that needs a second factor sets it up at once, in the sign-in's own setup step.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from flask import render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from comments import clock
from comments.domain import DomainError
from comments.domain.accounts import create_user, normalise_email
from comments.domain.audit import Actor, record_event
from comments.domain.masking import contains_individual_number
from comments.domain.outbox import deliverable_address, enqueue_mail
from comments.extensions import db
from comments.models import AccountInvitation, Department, User
from comments.permissions import Permission, Role, has_permission

INVITATION_VALID_FOR = timedelta(days=7)
NAME_MAX_CHARS = 200


class LinkState(enum.StrEnum):
    """What a link names: a pending invitation, or why it no longer works."""

    pending = "pending"
    unknown = "unknown"
    accepted = "accepted"
    cancelled = "cancelled"
    expired = "expired"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _pending(email: str) -> AccountInvitation | None:
    return db.session.scalars(
        select(AccountInvitation).where(
            AccountInvitation.email == email,
            AccountInvitation.accepted_at.is_(None),
            AccountInvitation.cancelled_at.is_(None),
            AccountInvitation.expires_at > clock.now(),
        )
    ).first()


def _has_account(email: str) -> bool:
    return db.session.execute(select(User.id).where(User.email == email)).first() is not None


def _send(invitation: AccountInvitation, link_for: Callable[[str], str]) -> None:
    """A new token, valid from now, and the mail that carries its link."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    invitation.token_hash = _token_hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + INVITATION_VALID_FOR
    body = render_template("mail/account_invitation.txt", invitation=invitation, url=link_for(token))
    enqueue_mail(to=invitation.email, subject=str(_l("Your account for the public comments service")), body=body)


def invite_user(
    *,
    email: str,
    display_name: str,
    roles: set[Role],
    department: Department | None,
    invited_by: User,
    link_for: Callable[[str], str],
    actor: Actor,
) -> AccountInvitation:
    """Offer an account by mail: ``link_for(token)`` is the address of the page where the invitee makes it.

    Refused for an address that cannot receive mail, one that already has an account or a pending
    invitation, an invitation without a role, and department staff without a department."""
    email = normalise_email(email)
    # An address holding an individual number (マイナンバー) is refused here, as everywhere it is typed.
    if not email or deliverable_address(email) is None or contains_individual_number(email):
        raise DomainError(_l("Enter an e-mail address such as name@city.example.jp."), field="email")
    display_name = " ".join((display_name or "").split())
    if not display_name:
        raise DomainError(_l("Enter the person's name."), field="display_name")
    if len(display_name) > NAME_MAX_CHARS:
        raise DomainError(_l("At most %(max)d characters.", max=NAME_MAX_CHARS), field="display_name")
    if not roles:
        raise DomainError(_l("Choose at least one role."), field="roles")
    if has_permission(roles, Permission.own_department) and department is None:
        raise DomainError(
            _l("Department staff and a department's approver belong to a department: choose one."), field="department"
        )
    if _has_account(email):
        raise DomainError(_l("An account with this e-mail address already exists."), field="email")
    if _pending(email) is not None:
        raise DomainError(
            _l("An invitation to this address is already waiting: send it again or cancel it."), field="email"
        )
    invitation = AccountInvitation(
        email=email,
        display_name=display_name,
        roles=sorted(role.value for role in roles),
        department=department,
        invited_by_id=invited_by.id,
    )
    _send(invitation, link_for)
    db.session.add(invitation)
    db.session.flush()
    record_event(actor, "invitation.sent", invitation, roles=invitation.roles, department_id=invitation.department_id)
    return invitation


def _refuse_unless_open(invitation: AccountInvitation) -> None:
    if invitation.accepted_at is not None:
        raise DomainError(_l("This invitation was accepted: the account exists."))
    if invitation.cancelled_at is not None:
        raise DomainError(_l("This invitation was cancelled."))


def resend_invitation(invitation: AccountInvitation, *, link_for: Callable[[str], str], actor: Actor) -> None:
    """Mail the invitation again with a new link, valid from now (an expired one too); the old link stops
    working."""
    _refuse_unless_open(invitation)
    if _has_account(invitation.email):
        raise DomainError(_l("An account with this e-mail address already exists."))
    _send(invitation, link_for)
    record_event(actor, "invitation.resent", invitation)


def cancel_invitation(invitation: AccountInvitation, *, cancelled_by: User, actor: Actor) -> None:
    """Withdraw an invitation: its link stops working."""
    _refuse_unless_open(invitation)
    invitation.cancelled_at = clock.now()
    invitation.cancelled_by_id = cancelled_by.id
    record_event(actor, "invitation.cancelled", invitation)


def open_invitations() -> list[AccountInvitation]:
    """The invitations not accepted and not cancelled, expired ones included (they may be sent again), newest
    first."""
    return list(
        db.session.scalars(
            select(AccountInvitation)
            .where(AccountInvitation.accepted_at.is_(None), AccountInvitation.cancelled_at.is_(None))
            .order_by(AccountInvitation.sent_at.desc(), AccountInvitation.id.desc())
        )
    )


def invitation_for_link(token: str) -> tuple[AccountInvitation | None, LinkState]:
    """The invitation a link's token names and whether it still works."""
    invitation = db.session.scalars(
        select(AccountInvitation).where(AccountInvitation.token_hash == _token_hash(token or ""))
    ).one_or_none()
    if invitation is None:
        return None, LinkState.unknown
    if invitation.accepted_at is not None:
        return invitation, LinkState.accepted
    if invitation.cancelled_at is not None:
        return invitation, LinkState.cancelled
    if clock.now() >= invitation.expires_at:
        return invitation, LinkState.expired
    return invitation, LinkState.pending


def accept_invitation(invitation: AccountInvitation, *, password: str, actor: Actor) -> User:
    """Make the account the invitation offers, with the password the invitee chose; the link is spent."""
    if not invitation.is_pending(clock.now()):
        raise DomainError(_l("This invitation no longer works. Ask the administrator to send a new one."))
    user = create_user(
        email=invitation.email,
        display_name=invitation.display_name,
        password=password,
        roles=set(invitation.offered_roles),
        department=invitation.department,
        actor=actor,
    )
    invitation.accepted_at = clock.now()
    invitation.user_id = user.id
    record_event(actor, "invitation.accepted", invitation, user_id=user.id)
    return user
