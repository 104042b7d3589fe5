"""Demo accounts for `make run`: one per role of the design, each with a password made for this checkout.

Nothing here is a fixed secret: passwords and TOTP keys are drawn at random when the accounts are
created, printed once and written to a file in the instance folder (readable by the owner only). That file
belongs to the database whose accounts it lists: it is named after the database and names it in full on its
first line, so seeding another database never overwrites the running demo's file.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

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


# The first line of an accounts file: which database the accounts are in.
DATABASE_LINE = "# Demo accounts of the database "


def _database_name(database_url: str) -> str:
    """The database's address as the file records it: the password hidden, the rest as given."""
    return make_url(database_url).render_as_string(hide_password=True)


def _label(database_url: str) -> str:
    """A short name of the database for the file name: the SQLite file's stem, or the database's name."""
    database = make_url(database_url).database or ""
    stem = Path(database).stem if database and database != ":memory:" else "memory"
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "database"


def _recorded_database(path: Path) -> str | None:
    first = path.read_text(encoding="utf-8").partition("\n")[0]
    return first.removeprefix(DATABASE_LINE) if first.startswith(DATABASE_LINE) else None


def accounts_file_candidates(instance: Path, database_url: str) -> list[Path]:
    """Where the accounts of this database are kept, in the order tried: ``demo-accounts-<name>.txt`` (the
    default database's is ``demo-accounts-comments.txt``), or, when another database of the same name has
    that file, the same with a short hash of this database's address."""
    label = _label(database_url)
    digest = hashlib.sha256(_database_name(database_url).encode("utf-8")).hexdigest()[:8]
    return [instance / f"demo-accounts-{label}.txt", instance / f"demo-accounts-{label}-{digest}.txt"]


def find_accounts_file(instance: Path, database_url: str) -> Path | None:
    """The accounts file of this database, if one was written."""
    wanted = _database_name(database_url)
    for path in accounts_file_candidates(instance, database_url):
        if path.is_file() and _recorded_database(path) == wanted:
            return path
    return None


def write_accounts_file(instance: Path, database_url: str, lines: list[str]) -> Path:
    """Write ``lines`` to this database's accounts file, readable by the owner only; return its path. A file
    that records another database is never written over."""
    wanted = _database_name(database_url)
    for path in accounts_file_candidates(instance, database_url):
        if not path.exists() or _recorded_database(path) == wanted:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600, exist_ok=True)
            path.chmod(0o600)
            path.write_text("\n".join([DATABASE_LINE + wanted, *lines]) + "\n", encoding="utf-8")
            return path
    raise FileExistsError(f"every name for the demo accounts file of {wanted} is taken by another database's file")
