"""After a paper submission is keyed in: the second person's check and the decision on a late one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from comments import clock
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.extensions import db
from comments.models import LateDecision, Submission, TranscriptionCheck, User


def check_transcription(submission: Submission, checker: User, actor: Actor) -> TranscriptionCheck:
    """Record that ``checker`` compared the keyed-in text with the scan; never the person who keyed it."""
    if submission.entered_by_id is None:
        raise DomainError(_l("Only a submission keyed in by staff is checked against its scan."))
    if submission.entered_by_id == checker.id:
        raise DomainError(_l("A second person checks the transcription: you keyed this one in."))
    if db.session.execute(
        select(TranscriptionCheck.id).where(TranscriptionCheck.submission_id == submission.id)
    ).first():
        raise DomainError(_l("This transcription has already been checked."))
    check = TranscriptionCheck(submission_id=submission.id, checked_by_id=checker.id, checked_at=clock.now())
    db.session.add(check)
    db.session.flush()
    record_event(actor, "submission.transcription_checked", submission)
    return check


def late_decision_of(submission: Submission) -> LateDecision | None:
    """The decision on a late submission, or None while there is none (or the submission came in time)."""
    return db.session.execute(
        select(LateDecision).where(LateDecision.submission_id == submission.id)
    ).scalar_one_or_none()


def decide_late_submission(
    submission: Submission, *, included: bool, reason: str, decider: User, actor: Actor
) -> LateDecision:
    """Include or exclude a submission that came outside the period, with the reason on record (R53)."""
    if not submission.late:
        raise DomainError(_l("This submission arrived within the period; there is nothing to decide."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Write the reason for the decision."), field="reason")
    if db.session.execute(select(LateDecision.id).where(LateDecision.submission_id == submission.id)).first():
        raise DomainError(_l("A decision on this submission has already been recorded."))
    decision = LateDecision(
        submission_id=submission.id,
        included=included,
        reason=reason,
        decided_by_id=decider.id,
        decided_at=clock.now(),
    )
    db.session.add(decision)
    db.session.flush()
    record_event(actor, "submission.late_decided", submission, included=included)
    return decision
