"""The back office's lists as Excel files (exports/xlsx.py): the inbox, a consultation's items and the queue
of items to answer, each with the columns its page shows, in the viewer's language.

The texts come without personal data (comments/domain/list_exports.py); only the inbox, asked for with its
submitters' personal data, adds their name, e-mail and contact, and is then marked 取扱注意 on every page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from flask_babel import gettext as _

from comments.domain.list_exports import ExportedSubmission
from comments.domain.responses import QueueRow
from comments.domain.triage import ItemRow
from comments.exports.xlsx import Table, build_xlsx
from comments.labels import label, response_state_label

Remover = Callable[[str, int | None], str]


def _personal_data_note() -> str:
    return _("Names, addresses, e-mail addresses, telephone numbers and individual numbers are removed from the texts.")


def inbox_xlsx(
    title: str,
    exported: Sequence[ExportedSubmission],
    *,
    with_personal_data: bool,
    channel_labels: Mapping[str, str],
    kind_labels: Mapping[str, str],
    stamp: str,
) -> bytes:
    """The inbox of the consultation ``title`` as the bytes of an .xlsx file."""
    header = [
        _("Receipt number"),
        _("Received"),
        _("Channel"),
        _("Submitter"),
        _("Text"),
        _("Attachments"),
        _("Late"),
        _("Same or nearly the same text"),
    ]
    notes = [title, stamp, _personal_data_note()]
    if with_personal_data:
        header += [_("Name"), _("E-mail address"), _("Postal address or telephone number")]
        notes.append(_("This file holds personal data: keep it as the city's rules require and delete it when done."))
    rows = []
    for entry in exported:
        row = entry.row
        cells = [
            row.receipt_number,
            row.received_at,
            channel_labels.get(row.channel.value, row.channel.value),
            kind_labels.get(row.submitter_kind.value, row.submitter_kind.value),
            entry.text,
            row.attachment_count,
            _("Late") if row.late else _("On time"),
            row.similar or None,
        ]
        if with_personal_data:
            cells += [entry.name, entry.email, entry.contact]
        rows.append(cells)
    return build_xlsx(
        Table(
            sheet_name=_("Inbox"),
            title=_("Inbox"),
            header=header,
            rows=rows,
            notes=notes,
            mark=_("Handle with care") if with_personal_data else "",
            footer=stamp,
        )
    )


def items_xlsx(title: str, rows: Sequence[ItemRow], remove: Remover, *, stamp: str) -> bytes:
    """A consultation's items (``title``), as the items page lists them, as the bytes of an .xlsx file."""
    header = [
        _("No."),
        _("Kind"),
        _("Gist"),
        _("Section"),
        _("Same-purport group"),
        _("Department"),
        _("Due"),
        _("Overdue"),
        _("Response"),
        _("Carried over"),
    ]
    lines = []
    for row in rows:
        item = row.item
        group = ""
        if item.group is not None:
            group = (
                remove(item.group.gist, item.submission_id)
                + "\n"
                + _("group of %(count)d items", count=row.group_count)
            )
        lines.append(
            [
                item.number,
                label(item.kind),
                remove(item.gist, item.submission_id),
                f"{item.section.number} {item.section.heading}" if item.section else _("Not specific"),
                group,
                item.department.name if item.department else _("Not assigned"),
                item.due_on,
                _("Overdue") if row.overdue else "",
                response_state_label(row.response_state),
                remove(item.carried_over_reason, item.submission_id) if item.carried_over_reason else "",
            ]
        )
    return build_xlsx(
        Table(
            sheet_name=_("Items"),
            title=_("Items"),
            header=header,
            rows=lines,
            notes=[title, stamp, _personal_data_note()],
            footer=stamp,
        )
    )


def queue_xlsx(heading: str, rows: Sequence[QueueRow], remove: Remover, *, with_department: bool, stamp: str) -> bytes:
    """The queue of items to answer (of ``heading``: a department, or every one) as the bytes of an .xlsx file."""
    header = [_("Item"), _("Consultation"), _("Gist"), _("Kind")]
    if with_department:
        header.append(_("Department"))
    header += [_("Due"), _("Overdue"), _("Response")]
    lines = []
    for row in rows:
        item = row.item
        cells = [item.number, row.consultation_title, remove(item.gist, item.submission_id), label(item.kind)]
        if with_department:
            cells.append(row.department_name)
        state = response_state_label(row.state)
        if item.carried_over_at:
            state += "\n" + _("carried over to a later meeting")
        cells += [item.due_on, _("Overdue") if row.overdue else "", state]
        lines.append(cells)
    return build_xlsx(
        Table(
            sheet_name=_("Items to answer"),
            title=_("Items to answer"),
            header=header,
            rows=lines,
            notes=[note for note in (heading, stamp, _personal_data_note()) if note],
            footer=stamp,
        )
    )
