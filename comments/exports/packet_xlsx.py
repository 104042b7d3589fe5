"""The inspection packet as an Excel file: the CSV's columns and rows (exports/packet_csv.py) under the
meeting's title, organisation and date, with 案 / DRAFT and its notice on a draft, printed on A4 landscape
(exports/xlsx.py)."""

from __future__ import annotations

from comments.domain.packet import Packet
from comments.exports.packet_csv import packet_rows
from comments.exports.packet_table import fill_label, packet_title
from comments.exports.xlsx import Table, build_xlsx


def packet_xlsx(packet: Packet) -> bytes:
    """The packet as the bytes of an .xlsx file."""
    labels = packet.labels
    header, rows = packet_rows(packet)
    notes = [packet.meeting_title, packet.organisation, fill_label(labels["meeting_date"], date=packet.meeting_date)]
    if packet.draft:
        notes.insert(0, labels["draft_notice"])
    return build_xlsx(
        Table(
            sheet_name=labels["document_title"],
            title=packet_title(packet),
            header=header,
            rows=rows,
            notes=[note for note in notes if note],
            mark=labels["draft_mark"] if packet.draft else "",
            footer=packet.meeting_title,
        )
    )
