"""The back office's home page: the links to every part the user may use, and the consultations."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from comments.blueprints.staff import bp
from comments.extensions import db
from comments.models import Consultation, Submission
from comments.permissions import Permission, require, scope_condition


@bp.get("/")
@require(Permission.submission_read)
def home():
    """The consultations whose submissions the user may read (a department's staff: their department's alone,
    R26), with how many submissions each has received."""
    counts = (
        select(Submission.consultation_id, func.count().label("received"))
        .group_by(Submission.consultation_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Consultation, func.coalesce(counts.c.received, 0))
        .outerjoin(counts, counts.c.consultation_id == Consultation.id)
        .where(scope_condition(current_user, Consultation.department_id, Permission.submission_read))
        .order_by(Consultation.closes_at.desc())
    ).all()
    return render_template("staff/home.html", rows=rows)
