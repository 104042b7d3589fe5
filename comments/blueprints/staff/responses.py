"""Back-office views: the departments' queue, the response page (draft, review, approval) and response
templates applied in bulk (issue 5, points 3 and 5; R25-R27).

Department staff see only the items assigned to their own department; any other item is "not found"
(R26). The approver is never the last author (R25) and types the password again to approve (R27).
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from comments import clock
from comments.blueprints.actors import request_actor
from comments.blueprints.form_errors import put_domain_error
from comments.blueprints.staff import bp
from comments.blueprints.staff.response_forms import (
    NO_CATEGORY,
    ApplyTemplateForm,
    ApproveForm,
    QueueFilterForm,
    ResponseForm,
    ReviewCommentForm,
    SubmitForReviewForm,
    TemplateForm,
    state_label,
)
from comments.domain import DomainError
from comments.domain import responses as workflow
from comments.domain.accounts import authenticate
from comments.extensions import db
from comments.models import (
    Consultation,
    Department,
    Item,
    Response,
    ResponseCategory,
    ResponseTemplate,
    ReviewComment,
    User,
)
from comments.permissions import Permission, require
from comments.transactions import begin_write, read_before_write


def _today() -> date:
    return clock.japan_today()


def _day(value: date | None) -> str:
    """A calendar day (a due date), written as japan_date writes instants."""
    if value is None:
        return ""
    return format_date(value, "y年M月d日" if str(get_locale()) == "ja" else "d MMMM y")


def _helpers() -> dict:
    return {"state_label": state_label, "day": _day, "today": _today()}


def _load_item(item_id: int) -> Item:
    """The item, or 404 when it does not exist or belongs to another department (R26)."""
    item = db.session.get(Item, item_id)
    if item is None or not workflow.can_see_item(current_user, item):
        abort(404)
    return item


def _category(value: str | None) -> ResponseCategory | None:
    return ResponseCategory(value) if value and value != NO_CATEGORY else None


# --- The queue ----------------------------------------------------------------------------------------


@bp.get("/queue")
@require(Permission.response_draft)
def department_queue():
    """The items to answer, soonest due first: a department's own, or every department's for the secretariat."""
    g.no_store = True
    form = QueueFilterForm(formdata=request.args)
    sees_all = workflow.can_see_all_items(current_user)
    if sees_all:
        departments = db.session.scalars(select(Department).order_by(Department.name)).all()
        form.department_id.choices = [
            *form.department_id.choices,
            *(SelectChoice(str(d.id), d.name) for d in departments),
        ]
    else:
        # Department staff always get their own department's items, whatever the address asks for (R26).
        form.department_id.validate_choice = False
    rows = None
    if form.validate():
        rows = workflow.response_queue(current_user, form.to_filters(), today=_today())
    return render_template("staff/response_queue.html", form=form, rows=rows, sees_all=sees_all, **_helpers())


# --- The response page --------------------------------------------------------------------------------


def _revision_pair(revisions) -> tuple[tuple | None, str | None]:
    """The two revisions named by ``?diff=<a>,<b>`` (or ``?diff=a&diff=b``, as the compare form sends it)."""
    values = request.args.getlist("diff")
    if not values:
        return None, None
    parts = values[0].split(",") if len(values) == 1 else values
    by_number = {revision.number: revision for revision in revisions}
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 2 or not all(number in by_number for number in numbers):
        return None, str(_l("Choose two revisions of this response to compare."))
    return (by_number[numbers[0]], by_number[numbers[1]]), None


def _diff_rows(lines: list[str]) -> list[tuple[str, str]]:
    """(kind, text) per line of a unified diff: added, removed, unchanged, or a hunk header."""
    rows = []
    for line in lines:
        if line.startswith("@@"):
            rows.append(("hunk", line))
        elif line.startswith("+"):
            rows.append(("added", line[1:]))
        elif line.startswith("-"):
            rows.append(("removed", line[1:]))
        else:
            rows.append(("unchanged", line[1:]))
    return rows


def _response_form_for(response: Response | None) -> ResponseForm:
    """The edit form filled with the latest revision, never with another form's posted fields."""
    data = {}
    if response is not None:
        data = {
            "body": response.body,
            "category": response.category.value if response.category else None,
            "change_made": response.change_made,
        }
    return ResponseForm(formdata=None, data=data)


def _render_response(
    item: Item,
    *,
    response_form: ResponseForm | None = None,
    review_form: SubmitForReviewForm | None = None,
    comment_form: ReviewCommentForm | None = None,
    approve_form: ApproveForm | None = None,
    status: int = 200,
):
    """The item, its response with every revision and remark, and the forms of the workflow.

    The submission's text is shown only for the span the item covers; the submitter never appears here.
    """
    g.no_store = True
    response = workflow.find_response(item)
    revisions = list(response.revisions) if response is not None else []
    remarks = []
    if response is not None:
        remarks = db.session.execute(
            select(ReviewComment, User.display_name)
            .join(User, User.id == ReviewComment.author_id)
            .where(ReviewComment.response_id == response.id)
            .order_by(ReviewComment.created_at, ReviewComment.id)
        ).all()
    people = {revision.author_id for revision in revisions}
    if response is not None and response.approved_by_id:
        people.add(response.approved_by_id)
    names = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(people))).all())
    pair, diff_error = _revision_pair(revisions)
    diff = _diff_rows(workflow.revision_diff(*pair)) if pair else None
    group = item.group
    consultation = db.session.get(Consultation, item.consultation_id)
    return (
        render_template(
            "staff/response_show.html",
            item=item,
            consultation=consultation,
            excerpt=item.submission.body[item.start_offset : item.end_offset],
            group=group,
            response=response,
            revisions=revisions,
            names=names,
            remarks=remarks,
            pair=pair,
            diff=diff,
            diff_error=diff_error,
            response_form=response_form or _response_form_for(response),
            review_form=review_form or SubmitForReviewForm(formdata=None),
            comment_form=comment_form or ReviewCommentForm(formdata=None),
            approve_form=approve_form or ApproveForm(formdata=None),
            may_approve=current_user.can(Permission.response_approve),
            can_see_item=lambda other: workflow.can_see_item(current_user, other),
            **_helpers(),
        ),
        status,
    )


@bp.get("/items/<int:item_id>/response")
@require(Permission.response_draft)
def show_response(item_id: int):
    return _render_response(_load_item(item_id))


@bp.post("/items/<int:item_id>/response")
@require(Permission.response_draft)
def save_response(item_id: int):
    """Save a new revision of the response (the group's, when the item is grouped)."""
    read_before_write()
    item = _load_item(item_id)
    form = ResponseForm()
    if not form.validate():
        return _render_response(item, response_form=form, status=422)
    begin_write()
    try:
        revision = workflow.save_draft(
            workflow.response_for(item),
            body=form.body.data,
            category=_category(form.category.data),
            change_made=form.change_made.data or "",
            author=current_user,
            actor=request_actor(),
        )
    except DomainError as error:
        db.session.rollback()
        put_domain_error(form, error, default=form.body)
        return _render_response(item, response_form=form, status=422)
    number = revision.number
    db.session.commit()
    flash(_l("The response is saved as revision %(number)d.", number=number))
    return redirect(url_for("staff.show_response", item_id=item_id), code=303)


@bp.post("/items/<int:item_id>/response/review")
@require(Permission.response_draft)
def submit_response(item_id: int):
    """Send the drafted response for review."""
    read_before_write()
    item = _load_item(item_id)
    form = SubmitForReviewForm()
    if not form.validate():
        return _render_response(item, review_form=form, status=422)
    begin_write()
    try:
        workflow.submit_for_review(workflow.response_for(item), actor=request_actor())
    except DomainError as error:
        db.session.rollback()
        put_domain_error(form, error)
        return _render_response(item, review_form=form, status=422)
    db.session.commit()
    flash(_l("The response is sent for review."))
    return redirect(url_for("staff.show_response", item_id=item_id), code=303)


@bp.post("/items/<int:item_id>/response/comments")
@require(Permission.response_draft)
def comment_response(item_id: int):
    """A reviewer's remark on the response."""
    read_before_write()
    item = _load_item(item_id)
    form = ReviewCommentForm()
    if not form.validate():
        return _render_response(item, comment_form=form, status=422)
    begin_write()
    try:
        workflow.comment(workflow.response_for(item), body=form.remark.data, author=current_user, actor=request_actor())
    except DomainError as error:
        db.session.rollback()
        put_domain_error(form, error, default=form.remark, renamed={"body": "remark"})
        return _render_response(item, comment_form=form, status=422)
    db.session.commit()
    flash(_l("Your comment is added."))
    return redirect(url_for("staff.show_response", item_id=item_id), code=303)


@bp.post("/items/<int:item_id>/response/approve")
@require(Permission.response_approve)
def approve_response(item_id: int):
    """Approve the response in review: by someone other than its last author (R25), with the password just
    typed again (R27)."""
    read_before_write()
    item = _load_item(item_id)
    form = ApproveForm()
    if not form.validate():
        return _render_response(item, approve_form=form, status=422)
    begin_write()
    # The sign-in check itself: a wrong password is written to the audit trail as a failed attempt. It
    # does not lock the account (the limit is on the login form), and the domain hears only "not just now".
    verified = authenticate(current_user.email, form.password.data, request_actor()) is not None
    try:
        # A savepoint, so a refusal undoes the approval's own work but keeps the failed attempt on record.
        with db.session.begin_nested():
            workflow.approve(
                workflow.response_for(item),
                approver=current_user,
                reauthenticated_at=clock.now() if verified else None,
                actor=request_actor(),
            )
    except DomainError as error:
        db.session.commit()
        put_domain_error(form, error)
        return _render_response(item, approve_form=form, status=422)
    db.session.commit()
    flash(_l("The response is approved."))
    return redirect(url_for("staff.show_response", item_id=item_id), code=303)


# --- Templates ------------------------------------------------------------------------------------------


def _load_consultation(consultation_id: int) -> Consultation:
    """The consultation, or 404 when it does not exist or none of its items is the user's to see (R26)."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or not workflow.can_see_consultation_responses(current_user, consultation):
        abort(404)
    return consultation


def _templates(consultation: Consultation) -> list[ResponseTemplate]:
    return list(
        db.session.scalars(
            select(ResponseTemplate)
            .where(ResponseTemplate.consultation_id == consultation.id)
            .order_by(ResponseTemplate.title, ResponseTemplate.id)
        )
    )


def _consultation_items(consultation: Consultation) -> list[Item]:
    query = workflow.visible_items(current_user).where(Item.consultation_id == consultation.id)
    return list(db.session.scalars(query.order_by(Item.number)))


def _apply_form(templates: list[ResponseTemplate], items: list[Item], *, formdata=True) -> ApplyTemplateForm:
    form = ApplyTemplateForm() if formdata else ApplyTemplateForm(formdata=None)
    form.template_id.choices = [SelectChoice(str(template.id), template.title) for template in templates]
    form.item_ids.choices = [SelectChoice(str(item.id), f"{item.number}. {item.gist}") for item in items]
    return form


def _render_templates(
    consultation: Consultation,
    *,
    template_form: TemplateForm | None = None,
    apply_form: ApplyTemplateForm | None = None,
    status: int = 200,
):
    g.no_store = True
    templates = _templates(consultation)
    items = _consultation_items(consultation)
    return (
        render_template(
            "staff/response_templates.html",
            consultation=consultation,
            templates=templates,
            items=items,
            items_by_id={str(item.id): item for item in items},
            states=workflow.response_states(items),
            template_form=template_form or TemplateForm(formdata=None),
            apply_form=apply_form or _apply_form(templates, items, formdata=False),
            **_helpers(),
        ),
        status,
    )


@bp.get("/consultations/<int:consultation_id>/templates")
@require(Permission.response_draft)
def list_templates(consultation_id: int):
    """The consultation's response templates, a form to add one, and the bulk application."""
    return _render_templates(_load_consultation(consultation_id))


@bp.post("/consultations/<int:consultation_id>/templates")
@require(Permission.response_draft)
def add_template(consultation_id: int):
    read_before_write()
    consultation = _load_consultation(consultation_id)
    form = TemplateForm()
    if not form.validate():
        return _render_templates(consultation, template_form=form, status=422)
    begin_write()
    try:
        workflow.add_template(
            consultation,
            title=form.title.data,
            body=form.body.data,
            category=_category(form.category.data),
            actor=request_actor(),
        )
    except DomainError as error:
        db.session.rollback()
        put_domain_error(form, error, default=form.body)
        return _render_templates(consultation, template_form=form, status=422)
    db.session.commit()
    flash(_l("The template is added."))
    return redirect(url_for("staff.list_templates", consultation_id=consultation_id), code=303)


@bp.post("/consultations/<int:consultation_id>/templates/apply")
@require(Permission.response_draft)
def apply_template(consultation_id: int):
    """Apply a template to the items ticked; the page reports, item by item, what was done or left alone."""
    read_before_write()
    consultation = _load_consultation(consultation_id)
    form = _apply_form(_templates(consultation), _consultation_items(consultation))
    if not form.validate():
        return _render_templates(consultation, apply_form=form, status=422)
    begin_write()
    # Read again inside the write: only items the user may still see, of this consultation.
    template = db.session.get(ResponseTemplate, form.template_id.data)
    items = list(
        db.session.scalars(
            workflow.visible_items(current_user)
            .where(Item.consultation_id == consultation.id, Item.id.in_(form.item_ids.data))
            .order_by(Item.number)
        )
    )
    if template is None or template.consultation_id != consultation.id:
        abort(404)
    results = workflow.apply_template(template, items, author=current_user, actor=request_actor())
    db.session.commit()
    by_id = {item.id: item for item in items}
    rows = [(by_id[result.item_id], result) for result in results]
    g.no_store = True
    return render_template(
        "staff/response_template_report.html",
        consultation=consultation,
        template=template,
        rows=rows,
        applied=sum(1 for _item, result in rows if result.applied),
        left_alone=sum(1 for _item, result in rows if not result.applied),
    )
