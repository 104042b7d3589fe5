"""Demo accounts for `make run`: one per role of the design, each with a password made for this checkout.

Nothing here is a fixed secret: passwords and TOTP keys are drawn at random when the accounts are
created, printed once and written to instance/demo-accounts.txt (readable by the owner only).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from comments.demo.seed import DEMO_DEPARTMENT
from comments.domain.accounts import create_user, enable_totp, new_totp_secret
from comments.domain.audit import Actor
from comments.domain.committee import intake_address, rotate_intake_token
from comments.domain.departments import department_named
from comments.extensions import db
from comments.models import User
from comments.permissions import Permission, Role, has_permission

DEMO_ACCOUNTS = [
    ("admin@example.jp", "管理者 デモ", {Role.administrator}),
    ("jimukyoku@example.jp", "事務局 デモ", {Role.secretariat}),
    ("kenkohoken@example.jp", "健康保険課 デモ", {Role.department_staff}),
    ("kenkohoken-kacho@example.jp", "健康保険課長 デモ", {Role.department_approver}),
    ("bukaicho@example.jp", "部会長 デモ", {Role.chair}),
    ("iin@example.jp", "部会委員 デモ", {Role.member}),
]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    totp_secret: str | None
    roles: frozenset[Role]
    intake_address: str | None = None


def demo_password() -> str:
    """Four random words of hex are long and unguessable, and easy to copy from a terminal."""
    return "-".join(secrets.token_hex(3) for _ in range(4))


def seed_demo_accounts(actor: Actor) -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet; return those created, with their secrets."""
    department = department_named(DEMO_DEPARTMENT)
    created = []
    for email, name, roles in DEMO_ACCOUNTS:
        if db.session.execute(select(User.id).where(User.email == email)).first():
            continue
        password = demo_password()
        user = create_user(
            email=email,
            display_name=name,
            password=password,
            roles=roles,
            actor=actor,
            department=department if has_permission(roles, Permission.own_department) else None,
        )
        secret = None
        if user.needs_second_factor:
            secret = new_totp_secret()
            enable_totp(user, secret, actor)
        address = None
        if user.can(Permission.committee_question_send):
            rotate_intake_token(user, actor)
            address = intake_address(user)
        created.append(DemoAccount(email, password, secret, frozenset(roles), address))
    return created
