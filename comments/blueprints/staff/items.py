"""Back-office views: a consultation's items (意見), with the triage's progress, same-purport groups
(confirmed by staff, suggested by similarity), assignment to departments and carrying over.

The pages show comment text, never who wrote it: no submitter's name, address or e-mail is read here.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from comments import clock
from comments.blueprints.actors import request_actor
from comments.blueprints.staff import bp
from comments.blueprints.staff.item_forms import AssignForm, CarryOverForm, GroupForm, ItemFilterForm
from comments.blueprints.uploads import made_file_response
from comments.blueprints.views import commit_change, load, post_change
from comments.dates import calendar_day
from comments.domain import similarity
from comments.domain import triage as operations
from comments.domain.list_exports import personal_data_remover, record_list_export
from comments.exports.listings import items_xlsx
from comments.exports.xlsx import MEDIA_TYPE as XLSX_MEDIA_TYPE
from comments.extensions import db
from comments.models import Consultation, Department, Item
from comments.permissions import Permission, require

# How alike two gists must be for the list to suggest grouping them (see domain/similarity.py).
SUGGESTION_THRESHOLD = 0.8
# Domain errors name the stored attribute; the item form names what staff chose.
FORM_FIELD = {"section_id": "section"}


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
):
    """The list page; after a refused POST, with the form that asked and its errors."""
    departments = _departments()
    filter_form = ItemFilterForm(formdata=request.args if request.method == "GET" else None)
    filter_form.offer_departments(departments)
    valid = filter_form.validate()
    filters = filter_form.to_filters() if valid else operations.ItemFilters()
    # The Excel file of what the page shows: the filters it applied, no other name the address carried.
    export_args = {name: value for name, value in filter_form.data.items() if value} if valid else {}
    all_rows = operations.item_rows(consultation)
    rows = operations.filter_item_rows(all_rows, filters)
    group_form = group_form or GroupForm(formdata=None)
    assign_form = assign_form or AssignForm(formdata=None)
    assign_form.offer_departments(departments)
    ticked = set(group_form.items.data or []) | set(assign_form.items.data or [])
    if carry_form is not None:
        carry_form.reason.id = f"carry-{carry_item_id}-reason"  # the id its row gives the text area
    return render_template(
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
        export_url=url_for("staff.export_items", consultation_id=consultation.id, **export_args),
    )


@bp.get("/consultations/<int:consultation_id>/items")
@require(Permission.consultation_manage)
def list_items(consultation_id: int):
    """The consultation's items in number order, with filters, the triage progress, grouping and assignment."""
    return _render_items(load(Consultation, consultation_id))


@bp.get("/consultations/<int:consultation_id>/items.xlsx")
@require(Permission.consultation_manage)
def export_items(consultation_id: int):
    """The items the page's filters show, as an Excel file without personal data; the export is recorded.
    A filter the page would refuse is answered with the page and its message (422)."""
    consultation = load(Consultation, consultation_id)
    filter_form = ItemFilterForm(formdata=request.args)
    filter_form.offer_departments(_departments())
    if not filter_form.validate():
        return _render_items(consultation), 422
    rows = operations.filter_item_rows(operations.item_rows(consultation), filter_form.to_filters())
    today = clock.japan_today()
    data = items_xlsx(
        consultation.title,
        rows,
        personal_data_remover(row.item.submission_id for row in rows),
        stamp=_("Exported on %(date)s", date=calendar_day(today)),
    )
    commit_change(
        lambda: record_list_export(
            "items", consultation, rows=len(rows), filters=filter_form.data, actor=request_actor()
        )
    )
    return made_file_response(data, f"items-{consultation.id}-{today:%Y%m%d}.xlsx", XLSX_MEDIA_TYPE)


def _items_url(consultation_id: int) -> str:
    return url_for("staff.list_items", consultation_id=consultation_id)


@bp.post("/consultations/<int:consultation_id>/groups")
@require(Permission.consultation_manage)
def group_items(consultation_id: int):
    """Confirm a same-purport group of the ticked items, with the gist they share (R06)."""
    consultation = load(Consultation, consultation_id)
    form = GroupForm()
    form.offer_items(_item_choices(consultation))
    assign_form = AssignForm()  # what was typed there stays on the page
    return post_change(
        form,
        lambda: operations.group_items(
            _chosen_items(consultation, form.items.data),
            gist=form.gist.data,
            created_by=current_user,
            actor=request_actor(),
        ),
        page=lambda: _render_items(consultation, group_form=form, assign_form=assign_form),
        lock=[consultation],
        renamed=FORM_FIELD,
        then=_items_url(consultation_id),
        done=lambda group: _l("The group of %(count)d items is confirmed.", count=len(group.items)),
    )


@bp.post("/consultations/<int:consultation_id>/assignments")
@require(Permission.consultation_manage)
def assign_items(consultation_id: int):
    """Send the ticked items to a department to draft their responses by a due date."""
    consultation = load(Consultation, consultation_id)
    form = AssignForm()
    form.offer_items(_item_choices(consultation))
    form.offer_departments(_departments())
    group_form = GroupForm()

    def assign():
        items = _chosen_items(consultation, form.items.data)
        department = db.session.get(Department, form.department_id.data)
        operations.assign_items(items, department, due_on=form.due_on.data, actor=request_actor())
        return len(items), department.name

    return post_change(
        form,
        assign,
        page=lambda: _render_items(consultation, group_form=group_form, assign_form=form),
        lock=[consultation],
        renamed=FORM_FIELD,
        then=_items_url(consultation_id),
        done=lambda assigned: ngettext(
            "%(num)d item is assigned to %(department)s.",
            "%(num)d items are assigned to %(department)s.",
            assigned[0],
            department=assigned[1],
        ),
    )


@bp.post("/items/<int:item_id>/carry-over")
@require(Permission.consultation_manage)
def carry_over_item(item_id: int):
    """次回以降の部会で説明: the item is answered at a later meeting, for the reason given."""
    item = load(Item, item_id)
    consultation = load(Consultation, item.consultation_id)
    form = CarryOverForm()
    return post_change(
        form,
        lambda: operations.carry_over(item, reason=form.reason.data, actor=request_actor()),
        page=lambda: _render_items(consultation, carry_item_id=item.id, carry_form=form),
        lock=[item],
        field=form.reason,
        then=_items_url(consultation.id),
        done=lambda _none: _l("Item %(number)d is carried over to a later meeting.", number=item.number),
    )
