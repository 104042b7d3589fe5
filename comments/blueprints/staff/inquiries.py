"""Back-office views: inquiries (照会) to outside bodies for some items of a consultation, and their answers,
public or confidential (only public answers reach the packet). The secretariat records them; the staff and
approvers of a department read, without changing, those that serve their department's items (R26)."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from comments.blueprints.actors import request_actor
from comments.blueprints.staff import bp
from comments.blueprints.staff.inquiry_forms import AnswerForm, InquiryForm, answer_form_prefix
from comments.blueprints.views import load, post_change
from comments.domain.inquiries import record_answer, record_inquiry, visible_inquiries
from comments.extensions import db
from comments.models import Consultation, Inquiry, Item
from comments.permissions import Permission, require

GIST_CHOICE_CHARS = 60


def _shorten(text: str, limit: int = GIST_CHOICE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _consultation_items(consultation: Consultation) -> list[Item]:
    return list(db.session.scalars(select(Item).where(Item.consultation_id == consultation.id).order_by(Item.number)))


def _offer_items(form: InquiryForm, items: list[Item]) -> None:
    form.items.choices = [SelectChoice(item.id, f"{item.number}: {_shorten(item.gist)}") for item in items]


def _answer_form(inquiry: Inquiry) -> AnswerForm:
    """The answer form of one inquiry as shown, holding the answer recorded so far (never the request's)."""
    return AnswerForm(
        formdata=None,
        prefix=answer_form_prefix(inquiry.id),
        data={"answer": inquiry.answer, "answered_on": inquiry.answered_on, "public": inquiry.answer_public},
    )


def _render_inquiries(
    consultation: Consultation,
    *,
    form: InquiryForm | None = None,
    failed_answer: tuple[int, AnswerForm] | None = None,
):
    if form is None:
        form = InquiryForm(formdata=None)
        _offer_items(form, _consultation_items(consultation))
    inquiries = visible_inquiries(current_user, consultation)
    answer_forms = {inquiry.id: _answer_form(inquiry) for inquiry in inquiries}
    if failed_answer is not None:
        answer_forms[failed_answer[0]] = failed_answer[1]
    return render_template(
        "staff/inquiry_list.html",
        consultation=consultation,
        form=form,
        inquiries=inquiries,
        answer_forms=answer_forms,
        failed_answer_form=failed_answer[1] if failed_answer else None,
    )


def _readable(consultation: Consultation) -> bool:
    """Whether the user may open the consultation's inquiries: its department's staff and the secretariat,
    and whoever some of its inquiries serve (an item may be assigned to a department other than the
    consultation's); anyone else is told "not found" (R26)."""
    return current_user.can(Permission.inquiry_read, consultation) or bool(
        visible_inquiries(current_user, consultation)
    )


@bp.get("/consultations/<int:consultation_id>/inquiries")
@require(Permission.inquiry_read)
def list_inquiries(consultation_id: int):
    """The consultation's inquiries the user may read, with their answers; for the secretariat, the forms to
    record one and its answer."""
    return _render_inquiries(load(Consultation, consultation_id, visible=_readable))


def _inquiry_url(consultation_id: int, inquiry_id: int) -> str:
    return url_for("staff.list_inquiries", consultation_id=consultation_id, _anchor=f"inquiry-{inquiry_id}")


@bp.post("/consultations/<int:consultation_id>/inquiries")
@require(Permission.consultation_manage)
def add_inquiry(consultation_id: int):
    consultation = load(Consultation, consultation_id)
    form = InquiryForm()
    _offer_items(form, _consultation_items(consultation))
    return post_change(
        form,
        lambda: record_inquiry(
            list(
                db.session.scalars(
                    select(Item)
                    .where(Item.consultation_id == consultation.id, Item.id.in_(form.items.data))
                    .order_by(Item.number)
                )
            ),
            body_name=form.body_name.data,
            question=form.question.data,
            sent_on=form.sent_on.data,
            sent_how=form.sent_how.data,
            created_by=current_user,
            actor=request_actor(),
        ),
        page=lambda: _render_inquiries(consultation, form=form),
        then=lambda inquiry: _inquiry_url(consultation_id, inquiry.id),
        done=_l("The inquiry is recorded."),
    )


@bp.post("/inquiries/<int:inquiry_id>/answer")
@require(Permission.consultation_manage)
def answer_inquiry(inquiry_id: int):
    inquiry = load(Inquiry, inquiry_id)
    consultation = load(Consultation, inquiry.consultation_id)
    form = AnswerForm(prefix=answer_form_prefix(inquiry.id))
    return post_change(
        form,
        lambda: record_answer(
            inquiry,
            answer=form.answer.data,
            answered_on=form.answered_on.data,
            public=bool(form.public.data),
            actor=request_actor(),
        ),
        page=lambda: _render_inquiries(consultation, failed_answer=(inquiry_id, form)),
        lock=[inquiry],
        then=_inquiry_url(consultation.id, inquiry_id),
        done=_l("The answer is recorded."),
    )
