"""The inspection packet as a Word file: A4 landscape, one table per consultation with its header row
repeated on every page, a table of the items carried over to a later meeting, a table of the committee's
opinions carried to this meeting from earlier ones (前回からの継続事項), page numbers in the
footer, and 案 / DRAFT in the header of every page while the packet is a draft."""

from __future__ import annotations

import io

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from comments import clock
from comments.domain.packet import Packet
from comments.exports import docx as word
from comments.exports.packet_table import (
    CARRIED_IN_COLUMNS,
    CARRIED_OVER_COLUMNS,
    MAIN_COLUMNS,
    MARGIN_MM,
    PAGE_HEIGHT_MM,
    PAGE_WIDTH_MM,
    TEXT_WIDTH_MM,
    carried_in_cells,
    carried_over_cells,
    fill_label,
    main_cells,
    packet_title,
)
from comments.text import portable_text

TABLE_FONT_HALF_POINTS = "18"  # 9 pt: eight columns on A4 landscape


def _set_up_header_and_footer(section, packet: Packet) -> None:
    labels = packet.labels
    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.add_run(portable_text(packet.meeting_title)).font.size = Pt(8)
    if packet.draft:
        # The mark stands at the right of every page, boxed, so a printed draft page is never taken
        # for the final packet.
        paragraph.add_run("\t")
        mark = paragraph.add_run(portable_text(labels["draft_mark"]))
        mark.bold = True
        mark.font.size = Pt(20)
        word.boxed(mark)

    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    word.add_text_with_fields(paragraph._p, labels["footer_page"], {"page": "PAGE", "pages": "NUMPAGES"})


def _table(document, columns, labels, rows) -> None:
    word.add_table(
        document,
        [labels[key] for key, _width in columns],
        [width for _key, width in columns],
        rows,
        font_half_points=TABLE_FONT_HALF_POINTS,
    )


def packet_docx(packet: Packet) -> bytes:
    """The packet as the bytes of a .docx file."""
    labels = packet.labels
    document = docx.Document()
    word.set_up_japanese_styles(document, text_width_mm=TEXT_WIDTH_MM)
    title = packet_title(packet)
    properties = document.core_properties
    # The template's own values ("python-docx", a 2013 date) would otherwise travel with the file.
    properties.title = portable_text(f"{packet.meeting_title} {title}".strip())
    properties.author = properties.last_modified_by = portable_text(packet.organisation)
    properties.comments = properties.subject = properties.keywords = properties.category = ""
    properties.created = properties.modified = clock.now()
    properties.revision = 1
    for section in document.sections:
        word.set_up_landscape_page(section, width_mm=PAGE_WIDTH_MM, height_mm=PAGE_HEIGHT_MM, margin_mm=MARGIN_MM)
        _set_up_header_and_footer(section, packet)

    word.add_paragraph(document, packet.meeting_title, bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    word.add_paragraph(document, title, bold=True, size=16, align=WD_ALIGN_PARAGRAPH.CENTER)
    if packet.draft:
        word.add_paragraph(document, labels["draft_notice"], align=WD_ALIGN_PARAGRAPH.CENTER)
    word.add_paragraph(document, packet.organisation, align=WD_ALIGN_PARAGRAPH.RIGHT)
    word.add_paragraph(
        document, fill_label(labels["meeting_date"], date=packet.meeting_date), align=WD_ALIGN_PARAGRAPH.RIGHT
    )

    for index, consultation in enumerate(packet.consultations):
        word.add_paragraph(document, consultation.title, style="Heading 1", page_break=index > 0)
        word.add_paragraph(document, fill_label(labels["period"], period=consultation.period))
        if consultation.totals:
            word.add_paragraph(document, consultation.totals)
        if consultation.rows:
            _table(document, MAIN_COLUMNS, labels, (main_cells(row, labels) for row in consultation.rows))
        elif not consultation.carried_over:
            word.add_paragraph(document, labels["no_items"])
        if consultation.carried_over:
            word.add_paragraph(document, labels["carried_over_heading"], style="Heading 2")
            _table(
                document,
                CARRIED_OVER_COLUMNS,
                labels,
                (carried_over_cells(row, reason, labels) for row, reason in consultation.carried_over),
            )
    if packet.carried_in:
        word.add_paragraph(
            document, labels["carried_in_heading"], style="Heading 1", page_break=bool(packet.consultations)
        )
        _table(
            document, CARRIED_IN_COLUMNS, labels, (carried_in_cells(opinion, labels) for opinion in packet.carried_in)
        )

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
