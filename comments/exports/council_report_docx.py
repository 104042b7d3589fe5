"""The report to the council as a Word file in the city's usual layout for a letter of a committee: A4
portrait, the date at the right, the addressee, the sender by title at the right, the title centred, the
body, then a table (別表) of the committee's main opinions and the city's answers. A draft carries 案 in the
header of every page. Like the report itself (domain/council_report.py), the file is in Japanese."""

from __future__ import annotations

import io

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from comments import clock
from comments.domain.council_report import ReportDocument
from comments.exports import docx as word
from comments.text import portable_text

PAGE_WIDTH_MM = 210  # A4 portrait
PAGE_HEIGHT_MM = 297
MARGIN_MM = 25
TEXT_WIDTH_MM = PAGE_WIDTH_MM - 2 * MARGIN_MM  # 160
TABLE_HEADING = "別表　第三者点検における主な意見及び市の回答"
COLUMNS = (("番号", 34), ("主な意見", 63), ("市の回答", 63))
DRAFT_MARK = "案"
TABLE_FONT_HALF_POINTS = "20"  # 10 pt


def _set_up_page(section, report: ReportDocument) -> None:
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = Mm(PAGE_WIDTH_MM)
    section.page_height = Mm(PAGE_HEIGHT_MM)
    section.top_margin = section.bottom_margin = Mm(MARGIN_MM)
    section.left_margin = section.right_margin = Mm(MARGIN_MM)
    if report.draft:
        header = section.header
        header.is_linked_to_previous = False
        paragraph = header.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        mark = paragraph.add_run(DRAFT_MARK)
        mark.bold = True
        mark.font.size = Pt(16)
        word.boxed(mark)
    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    word.add_text_with_fields(paragraph._p, "{page} / {pages}", {"page": "PAGE", "pages": "NUMPAGES"})


def council_report_docx(report: ReportDocument) -> bytes:
    """The report as the bytes of a .docx file."""
    document = docx.Document()
    word.set_up_japanese_styles(document, text_width_mm=TEXT_WIDTH_MM)
    properties = document.core_properties
    # The template's own values ("python-docx", a 2013 date) would otherwise travel with the file.
    properties.title = portable_text(report.title)
    properties.author = properties.last_modified_by = portable_text(report.organisation)
    properties.comments = properties.subject = properties.keywords = properties.category = ""
    properties.created = properties.modified = clock.now()
    properties.revision = 1
    for section in document.sections:
        _set_up_page(section, report)

    if report.dated:
        word.add_paragraph(document, report.dated, align=WD_ALIGN_PARAGRAPH.RIGHT)
    word.add_paragraph(document, "")
    word.add_paragraph(document, report.addressee)
    word.add_paragraph(document, "")
    for line in report.sender.split("\n"):
        word.add_paragraph(document, line, align=WD_ALIGN_PARAGRAPH.RIGHT)
    word.add_paragraph(document, "")
    word.add_paragraph(document, report.title, bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    word.add_paragraph(document, "")
    for paragraph in report.body:
        word.add_paragraph(document, paragraph)

    if report.opinions:
        word.add_paragraph(document, TABLE_HEADING, style="Heading 2", page_break=True)
        word.add_table(
            document,
            [heading for heading, _width in COLUMNS],
            [width for _heading, width in COLUMNS],
            (
                ([(opinion.label, False)], [(opinion.body, False)], [(opinion.answer, False)])
                for opinion in report.opinions
            ),
            font_half_points=TABLE_FONT_HALF_POINTS,
        )

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
