"""Transfers (異動): a person moves to another post, and their account must not keep what the old post gave.

Carrying out a transfer leaves the account exactly the roles and department the new post needs (none unless
the administrator chose some) and ends every open session, so the person's next request is refused and
signs in again with the new rights only. A transfer recorded for today or a past day is carried out at once;
one announced ahead (a 4月1日 transfer known in March) waits, listed on the periodic account review, until an
administrator carries it out or the worker does on its day (``carry_out_due_transfers``).
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from comments import clock
from comments.domain import DomainError
from comments.domain.accounts import end_open_sessions
from comments.domain.audit import Actor, record_event
from comments.extensions import db
from comments.models import AccountTransfer, Department, User, UserRole
from comments.permissions import Permission, Role, has_permission

NEW_POST_MAX_CHARS = 300


def _pending_transfer(user: User) -> AccountTransfer | None:
    return db.session.scalars(
        select(AccountTransfer).where(
            AccountTransfer.user_id == user.id,
            AccountTransfer.carried_out_at.is_(None),
            AccountTransfer.cancelled_at.is_(None),
        )
    ).first()


def record_transfer(
    user: User,
    *,
    effective_on: date,
    new_post: str,
    kept_roles: set[Role],
    kept_department: Department | None,
    recorded_by: User,
    actor: Actor,
) -> AccountTransfer:
    """Record ``user``'s move to ``new_post`` on ``effective_on`` (a day in Japan), keeping ``kept_roles`` and
    ``kept_department``; carried out at once when that day has come. Returns the transfer."""
    if user.id == recorded_by.id:
        raise DomainError(_l("Another administrator records your own transfer."))
    new_post = " ".join((new_post or "").split())
    if not new_post:
        raise DomainError(_l("Enter the new post (e.g. 介護保険課 from 1 April)."), field="new_post")
    if len(new_post) > NEW_POST_MAX_CHARS:
        raise DomainError(_l("At most %(max)d characters.", max=NEW_POST_MAX_CHARS), field="new_post")
    if has_permission(kept_roles, Permission.own_department) and kept_department is None:
        raise DomainError(
            _l("Department staff and a department's approver belong to a department: choose one."), field="department"
        )
    if _pending_transfer(user) is not None:
        raise DomainError(_l("A transfer of this person is already waiting: carry it out or cancel it first."))
    transfer = AccountTransfer(
        user=user,
        effective_on=effective_on,
        new_post=new_post,
        kept_roles=sorted(role.value for role in kept_roles),
        kept_department=kept_department,
        recorded_by_id=recorded_by.id,
    )
    db.session.add(transfer)
    db.session.flush()
    if effective_on <= clock.japan_today():
        carry_out_transfer(transfer, carried_out_by=recorded_by, actor=actor)
    else:
        record_event(
            actor,
            "transfer.planned",
            user,
            transfer_id=transfer.id,
            effective_on=effective_on.isoformat(),
            roles=transfer.kept_roles,
            department_id=transfer.kept_department_id,
        )
    return transfer


def carry_out_transfer(transfer: AccountTransfer, *, carried_out_by: User | None, actor: Actor) -> int:
    """Leave the account the transfer's roles and department only and end its open sessions, now (also before
    the planned day, when an administrator decides so); ``carried_out_by`` is None for the worker. Returns how
    many sessions were ended."""
    if not transfer.pending:
        raise DomainError(_l("This transfer was already carried out or cancelled."))
    user = transfer.user
    kept = set(transfer.roles_kept)
    before = (sorted(role.value for role in user.roles), user.department_id)
    user.role_rows = [row for row in user.role_rows if row.role in kept] + [
        UserRole(role=role) for role in sorted(kept - user.roles)
    ]
    user.department = transfer.kept_department
    ended = end_open_sessions(user)
    transfer.carried_out_at = clock.now()
    transfer.carried_out_by_id = carried_out_by.id if carried_out_by is not None else None
    db.session.flush()
    record_event(
        actor,
        "user.transferred",
        user,
        transfer_id=transfer.id,
        effective_on=transfer.effective_on.isoformat(),
        roles=transfer.kept_roles,
        department_id=transfer.kept_department_id,
        previous_roles=before[0],
        previous_department_id=before[1],
        sessions_ended=ended,
    )
    return ended


def cancel_transfer(transfer: AccountTransfer, *, cancelled_by: User, actor: Actor) -> None:
    """Withdraw a transfer that is still waiting (the announced move did not happen)."""
    if not transfer.pending:
        raise DomainError(_l("This transfer was already carried out or cancelled."))
    transfer.cancelled_at = clock.now()
    transfer.cancelled_by_id = cancelled_by.id
    record_event(actor, "transfer.cancelled", transfer.user, transfer_id=transfer.id)


def waiting_transfers() -> list[AccountTransfer]:
    """The transfers recorded and not carried out yet, the soonest first."""
    return list(
        db.session.scalars(
            select(AccountTransfer)
            .where(AccountTransfer.carried_out_at.is_(None), AccountTransfer.cancelled_at.is_(None))
            .order_by(AccountTransfer.effective_on, AccountTransfer.id)
        )
    )


def recent_transfers(limit: int = 50) -> list[AccountTransfer]:
    """The transfers carried out, the latest first."""
    return list(
        db.session.scalars(
            select(AccountTransfer)
            .where(AccountTransfer.carried_out_at.is_not(None))
            .order_by(AccountTransfer.carried_out_at.desc(), AccountTransfer.id.desc())
            .limit(limit)
        )
    )


def carry_out_due_transfers(actor: Actor) -> int:
    """Carry out every waiting transfer whose day has come in Japan (the worker, each pass); returns how many."""
    due = db.session.scalars(
        select(AccountTransfer).where(
            AccountTransfer.carried_out_at.is_(None),
            AccountTransfer.cancelled_at.is_(None),
            AccountTransfer.effective_on <= clock.japan_today(),
        )
    ).all()
    for transfer in due:
        carry_out_transfer(transfer, carried_out_by=None, actor=actor)
    return len(due)
