"""A table as an Excel workbook (.xlsx), as a city office prints it: the title and a few lines above the
column headings, the headings bold, frozen, filterable and repeated on every printed page, columns as wide
as their contents (a full-width character counts twice), long text wrapped, A4 landscape fitted to the
page's width, the title in the page header and the page number in the footer.

Every text is written as a text cell, never as a formula: openpyxl would take a text starting with ``=``
for one, and Excel would run it (OWASP CSV injection). A text a spreadsheet would read as a formula
(``= + - @``) also gets the quote prefix, so it stays text when someone edits the cell."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from comments.clock import JAPAN
from comments.exports.csv import FORMULA_STARTS
from comments.text import portable_text

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Column widths, in characters of the default font; a wider text wraps within the widest column.
MIN_COLUMN_WIDTH = 6
MAX_COLUMN_WIDTH = 60
COLUMN_PADDING = 2
# Excel refuses to show a cell of more characters than this (the file is "repaired", the cell cut).
CELL_MAX_CHARS = 32_767
TRUNCATED_MARK = "…"
# Excel allows 255 characters for each page header or footer, its codes (&L, &P) included.
HEADER_TEXT_MAX = 100
DATE_TIME_FORMAT = "yyyy/mm/dd hh:mm"
DATE_FORMAT = "yyyy/mm/dd"
DATE_TIME_WIDTH, DATE_WIDTH = 16, 10
# What Excel refuses in a sheet's name, and its longest.
_NOT_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_MAX = 31

_HEADING_FONT = Font(bold=True)
_HEADING_FILL = PatternFill("solid", fgColor="D9D9D9")
_TITLE_FONT = Font(bold=True, size=14)


@dataclass(frozen=True)
class Table:
    """What a workbook of one sheet holds. ``rows`` hold texts, numbers, dates and instants (aware
    ``datetime``, shown in Japan time) or None; ``notes`` are the lines under the title (the meeting, the
    day it was made); ``mark`` stands at the top right of every printed page (案 while a draft), ``footer``
    at the bottom right (the day it was made, the meeting)."""

    sheet_name: str
    title: str
    header: Sequence[str]
    rows: Sequence[Sequence]
    notes: Sequence[str] = ()
    mark: str = ""
    footer: str = ""


def display_width(text: str) -> int:
    """The width of the text's longest line, a full-width (CJK) character counting two."""
    return max(
        (sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in line) for line in text.split("\n")),
        default=0,
    )


def cell_text(value) -> str:
    """A value as the text a cell may hold: no control characters, nothing XML forbids, at most
    ``CELL_MAX_CHARS`` characters (cut with a mark, not refused)."""
    text = portable_text(value)
    if len(text) > CELL_MAX_CHARS:
        text = text[: CELL_MAX_CHARS - len(TRUNCATED_MARK)] + TRUNCATED_MARK
    return text


def _width(value) -> tuple[int, bool]:
    """(width, needs wrapping) of a cell's value; a text longer than the widest column is not measured."""
    if isinstance(value, datetime):
        return DATE_TIME_WIDTH, False
    if isinstance(value, date):
        return DATE_WIDTH, False
    if value is None:
        return 0, False
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_COLUMN_WIDTH:  # each character is at least one wide
        return MAX_COLUMN_WIDTH, True
    return display_width(text), "\n" in text


def _column_widths(header: Sequence[str], rows: Sequence[Sequence]) -> tuple[list[int], list[bool]]:
    widths = [MIN_COLUMN_WIDTH] * len(header)
    wrapped = [False] * len(header)
    for row in (header, *rows):
        for index, value in enumerate(row[: len(header)]):
            width, wrap = _width(value)
            widths[index] = max(widths[index], min(width + COLUMN_PADDING, MAX_COLUMN_WIDTH))
            wrapped[index] = wrapped[index] or wrap
    return widths, wrapped


def _header_footer_text(text: str) -> str:
    """A text for a page header or footer: ``&`` starts a code there, so it is doubled; kept short."""
    text = portable_text(text).replace("\n", " ")
    if len(text) > HEADER_TEXT_MAX:
        text = text[: HEADER_TEXT_MAX - 1] + TRUNCATED_MARK
    return text.replace("&", "&&")


def _sheet_name(name: str) -> str:
    cleaned = _NOT_IN_SHEET_NAME.sub(" ", portable_text(name).replace("\n", " ")).strip().strip("'")
    return cleaned[:SHEET_NAME_MAX] or "Sheet1"


def _cell(sheet, value, *, font=None, fill=None, alignment=None):
    """A cell holding ``value``: a text stays a text (never a formula), an instant is shown in Japan time."""
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value.astimezone(JAPAN).replace(tzinfo=None))
        cell.number_format = DATE_TIME_FORMAT
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = DATE_FORMAT
    elif isinstance(value, int | float) and not isinstance(value, bool):
        cell = WriteOnlyCell(sheet, value)
    else:
        text = cell_text(value)
        cell = WriteOnlyCell(sheet, text)
        cell.data_type = "s"  # openpyxl would take "=..." for a formula
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _set_up_page(sheet, table: Table, header_row: int) -> None:
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(table.header))}{header_row + len(table.rows)}"
    setup = sheet.page_setup
    setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    setup.paperSize = Worksheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.gridLines = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4  # inches
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.oddHeader.left.text = _header_footer_text(table.title)
    if table.mark:
        sheet.oddHeader.right.text = _header_footer_text(table.mark)
        sheet.oddHeader.right.size = 16
    sheet.oddFooter.center.text = "&P / &N"
    if table.footer:
        sheet.oddFooter.right.text = _header_footer_text(table.footer)


def build_xlsx(table: Table) -> bytes:
    """The table as the bytes of an .xlsx file of one sheet."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = cell_text(table.title)
    workbook.properties.creator = ""  # not "openpyxl"
    sheet = workbook.create_sheet(_sheet_name(table.sheet_name))
    widths, wrapped = _column_widths(table.header, table.rows)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    header_row = 2 + len(table.notes)
    _set_up_page(sheet, table, header_row)

    sheet.append([_cell(sheet, table.title, font=_TITLE_FONT)])
    for note in table.notes:
        sheet.append([_cell(sheet, note)])
    heading = Alignment(wrap_text=True, vertical="center")
    sheet.append(
        [_cell(sheet, name, font=_HEADING_FONT, fill=_HEADING_FILL, alignment=heading) for name in table.header]
    )
    alignments = [Alignment(wrap_text=wrap, vertical="top") for wrap in wrapped]
    for row in table.rows:
        sheet.append([_cell(sheet, value, alignment=alignments[index]) for index, value in enumerate(row)])

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
