"""The published minutes (議事録) as a Word file: A4 portrait, the meeting's title, day and place, then
each speaker's turn as the minutes print it, （speaker） before the first paragraph of the turn.

Given the public copy only (``comments.domain.minutes.public_text``): it never sees a withheld passage, so
no file it writes can hold one.
"""

from __future__ import annotations

import io

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm

from comments.domain.minutes_text import MinutesText
from comments.exports import docx as word

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_PAGE_WIDTH_MM, _PAGE_HEIGHT_MM, _MARGIN_MM = 210, 297, 25


def build_minutes_docx(text: MinutesText, *, title: str, facts: list[str]) -> bytes:
    """The Word file of ``text`` (a public copy) under ``title``, with ``facts`` (day, place) below it."""
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(_PAGE_WIDTH_MM), Mm(_PAGE_HEIGHT_MM)
    section.top_margin = section.bottom_margin = Mm(_MARGIN_MM)
    section.left_margin = section.right_margin = Mm(_MARGIN_MM)
    word.set_up_japanese_styles(document, text_width_mm=_PAGE_WIDTH_MM - 2 * _MARGIN_MM)
    word.add_paragraph(document, title, style="Heading 1", align=WD_ALIGN_PARAGRAPH.CENTER)
    for fact in facts:
        word.add_paragraph(document, fact, align=WD_ALIGN_PARAGRAPH.RIGHT)
    for turn in text.turns:
        for index, paragraph in enumerate(turn.paragraphs):
            if any(segment.withheld is not None for segment in paragraph):
                raise ValueError("a withheld passage was given to the public minutes file")
            body = "".join(segment.text for segment in paragraph)
            added = document.add_paragraph()
            if index == 0 and turn.speaker is not None:
                added.add_run(word.portable_text(f"（{turn.speaker}）")).bold = True
            added.add_run(word.portable_text(body))
            added.paragraph_format.space_before = Mm(2)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
