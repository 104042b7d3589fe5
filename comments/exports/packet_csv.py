"""The inspection packet as CSV for Excel: UTF-8 with a BOM, CRLF, one row per item with the
consultation's title first, carried-over rows marked with their reason, then the committee's opinions carried
to this meeting from earlier ones, marked so, in the same columns; a draft starts with a row
[案, notice] before the column headings. Every cell goes through the formula neutralisation of
``build_csv``."""

from __future__ import annotations

from collections.abc import Mapping

from comments.domain.packet import Packet, PacketConsultation, PacketOpinion, PacketRow
from comments.exports.csv import build_csv
from comments.exports.packet_table import inquiry_lines, opinion_number, raised_at
from comments.text import portable_text

COLUMNS = (
    "column_consultation",
    "column_number",
    "column_section",
    "column_page",
    "column_submitter",
    "column_kind",
    "column_gist",
    "column_group_count",
    "column_response",
    "column_category",
    "column_change",
    "column_inquiries",
    "column_carried_over",
    "column_reason",
)


def _row(consultation: PacketConsultation, row: PacketRow, labels: Mapping[str, str], reason: str | None):
    inquiries = "\n".join(line for inquiry in row.inquiries for line in inquiry_lines(inquiry, labels))
    return [
        portable_text(cell)
        for cell in (
            consultation.title,
            row.number,
            row.section or labels["whole_draft"],
            "" if row.page is None else row.page,
            row.submitter_kind,
            row.kind,
            row.gist,
            row.group_count,
            row.response,
            row.category,
            row.change,
            inquiries,
            "" if reason is None else labels["carried_over_mark"],
            reason or "",
        )
    ]


def _opinion_row(opinion: PacketOpinion, labels: Mapping[str, str]):
    """An opinion carried to this meeting, in the same columns: its number, the opinion where the gist
    stands, the answer where the response stands, marked carried in, with the meeting it was raised at."""
    cells = dict.fromkeys(COLUMNS, "")
    cells.update(
        column_consultation=opinion.consultation,
        column_number=opinion_number(opinion, labels),
        column_gist=opinion.body,
        column_response=opinion.answer,
        column_carried_over=labels["carried_in_mark"],
        column_reason=raised_at(opinion, labels),
    )
    return [portable_text(cells[key]) for key in COLUMNS]


def packet_rows(packet: Packet) -> tuple[list[str], list[list[str]]]:
    """The column headings and the rows of the packet as a table (the CSV's and the Excel file's)."""
    labels = packet.labels
    rows: list[list[str]] = []
    for consultation in packet.consultations:
        rows.extend(_row(consultation, row, labels, None) for row in consultation.rows)
        rows.extend(_row(consultation, row, labels, reason) for row, reason in consultation.carried_over)
    rows.extend(_opinion_row(opinion, labels) for opinion in packet.carried_in)
    return [labels[key] for key in COLUMNS], rows


def packet_csv(packet: Packet) -> bytes:
    """The packet as the bytes of a .csv file."""
    labels = packet.labels
    header, rows = packet_rows(packet)
    lines: list[list] = [[labels["draft_mark"], labels["draft_notice"]]] if packet.draft else []
    lines.append(header)
    lines.extend(rows)
    # build_csv calls its first line the header; here that is the draft row when there is one.
    return build_csv(lines[0], lines[1:]).encode("utf-8")
