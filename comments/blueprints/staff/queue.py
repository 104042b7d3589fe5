"""Back-office views: the queue of items to answer, soonest due first (R26: department staff see only their
own department's items, whatever the address asks for)."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from comments import clock
from comments.blueprints.actors import request_actor
from comments.blueprints.staff import bp
from comments.blueprints.staff.queue_forms import QueueFilterForm
from comments.blueprints.uploads import made_file_response
from comments.blueprints.views import commit_change
from comments.dates import calendar_day
from comments.domain import responses as workflow
from comments.domain.list_exports import personal_data_remover, record_list_export
from comments.exports.listings import queue_xlsx
from comments.exports.xlsx import MEDIA_TYPE as XLSX_MEDIA_TYPE
from comments.extensions import db
from comments.models import Department
from comments.permissions import Permission, require


def _queue_form() -> QueueFilterForm:
    form = QueueFilterForm(formdata=request.args)
    if current_user.can(Permission.every_department):
        departments = db.session.scalars(select(Department).order_by(Department.name)).all()
        form.department_id.choices = [
            *form.department_id.choices,
            *(SelectChoice(str(d.id), d.name) for d in departments),
        ]
    else:
        # Department staff always get their own department's items, whatever the address asks for (R26).
        form.department_id.validate_choice = False
    return form


@bp.get("/queue")
@require(Permission.response_review)
def department_queue():
    """The items to answer, soonest due first: a department's own, or every department's for the secretariat."""
    form = _queue_form()
    rows = None
    export_url = None
    if form.validate():
        rows = workflow.response_queue(current_user, form.to_filters(), today=clock.japan_today())
        # The Excel file of what the page shows: its filters, no other name the address carried.
        export_url = url_for("staff.export_queue", **{name: value for name, value in form.data.items() if value})
    return render_template("staff/response_queue.html", form=form, rows=rows, export_url=export_url)


@bp.get("/queue.xlsx")
@require(Permission.response_review)
def export_queue():
    """The queue as the page's filters show it, as an Excel file without personal data: department staff get
    their own department's items only, as on the page (R26). The export is recorded."""
    form = _queue_form()
    if not form.validate():
        return render_template("staff/response_queue.html", form=form, rows=None), 422
    today = clock.japan_today()
    filters = form.to_filters()
    rows = workflow.response_queue(current_user, filters, today=today)
    every = current_user.can(Permission.every_department)
    # What narrowed the file, for the trail; a department asked for is honoured for the secretariat only.
    detail = {"state": filters.state, "due": filters.due, "department_id": filters.department_id if every else None}
    own = current_user.department
    data = queue_xlsx(
        "" if every or own is None else own.name,
        rows,
        personal_data_remover(row.item.submission_id for row in rows),
        with_department=every,
        stamp=_("Exported on %(date)s", date=calendar_day(today)),
    )
    user = current_user._get_current_object()
    commit_change(lambda: record_list_export("queue", user, rows=len(rows), filters=detail, actor=request_actor()))
    return made_file_response(data, f"queue-{today:%Y%m%d}.xlsx", XLSX_MEDIA_TYPE)
