"""Departments (実施機関, e.g. 健康保険課): the city offices that own an affair, its consultations and the items
assigned to them. An administrator creates, renames and merges them (a reorganisation joins two offices)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.extensions import db
from comments.models import Consultation, Department, Item, User

NAME_MAX_CHARS = 200


def department_named(name: str) -> Department:
    """The department with this name (surrounding spaces ignored), made when none has it yet.

    The secretariat names a consultation's department as it is written on the draft; the consultation then
    belongs to that department by id, and the department's staff read its submissions (R26).
    """
    name = (name or "").strip()[:NAME_MAX_CHARS]
    if not name:
        raise ValueError("a department needs a name")
    department = db.session.execute(select(Department).where(Department.name == name)).scalar_one_or_none()
    if department is None:
        department = Department(name=name)
        db.session.add(department)
        db.session.flush()
    return department


def department_names() -> list[str]:
    """Every department's name, in order: what the consultation form offers as it is typed."""
    return list(db.session.scalars(select(Department.name).order_by(Department.name)))


def _checked_name(name: str, *, other_than: Department | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_l("Enter the department's name (e.g. 健康保険課)."), field="name")
    if len(name) > NAME_MAX_CHARS:
        raise DomainError(_l("At most %(max)d characters.", max=NAME_MAX_CHARS), field="name")
    taken = db.session.execute(select(Department).where(Department.name == name)).scalar_one_or_none()
    if taken is not None and taken is not other_than:
        raise DomainError(_l("A department of this name exists already."), field="name")
    return name


def create_department(name: str, actor: Actor) -> Department:
    """A new department; its name is unique."""
    department = Department(name=_checked_name(name))
    db.session.add(department)
    db.session.flush()
    record_event(actor, "department.created", department, name=department.name)
    return department


def rename_department(department: Department, name: str, actor: Actor) -> None:
    """Give the department a new name (a reorganisation); everything that belongs to it stays with it."""
    previous = department.name
    department.name = _checked_name(name, other_than=department)
    if department.name != previous:
        db.session.flush()
        record_event(actor, "department.renamed", department, name=department.name, previous_name=previous)


def _columns_pointing_at_departments():
    """Every column of every table that refers to departments.id, read from the models' metadata, so a table
    added later is merged too without a change here."""
    return [
        (table, foreign_key.parent)
        for table in db.metadata.sorted_tables
        for foreign_key in table.foreign_keys
        if foreign_key.column.table.name == Department.__tablename__
    ]


def merge_departments(merged: Department, kept: Department, actor: Actor) -> dict[str, int]:
    """Move everything of ``merged`` (its staff, consultations, items, invitations, transfers...) to ``kept``,
    then delete ``merged``. Returns how many rows moved, by ``table.column``."""
    if merged.id == kept.id:
        raise DomainError(_l("A department cannot be merged into itself: choose another one."), field="into")
    db.session.flush()
    merged_id, merged_name, kept_id = merged.id, merged.name, kept.id
    moved = {}
    for table, column in _columns_pointing_at_departments():
        count = db.session.execute(update(table).where(column == merged_id).values({column.name: kept_id})).rowcount
        if count:
            moved[f"{table.name}.{column.name}"] = count
    db.session.execute(delete(Department).where(Department.id == merged_id))
    db.session.expunge(merged)
    # Rows loaded before the merge still name the old department; they are read again when next used.
    db.session.expire_all()
    record_event(actor, "department.merged", kept, merged_id=merged_id, merged_name=merged_name, moved=moved)
    return moved


@dataclass(frozen=True)
class DepartmentCounts:
    department: Department
    staff: int
    consultations: int
    items: int


def _counts_by_department(column, *conditions) -> dict[int, int]:
    query = select(column, func.count()).where(column.is_not(None), *conditions).group_by(column)
    return dict(db.session.execute(query).all())


def departments_with_counts() -> list[DepartmentCounts]:
    """Every department, by name, with its active staff, its consultations and the items assigned to it."""
    staff = _counts_by_department(User.department_id, User.active)
    consultations = _counts_by_department(Consultation.department_id)
    items = _counts_by_department(Item.department_id)
    return [
        DepartmentCounts(
            department,
            staff.get(department.id, 0),
            consultations.get(department.id, 0),
            items.get(department.id, 0),
        )
        for department in db.session.scalars(select(Department).order_by(Department.name))
    ]
