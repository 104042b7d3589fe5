"""How far the responses of a consultation have come: items counted by the state of
their response, by department and by due date, the items past their due date, and the approvals day by
day. Every count is one SQL aggregate; nothing here loads the items themselves.

An item's response is its own, or its same-purport group's when it is grouped (the group is answered
once). An item carried over to a later meeting counts as carried over whatever its response says: the
packet lists it apart, and nobody needs to chase it for this meeting.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, String, and_, case, func, or_, select, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from comments.extensions import db
from comments.labels import LABELS, NO_RESPONSE_LABEL
from comments.models import Consultation, Department, Item, Response, ResponseState, SamePurportGroup


class ProgressState(enum.StrEnum):
    """Where an item stands: the three response states, no response yet, or carried over."""

    not_started = "not_started"
    drafting = "drafting"
    in_review = "in_review"
    approved = "approved"
    carried_over = "carried_over"


# The order the states are shown in, from the least to the most done.
STATES: tuple[ProgressState, ...] = tuple(ProgressState)

STATE_LABELS: dict[ProgressState, object] = {
    ProgressState.not_started: NO_RESPONSE_LABEL,
    ProgressState.drafting: LABELS[ResponseState.drafting],
    ProgressState.in_review: LABELS[ResponseState.in_review],
    ProgressState.approved: LABELS[ResponseState.approved],
    ProgressState.carried_over: _l("Carried over"),
}


def state_label(state: ProgressState) -> str:
    """The translated word for a progress state."""
    return str(STATE_LABELS[state])


@dataclass(frozen=True)
class StateCounts:
    """How many items stand in each state; every state is present, with 0 where none."""

    counts: Mapping[ProgressState, int] = field(default_factory=dict)

    def __getitem__(self, state: ProgressState) -> int:
        return self.counts.get(state, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[ProgressState, int]:
        return {state: self[state] for state in STATES}


@dataclass(frozen=True)
class DepartmentProgress:
    department_id: int | None  # None: not assigned yet
    department_name: str
    counts: StateCounts


@dataclass(frozen=True)
class DueDateProgress:
    due_on: date | None  # None: no due date set
    counts: StateCounts


@dataclass(frozen=True)
class OverdueItem:
    item_id: int
    number: int
    department_id: int | None
    department_name: str
    due_on: date
    state: ProgressState


@dataclass(frozen=True)
class ApprovalDay:
    """The responses approved on one Japan calendar day, and all approved up to the end of it."""

    day: date
    approved: int
    cumulative: int


class JapanDay(FunctionElement):
    """The Japan calendar day (Asia/Tokyo) of a UTC instant column, computed by the database."""

    type = Date()
    name = "japan_day"
    inherit_cache = True


@compiles(JapanDay, "sqlite")
def _japan_day_sqlite(element, compiler, **kw):
    # SQLite holds the instant as naive UTC text. Japan has kept no daylight saving time since 1951,
    # so nine hours ahead is exact for every date this service can hold.
    return f"date({compiler.process(element.clauses, **kw)}, '+9 hours')"


@compiles(JapanDay)
def _japan_day_default(element, compiler, **kw):
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Tokyo') AS DATE)"


def _item_states(consultation: Consultation):
    """A subquery of the consultation's items: id, number, department, due date and progress state."""
    own = aliased(Response)
    shared = aliased(Response)
    response_state = case(
        (Item.group_id.is_(None), type_coerce(own.state, String)), else_=type_coerce(shared.state, String)
    )
    state = case(
        (and_(Item.carried_over_reason.is_not(None), Item.carried_over_reason != ""), ProgressState.carried_over.value),
        else_=func.coalesce(response_state, ProgressState.not_started.value),
    )
    return (
        select(
            Item.id.label("item_id"),
            Item.number.label("number"),
            Item.department_id.label("department_id"),
            Item.due_on.label("due_on"),
            state.label("state"),
        )
        .outerjoin(own, own.item_id == Item.id)
        .outerjoin(shared, shared.group_id == Item.group_id)
        .where(Item.consultation_id == consultation.id)
        .subquery("item_states")
    )


def counts_by_state(consultation: Consultation) -> StateCounts:
    """How many of the consultation's items stand in each state."""
    items = _item_states(consultation)
    rows = db.session.execute(select(items.c.state, func.count()).group_by(items.c.state)).all()
    return StateCounts({ProgressState(state): count for state, count in rows})


def counts_by_department(consultation: Consultation) -> list[DepartmentProgress]:
    """Per department (by name, the items not assigned yet last), how many items stand in each state."""
    items = _item_states(consultation)
    rows = db.session.execute(
        select(items.c.department_id, Department.name, items.c.state, func.count())
        .outerjoin(Department, Department.id == items.c.department_id)
        .group_by(items.c.department_id, Department.name, items.c.state)
    ).all()
    grouped: dict[int | None, tuple[str, dict[ProgressState, int]]] = {}
    for department_id, name, state, count in rows:
        grouped.setdefault(department_id, (name or "", {}))[1][ProgressState(state)] = count
    ordered = sorted(grouped.items(), key=lambda entry: (entry[0] is None, entry[1][0], entry[0] or 0))
    return [DepartmentProgress(key, name, StateCounts(counts)) for key, (name, counts) in ordered]


def counts_by_due_date(consultation: Consultation) -> list[DueDateProgress]:
    """Per due date (earliest first, the items without one last), how many items stand in each state."""
    items = _item_states(consultation)
    rows = db.session.execute(
        select(items.c.due_on, items.c.state, func.count()).group_by(items.c.due_on, items.c.state)
    ).all()
    grouped: dict[date | None, dict[ProgressState, int]] = {}
    for due_on, state, count in rows:
        grouped.setdefault(due_on, {})[ProgressState(state)] = count
    ordered = sorted(grouped.items(), key=lambda entry: (entry[0] is None, entry[0] or date.min))
    return [DueDateProgress(due_on, StateCounts(counts)) for due_on, counts in ordered]


def overdue_items(consultation: Consultation, today: date) -> list[OverdueItem]:
    """Items whose due date is before ``today`` (a Japan date) and whose response is not approved yet;
    carried-over items are not overdue. Earliest due date first, then by number."""
    items = _item_states(consultation)
    rows = db.session.execute(
        select(items.c.item_id, items.c.number, items.c.department_id, Department.name, items.c.due_on, items.c.state)
        .outerjoin(Department, Department.id == items.c.department_id)
        .where(
            items.c.due_on < today,
            items.c.state.not_in([ProgressState.approved.value, ProgressState.carried_over.value]),
        )
        .order_by(items.c.due_on, items.c.number)
    ).all()
    return [
        OverdueItem(item_id, number, department_id, name or "", due_on, ProgressState(state))
        for item_id, number, department_id, name, due_on, state in rows
    ]


def approvals_by_day(consultation: Consultation) -> list[ApprovalDay]:
    """The consultation's approved responses (an item's or a group's, each counted once) per Japan day
    of approval, with the running total. A response edited after approval is no longer approved and
    drops out, so the last total always equals the responses approved now."""
    belongs = or_(
        Response.item_id.in_(select(Item.id).where(Item.consultation_id == consultation.id)),
        Response.group_id.in_(select(SamePurportGroup.id).where(SamePurportGroup.consultation_id == consultation.id)),
    )
    approvals = (
        select(JapanDay(Response.approved_at).label("day"))
        .where(belongs, Response.state == ResponseState.approved, Response.approved_at.is_not(None))
        .subquery("approvals")
    )
    rows = db.session.execute(
        select(approvals.c.day, func.count()).group_by(approvals.c.day).order_by(approvals.c.day)
    ).all()
    days, total = [], 0
    for day, count in rows:
        total += count
        days.append(ApprovalDay(day if isinstance(day, date) else date.fromisoformat(str(day)), count, total))
    return days
