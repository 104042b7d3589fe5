"""Running a consultation through its lifecycle."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.domain.deadlines import check_comment_period
from comments.models import Consultation, ConsultationStatus


def open_consultation(consultation: Consultation, actor: Actor) -> None:
    """Publish a draft for comment: only with a period of 30 days or more, or a recorded reason (R01)."""
    if consultation.status != ConsultationStatus.draft:
        raise DomainError(_l("Only a draft consultation can be opened."))
    check_comment_period(consultation.opens_at, consultation.closes_at, consultation.shortening_reason)
    consultation.status = ConsultationStatus.open
    record_event(
        actor,
        "consultation.opened",
        consultation,
        shortened=bool((consultation.shortening_reason or "").strip()),
    )
