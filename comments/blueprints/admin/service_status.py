"""The service status page (運用状況): how far behind each of the worker's jobs is, against its threshold, and
the worker's last work, for the administrator. The same figures the probes and the metrics give
(comments/domain/lags.py), for someone without the monitoring at hand."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l

from comments.blueprints.admin import bp
from comments.domain.lags import measure_lags
from comments.permissions import Permission, require

JOB_LABELS = {
    "mail": _l("Sending mail"),
    "audit": _l("Sealing the audit trail"),
    "search": _l("Indexing submissions for search"),
}


def duration(seconds: float | None):
    """A span of time as an operator reads it: seconds under two minutes, minutes under two hours, else hours."""
    if seconds is None:
        return ""
    if seconds < 120:
        return _l("%(num)d s", num=int(seconds))
    if seconds < 2 * 3600:
        return _l("%(num)d min", num=int(seconds // 60))
    return _l("%(num)d h", num=int(seconds // 3600))


@bp.get("/service-status")
@require(Permission.service_status_read)
def show_service_status():
    """Each job's backlog (how many wait, since when, for how long, against its threshold) and the worker's
    last work; failed mail and the committee's mail quarantine beside them."""
    return render_template(
        "admin/service_status.html",
        lags=measure_lags(with_last_work=True),
        job_labels=JOB_LABELS,
        duration=duration,
    )
