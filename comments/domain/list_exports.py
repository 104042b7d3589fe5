"""What the back office's lists (the inbox, the items, the queue) hand out as Excel files, and the audit
event of every such export (style rule 11).

A list leaves the service without anyone's personal data: its texts lose what preparing the published
results removes by itself (comments/domain/publication.py: the details each submitter gave, any e-mail
address, telephone number or individual number), and no name, e-mail address or contact is included.
The inbox alone may be exported with its submitters' personal data, for someone who may read it, who
entered their password just now (R27), and then a ``personal_data.exported`` event names the fields and
the receipt numbers whose data left (never the data), as ``personal_data.viewed`` does for one page (R45).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.domain.inbox import InboxFilters, InboxRow, list_inbox
from comments.domain.publication import given_values, without_personal_data
from comments.extensions import db
from comments.models import Consultation, Submission, Submitter

# One request builds the file: past this many rows, staff narrow the filters and export in parts.
EXPORT_MAX_ROWS = 10_000
_PAGE = 1000  # rows read at a time, through the inbox's own paging
_CHUNK = 500  # ids in one IN list
PERSONAL_FIELDS = ("name", "email", "contact")


class TooManyRowsError(DomainError):
    """More rows match than one file holds (``EXPORT_MAX_ROWS``)."""


@dataclass(frozen=True)
class ExportedSubmission:
    """One line of the inbox's Excel file: its row, its whole text without personal data, and the
    submitter's personal data only when it was asked for (else "")."""

    row: InboxRow
    text: str
    name: str = ""
    email: str = ""
    contact: str = ""


def _chunks(ids: list[int]):
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _submitters(submission_ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """(name, e-mail, contact) by submission, for the submissions that have a submitter."""
    found: dict[int, tuple[str, str, str]] = {}
    for chunk in _chunks(submission_ids):
        rows = db.session.execute(
            select(Submitter.submission_id, Submitter.name, Submitter.email, Submitter.contact).where(
                Submitter.submission_id.in_(chunk)
            )
        )
        for submission_id, name, email, contact in rows:
            found[submission_id] = (name or "", email or "", contact or "")
    return found


def personal_data_remover(submission_ids: Iterable[int]) -> Callable[[str, int | None], str]:
    """A function of (text, submission id) giving the text without personal data: without what that
    submission's submitter gave about themselves, nor any e-mail address, telephone number or individual
    number (a text no submission stands behind, None, loses the latter only)."""
    values = {
        submission_id: given_values(*given) for submission_id, given in _submitters(sorted(set(submission_ids))).items()
    }
    return lambda text, submission_id: without_personal_data(text or "", values.get(submission_id, set()))


def inbox_export(
    consultation: Consultation, filters: InboxFilters, *, with_personal_data: bool = False
) -> list[ExportedSubmission]:
    """Every submission the inbox shows with ``filters`` (all its pages), newest first, with its whole text
    without personal data; with ``with_personal_data``, the submitter's name, e-mail and contact too. The
    caller has checked who may have them. TooManyRowsError past ``EXPORT_MAX_ROWS``."""
    rows: list[InboxRow] = []
    after = None
    while True:
        page = list_inbox(db.session, consultation, filters, after=after, limit=_PAGE)
        rows.extend(page.rows)
        if len(rows) > EXPORT_MAX_ROWS:
            raise TooManyRowsError(
                _l(
                    "More than %(limit)d submissions match: narrow the filters (by the received dates, say) and "
                    "download them in parts.",
                    limit=EXPORT_MAX_ROWS,
                )
            )
        if page.next_cursor is None:
            break
        after = page.next_cursor
    ids = [row.id for row in rows]
    bodies: dict[int, str] = {}
    for chunk in _chunks(ids):
        bodies.update(db.session.execute(select(Submission.id, Submission.body).where(Submission.id.in_(chunk))).all())
    submitters = _submitters(ids)
    remove = personal_data_remover(ids)
    exported = []
    for row in rows:
        personal = submitters.get(row.id, ("", "", "")) if with_personal_data else ("", "", "")
        exported.append(ExportedSubmission(row, remove(bodies.get(row.id, ""), row.id), *personal))
    return exported


def _filter_detail(filters: InboxFilters) -> dict:
    """The filters as the audit trail keeps them: the searched words never (they may be a name), only that
    there were some."""
    return {
        "channel": filters.channel.value if filters.channel else None,
        "submitter_kind": filters.submitter_kind.value if filters.submitter_kind else None,
        "late": filters.late,
        "has_attachments": filters.has_attachments,
        "received_from": filters.received_from.isoformat() if filters.received_from else None,
        "received_to": filters.received_to.isoformat() if filters.received_to else None,
        "searched": bool(filters.query),
    }


def record_inbox_export(
    consultation: Consultation,
    filters: InboxFilters,
    exported: list[ExportedSubmission],
    *,
    with_personal_data: bool,
    actor: Actor,
) -> None:
    """Record that the inbox left the service as a file: ``inbox.exported`` with the filters and the count;
    with personal data, ``personal_data.exported`` instead, naming the fields and every receipt number whose
    data left. The caller commits."""
    detail = {"format": "xlsx", "what": "inbox", "rows": len(exported), "filters": _filter_detail(filters)}
    if not with_personal_data:
        record_event(actor, "inbox.exported", consultation, **detail)
        return
    record_event(
        actor,
        "personal_data.exported",
        consultation,
        **detail,
        fields=list(PERSONAL_FIELDS),
        receipt_numbers=[entry.row.receipt_number for entry in exported],
    )


def record_list_export(what: str, obj, *, rows: int, filters: dict, actor: Actor) -> None:
    """Record that a list without personal data (``what``: "items", "queue") left the service as a file,
    with its filters and its count: ``<what>.exported`` on ``obj`` (the consultation, or the user whose queue
    it is). The caller commits."""
    record_event(actor, f"{what}.exported", obj, format="xlsx", rows=rows, filters=filters)
