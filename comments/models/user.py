"""Staff and committee accounts, their departments and their server-side sessions."""

from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comments import clock
from comments.extensions import db
from comments.models.types import UTCDateTime, enum_column
from comments.permissions import Permission, Role, allowed, has_permission


class Department(db.Model):
    """A city office that owns an affair and answers for it (実施機関, e.g. 健康保険課)."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    # Set when the user is loaded from a live session; Flask-Login keeps this id in the cookie, so the
    # cookie names a session row, never the account itself.
    session_id = None  # not mapped: a plain attribute of the loaded instance

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case; the login name
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    # The last TOTP time step accepted, so a code cannot be used twice.
    totp_last_step: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The secret part of a committee member's personal intake address, questions+<token>@<domain>
    # (R59); rotated by the member or the secretariat, after which the old address is unknown.
    intake_token: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    intake_token_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Notifications in one mail a day (a digest) rather than one mail each; the home page lists them either way.
    notify_daily: Mapped[bool] = mapped_column(default=False, server_default=false())

    department: Mapped[Department | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    def get_id(self) -> str | None:
        return self.session_id

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(row.role for row in self.role_rows)

    def can(self, permission: Permission, obj=None) -> bool:
        """Whether this account holds ``permission``, for ``obj`` when given (see permissions.allowed)."""
        return allowed(self, permission, obj)

    @property
    def needs_second_factor(self) -> bool:
        """Whether this account must sign in with a TOTP code (R20); committee members may opt in."""
        return has_permission(self.roles, Permission.second_factor) or self.totp_enabled


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role", name="uq_user_roles_user_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))


class UserSession(db.Model):
    """A signed-in browser. The cookie carries only this row's random id; the row decides (R23, R24).

    Logging out, deactivating the account or running past the idle or absolute limit ends the row,
    so the session stops working at once whatever the browser still holds.
    """

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # secrets.token_urlsafe, never reused
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Whether the second factor was passed in this session (always true when one is required).
    second_factor_passed: Mapped[bool] = mapped_column(default=False)
    ip: Mapped[str | None] = mapped_column(String(45))

    user: Mapped[User] = relationship()


class AccountReview(db.Model):
    """The periodic review of every account and its roles, with who did it (accounts of people who moved
    must go at once)."""

    __tablename__ = "account_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    accounts_reviewed: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")


class AccountInvitation(db.Model):
    """An account offered by mail (R20): the invitee opens a one-time link, chooses a password and, where the
    roles need one, sets up the second factor; the account exists from then on. Only a SHA-256 hash of the
    link's token is kept, so a copy of the database opens no invitation. Pending while not accepted, not
    cancelled and not expired; a resent invitation has a new token and the old link stops working."""

    __tablename__ = "account_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)  # lower-case, as users.email
    display_name: Mapped[str] = mapped_column(String(200))
    # Role names (Role values), granted when the account is made.
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the account it became
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    department: Mapped[Department | None] = relationship()
    invited_by: Mapped[User] = relationship(foreign_keys=[invited_by_id])

    @property
    def offered_roles(self) -> list[Role]:
        return [Role(value) for value in self.roles]

    def is_pending(self, now: datetime) -> bool:
        return self.accepted_at is None and self.cancelled_at is None and now < self.expires_at


class AccountTransfer(db.Model):
    """A person's move to another post (異動), recorded by an administrator. On ``effective_on`` the account
    keeps only ``kept_roles`` and ``kept_department_id`` (what the new post needs; nothing by default) and
    every open session ends. Recorded ahead (an announced 4月1日 transfer), it waits until carried out."""

    __tablename__ = "account_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    effective_on: Mapped[date]  # a day in Japan
    new_post: Mapped[str] = mapped_column(String(300), default="")
    kept_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    kept_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    carried_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who carried it out; None with carried_out_at set: the worker did, on the day.
    carried_out_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    kept_department: Mapped[Department | None] = relationship()
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])

    @property
    def roles_kept(self) -> list[Role]:
        return [Role(value) for value in self.kept_roles]

    @property
    def pending(self) -> bool:
        return self.carried_out_at is None and self.cancelled_at is None


class SecondFactorReset(db.Model):
    """Clearing an account's second factor (a lost phone) takes two administrators: one asks, with the
    reason, and another confirms; neither may be the account's owner. A request not confirmed in time lapses."""

    __tablename__ = "second_factor_resets"
    __table_args__ = (
        CheckConstraint(
            "confirmed_by_id IS NULL OR (confirmed_by_id <> requested_by_id AND confirmed_by_id <> user_id)",
            name="two_people",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])

    def is_pending(self, now: datetime) -> bool:
        return self.confirmed_at is None and self.cancelled_at is None and now < self.expires_at
