"""Accounts: passwords, the second factor and server-side sessions (R20-R24).

Passwords are hashed with argon2id (argon2-cffi). The policy is ASVS's: 12 to 128 characters, not a
common password (zxcvbn's list of 30,000, kept locally: no network call) and not easily guessed
(zxcvbn's estimate), with no composition rules. Administrator, secretariat and department staff must
pass a TOTP code (pyotp); a code is accepted once. A session is a database row whose random id is the
only thing the cookie carries, so logging out or deactivating an account ends it at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from comments import clock, throttles
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.domain.outbox import enqueue_mail
from comments.extensions import db
from comments.models import Department, User, UserRole, UserSession
from comments.permissions import Permission, Role, has_permission
from comments.transactions import begin_write

PASSWORD_MIN = 12
PASSWORD_MAX = 128
MIN_GUESS_SCORE = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from offline slow-hash attacks"
TOTP_ISSUER = "comments"


@lru_cache(maxsize=4)
def _password_hasher(time_cost: int, memory_cost: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)


def _hasher() -> PasswordHasher:
    """argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile) unless the settings lower them
    (the test suite does, to stay fast)."""
    config = current_app.config
    return _password_hasher(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"])


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    # Verifying against this keeps a login for an unknown address as slow as one for a known address.
    return hasher.hash(secrets.token_urlsafe(16))


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password_policy(password: str, *, user_inputs: tuple[str, ...] = ()) -> None:
    """Raise ``DomainError`` saying what is wrong with ``password`` (R21); return quietly when it is fine."""
    if len(password) < PASSWORD_MIN:
        raise DomainError(_l("Use at least %(min)d characters.", min=PASSWORD_MIN), field="password")
    if len(password) > PASSWORD_MAX:
        raise DomainError(_l("Use at most %(max)d characters.", max=PASSWORD_MAX), field="password")
    if password.lower() in _common_passwords():
        raise DomainError(_l("This password is on the list of common passwords. Choose another."), field="password")
    if zxcvbn(password, user_inputs=list(user_inputs))["score"] < MIN_GUESS_SCORE:
        raise DomainError(
            _l("This password is too easy to guess. A few unrelated words make a strong one."), field="password"
        )


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def create_user(
    *,
    email: str,
    display_name: str,
    password: str,
    roles: set[Role],
    actor: Actor,
    department: Department | None = None,
) -> User:
    """A new active account; the password must meet the policy."""
    email = normalise_email(email)
    if not email or "@" not in email:
        raise DomainError(_l("Enter the e-mail address the person signs in with."), field="email")
    if db.session.execute(select(User.id).where(User.email == email)).first():
        raise DomainError(_l("An account with this e-mail address already exists."), field="email")
    if has_permission(roles, Permission.own_department) and department is None:
        raise DomainError(_l("Department staff belong to a department: choose one."), field="department")
    check_password_policy(password, user_inputs=(email, display_name))
    user = User(
        email=email,
        display_name=display_name,
        password_hash=_hasher().hash(password),
        password_changed_at=clock.now(),
        department=department,
        role_rows=[UserRole(role=role) for role in sorted(roles)],
    )
    db.session.add(user)
    db.session.flush()
    record_event(actor, "user.created", user, roles=sorted(role.value for role in roles))
    return user


def authenticate(email: str, password: str, actor: Actor) -> User | None:
    """The active user with this address and password, or None; every attempt is in the audit trail (R43)."""
    user = db.session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash if user else _dummy_hash(hasher), password)
        verified = user is not None
    except (VerificationError, InvalidHashError):
        verified = False
    if not verified or not user.active:
        # The address is not written down: it may be a password typed into the wrong field.
        record_event(actor, "login.failed", user or User(), known_account=user is not None)
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def confirm_password(user: User, password: str, actor: Actor) -> bool:
    """Whether ``password`` is ``user``'s, entered again before something that needs a recent sign-in (R27).

    Checked as a sign-in is: a wrong password is in the audit trail as a failed sign-in, and the caller counts
    it against the account's sign-in limit; a right one is recorded as ``password.confirmed``."""
    if authenticate(user.email, password, actor) is None:
        return False
    record_event(actor, "password.confirmed", user)
    return True


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app takes (typed in, or as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def verify_totp(user: User, code: str, *, secret: str | None = None) -> bool:
    """Whether ``code`` is the current TOTP code (one step of clock drift either way), never accepting a
    code twice: the step it belongs to is remembered on the account."""
    secret = secret or user.totp_secret
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if not secret or len(code) != 6:
        return False
    totp = pyotp.TOTP(secret)
    now = clock.now()
    for drift in (-1, 0, 1):
        at = now + timedelta(seconds=30 * drift)
        if secrets.compare_digest(totp.at(at), code):
            step = totp.timecode(at)
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            return True
    return False


def enable_totp(user: User, secret: str, actor: Actor) -> None:
    user.totp_secret = secret
    user.totp_enabled = True
    record_event(actor, "user.second_factor_enabled", user)


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_config(cls) -> SessionLimits:
        config = current_app.config
        return cls(
            idle=timedelta(minutes=config["STAFF_SESSION_IDLE_MINUTES"]),
            absolute=timedelta(hours=config["STAFF_SESSION_MAX_HOURS"]),
        )


def start_session(user: User, actor: Actor, *, second_factor_passed: bool) -> UserSession:
    """A new signed-in session with a fresh random id (R23: a new id at every login)."""
    now = clock.now()
    row = UserSession(
        id=secrets.token_urlsafe(32),
        user=user,
        created_at=now,
        last_seen_at=now,
        second_factor_passed=second_factor_passed,
        ip=actor.ip,
    )
    user.last_login_at = now
    db.session.add(row)
    db.session.flush()
    record_event(actor, "login.succeeded", user, second_factor=second_factor_passed)
    return row


# last_seen_at is written at most this often, so browsing does not write on every page view.
TOUCH_EVERY = timedelta(minutes=1)


def load_session(session_id: str) -> UserSession | None:
    """The live session with this id, or None when it ended, idled out, ran out or its user was
    deactivated (R24). A live session's last_seen_at moves forward."""
    if not session_id:
        return None
    row = db.session.get(UserSession, session_id)
    if row is None or row.ended_at is not None:
        return None
    now = clock.now()
    limits = SessionLimits.from_config()
    expired = now - row.last_seen_at > limits.idle or now - row.created_at > limits.absolute
    if expired or not row.user.active or (row.user.needs_second_factor and not row.second_factor_passed):
        begin_write()
        row.ended_at = now
        db.session.commit()
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        begin_write()
        row.last_seen_at = now
        db.session.commit()
    return row


def end_session(row: UserSession, actor: Actor) -> None:
    """Log out: the row ends, so the cookie is worth nothing from now on (R23)."""
    row.ended_at = clock.now()
    record_event(actor, "logout", row.user)


def end_open_sessions(user: User) -> int:
    """End every open session of ``user`` (the caller records why); returns how many were ended. The browsers
    holding them are refused at their next request."""
    return db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=clock.now())
    ).rowcount


def deactivate_user(user: User, actor: Actor) -> int:
    """Deactivate an account and end every one of its sessions at once; returns how many were ended."""
    user.active = False
    ended = end_open_sessions(user)
    record_event(actor, "user.deactivated", user, sessions_ended=ended)
    return ended


def change_roles(user: User, *, roles: set[Role], department: Department | None, actor: Actor) -> None:
    """Give ``user`` exactly ``roles`` and ``department`` (an administrator's decision, in the audit trail with
    what was there before). A role scoped to one department needs the department; the change holds from the
    user's next request, since roles are read afresh at each."""
    if has_permission(roles, Permission.own_department) and department is None:
        raise DomainError(
            _l("Department staff and a department's approver belong to a department: choose one."), field="department"
        )
    before = (sorted(role.value for role in user.roles), user.department_id)
    user.role_rows = [row for row in user.role_rows if row.role in roles] + [
        UserRole(role=role) for role in sorted(roles - user.roles)
    ]
    user.department = department
    db.session.flush()
    after = (sorted(role.value for role in user.roles), user.department_id)
    if after != before:
        record_event(
            actor,
            "user.roles_changed",
            user,
            roles=after[0],
            department_id=after[1],
            previous_roles=before[0],
            previous_department_id=before[1],
        )


def active_session_count(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    )


# The periodic review lists active accounts nobody signed in with for this long: an account left unused is
# often one whose owner moved or left, and it must not stay open.
DORMANT_AFTER = timedelta(days=90)


def dormant_accounts() -> list[User]:
    """Active accounts not signed in for ``DORMANT_AFTER``, or never signed in since made that long ago, the
    longest unused first."""
    since = clock.now() - DORMANT_AFTER
    last_used = func.coalesce(User.last_login_at, User.created_at)
    return list(db.session.scalars(select(User).where(User.active, last_used < since).order_by(last_used, User.email)))


def record_account_review(reviewer: User, note: str, actor: Actor):
    """Record the periodic review of every account and its roles (accounts of people who moved must go)."""
    from comments.models import AccountReview

    count = db.session.scalar(select(func.count()).select_from(User))
    review = AccountReview(reviewed_by_id=reviewer.id, accounts_reviewed=count, note=(note or "").strip())
    db.session.add(review)
    db.session.flush()
    record_event(actor, "accounts.reviewed", review, accounts=count)
    return review


def last_account_review():
    """The latest account review and who did it, or None."""
    from comments.models import AccountReview

    return db.session.execute(
        select(AccountReview, User)
        .join(User, User.id == AccountReview.reviewed_by_id)
        .order_by(AccountReview.id.desc())
    ).first()


RESET_SALT = "password-reset"
RESET_MAX_AGE_SECONDS = 3600


def _reset_serializer():
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _password_fingerprint(user: User) -> str:
    """Binds a reset token to the current password: once the password changes, the token is spent."""
    import hashlib

    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def request_password_reset(email: str, reset_url_for, actor: Actor) -> None:
    """Mail a reset link (valid one hour, usable once) to an active account; say nothing either way, so the
    form cannot be used to find out which addresses have accounts.

    At most PASSWORD_RESET_MAILS_PER_ACCOUNT_PER_HOUR links go to one account (R57): past that the request
    is recorded and no mail is sent, and the caller answers as always.
    """
    from flask import render_template

    user = db.session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()
    if user is None or not user.active:
        return
    limit = f"{current_app.config['PASSWORD_RESET_MAILS_PER_ACCOUNT_PER_HOUR']}/hour"
    if not throttles.spend("password-reset-mail", throttles.subject_key("user", str(user.id)), limit):
        record_event(actor, "password.reset_withheld", user)
        return
    token = _reset_serializer().dumps({"user": user.id, "pw": _password_fingerprint(user)})
    body = render_template("mail/password_reset.txt", user=user, url=reset_url_for(token))
    enqueue_mail(to=user.email, subject=str(_l("Resetting your password")), body=body)
    record_event(actor, "password.reset_requested", user)


def user_for_reset_token(token: str) -> User | None:
    """The account a valid, unused, unexpired reset token belongs to, or None."""
    from itsdangerous import BadSignature

    try:
        payload = _reset_serializer().loads(token, max_age=RESET_MAX_AGE_SECONDS)
    except BadSignature:
        return None
    user = db.session.get(User, payload.get("user"))
    if user is None or not user.active or payload.get("pw") != _password_fingerprint(user):
        return None
    return user


def reset_password(user: User, password: str, actor: Actor) -> None:
    """Set a new password (the policy applies) and end every open session of the account."""
    check_password_policy(password, user_inputs=(user.email, user.display_name))
    user.password_hash = _hasher().hash(password)
    user.password_changed_at = clock.now()
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=clock.now())
    )
    record_event(actor, "password.reset", user)
