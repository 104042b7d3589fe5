"""Back-office views: the secretariat's triage (issue 5, points 1 to 3). A submission is split into items and
parts that are not an opinion; items are grouped by purport, assigned to departments and carried over.

The pages show comment text, never who wrote it: no submitter's name, address or e-mail is read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from comments.blueprints.actors import request_actor
from comments.blueprints.form_errors import put_domain_error
from comments.blueprints.staff import bp
from comments.blueprints.staff.triage_forms import (
    GIST_PREFILL_CHARS,
    NO_SECTION,
    RESPONSE_STATE_LABELS,
    AssignForm,
    CarryOverForm,
    GroupForm,
    ItemFilterForm,
    ItemForm,
    NotOpinionForm,
)
from comments.domain import DomainError, similarity
from comments.domain import triage as operations
from comments.domain.sections import section_choices
from comments.domain.splitting import looks_like_greeting, suggest_kind
from comments.extensions import db
from comments.models import Consultation, Department, Item, ItemKind, Submission
from comments.permissions import Permission, require
from comments.transactions import begin_write, read_before_write

# How alike two gists must be for the list to suggest grouping them (see domain/similarity.py).
SUGGESTION_THRESHOLD = 0.8
# Domain errors name the stored attribute; the item form names what staff chose.
FORM_FIELD = {"section_id": "section"}


def _load_consultation(consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    return consultation


def _load_submission(submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        abort(404)
    return submission


def _load_item(item_id: int) -> Item:
    item = db.session.get(Item, item_id)
    if item is None:
        abort(404)
    return item


def _day(value: date | None) -> str:
    """A calendar day (a due date), written as japan_date writes instants."""
    if value is None:
        return ""
    return format_date(value, "y年M月d日" if str(get_locale()) == "ja" else "d MMMM y")


def _departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.name)))


def _item_choices(consultation: Consultation) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Item.id, Item.number).where(Item.consultation_id == consultation.id).order_by(Item.number)
    )
    return [(item_id, str(number)) for item_id, number in rows]


def _chosen_items(consultation: Consultation, item_ids: list[int]) -> list[Item]:
    return list(
        db.session.scalars(
            select(Item).where(Item.consultation_id == consultation.id, Item.id.in_(item_ids)).order_by(Item.number)
        )
    )


# --- The items of a consultation ------------------------------------------------------------------------


@dataclass(frozen=True)
class SuggestedGroup:
    items: list[Item]  # in number order
    score: float  # the weakest link's similarity, 0..1


def _suggestions(rows: list[operations.ItemRow]) -> list[SuggestedGroup]:
    """Groups of ungrouped items whose gists read alike (domain/similarity.py), for staff to confirm."""
    ungrouped = {row.item.id: row.item for row in rows if row.item.group_id is None}
    if len(ungrouped) < 2:
        return []
    suggestions = similarity.suggest_groups(
        [(item.id, item.gist) for item in ungrouped.values()], threshold=SUGGESTION_THRESHOLD
    )
    groups = []
    for suggestion in suggestions:
        items = sorted((ungrouped[i] for i in suggestion.item_ids if i in ungrouped), key=lambda item: item.number)
        if len(items) >= 2:
            groups.append(SuggestedGroup(items, suggestion.score))
    return groups


def _render_items(
    consultation: Consultation,
    *,
    group_form: GroupForm | None = None,
    assign_form: AssignForm | None = None,
    carry_item_id: int | None = None,
    carry_form: CarryOverForm | None = None,
    status: int = 200,
):
    """The list page; after a refused POST, with the form that asked and its errors."""
    g.no_store = True  # gists quote the submissions
    departments = _departments()
    filter_form = ItemFilterForm(formdata=request.args if request.method == "GET" else None)
    filter_form.offer_departments(departments)
    filters = filter_form.to_filters() if filter_form.validate() else operations.ItemFilters()
    all_rows = operations.item_rows(consultation)
    rows = operations.filter_item_rows(all_rows, filters)
    group_form = group_form or GroupForm(formdata=None)
    assign_form = assign_form or AssignForm(formdata=None)
    assign_form.offer_departments(departments)
    ticked = set(group_form.items.data or []) | set(assign_form.items.data or [])
    if carry_form is not None:
        carry_form.reason.id = f"carry-{carry_item_id}-reason"  # the id its row gives the text area
    return (
        render_template(
            "staff/triage_items.html",
            consultation=consultation,
            rows=rows,
            total=len(all_rows),
            progress=operations.triage_progress(consultation),
            suggestions=_suggestions(all_rows),
            filter_form=filter_form,
            group_form=group_form,
            assign_form=assign_form,
            ticked=ticked,
            carry_item_id=carry_item_id,
            carry_form=carry_form or CarryOverForm(formdata=None),
            state_labels=RESPONSE_STATE_LABELS,
            day=_day,
        ),
        status,
    )


@bp.get("/consultations/<int:consultation_id>/items")
@require(Permission.consultation_manage)
def list_items(consultation_id: int):
    """The consultation's items in number order, with filters, the triage progress, grouping and assignment."""
    return _render_items(_load_consultation(consultation_id))


def _back_to_items(consultation_id: int):
    return redirect(url_for("staff.list_items", consultation_id=consultation_id), code=303)


@bp.post("/consultations/<int:consultation_id>/groups")
@require(Permission.consultation_manage)
def group_items(consultation_id: int):
    """Confirm a same-purport group of the ticked items, with the gist they share (R06)."""
    read_before_write()
    consultation = _load_consultation(consultation_id)
    form = GroupForm()
    form.offer_items(_item_choices(consultation))
    assign_form = AssignForm()  # what was typed there stays on the page
    if not form.validate():
        return _render_items(consultation, group_form=form, assign_form=assign_form, status=422)
    begin_write()
    try:
        group = operations.group_items(
            _chosen_items(consultation, form.items.data),
            gist=form.gist.data,
            created_by=current_user,
            actor=request_actor(),
        )
    except DomainError as error:
        db.session.rollback()
        put_domain_error(form, error, renamed=FORM_FIELD)
        return _render_items(consultation, group_form=form, assign_form=assign_form, status=422)
    count = len(group.items)
    db.session.commit()
    flash(_l("The group of %(count)d items is confirmed.", count=count))
    return _back_to_items(consultation_id)


@bp.post("/consultations/<int:consultation_id>/assignments")
@require(Permission.consultation_manage)
def assign_items(consultation_id: int):
    """Send the ticked items to a department to draft their responses by a due date."""
    read_before_write()
    consultation = _load_consultation(consultation_id)
    form = AssignForm()
    form.offer_items(_item_choices(consultation))
    form.offer_departments(_departments())
    group_form = GroupForm()
    if not form.validate():
        return _render_items(consultation, group_form=group_form, assign_form=form, status=422)
    begin_write()
    department = db.session.get(Department, form.department_id.data)
    try:
        items = _chosen_items(consultation, form.items.data)
        operations.assign_items(items, department, due_on=form.due_on.data, actor=request_actor())
    except DomainError as error:
        db.session.rollback()
        put_domain_error(form, error, renamed=FORM_FIELD)
        return _render_items(consultation, group_form=group_form, assign_form=form, status=422)
    db.session.commit()
    flash(
        ngettext(
            "%(num)d item is assigned to %(department)s.",
            "%(num)d items are assigned to %(department)s.",
            len(items),
            department=department.name,
        )
    )
    return _back_to_items(consultation_id)


@bp.post("/items/<int:item_id>/carry-over")
@require(Permission.consultation_manage)
def carry_over_item(item_id: int):
    """次回以降の部会で説明: the item is answered at a later meeting, for the reason given."""
    read_before_write()
    item = _load_item(item_id)
    consultation = _load_consultation(item.consultation_id)
    form = CarryOverForm()
    if not form.validate():
        return _render_items(consultation, carry_item_id=item.id, carry_form=form, status=422)
    begin_write()
    try:
        operations.carry_over(item, reason=form.reason.data, actor=request_actor())
    except DomainError as error:
        db.session.rollback()
        put_domain_error(form, error, default=form.reason)
        return _render_items(consultation, carry_item_id=item.id, carry_form=form, status=422)
    number = item.number
    db.session.commit()
    flash(_l("Item %(number)d is carried over to a later meeting.", number=number))
    return _back_to_items(consultation.id)


# --- Splitting one submission ---------------------------------------------------------------------------


def _joins_from_text(text: str | None) -> list[int]:
    return sorted({int(value) for value in (text or "").split(",") if _is_number(value)})


def _is_number(value: str) -> bool:
    """ASCII digits only, and few enough that int() takes them (a form's hidden field may hold anything)."""
    return value.isascii() and value.isdigit() and len(value) <= 9


def _joins_text(joins: list[int]) -> str:
    return ",".join(str(index) for index in joins)


# At most this many "split after this sentence" choices are kept, as the hidden field carries at most these.
MAX_SPLITS = 200
# How much of a sentence names it in its "split after" link.
SENTENCE_NAME_CHARS = 20


def _splits_of(submission: Submission, values: list[int]) -> list[int]:
    """The split offsets that can mean something in the submission's text (inside it), sorted, at most 200."""
    return sorted({value for value in values if 0 < value < len(submission.body)})[:MAX_SPLITS]


def _splits_from_text(submission: Submission, text: str | None) -> list[int]:
    return _splits_of(submission, [int(value) for value in (text or "").split(",") if _is_number(value)])


def _sentence_name(sentence: str) -> str:
    sentence = " ".join(sentence.split())
    return sentence if len(sentence) <= SENTENCE_NAME_CHARS else sentence[:SENTENCE_NAME_CHARS] + "…"


def _item_form(
    submission: Submission, text: str, start: int, end: int, joins: list[int], splits: list[int]
) -> ItemForm:
    return ItemForm(
        formdata=None,
        kind=suggest_kind(text),
        gist=text.strip()[:GIST_PREFILL_CHARS],
        section=submission.section_id or NO_SECTION,
        start=start,
        end=end,
        joins=_joins_text(joins),
        splits=_joins_text(splits),
    )


def _render_triage(
    submission: Submission,
    joins: list[int],
    splits: list[int],
    *,
    failed: ItemForm | NotOpinionForm | None = None,
    status: int = 200,
):
    """The triage page: the text as items, marked parts and proposed parts, each of the last with its forms.

    After a refused POST, the form that asked takes the place of the fresh one of its part, with its errors;
    its errors are also listed at the top, which is all there is when its part is no longer on the page.
    """
    g.no_store = True  # the text of a submission (R36)
    sections = section_choices(submission.consultation)
    text = submission.body
    views = []
    for index, part in enumerate(operations.triage_parts(submission, joins, splits)):
        view = {"part": part, "text": text[part.start : part.end], "index": index}
        if part.untriaged:
            item_form = _item_form(submission, view["text"], part.start, part.end, joins, splits)
            mark_form = NotOpinionForm(
                formdata=None,
                confirm=looks_like_greeting(view["text"]),
                start=part.start,
                end=part.end,
                joins=_joins_text(joins),
                splits=_joins_text(splits),
            )
            if failed is not None and (failed.start.data, failed.end.data) == (part.start, part.end):
                if isinstance(failed, ItemForm):
                    item_form = failed
                else:
                    mark_form = failed
            item_form.offer_sections(sections)
            item_form.give_ids(f"part-{index}-item")
            mark_form.give_ids(f"part-{index}-mark")
            view.update(
                item_form=item_form,
                mark_form=mark_form,
                greeting=looks_like_greeting(view["text"]),
                join_url=url_for(
                    "staff.triage_submission",
                    submission_id=submission.id,
                    join=sorted({*joins, part.join_index} - {None}),
                    split=[offset for offset in splits if offset != part.split_at],
                )
                if part.join_index is not None or part.split_at is not None
                else None,
                split_links=[
                    (
                        url_for(
                            "staff.triage_submission",
                            submission_id=submission.id,
                            join=joins,
                            split=sorted({*splits, offset}),
                        ),
                        _sentence_name(sentence),
                    )
                    for offset, sentence in operations.sentence_cuts(text, part.start, part.end)
                ]
                if len(splits) < MAX_SPLITS
                else [],
            )
        views.append(view)
    return (
        render_template(
            "staff/triage_submission.html",
            submission=submission,
            views=views,
            untriaged=[(start, end, text[start:end]) for start, end in operations.untriaged_parts(submission)],
            joins=joins,
            splits=splits,
            failed=failed,
        ),
        status,
    )


@bp.get("/submissions/<int:submission_id>/triage")
@require(Permission.consultation_manage)
def triage_submission(submission_id: int):
    """Split a submission into items and parts that are not an opinion, starting from proposed split points.

    ``?join=<index>`` (repeated) merges a proposed part with the next one, and ``?split=<offset>`` (repeated)
    cuts an untriaged part at that character offset (after a sentence): a view of the page, nothing stored.
    Values that are not numbers, or outside the text, are ignored.
    """
    submission = _load_submission(submission_id)
    splits = _splits_of(submission, [int(value) for value in request.args.getlist("split") if _is_number(value)])
    return _render_triage(submission, sorted(set(request.args.getlist("join", type=int))), splits)


def _back_to_triage(submission_id: int, joins: list[int], splits: list[int]):
    return redirect(url_for("staff.triage_submission", submission_id=submission_id, join=joins, split=splits), code=303)


@bp.post("/submissions/<int:submission_id>/items")
@require(Permission.consultation_manage)
def add_item(submission_id: int):
    """Make an item of a part of the submission, numbered next in its consultation."""
    read_before_write()
    submission = _load_submission(submission_id)
    form = ItemForm()
    form.offer_sections(section_choices(submission.consultation))
    joins = _joins_from_text(form.joins.data)
    splits = _splits_from_text(submission, form.splits.data)
    if not form.validate():
        return _render_triage(submission, joins, splits, failed=form, status=422)
    draft = operations.ItemDraft(
        start=form.start.data,
        end=form.end.data,
        kind=ItemKind(form.kind.data),
        gist=form.gist.data,
        section_id=form.section.data or None,
    )
    begin_write()
    try:
        item = operations.add_item(submission, draft, created_by=current_user, actor=request_actor())
    except DomainError as error:
        db.session.rollback()
        put_domain_error(form, error, renamed=FORM_FIELD)
        return _render_triage(submission, joins, splits, failed=form, status=422)
    number = item.number
    db.session.commit()
    flash(_l("Item %(number)d is made.", number=number))
    return _back_to_triage(submission_id, joins, splits)


@bp.post("/submissions/<int:submission_id>/not-opinion")
@require(Permission.consultation_manage)
def mark_not_opinion(submission_id: int):
    """Mark a part of the submission as not an opinion (a greeting, a signature), with a note."""
    read_before_write()
    submission = _load_submission(submission_id)
    form = NotOpinionForm()
    joins = _joins_from_text(form.joins.data)
    splits = _splits_from_text(submission, form.splits.data)
    if not form.validate():
        return _render_triage(submission, joins, splits, failed=form, status=422)
    begin_write()
    try:
        operations.mark_not_an_opinion(
            submission,
            form.start.data,
            form.end.data,
            note=form.note.data,
            created_by=current_user,
            actor=request_actor(),
        )
    except DomainError as error:
        db.session.rollback()
        put_domain_error(form, error)
        return _render_triage(submission, joins, splits, failed=form, status=422)
    db.session.commit()
    flash(_l("The part is marked as not an opinion."))
    return _back_to_triage(submission_id, joins, splits)
