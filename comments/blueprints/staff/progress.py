"""Back-office views: how far the responses of a consultation have come, by state, department and due
date, the overdue items, and the approvals over time as a chart (SVG, no script) with its table."""

from __future__ import annotations

import math
from datetime import date, timedelta

from flask import render_template
from flask_login import current_user

from comments import clock
from comments.blueprints.staff import bp
from comments.blueprints.views import load
from comments.domain import progress, schedule
from comments.models import Consultation
from comments.permissions import Permission, require

CHART_WIDTH, CHART_HEIGHT = 640, 260
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 56, 24, 16, 44
CHART_MAX_DAY_LABELS = 6


def _nice_step(top: int, ticks: int = 4) -> int:
    """A whole-number step for the value axis: about ``ticks`` steps reach ``top``."""
    return max(1, math.ceil(top / ticks))


def approval_chart(days: list[progress.ApprovalDay]) -> dict | None:
    """The geometry of the cumulative-approvals step line, drawn as SVG by the template (no script).

    The time axis runs from the day before the first approval (nothing approved yet) to the day after
    the last one, with one point per row of the data table, so the chart and the table hold the same
    numbers.
    """
    if not days:
        return None
    start: date = days[0].day - timedelta(days=1)
    end: date = days[-1].day + timedelta(days=1)
    span = (end - start).days
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    step = _nice_step(days[-1].cumulative)
    top = step * math.ceil(days[-1].cumulative / step)

    def x(day: date) -> float:
        return round(CHART_LEFT + plot_width * (day - start).days / span, 1)

    def y(value: int) -> float:
        return round(CHART_TOP + plot_height * (1 - value / top), 1)

    path = [f"M {x(start)} {y(0)}"]
    path.extend(f"H {x(entry.day)} V {y(entry.cumulative)}" for entry in days)
    path.append(f"H {x(end)}")
    every = max(1, math.ceil(len(days) / CHART_MAX_DAY_LABELS))
    labelled = [entry for index, entry in enumerate(days) if index % every == 0]
    if labelled[-1] is not days[-1]:
        labelled.append(days[-1])
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - CHART_RIGHT,
        "top": CHART_TOP,
        "bottom": CHART_HEIGHT - CHART_BOTTOM,
        "path": " ".join(path),
        "points": [{"x": x(entry.day), "y": y(entry.cumulative), "entry": entry} for entry in days],
        "value_ticks": [{"value": value, "y": y(value)} for value in range(0, top + 1, step)],
        "day_ticks": [{"day": entry.day, "x": x(entry.day)} for entry in labelled],
        "first": days[0].day,
        "last": days[-1].day,
        "total": days[-1].cumulative,
    }


@bp.get("/consultations/<int:consultation_id>/progress")
@require(Permission.submission_read)
def show_progress(consultation_id: int):
    """The items of a consultation by the state of their response, by department and by due date; the
    overdue items; and the approvals over time, as a chart and as a table of the same numbers."""
    consultation = load(
        Consultation, consultation_id, visible=lambda found: current_user.can(Permission.submission_read, found)
    )
    today = clock.japan_today()
    overdue = progress.overdue_items(consultation, today)
    approvals = progress.approvals_by_day(consultation)
    return render_template(
        "staff/progress.html",
        consultation=consultation,
        today=today,
        states=progress.STATES,
        state_label=progress.state_label,
        by_state=progress.counts_by_state(consultation),
        by_department=progress.counts_by_department(consultation),
        by_due_date=progress.counts_by_due_date(consultation),
        overdue=overdue,
        linked={row.item_id for row in overdue if current_user.can(Permission.response_review, row)},
        approvals=approvals,
        chart=approval_chart(approvals),
        slipped_steps=schedule.slipped_steps(today, consultation),
    )
