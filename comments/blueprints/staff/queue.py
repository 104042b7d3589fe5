"""Back-office views: the queue of items to answer, soonest due first (R26: department staff see only their
own department's items, whatever the address asks for)."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from comments import clock
from comments.blueprints.staff import bp
from comments.blueprints.staff.queue_forms import QueueFilterForm
from comments.domain import responses as workflow
from comments.extensions import db
from comments.models import Department
from comments.permissions import Permission, require


@bp.get("/queue")
@require(Permission.response_review)
def department_queue():
    """The items to answer, soonest due first: a department's own, or every department's for the secretariat."""
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
    rows = None
    if form.validate():
        rows = workflow.response_queue(current_user, form.to_filters(), today=clock.japan_today())
    return render_template("staff/response_queue.html", form=form, rows=rows)
