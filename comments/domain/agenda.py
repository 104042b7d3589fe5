"""A meeting's agenda (議事): its items of business in order, each tied to a consultation where it applies
(「全項目評価書の第三者点検について」 for the consultation inspected; 「その他」 for none)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.extensions import db
from comments.models import AgendaItem, Consultation, ConsultationStatus, Meeting


class AgendaError(DomainError):
    """An agenda item cannot be changed as asked."""


def _checked_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise AgendaError(_l("Give the agenda item a title."), field="title")
    if len(title) > 300:
        raise AgendaError(_l("At most 300 characters."), field="title")
    return title


def _checked_consultation(consultation: Consultation | None) -> Consultation | None:
    if consultation is not None and consultation.status == ConsultationStatus.draft:
        raise AgendaError(_l("A consultation still in draft cannot go to a meeting."), field="consultation")
    return consultation


def add_agenda_item(meeting: Meeting, title: str, consultation: Consultation | None, *, actor: Actor) -> AgendaItem:
    """Add an item of business at the end of the meeting's agenda."""
    title = _checked_title(title)
    consultation = _checked_consultation(consultation)
    last = db.session.scalar(select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id))
    item = AgendaItem(meeting=meeting, position=(last or 0) + 1, title=title, consultation=consultation)
    db.session.add(item)
    db.session.flush()
    record_event(
        actor, "agenda_item.added", meeting, agenda_item_id=item.id, consultation_id=consultation and consultation.id
    )
    return item


def update_agenda_item(item: AgendaItem, title: str, consultation: Consultation | None, *, actor: Actor) -> AgendaItem:
    """Change an item's title or the consultation it deals with."""
    item.title = _checked_title(title)
    item.consultation = _checked_consultation(consultation)
    db.session.flush()
    record_event(
        actor,
        "agenda_item.updated",
        item.meeting,
        agenda_item_id=item.id,
        consultation_id=consultation and consultation.id,
    )
    return item


def remove_agenda_item(item: AgendaItem, *, actor: Actor) -> None:
    """Take an item off the agenda; its papers stay, as papers of the whole meeting."""
    meeting = item.meeting
    for paper in meeting.papers:
        if paper.agenda_item_id == item.id:
            paper.agenda_item = None
    item_id = item.id
    meeting.agenda_items.remove(item)
    db.session.flush()
    record_event(actor, "agenda_item.removed", meeting, agenda_item_id=item_id)


def move_agenda_item(item: AgendaItem, step: int, *, actor: Actor) -> None:
    """Move an item one place up (``step`` -1) or down (+1); at either end nothing moves."""
    if step not in (-1, 1):
        raise AgendaError(_l("An item moves one place up or down."))
    items = sorted(item.meeting.agenda_items, key=lambda found: found.position)
    index = items.index(item)
    if not 0 <= index + step < len(items):
        return
    other = items[index + step]
    mine, theirs = item.position, other.position
    # One row at a time: the positions are unique within the meeting at every flush.
    item.position = -item.id
    db.session.flush()
    other.position = mine
    db.session.flush()
    item.position = theirs
    db.session.flush()
    item.meeting.agenda_items.sort(key=lambda found: found.position)
    record_event(actor, "agenda_item.moved", item.meeting, agenda_item_id=item.id, step=step)
