"""Reading a consultation's sections."""

from __future__ import annotations

from sqlalchemy import select

from comments.extensions import db
from comments.models import Consultation, Section


def section_choices(consultation: Consultation) -> list[tuple[int, str]]:
    """(id, "number heading") of each section in order: what a form offers, without loading section texts."""
    rows = db.session.execute(
        select(Section.id, Section.number, Section.heading)
        .where(Section.consultation_id == consultation.id)
        .order_by(Section.position)
    )
    return [(section_id, f"{number} {heading}") for section_id, number, heading in rows]
