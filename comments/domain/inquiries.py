"""Inquiries (照会): a question forwarded to an outside body for the items it serves, and its answer. Some
answers come back confidential: only those marked public reach the packet, which says of the others only that
an answer came. Staff who answer the items read every answer, confidential ones included: the departments draft
with the ministry's answer in front of them, and only for their own items (R26)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.extensions import db
from comments.models import Consultation, Inquiry, Item, User
from comments.permissions import Permission, in_scope, scope_condition


class InquiryError(DomainError):
    """An inquiry or its answer is incomplete."""


def record_inquiry(
    items: list[Item], *, body_name: str, question: str, sent_on: date, sent_how: str, created_by: User, actor: Actor
) -> Inquiry:
    """Record that ``question`` went to ``body_name`` on ``sent_on`` by ``sent_how``, for ``items``."""
    if not items:
        raise InquiryError(_l("Choose the items the inquiry serves."), field="items")
    if len({item.consultation_id for item in items}) != 1:
        raise InquiryError(_l("An inquiry serves items of one consultation."), field="items")
    for value, field, message in (
        (body_name, "body_name", _l("Name the body the question went to (e.g. 総務省, J-LIS).")),
        (question, "question", _l("Write the question as it was sent.")),
        (sent_how, "sent_how", _l("Say how it was sent (e-mail, letter, telephone).")),
    ):
        if not (value or "").strip():
            raise InquiryError(message, field=field)
    inquiry = Inquiry(
        consultation_id=items[0].consultation_id,
        body_name=body_name.strip(),
        question=question.strip(),
        sent_on=sent_on,
        sent_how=sent_how.strip(),
        created_by_id=created_by.id,
        items=list(items),
    )
    db.session.add(inquiry)
    db.session.flush()
    record_event(actor, "inquiry.sent", inquiry, items=sorted(item.number for item in items))
    return inquiry


def record_answer(inquiry: Inquiry, *, answer: str, answered_on: date, public: bool, actor: Actor) -> None:
    """The outside body's answer, when it came, and whether it may be published."""
    if not (answer or "").strip():
        raise InquiryError(_l("Write the answer as it was received."), field="answer")
    if answered_on < inquiry.sent_on:
        raise InquiryError(_l("The answer cannot come before the question was sent."), field="answered_on")
    inquiry.answer = answer.strip()
    inquiry.answered_on = answered_on
    inquiry.answer_public = public
    db.session.flush()
    record_event(actor, "inquiry.answered", inquiry, public=public)


def visible_inquiries(user: User, consultation: Consultation) -> list[Inquiry]:
    """The inquiries of ``consultation`` that ``user`` may read, latest sent first: all of them for whoever
    reads inquiries for every department, else those serving at least one item of the user's department."""
    if not user.can(Permission.inquiry_read):
        return []
    query = select(Inquiry).where(Inquiry.consultation_id == consultation.id)
    if not in_scope(user, None, Permission.inquiry_read):
        query = query.where(Inquiry.items.any(scope_condition(user, Item.department_id, Permission.inquiry_read)))
    return list(db.session.scalars(query.order_by(Inquiry.sent_on.desc(), Inquiry.id.desc())))


def inquiries_about(item: Item) -> list[Inquiry]:
    """The inquiries serving ``item`` or, when it is grouped, any item of its group (the group is answered
    once), first sent first: what the person drafting or approving its response should read."""
    item_ids = [member.id for member in item.group.items] if item.group_id is not None else [item.id]
    return list(
        db.session.scalars(
            select(Inquiry).where(Inquiry.items.any(Item.id.in_(item_ids))).order_by(Inquiry.sent_on, Inquiry.id)
        )
    )
