"""Responses (市の考え方): drafted with every save kept, reviewed, approved by someone else.

States: drafting -> in_review -> approved. Any save returns the response to drafting, so an edit after
approval needs approving again. The approver never wrote any revision (R25) and must have signed in
again recently (R27): the caller passes the instant of that re-authentication.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import aliased

from comments import clock
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.domain.notifications import notify_response_waiting
from comments.extensions import db
from comments.models import (
    Consultation,
    Department,
    Item,
    Response,
    ResponseCategory,
    ResponseRevision,
    ResponseState,
    ResponseTemplate,
    ReviewComment,
    SamePurportGroup,
    User,
)
from comments.permissions import Permission, in_scope, scope_condition
from comments.text_diff import DiffOp, char_diff
from comments.transactions import lock_row

# How recent a re-authentication must be for an approval (R27).
REAUTHENTICATION_WINDOW = timedelta(minutes=5)


class ResponseError(DomainError):
    """A response change breaks a rule of the workflow."""


def response_for(target: Item | SamePurportGroup) -> Response:
    """The response of an ungrouped item or of a group, made empty on first use.

    An item in a group is answered by its group's response. The item's (or group's) row is locked first, so
    two people saving at once take turns: one response is made, and revisions are numbered one after another.
    """
    if isinstance(target, Item) and target.group_id is not None:
        return response_for(db.session.get(SamePurportGroup, target.group_id))
    lock_row(type(target), target.id)
    if isinstance(target, Item):
        response = db.session.scalars(db.select(Response).where(Response.item_id == target.id)).one_or_none()
        if response is None:
            response = Response(item_id=target.id, state=ResponseState.drafting)
    else:
        response = db.session.scalars(db.select(Response).where(Response.group_id == target.id)).one_or_none()
        if response is None:
            response = Response(group_id=target.id, state=ResponseState.drafting)
    if response.id is None:
        db.session.add(response)
        db.session.flush()
    return response


NOT_BY_AN_AUTHOR = _l("You wrote a version of this response; someone who wrote none of it must approve it.")
UNCHANGED = _l("Nothing was changed since the last saved version, so no new version was saved.")


def save_draft(
    response: Response, *, body: str, category: ResponseCategory | None, change_made: str, author: User, actor: Actor
) -> ResponseRevision:
    """Save a new revision; the response goes (back) to drafting, whatever state it was in. A save that changes
    nothing (the same words once spaces at either end are stripped, the same category and change) makes no
    revision and changes no state: it would otherwise make its saver an author without writing a word."""
    body = (body or "").strip()
    if not body:
        raise ResponseError(_l("Write the response."), field="body")
    change_made = (change_made or "").strip()
    if category == ResponseCategory.reflected and not change_made:
        raise ResponseError(
            _l("Say what was changed in the draft, since the opinion is reflected."), field="change_made"
        )
    if response.revisions and (body, category, change_made) == (
        response.body,
        response.category,
        (response.change_made or "").strip(),
    ):
        raise ResponseError(UNCHANGED, field="body")
    number = len(response.revisions) + 1
    revision = ResponseRevision(
        response=response, number=number, body=body, category=category, change_made=change_made, author_id=author.id
    )
    db.session.add(revision)
    was = response.state
    response.body, response.category, response.change_made = body, category, change_made
    response.last_author_id = author.id
    response.state = ResponseState.drafting
    response.approved_by_id = None
    response.approved_at = None
    db.session.flush()
    record_event(actor, "response.saved", response, revision=number, previous_state=was.value)
    return revision


def submit_for_review(response: Response, *, actor: Actor) -> None:
    if response.state != ResponseState.drafting or not response.revisions:
        raise ResponseError(_l("Only a drafted response can be sent for review."))
    if response.category is None:
        raise ResponseError(_l("Choose the category of the response before sending it for review."), field="category")
    response.state = ResponseState.in_review
    db.session.flush()
    record_event(actor, "response.submitted", response)
    notify_response_waiting(response)


def comment(response: Response, *, body: str, author: User, actor: Actor) -> ReviewComment:
    if not (body or "").strip():
        raise ResponseError(_l("Write the comment."), field="body")
    remark = ReviewComment(response_id=response.id, author_id=author.id, body=body.strip())
    db.session.add(remark)
    db.session.flush()
    record_event(actor, "response.commented", response)
    return remark


def approve(response: Response, *, approver: User, reauthenticated_at: datetime | None, actor: Actor) -> None:
    """Approve a response in review: never by anyone who wrote a revision of it (R25), only just after signing
    in again (R27). Not the last author alone: someone who wrote revision 2 could have a colleague save the
    same words as revision 3 and then approve their own text."""
    if response.state != ResponseState.in_review:
        raise ResponseError(_l("Only a response in review can be approved."))
    if response.is_author(approver):
        raise ResponseError(NOT_BY_AN_AUTHOR)
    if reauthenticated_at is None or clock.now() - reauthenticated_at > REAUTHENTICATION_WINDOW:
        raise ResponseError(_l("Enter your password again to approve."), field="password")
    response.state = ResponseState.approved
    response.approved_by_id = approver.id
    response.approved_at = clock.now()
    db.session.flush()
    record_event(actor, "response.approved", response, revision=len(response.revisions))


@dataclass(frozen=True)
class RevisionComparison:
    """新旧対照 of two revisions for reviewers: the text and the change made to the draft compared character by
    character (a Japanese paragraph is one line, so a line diff would mark all of it for one character), and
    the category before and after."""

    body: list[DiffOp]
    change_made: list[DiffOp]
    old_category: ResponseCategory | None
    new_category: ResponseCategory | None

    @property
    def body_changed(self) -> bool:
        return any(op.kind != "equal" for op in self.body)

    @property
    def change_made_changed(self) -> bool:
        return any(op.kind != "equal" for op in self.change_made)

    @property
    def category_changed(self) -> bool:
        return self.old_category != self.new_category

    @property
    def same(self) -> bool:
        """Whether the two revisions say exactly the same."""
        return not (self.body_changed or self.change_made_changed or self.category_changed)


def compare_revisions(older: ResponseRevision, newer: ResponseRevision) -> RevisionComparison:
    """What changed from ``older`` to ``newer``: deleted and inserted characters, in order (text_diff.char_diff)."""
    return RevisionComparison(
        body=char_diff(older.body, newer.body),
        change_made=char_diff(older.change_made or "", newer.change_made or ""),
        old_category=older.category,
        new_category=newer.category,
    )


@dataclass(frozen=True)
class BulkResult:
    item_id: int
    applied: bool
    message: str


def apply_template(template: ResponseTemplate, items: list[Item], *, author: User, actor: Actor) -> list[BulkResult]:
    """Apply a template to each item's response (its group's, when grouped), reporting per item.

    An item of another consultation, or whose response is approved, is left alone and reported; the
    others get a new revision with the template's text and category.
    """
    results = []
    for item in items:
        if item.consultation_id != template.consultation_id:
            results.append(BulkResult(item.id, False, str(_l("The item belongs to another consultation."))))
            continue
        response = response_for(item)
        if response.state == ResponseState.approved:
            results.append(BulkResult(item.id, False, str(_l("Its response is already approved; left as it is."))))
            continue
        try:
            with db.session.begin_nested():
                save_draft(
                    response,
                    body=template.body,
                    category=template.category,
                    change_made="",
                    author=author,
                    actor=actor,
                )
        except DomainError as error:
            results.append(BulkResult(item.id, False, str(error.message)))
            continue
        results.append(BulkResult(item.id, True, str(_l("Applied."))))
    return results


# --- Who sees which item, and the departments' queue (R26) -----------------------------------------------
#
# An item, and its response, is seen by whoever may review responses for the item's department:
# ``user.can(Permission.response_review, item)``; drafting and approving ask for their own permission for
# the item. Department staff and department approvers see only the items assigned to their own department,
# so one department never reads another's drafts; the secretariat and the city's approvers see every item.


def is_overdue(item: Item, state: ResponseState | None, today: date) -> bool:
    """Due before ``today`` (a Japan date) and its response not approved yet; an item carried over to a later
    meeting is not overdue. domain/progress.py and the queue's filter say the same in SQL."""
    return (
        item.due_on is not None
        and item.due_on < today
        and state != ResponseState.approved
        and not item.carried_over_reason
    )


def visible_items(user: User, permission: Permission = Permission.response_draft) -> Select:
    """The items ``user`` holds ``permission`` for (as ``user.can(permission, item)`` says), as a query: by
    default those they may draft for."""
    if not user.can(permission):
        return select(Item).where(false())
    return select(Item).where(scope_condition(user, Item.department_id, permission))


def can_see_consultation_responses(user: User, consultation: Consultation) -> bool:
    """Whether ``user`` may open the response templates of ``consultation``: whoever drafts for every
    department always, department staff when at least one of its items is assigned to their department."""
    if user.can(Permission.response_draft) and in_scope(user, None, Permission.response_draft):
        return True
    query = visible_items(user).where(Item.consultation_id == consultation.id).limit(1)
    return db.session.execute(query).first() is not None


def find_response(target: Item | SamePurportGroup) -> Response | None:
    """The response of an item (its group's when grouped) or of a group, or None: unlike ``response_for``
    it never makes one, so pages that only show can call it."""
    if isinstance(target, Item) and target.group_id is not None:
        return db.session.scalars(select(Response).where(Response.group_id == target.group_id)).one_or_none()
    column = Response.item_id if isinstance(target, Item) else Response.group_id
    return db.session.scalars(select(Response).where(column == target.id)).one_or_none()


NO_RESPONSE = "none"  # the state filter for items nobody has answered yet
OVERDUE = "overdue"
DUE_SOON = "due_soon"
DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class QueueFilters:
    """What a queue is narrowed to; None means "any". ``state`` is a ResponseState value or NO_RESPONSE."""

    state: str | None = None
    due: str | None = None  # OVERDUE or DUE_SOON
    department_id: int | None = None  # honoured for the secretariat only


@dataclass(frozen=True)
class QueueRow:
    item: Item
    consultation_title: str
    department_name: str
    state: ResponseState | None  # None: no response yet
    overdue: bool


def response_queue(user: User, filters: QueueFilters, *, today: date) -> list[QueueRow]:
    """The assigned items ``user`` may see, with the state of their response (their group's when grouped),
    soonest due first and undated last.

    Department staff get their own department's items whatever ``filters.department_id`` says (R26).
    Overdue as ``is_overdue`` says (``today`` is the Japan date).
    """
    own = aliased(Response)
    grouped = aliased(Response)
    state = func.coalesce(grouped.state, own.state)
    query = (
        visible_items(user, Permission.response_review)
        .add_columns(Consultation.title, Department.name, state.label("state"))
        .join(Consultation, Consultation.id == Item.consultation_id)
        .join(Department, Department.id == Item.department_id)
        .outerjoin(own, own.item_id == Item.id)
        .outerjoin(grouped, and_(Item.group_id.is_not(None), grouped.group_id == Item.group_id))
    )
    if filters.department_id is not None and user.can(Permission.every_department):
        query = query.where(Item.department_id == filters.department_id)
    if filters.state == NO_RESPONSE:
        query = query.where(own.id.is_(None), grouped.id.is_(None))
    elif filters.state:
        query = query.where(state == ResponseState(filters.state))
    if filters.due == OVERDUE:
        query = query.where(
            Item.due_on < today,
            or_(state.is_(None), state != ResponseState.approved),
            Item.carried_over_reason.is_(None),
        )
    elif filters.due == DUE_SOON:
        query = query.where(Item.due_on >= today, Item.due_on <= today + timedelta(days=DUE_SOON_DAYS))
    query = query.order_by(Item.due_on.is_(None), Item.due_on, Item.consultation_id, Item.number)
    return [
        QueueRow(
            item=item,
            consultation_title=title,
            department_name=department,
            state=row_state,
            overdue=is_overdue(item, row_state, today),
        )
        for item, title, department, row_state in db.session.execute(query).all()
    ]


def response_states(items: list[Item]) -> dict[int, ResponseState | None]:
    """The state of each item's response (its group's when grouped), None when it has none, by item id."""
    item_ids = [item.id for item in items]
    group_ids = {item.group_id for item in items if item.group_id is not None}
    by_item = dict(
        db.session.execute(select(Response.item_id, Response.state).where(Response.item_id.in_(item_ids))).all()
    )
    by_group = dict(
        db.session.execute(select(Response.group_id, Response.state).where(Response.group_id.in_(group_ids))).all()
    )
    return {item.id: by_group.get(item.group_id) if item.group_id else by_item.get(item.id) for item in items}


def add_template(
    consultation: Consultation, *, title: str, body: str, category: ResponseCategory | None, actor: Actor
) -> ResponseTemplate:
    """A reusable response for ``consultation`` (e.g. "already covered in section ..."), applied in bulk later."""
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise ResponseError(_l("Give the template a title."), field="title")
    if not body:
        raise ResponseError(_l("Write the text of the template."), field="body")
    template = ResponseTemplate(consultation_id=consultation.id, title=title, body=body, category=category)
    db.session.add(template)
    db.session.flush()
    record_event(actor, "response_template.created", template, consultation_id=consultation.id)
    return template


def responses_of(consultation: Consultation) -> tuple[dict[int, Response], dict[int, Response]]:
    """The consultation's responses, by item id (ungrouped items) and by group id, in two queries."""
    by_item = {
        response.item_id: response
        for response in db.session.scalars(
            select(Response).join(Item, Item.id == Response.item_id).where(Item.consultation_id == consultation.id)
        )
    }
    by_group = {
        response.group_id: response
        for response in db.session.scalars(
            select(Response)
            .join(SamePurportGroup, SamePurportGroup.id == Response.group_id)
            .where(SamePurportGroup.consultation_id == consultation.id)
        )
    }
    return by_item, by_group
