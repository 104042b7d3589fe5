"""The inspection packet as a page to print on A4 landscape (templates/exports/packet_print.html and
static/print-packet.css), marked 案 / DRAFT on every printed page while a draft."""

from __future__ import annotations

from flask import render_template

from comments.domain.packet import Packet
from comments.exports.packet_table import (
    CARRIED_IN_COLUMNS,
    CARRIED_OVER_COLUMNS,
    MAIN_COLUMNS,
    carried_in_cells,
    carried_over_cells,
    fill_label,
    main_cells,
    packet_title,
)


def packet_print(packet: Packet) -> bytes:
    """The packet as the bytes of an HTML page."""
    labels = packet.labels
    page = render_template(
        "exports/packet_print.html",
        packet=packet,
        labels=labels,
        title=packet_title(packet),
        meeting_date=fill_label(labels["meeting_date"], date=packet.meeting_date),
        periods=[fill_label(labels["period"], period=part.period) for part in packet.consultations],
        main_columns=[key for key, _width in MAIN_COLUMNS],
        carried_over_columns=[key for key, _width in CARRIED_OVER_COLUMNS],
        main_cells=lambda row: main_cells(row, labels),
        carried_over_cells=lambda row, reason: carried_over_cells(row, reason, labels),
        carried_in_columns=[key for key, _width in CARRIED_IN_COLUMNS],
        carried_in_cells=lambda opinion: carried_in_cells(opinion, labels),
    )
    return page.encode("utf-8")
