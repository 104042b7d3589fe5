"""Departments (実施機関, e.g. 健康保険課): the city offices that own an affair, its consultations and the items
assigned to them."""

from __future__ import annotations

from sqlalchemy import select

from comments.extensions import db
from comments.models import Department

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
