"""The back office's home page: the links to every part the user may use, and the consultations."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from comments.blueprints.staff import bp
from comments.extensions import db
from comments.models import Consultation, Submission
from comments.permissions import Permission, require


@bp.get("/")
@require(Permission.submission_read)
def home():
    """The consultations with how many submissions each has received."""
    counts = (
        select(Submission.consultation_id, func.count().label("received"))
        .group_by(Submission.consultation_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Consultation, func.coalesce(counts.c.received, 0))
        .outerjoin(counts, counts.c.consultation_id == Consultation.id)
        .order_by(Consultation.closes_at.desc())
    ).all()
    return render_template("staff/home.html", rows=rows)
