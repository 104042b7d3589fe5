"""Back-office views: the response (市の考え方) to one item: every revision and the diff between any two,
the review and its remarks, and the approval by someone other than the last author (R25) with the
password typed again (R27). Department staff and department approvers see only their own department's items;
any other item is "not found" (R26). Approvers read and approve; only drafters save."""

from __future__ import annotations

from flask import flash, g, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from comments import clock
from comments.blueprints.actors import request_actor
from comments.blueprints.form_errors import put_domain_error
from comments.blueprints.staff import bp
from comments.blueprints.staff.response_forms import (
    ApproveForm,
    ResponseForm,
    ReviewCommentForm,
    SubmitForReviewForm,
    category_of,
)
from comments.blueprints.views import commit_once, load, post_change, redirect_to
from comments.domain import DomainError
from comments.domain import responses as workflow
from comments.domain.accounts import authenticate
from comments.domain.inquiries import inquiries_about
from comments.extensions import db, limiter
from comments.models import Consultation, Item, Response, ReviewComment, User
from comments.permissions import Permission, require
from comments.text_diff import render_diff_html
from comments.throttles import SIGN_IN_FAILURES, account_key, sign_in_failures_per_account
from comments.transactions import begin_write, lock_for_change


def _load_item(item_id: int, permission: Permission = Permission.response_review) -> Item:
    """The item, or 404 when it does not exist or the user holds ``permission`` for another department's
    items only (R26)."""
    return load(Item, item_id, visible=lambda item: current_user.can(permission, item))


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
):
    """The item, its response with every revision and remark, the inquiries that serve it with their answers
    (confidential ones too: staff draft with them), and the forms of the workflow.

    The submission's text is shown only for the span the item covers; the submitter never appears here.
    """
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
    comparison = workflow.compare_revisions(*pair) if pair else None
    group = item.group
    consultation = db.session.get(Consultation, item.consultation_id)
    return render_template(
        "staff/response_show.html",
        item=item,
        consultation=consultation,
        excerpt=item.submission.body[item.start_offset : item.end_offset],
        group=group,
        inquiries=inquiries_about(item) if current_user.can(Permission.inquiry_read, item) else [],
        response=response,
        revisions=revisions,
        names=names,
        remarks=remarks,
        pair=pair,
        comparison=comparison,
        body_diff=render_diff_html(comparison.body) if comparison else None,
        change_made_diff=render_diff_html(comparison.change_made) if comparison else None,
        diff_error=diff_error,
        response_form=response_form or _response_form_for(response),
        review_form=review_form or SubmitForReviewForm(formdata=None),
        comment_form=comment_form or ReviewCommentForm(formdata=None),
        approve_form=approve_form or ApproveForm(formdata=None),
    )


def _response_url(item_id: int) -> str:
    return url_for("staff.show_response", item_id=item_id)


@bp.get("/items/<int:item_id>/response")
@require(Permission.response_review)
def show_response(item_id: int):
    return _render_response(_load_item(item_id))


@bp.post("/items/<int:item_id>/response")
@require(Permission.response_draft)
def save_response(item_id: int):
    """Save a new revision of the response (the group's, when the item is grouped)."""
    item = _load_item(item_id, Permission.response_draft)
    form = ResponseForm()
    return post_change(
        form,
        lambda: workflow.save_draft(
            workflow.response_for(item),
            body=form.body.data,
            category=category_of(form.category.data),
            change_made=form.change_made.data or "",
            author=current_user,
            actor=request_actor(),
        ),
        page=lambda: _render_response(item, response_form=form),
        lock=[item],
        field=form.body,
        then=_response_url(item_id),
        done=lambda revision: _l("The response is saved as revision %(number)d.", number=revision.number),
    )


@bp.post("/items/<int:item_id>/response/review")
@require(Permission.response_draft)
def submit_response(item_id: int):
    """Send the drafted response for review."""
    item = _load_item(item_id, Permission.response_draft)
    form = SubmitForReviewForm()
    return post_change(
        form,
        lambda: workflow.submit_for_review(workflow.response_for(item), actor=request_actor()),
        page=lambda: _render_response(item, review_form=form),
        lock=[item],
        then=_response_url(item_id),
        done=_l("The response is sent for review."),
    )


@bp.post("/items/<int:item_id>/response/comments")
@require(Permission.response_review)
def comment_response(item_id: int):
    """A reviewer's remark on the response."""
    item = _load_item(item_id)
    form = ReviewCommentForm()
    return post_change(
        form,
        lambda: workflow.comment(
            workflow.response_for(item), body=form.remark.data, author=current_user, actor=request_actor()
        ),
        page=lambda: _render_response(item, comment_form=form),
        lock=[item],
        field=form.remark,
        renamed={"body": "remark"},
        then=_response_url(item_id),
        done=_l("Your comment is added."),
    )


def _own_account_key() -> str:
    return account_key(current_user.email)


def _password_refused(_response) -> bool:
    return bool(g.get("password_refused"))


@bp.post("/items/<int:item_id>/response/approve")
@require(Permission.response_approve)
# Wrong passwords here count with the sign-in form's (auth/routes.py), per account: a session left open
# is no way round the sign-in limit. Over it, even the right password waits (429).
@limiter.shared_limit(
    sign_in_failures_per_account, SIGN_IN_FAILURES, key_func=_own_account_key, deduct_when=_password_refused
)
def approve_response(item_id: int):
    """Approve the response in review: by someone other than its last author (R25), with the password just
    typed again (R27).

    Not through ``post_change``: a refusal must still keep its one write, the failed password on record.
    """
    item = _load_item(item_id, Permission.response_approve)
    form = ApproveForm()
    if not form.validate():
        return _render_response(item, approve_form=form), 422
    begin_write()
    lock_for_change(item)
    # The sign-in check itself: a wrong password is written to the audit trail as a failed attempt and
    # counts against the account's sign-in limit; the domain hears only "not just now".
    verified = authenticate(current_user.email, form.password.data, request_actor()) is not None
    g.password_refused = not verified
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
        commit_once()
        put_domain_error(form, error)
        return _render_response(item, approve_form=form), 422
    commit_once()
    flash(_l("The response is approved."))
    return redirect_to(_response_url(item_id))
