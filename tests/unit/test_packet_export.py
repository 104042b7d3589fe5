"""The inspection packet's builders: real DOCX and CSV files, opened again and read (R04, R06, R07)."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import zipfile
from datetime import date

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comments import create_app
from comments.dates import calendar_day
from comments.domain.packet import (
    PACKET_WORDS,
    Packet,
    PacketConsultation,
    PacketInquiry,
    PacketRow,
    packet_labels,
)
from comments.exports.packet_csv import packet_csv
from comments.exports.packet_docx import packet_docx
from config import TestingConfig


def _catalog_labels() -> tuple[dict[str, str], dict[str, str]]:
    """The packet's words in Japanese and English, from the compiled catalog; the app opens no database."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.app_context():
        return packet_labels("ja"), packet_labels("en")


LABELS_JA, LABELS_EN = _catalog_labels()

LONG_GIST = (
    "特定個人情報の入手に当たっては、本人確認の措置を徹底すべきである。" * 60
) + "\n二段落目：委託先の監督について。"


def make_row(**overrides) -> PacketRow:
    values = {
        "number": "1",
        "section": "III-2 特定個人情報の入手",
        "page": 12,
        "submitter_kind": "市民",
        "kind": "意見",
        "gist": "アクセスログの定期的な監視を行うべきである。",
        "response": "ご意見を踏まえ、監視の頻度を評価書に記載しました。",
        "category": "反映",
        "change": "III-7 に月次の監視を追記",
        "group_count": 1,
        "inquiries": (),
    }
    return PacketRow(**{**values, **overrides})


def make_packet(*, draft: bool = True, labels=None, consultations=None) -> Packet:
    if consultations is None:
        consultations = (
            PacketConsultation(
                title="後期高齢者医療事務 全項目評価書",
                period="2015年6月22日〜7月21日",
                rows=(
                    make_row(),
                    make_row(number="2-1", section="", page=None, gist=LONG_GIST, group_count=3),
                    make_row(
                        number="3",
                        kind="質問",
                        category="回答",
                        change="",
                        inquiries=(
                            PacketInquiry("総務省", "保存期間の考え方は。", "5年間とする。", date(2015, 9, 1)),
                            PacketInquiry("J-LIS", "中間サーバーの所在は。", "", None),
                        ),
                    ),
                ),
                carried_over=((make_row(number="4", response="", category=""), "国へ照会中のため"),),
            ),
            PacketConsultation(
                title="住民基本台帳事務", period="2015年7月1日〜7月31日", rows=(make_row(),), carried_over=()
            ),
        )
    labels = LABELS_JA if labels is None else labels
    return Packet(
        meeting_id=1,
        meeting_title="平成27年度第3回 特定個人情報保護評価部会",
        meeting_date="2015年10月1日",
        organisation="千葉市",
        consultations=consultations,
        draft=draft,
        language="ja" if labels is LABELS_JA else "en",
        labels=labels,
    )


def open_docx(data: bytes):
    return docx.Document(io.BytesIO(data))


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def header_text(section) -> str:
    return "\n".join(paragraph.text for paragraph in section.header.paragraphs)


# --- Word ---------------------------------------------------------------------------------------------


def test_docx_is_a4_landscape_with_15_mm_margins():
    document = open_docx(packet_docx(make_packet()))
    for section in document.sections:
        assert section.orientation == WD_ORIENT.LANDSCAPE
        assert section.page_width.mm == pytest.approx(297, abs=0.1)
        assert section.page_height.mm == pytest.approx(210, abs=0.1)
        for margin in (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin):
            assert margin.mm == pytest.approx(15, abs=0.1)


@pytest.mark.parametrize(("labels", "mark", "suffix"), [(LABELS_JA, "案", "（案）"), (LABELS_EN, "DRAFT", "(draft)")])
def test_a_draft_says_so_in_every_page_header_and_in_the_title(labels, mark, suffix):
    document = open_docx(packet_docx(make_packet(labels=labels)))
    assert document.sections
    for section in document.sections:
        assert not section.different_first_page_header_footer  # the one header is on every page
        assert mark in header_text(section)
    texts = [paragraph.text for paragraph in document.paragraphs]
    assert any(text.endswith(suffix) for text in texts[:3])
    assert labels["draft_notice"] in texts
    assert document.core_properties.title.endswith(suffix)


def test_a_final_packet_has_no_draft_mark():
    document = open_docx(packet_docx(make_packet(draft=False)))
    for section in document.sections:
        assert "案" not in header_text(section)
    texts = [paragraph.text for paragraph in document.paragraphs]
    assert "意見と市の考え方" in texts
    assert not any("案" in text for text in texts)
    assert "案" not in document.core_properties.title


def test_tables_repeat_their_header_row_and_hold_every_row():
    document = open_docx(packet_docx(make_packet()))
    main, carried_over, second = document.tables
    assert [cell.text for cell in main.rows[0].cells] == [
        "No.",
        "該当箇所（頁）",
        "提出者",
        "区分",
        "意見の概要",
        "市の考え方",
        "対応",
        "修正内容",
    ]
    assert len(main.rows) == 1 + 3
    assert len(carried_over.rows) == 1 + 1
    assert len(second.rows) == 1 + 1
    for table in document.tables:
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(row._tr.trPr is None or row._tr.trPr.find(qn("w:tblHeader")) is None for row in table.rows[1:])
        assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"


def test_cells_show_section_page_gist_and_response():
    table = open_docx(packet_docx(make_packet())).tables[0]
    cells = [cell.text for cell in table.rows[1].cells]
    assert cells == [
        "1",
        "III-2 特定個人情報の入手（p.12）",
        "市民",
        "意見",
        "アクセスログの定期的な監視を行うべきである。",
        "ご意見を踏まえ、監視の頻度を評価書に記載しました。",
        "反映",
        "III-7 に月次の監視を追記",
    ]
    assert table.rows[2].cells[1].text == "全体"


def test_a_long_japanese_gist_survives_whole_with_its_group_count():
    table = open_docx(packet_docx(make_packet())).tables[0]
    gist = table.rows[2].cells[4].text
    assert gist == LONG_GIST + "\n同趣旨3件"
    assert "同趣旨" not in table.rows[1].cells[4].text  # a single item shows no count


def test_inquiries_are_listed_under_the_response():
    table = open_docx(packet_docx(make_packet())).tables[0]
    answered = calendar_day(date(2015, 9, 1), locale="ja")
    assert table.rows[3].cells[5].text.split("\n") == [
        "ご意見を踏まえ、監視の頻度を評価書に記載しました。",
        f"照会先：総務省（{answered}回答）",
        "照会内容：保存期間の考え方は。",
        "回答：5年間とする。",
        "照会先：J-LIS（回答待ち）",
        "照会内容：中間サーバーの所在は。",
    ]


def test_carried_over_rows_have_their_own_table_with_the_reason():
    document = open_docx(packet_docx(make_packet()))
    assert "次回以降の部会で説明する意見" in [paragraph.text for paragraph in document.paragraphs]
    carried_over = document.tables[1]
    assert [cell.text for cell in carried_over.rows[0].cells][-1] == "理由"
    assert carried_over.rows[1].cells[0].text == "4"
    assert carried_over.rows[1].cells[-1].text == "国へ照会中のため"


def test_english_labels_head_the_columns():
    table = open_docx(packet_docx(make_packet(labels=LABELS_EN))).tables[0]
    assert [cell.text for cell in table.rows[0].cells][4:6] == ["Summary of the comment", "City's response"]
    answered = calendar_day(date(2015, 9, 1), locale="en")
    assert table.rows[3].cells[5].text.split("\n")[1] == f"Inquiry to: 総務省 (answered {answered})"


def test_every_word_of_the_packet_comes_translated_from_the_catalog():
    # Besides the words, the labels carry their language, in which the builders write the dates.
    assert (LABELS_JA["language"], LABELS_EN["language"]) == ("ja", "en")
    assert set(LABELS_JA) - {"language"} == set(LABELS_EN) - {"language"} == set(PACKET_WORDS)
    untranslated = {key for key in PACKET_WORDS if LABELS_JA[key] == LABELS_EN[key]}
    assert untranslated == {"column_number", "footer_page"}  # "No." and "{page} / {pages}" read the same
    table = open_docx(packet_docx(make_packet())).tables[0]
    assert [cell.text for cell in table.rows[0].cells][4:6] == ["意見の概要", "市の考え方"]


def test_japanese_text_is_set_in_a_japanese_font():
    data = packet_docx(make_packet())
    styles = zipfile.ZipFile(io.BytesIO(data)).read("word/styles.xml").decode("utf-8")
    defaults = re.search(r"<w:rPrDefault>.*?</w:rPrDefault>", styles, re.S).group(0)
    assert 'w:eastAsia="ＭＳ 明朝"' in defaults
    assert "Theme=" not in defaults  # a theme font would win over the name
    document = open_docx(data)
    heading_fonts = document.styles["Heading 1"].element.rPr.find(qn("w:rFonts"))
    assert heading_fonts.get(qn("w:eastAsia")) == "ＭＳ ゴシック"
    assert heading_fonts.get(qn("w:eastAsiaTheme")) is None


def test_footer_numbers_the_pages_with_a_page_field():
    document = open_docx(packet_docx(make_packet()))
    for section in document.sections:
        instructions = [node.text.strip() for node in section.footer._element.iter(qn("w:instrText"))]
        assert "PAGE" in instructions


def test_the_template_leaves_no_metadata_of_its_own():
    properties = open_docx(packet_docx(make_packet())).core_properties
    assert properties.author == properties.last_modified_by == "千葉市"
    assert properties.comments == ""
    assert properties.created.year >= 2025


def test_control_characters_are_dropped_not_fatal():
    row = make_row(gist="前\x00\x0b\x1b後\ufffe", response="a\r\nb")
    packet = make_packet(consultations=(PacketConsultation("事務", "期間", (row,), ()),))
    cells = open_docx(packet_docx(packet)).tables[0].rows[1].cells
    assert cells[4].text == "前後"
    assert cells[5].text == "a\nb"
    assert read_csv(packet_csv(packet))[2][6] == "前後"


@pytest.mark.parametrize(
    "consultations",
    [(), (PacketConsultation("住民基本台帳事務", "2015年7月1日〜7月31日", (), ()),)],
    ids=["no consultations", "a consultation with no rows"],
)
def test_a_packet_with_no_rows_still_makes_valid_files(consultations):
    packet = make_packet(consultations=consultations)
    document = open_docx(packet_docx(packet))
    assert document.tables == []
    texts = [paragraph.text for paragraph in document.paragraphs]
    assert ("この案件に対する意見はありませんでした。" in texts) == bool(consultations)
    lines = read_csv(packet_csv(packet))
    assert [line[0] for line in lines] == ["案", "案件"]


# --- CSV ----------------------------------------------------------------------------------------------

CSV_HEADER = [
    "案件",
    "No.",
    "該当箇所（頁）",
    "頁",
    "提出者",
    "区分",
    "意見の概要",
    "同趣旨件数",
    "市の考え方",
    "対応",
    "修正内容",
    "照会",
    "次回以降",
    "理由",
]


def test_csv_is_utf8_with_bom_and_crlf():
    data = packet_csv(make_packet())
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n")
    # Every record ends in CRLF; a bare LF only ever stands inside a quoted multi-line cell.
    assert len(read_csv(data)) == text.count("\r\n")


def test_csv_has_one_row_per_item_with_the_consultation_first():
    lines = read_csv(packet_csv(make_packet(draft=False)))
    assert lines[0] == CSV_HEADER
    rows = lines[1:]
    assert all(len(row) == len(CSV_HEADER) for row in rows)
    assert [(row[0], row[1]) for row in rows] == [
        ("後期高齢者医療事務 全項目評価書", "1"),
        ("後期高齢者医療事務 全項目評価書", "2-1"),
        ("後期高齢者医療事務 全項目評価書", "3"),
        ("後期高齢者医療事務 全項目評価書", "4"),
        ("住民基本台帳事務", "1"),
    ]
    assert rows[0][2:4] == ["III-2 特定個人情報の入手", "12"]
    assert rows[1][2:4] == ["全体", ""]
    assert rows[1][6] == LONG_GIST
    assert rows[1][7] == "3"
    answered = calendar_day(date(2015, 9, 1), locale="ja")
    assert rows[2][11].split("\n")[:2] == [f"照会先：総務省（{answered}回答）", "照会内容：保存期間の考え方は。"]
    assert rows[0][12:] == ["", ""]
    assert rows[3][12:] == ["次回以降の部会で説明", "国へ照会中のため"]


@pytest.mark.parametrize("dangerous", ["=cmd|' /C calc'!A0", "+1", "@SUM(A1:A9)", "-2+3"])
def test_csv_neutralises_formulas_in_every_cell(dangerous):
    row = make_row(number=dangerous, gist=dangerous, response=dangerous, change=dangerous, section=dangerous)
    consultation = PacketConsultation(dangerous, "期間", (row,), ((row, dangerous),))
    lines = read_csv(packet_csv(make_packet(consultations=(consultation,))))
    for line in lines[2:]:
        for index in (0, 1, 2, 6, 8, 10):
            assert line[index] == "'" + dangerous
    assert lines[3][13] == "'" + dangerous
    # The Word file is no spreadsheet: there the text stays as written.
    table = open_docx(packet_docx(make_packet(consultations=(consultation,)))).tables[0]
    assert table.rows[1].cells[4].text == dangerous


def test_csv_draft_marker_row_present_only_while_draft():
    draft = read_csv(packet_csv(make_packet(draft=True)))
    assert draft[0] == ["案", LABELS_JA["draft_notice"]]
    assert draft[1] == CSV_HEADER
    final = read_csv(packet_csv(make_packet(draft=False)))
    assert final[0] == CSV_HEADER
    assert all(row[0] != "案" for row in final)
    english = read_csv(packet_csv(make_packet(labels=LABELS_EN)))
    assert english[0][0] == "DRAFT"
    assert english[1][:2] == ["Consultation", "No."]


# --- Property: nothing in the files but the input and the labels (R07) ----------------------------------

LABELS = (LABELS_JA, LABELS_EN)
WORDS = tuple({key: value for key, value in labels.items() if key != "language"} for labels in LABELS)
LABEL_CHARACTERS = "".join(sorted({character for labels in WORDS for value in labels.values() for character in value}))
# Input text is drawn from characters no label uses, so that every stretch of them in a file can be
# traced to one whole input value, and every other character to a label, a number or white space.
INPUT_ALPHABET = "".join(
    character
    for character in "山田花子鈴木太郎様住所横浜東京丁目番地号棟室電話携帯宛届@=+_#$%&!?ZQXJKjkqxzあいうえお"
    if character not in LABEL_CHARACTERS and not character.isdigit() and not character.isspace()
)
FOREIGN_RUN = re.compile(f"[^{re.escape(LABEL_CHARACTERS)}0-9\\s']+")
LABEL_FRAGMENTS = sorted(
    {fragment for labels in WORDS for value in labels.values() for fragment in re.split(r"\{\w+\}", value) if fragment},
    key=len,
    reverse=True,
)
# Digits (pages, counts, dates, the page field's placeholder), white space, and the apostrophe that
# neutralises a formula are the only characters the builders may add outside a label.
ALLOWED_RESIDUE = re.compile(r"[0-9\s']*")

text = st.text(alphabet=INPUT_ALPHABET, min_size=1, max_size=12)
optional_text = st.one_of(st.just(""), text)
inquiries = st.builds(
    PacketInquiry,
    body_name=text,
    question=optional_text,
    answer=optional_text,
    answered_on=st.none() | st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)),
)
rows = st.builds(
    PacketRow,
    number=text,
    section=optional_text,
    page=st.none() | st.integers(min_value=1, max_value=999),
    submitter_kind=text,
    kind=text,
    gist=text,
    response=optional_text,
    category=optional_text,
    change=optional_text,
    group_count=st.integers(min_value=1, max_value=30),
    inquiries=st.lists(inquiries, max_size=2).map(tuple),
)
packets = st.builds(
    Packet,
    meeting_id=st.integers(min_value=1, max_value=10**6),
    meeting_title=text,
    meeting_date=text,
    organisation=text,
    consultations=st.lists(
        st.builds(
            PacketConsultation,
            title=text,
            period=text,
            rows=st.lists(rows, max_size=3).map(tuple),
            carried_over=st.lists(st.tuples(rows, optional_text), max_size=2).map(tuple),
        ),
        max_size=2,
    ).map(tuple),
    draft=st.booleans(),
    language=st.just("ja"),
    labels=st.sampled_from(LABELS),
)


def input_strings(value) -> set[str]:
    if isinstance(value, str):
        return {value} if value else set()
    if isinstance(value, date):
        # Dates are written by comments/dates.py, in either language: the date and each run of its words.
        written = {calendar_day(value, locale=language) for language in ("ja", "en")}
        words = {run for day in written for run in (*re.findall(r"[^0-9\s]+", day), *FOREIGN_RUN.findall(day))}
        return written | words
    if isinstance(value, tuple):
        return set().union(*(input_strings(item) for item in value))
    if dataclasses.is_dataclass(value):
        return set().union(*(input_strings(getattr(value, field.name)) for field in dataclasses.fields(value)))
    return set()  # numbers, flags; Packet.labels is handled as labels


def assert_traceable(text_out: str, inputs: set[str]) -> None:
    for run in FOREIGN_RUN.findall(text_out):
        assert run in inputs, f"{run!r} in {text_out!r} comes from no input"
    known = sorted(inputs | set(LABEL_FRAGMENTS), key=len, reverse=True)
    residue = re.sub("|".join(map(re.escape, known)), "", text_out)
    assert ALLOWED_RESIDUE.fullmatch(residue), f"{residue!r} left of {text_out!r}"


def docx_texts(data: bytes):
    """Every paragraph's text in the body, headers and footers, and the document's properties."""
    package = zipfile.ZipFile(io.BytesIO(data))
    for name in package.namelist():
        if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", name):
            root = docx.oxml.parse_xml(package.read(name))
            for paragraph in root.iter(qn("w:p")):
                parts = []
                for node in paragraph.iter(qn("w:t"), qn("w:tab"), qn("w:br")):
                    parts.append({qn("w:tab"): "\t", qn("w:br"): "\n"}.get(node.tag, node.text or ""))
                yield "".join(parts)
    properties = docx.Document(io.BytesIO(data)).core_properties
    yield from (properties.title, properties.author, properties.last_modified_by, properties.subject)
    yield from (properties.keywords, properties.comments, properties.category)


def test_the_input_alphabet_is_wide_enough_to_mean_something():
    assert len(INPUT_ALPHABET) >= 20


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(packets)
def test_every_string_in_the_docx_comes_from_the_input_or_the_labels(packet):
    inputs = input_strings(packet)
    for text_out in docx_texts(packet_docx(packet)):
        assert_traceable(text_out, inputs)


@settings(max_examples=150, deadline=None, database=None)
@given(packets)
def test_every_cell_of_the_csv_comes_from_the_input_or_the_labels(packet):
    inputs = input_strings(packet)
    lines = read_csv(packet_csv(packet))
    expected_rows = sum(len(c.rows) + len(c.carried_over) for c in packet.consultations)
    assert len(lines) == expected_rows + 1 + packet.draft
    for line in lines:
        for cell in line:
            assert_traceable(cell, inputs)


def test_the_traceability_check_catches_a_stray_name():
    with pytest.raises(AssertionError):
        assert_traceable("照会先：山田太郎", {"総務省"})
    with pytest.raises(AssertionError):
        assert_traceable("info@example.jp", set())
    with pytest.raises(AssertionError):
        assert_traceable("Answer: Smith", set())  # its letters all occur in labels, but in other words
    assert_traceable("'=花子（p.12）", {"=花子"})
