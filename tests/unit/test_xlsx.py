"""The Excel builder (exports/xlsx.py): real .xlsx files, opened again with openpyxl and read: every text a
text (never a formula, whatever blns.json throws at it), print settings as a city prints, widths by content."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook

from comments.exports.csv import FORMULA_STARTS
from comments.exports.xlsx import (
    CELL_MAX_CHARS,
    MAX_COLUMN_WIDTH,
    MIN_COLUMN_WIDTH,
    Table,
    build_xlsx,
    cell_text,
    display_width,
)

BLNS = json.loads((Path(__file__).resolve().parents[1] / "data" / "blns.json").read_text(encoding="utf-8"))
HEADER = ["受付番号", "受付日時", "本文", "No.", "Note"]


def _open(table: Table):
    return load_workbook(io.BytesIO(build_xlsx(table))).active


def _table(rows, **values) -> Table:
    return Table(**{"sheet_name": "受付一覧", "title": "受付一覧", "header": HEADER, "rows": rows, **values})


def test_every_naughty_string_comes_back_as_the_same_text_never_a_formula():
    texts = [*BLNS, "=1+1", "+1", "-1", "@SUM(A1)", '=HYPERLINK("http://evil.example","x")', "\t=1"]
    sheet = _open(_table([[text, None, None, None, None] for text in texts]))
    header_row = 2
    cells = [row[0] for row in sheet.iter_rows(min_row=header_row + 1, max_col=1)]
    assert len(cells) == len(texts)
    for text, cell in zip(texts, cells, strict=True):
        expected = cell_text(text)
        assert (cell.value or "") == expected, repr(text)
        assert cell.data_type != "f", repr(text)  # a text ("inlineStr"), or an empty cell; never a formula
        assert cell.quotePrefix == expected.startswith(FORMULA_STARTS), repr(text)
    assert any(str(cell.value).startswith("=") for cell in cells)  # the formula-like ones are really there


def test_the_sheet_prints_on_a4_landscape_with_its_headings_repeated_and_frozen():
    sheet = _open(_table([["2026-000001", None, "意見です。", 1, ""]], notes=["評価書（案）", "出力日"], mark="案"))
    header_row = 4  # the title, two notes, then the headings
    assert [cell.value for cell in sheet[header_row]] == HEADER
    assert all(cell.font.b for cell in sheet[header_row])
    assert sheet["A1"].value == "受付一覧" and sheet["A1"].font.b
    assert [sheet["A2"].value, sheet["A3"].value] == ["評価書（案）", "出力日"]
    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert sheet.print_title_rows == f"${header_row}:${header_row}"
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert int(sheet.page_setup.fitToWidth) == 1 and int(sheet.page_setup.fitToHeight) == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.auto_filter.ref == f"A{header_row}:E{header_row + 1}"
    assert sheet.oddHeader.left.text == "受付一覧"
    assert sheet.oddHeader.right.text == "案"
    assert sheet.oddFooter.center.text == "&P / &N"


def test_columns_are_as_wide_as_their_contents_a_full_width_character_counting_two():
    rows = [["ABCDEFGHIJKL", None, "あいうえおかきくけこさし", 1, "x" * 500]]
    sheet = _open(_table(rows))
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDE"}
    assert widths["C"] == display_width("あいうえおかきくけこさし") + 2 == 26
    assert widths["A"] == 14
    assert widths["D"] == MIN_COLUMN_WIDTH
    assert widths["E"] == MAX_COLUMN_WIDTH  # capped: the text wraps instead
    data = sheet[3]
    assert data[4].alignment.wrap_text
    assert not data[0].alignment.wrap_text
    assert all(cell.alignment.vertical == "top" for cell in data)


def test_a_text_with_line_breaks_wraps_and_an_over_long_one_is_cut_to_what_excel_holds():
    rows = [["一行目\n二行目", None, "長" * (CELL_MAX_CHARS + 10), None, None]]
    data = _open(_table(rows))[3]
    assert data[0].alignment.wrap_text
    assert data[0].value == "一行目\n二行目"
    assert len(data[2].value) == CELL_MAX_CHARS
    assert data[2].value.endswith("…")


def test_instants_are_written_in_japan_time_as_dates_excel_can_sort():
    received = datetime(2026, 12, 3, 5, 30, tzinfo=UTC)  # 14:30 in Japan
    data = _open(_table([["1", received, "x", date(2027, 1, 20), None]]))[3]
    # Excel has no time zones: the cell holds the Japan wall-clock time, read back without one.
    assert data[1].value == datetime(2026, 12, 3, 14, 30, tzinfo=UTC).replace(tzinfo=None)
    assert data[1].number_format == "yyyy/mm/dd hh:mm"
    assert data[3].value.date() == date(2027, 1, 20)
    assert data[3].number_format == "yyyy/mm/dd"


def test_an_ampersand_in_the_title_is_kept_in_the_page_header_and_the_sheet_name_is_one_excel_takes():
    sheet = _open(_table([], title="A&B: 評価書[案]/*?", sheet_name="A&B: 評価書[案]/*?" * 3))
    assert sheet.oddHeader.left.text == "A&&B: 評価書[案]/*?"  # "&&" is how Excel writes one "&"
    assert len(sheet.title) <= 31
    assert not set("[]:*?/\\") & set(sheet.title)
