"""The committee's side: which consultations a member inspects, their questions, and the intake token.

A committee member (部会委員), the chair (部会長) or an observer sends questions by the portal, by an
uploaded file, by e-mail, or through the secretariat (fax, post, a briefing). Whatever the way, the
question is a submission of that member (``Submission.member_id``), lands in the same inbox as a citizen's
opinion with the submitter kind "member" or "observer", and gets a receipt number.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from comments import clock
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.domain.intake import AcceptedSubmission, StaffEntry, SubmissionDraft, accept_submission
from comments.domain.uploads import MaskedFile
from comments.extensions import db
from comments.models import (
    Channel,
    Consultation,
    ConsultationStatus,
    LateDecision,
    Material,
    Submission,
    SubmitterKind,
    User,
    UserRole,
)
from comments.permissions import QUESTIONS_COUNT_AS, Permission, roles_with
from comments.storage import BlobStore

# Consultations the committee is inspecting: published for comment and not yet past the results.
UNDER_INSPECTION = (
    ConsultationStatus.open,
    ConsultationStatus.closed,
    ConsultationStatus.responding,
    ConsultationStatus.inspected,
)
# 20 random bytes as 40 lower-case hex digits (160 bits). Lower case because mail software may change
# the case of an address: the token must survive that, and the parser compares addresses lower-cased.
TOKEN_BYTES = 20


def sends_questions(user: User) -> bool:
    """Whether ``user`` is an active account of the committee, who sends questions."""
    return user.can(Permission.committee_question_send)


def submitter_kind_of(user: User) -> SubmitterKind:
    """How the packet counts the member's questions: as a member's (the chair too) or an observer's."""
    kinds = {QUESTIONS_COUNT_AS[role] for role in user.roles if role in QUESTIONS_COUNT_AS}
    return SubmitterKind.member if SubmitterKind.member.value in kinds else SubmitterKind.observer


def consultations_under_inspection() -> list[Consultation]:
    return list(
        db.session.scalars(
            select(Consultation)
            .where(Consultation.status.in_(UNDER_INSPECTION))
            .order_by(Consultation.closes_at.desc(), Consultation.id.desc())
        )
    )


def committee_members() -> list[User]:
    """Active accounts with a committee role, by name: the secretariat enters questions for one of them."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.active.is_(True), UserRole.role.in_(roles_with(Permission.committee_question_send)))
            .distinct()
            .order_by(User.display_name, User.id)
        )
    )


def committee_materials(consultation: Consultation) -> list[Material]:
    """The consultation's committee-only materials (非公開資料): members and staff may read them, no one else."""
    return [material for material in consultation.materials if not material.public]


@dataclass(frozen=True)
class Answer:
    """The city's approved answer to one item of a member's question."""

    number: int
    gist: str
    response: str
    carried_over: bool


def approved_answers(submission: Submission) -> list[Answer]:
    """The items the secretariat made of the question, each with its approved response, if any yet.

    Only approved responses are shown to the member: a draft is the city's work in progress. A carried-
    over item says so instead.
    """
    from comments.domain.responses import find_response
    from comments.models import Item, ResponseState

    answers = []
    for item in db.session.scalars(select(Item).where(Item.submission_id == submission.id).order_by(Item.number)):
        response = find_response(item)
        approved = response is not None and response.state == ResponseState.approved
        if approved or item.carried_over_reason:
            answers.append(
                Answer(
                    number=item.number,
                    gist=item.gist,
                    response=response.body if approved else "",
                    carried_over=bool(item.carried_over_reason) and not approved,
                )
            )
    return answers


@dataclass(frozen=True)
class MemberQuestion:
    """A member's question and where it stands, as the portal shows it.

    ``status``, in the order the work moves: "late" (came after the deadline, waits for the secretariat's
    decision) or "excluded" (not included); "received" or "included_late" (no item made of it yet);
    "answering" (items made, not every one answered yet); "answered" (every item has an approved answer or
    is carried to a later meeting); "published" (answered, and the results are published).
    """

    submission: Submission
    status: str
    items: int = 0  # the items the secretariat made of the question
    answered: int = 0  # of those, with an approved answer
    carried_over: int = 0  # of those, without one and carried to a later meeting


def _answer_progress(submission_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """(items, answered, carried over) per submission, read in one query: an item's answer is its group's
    response when it is grouped, else its own (as ``responses.find_response`` reads it)."""
    from sqlalchemy import and_, or_

    from comments.models import Item, Response, ResponseState

    own_or_group = or_(
        and_(Item.group_id.is_(None), Response.item_id == Item.id),
        and_(Item.group_id.is_not(None), Response.group_id == Item.group_id),
    )
    progress: dict[int, tuple[int, int, int]] = {}
    if not submission_ids:
        return progress
    rows = db.session.execute(
        select(Item.submission_id, Item.carried_over_reason, Response.state)
        .outerjoin(Response, own_or_group)
        .where(Item.submission_id.in_(submission_ids))
    )
    for submission_id, carried_reason, state in rows:
        items, answered, carried = progress.get(submission_id, (0, 0, 0))
        approved = state == ResponseState.approved
        progress[submission_id] = (items + 1, answered + approved, carried + (bool(carried_reason) and not approved))
    return progress


def member_questions(member: User) -> list[MemberQuestion]:
    """The member's own questions, newest first, with where each stands (``MemberQuestion.status``).

    The status follows the work: the secretariat's decision on a late question, the items made of it, their
    answers as they are approved (a draft is the city's work in progress and counts for nothing here), and
    the publication of the results.
    """
    rows = db.session.execute(
        select(Submission, LateDecision.included)
        .outerjoin(LateDecision, LateDecision.submission_id == Submission.id)
        .where(Submission.member_id == member.id)
        .order_by(Submission.received_at.desc(), Submission.id.desc())
    ).all()
    progress = _answer_progress([submission.id for submission, _included in rows])
    questions = []
    for submission, included in rows:
        items, answered, carried = progress.get(submission.id, (0, 0, 0))
        if submission.late and not included:
            status = "late" if included is None else "excluded"
        elif not items:
            status = "included_late" if submission.late else "received"
        elif answered + carried < items:
            status = "answering"
        elif submission.consultation.results_published_at is not None:
            status = "published"
        else:
            status = "answered"
        questions.append(MemberQuestion(submission, status, items=items, answered=answered, carried_over=carried))
    return questions


def submit_member_question(
    consultation: Consultation,
    member: User,
    *,
    body: str,
    section_id: int | None,
    channel: Channel,
    files: list[MaskedFile],
    received_at: datetime,
    actor: Actor,
    blob_store: BlobStore,
    staff_entry: StaffEntry | None = None,
) -> AcceptedSubmission:
    """Store a question of ``member`` as a submission; the receipt goes to the member's account address.

    The member's name and address are kept in the submitter record like anyone's, so access to them is
    controlled and logged the same way; the inbox and the packet show only the kind. ``files`` were read
    beforehand, outside any transaction, by ``comments.domain.intake.read_attachments``.
    """
    if not sends_questions(member):
        raise DomainError(_l("Choose an active committee member."), field="member_id")
    if consultation.status not in UNDER_INSPECTION:
        raise DomainError(_l("This consultation is not under inspection; choose another one."), field="consultation")
    draft = SubmissionDraft(
        body=body,
        submitter_kind=submitter_kind_of(member),
        channel=channel,
        section_id=section_id,
        name=member.display_name,
        email=member.email,
        files=files,
        member_id=member.id,
    )
    return accept_submission(
        consultation, draft, received_at=received_at, actor=actor, blob_store=blob_store, staff_entry=staff_entry
    )


def new_intake_token() -> str:
    return secrets.token_hex(TOKEN_BYTES)


def intake_address(user: User) -> str | None:
    """The member's personal intake address, or None before a token was issued."""
    if not user.intake_token:
        return None
    config = current_app.config
    return f"{config['MAIL_INTAKE_LOCAL_PART']}+{user.intake_token}@{config['MAIL_INTAKE_DOMAIN']}"


def rotate_intake_token(user: User, actor: Actor) -> str:
    """Give ``user`` a new intake token; mail to the old address is quarantined from now on (R59).

    The audit event records that it changed, never the token.
    """
    if not sends_questions(user):
        raise DomainError(_l("Only committee accounts have an intake address."))
    user.intake_token = new_intake_token()
    user.intake_token_set_at = clock.now()
    db.session.flush()
    record_event(actor, "intake_token.rotated", user, user_id=user.id)
    return user.intake_token


def member_by_token(token: str | None) -> User | None:
    """The active committee account that owns ``token``, else None."""
    if not token:
        return None
    user = db.session.scalars(select(User).where(User.intake_token == token.lower())).one_or_none()
    if user is None or not sends_questions(user):
        return None
    return user
