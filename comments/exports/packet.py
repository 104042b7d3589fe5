"""The formats the inspection packet is offered in, in one registry: each view that offers the packet
looks its format up here, so a new format is one builder and one line below."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from comments.domain.packet import Packet
from comments.exports.packet_csv import packet_csv
from comments.exports.packet_docx import packet_docx
from comments.exports.packet_print import packet_print
from comments.exports.packet_xlsx import packet_xlsx
from comments.exports.xlsx import MEDIA_TYPE as XLSX_MEDIA_TYPE


@dataclass(frozen=True)
class PacketFormat:
    name: str  # the file extension, or "print" for the page
    media_type: str
    build: Callable[[Packet], bytes]
    download: bool  # a file to save (Content-Disposition: attachment), or a page to show and print


PACKET_FORMATS: dict[str, PacketFormat] = {
    packet_format.name: packet_format
    for packet_format in (
        PacketFormat("print", "text/html; charset=utf-8", packet_print, download=False),
        PacketFormat(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            packet_docx,
            download=True,
        ),
        PacketFormat("csv", "text/csv; charset=utf-8", packet_csv, download=True),
        PacketFormat("xlsx", XLSX_MEDIA_TYPE, packet_xlsx, download=True),
    )
}
