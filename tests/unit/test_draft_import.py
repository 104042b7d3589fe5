"""Reading a draft's sections from plain text and from Word files (pure parsers)."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest

from comments.ingestion.draft_import import (
    DraftUnreadable,
    ParsedSection,
    sections_from_docx,
    sections_from_text,
    split_number,
)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("I-1 特定個人情報ファイルを取り扱う事務", ("I-1", "特定個人情報ファイルを取り扱う事務")),
        ("Ⅲ 7 リスク対策", ("III-7", "リスク対策")),
        ("Ⅱ－３ 入手", ("II-3", "入手")),
        ("1 基本情報", ("1", "基本情報")),
        ("２．１　概要", ("2.1", "概要")),
        ("第1 評価の概要", ("第1", "評価の概要")),
        ("第三章 運用", ("第三章", "運用")),
        ("I think this is prose", None),
        ("2019年4月1日から", None),
        ("本文の行", None),
    ],
)
def test_section_numbers(line, expected):
    assert split_number(line) == expected


def test_text_is_cut_at_headings_with_pages_and_a_preamble():
    sections = sections_from_text(
        "前書き\n\nI 基本情報（p.3）\n1 事務\n内容。\n2 これは番号で始まる本文の文です。\n21ページ\nⅢ 7 リスク対策\n対策。\n"
    )
    assert sections == [
        ParsedSection("", "前文", "前書き", None),
        ParsedSection("I", "基本情報", "", 3),
        ParsedSection("1", "事務", "内容。\n2 これは番号で始まる本文の文です。", 3),
        ParsedSection("III-7", "リスク対策", "対策。", 21),
    ]


def test_text_without_headings_says_what_a_heading_looks_like():
    with pytest.raises(DraftUnreadable) as raised:
        sections_from_text("見出しのない文章です。\n")
    assert "No section headings were found" in str(raised.value.message)


def _docx_bytes(build) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_headings_by_style_with_tables_as_text():
    def build(document):
        document.add_paragraph("表紙")
        document.add_heading("I-1 特定個人情報ファイルを取り扱う事務", level=1)
        document.add_paragraph("事務の内容。")
        table = document.add_table(rows=1, cols=2)
        table.cell(0, 0).text = "項目"
        table.cell(0, 1).text = "内容"
        document.add_heading("システムの概要", level=2)
        document.add_paragraph("1 番号付きの本文の行")

    sections = sections_from_docx(_docx_bytes(build))
    assert sections == [
        ParsedSection("", "前文", "表紙", None),
        ParsedSection("I-1", "特定個人情報ファイルを取り扱う事務", "事務の内容。\n項目\t内容", None),
        ParsedSection("", "システムの概要", "1 番号付きの本文の行", None),
    ]


def test_docx_without_heading_styles_uses_the_text_rule():
    def build(document):
        document.add_paragraph("1 基本情報")
        document.add_paragraph("本文。")
        document.add_paragraph("2 システム")

    assert [s.number for s in sections_from_docx(_docx_bytes(build))] == ["1", "2"]


def test_bytes_that_are_not_a_docx_are_refused():
    with pytest.raises(DraftUnreadable) as raised:
        sections_from_docx(b"PK\x03\x04 not really a zip")
    assert "could not be read as a Word document" in str(raised.value.message)


def test_an_xxe_payload_reads_no_local_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    original = _docx_bytes(lambda document: document.add_heading("1 XXE", level=1) and None)
    evil = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(evil, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                text = data.decode("utf-8")
                declaration_end = text.index("?>") + 2
                text = (
                    text[:declaration_end]
                    + f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file://{secret}">]>'
                    + text[declaration_end:]
                )
                text = text.replace("1 XXE", "1 XXE &xxe;")
                data = text.encode("utf-8")
            target.writestr(item, data)
    sections = sections_from_docx(evil.getvalue())
    assert sections[0].number == "1", "the file is still read; only the entity is left unexpanded"
    assert all("TOP-SECRET" not in s.heading + s.body for s in sections)
