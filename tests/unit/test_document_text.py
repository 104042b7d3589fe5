"""Reading the text of uploaded question files (DOCX, PDF, TXT) from real files made in the test."""

from __future__ import annotations

import io
import unicodedata
import zipfile

import pypdf
import pytest

from comments.documents import (
    MAX_EXTRACTED_CHARS,
    MAX_PDF_PAGES,
    ExtractedText,
    decode_text_file,
    extract_text,
)
from comments.domain.uploads import check_upload
from tests.document_samples import FIXTURE_DIR, QUESTION_PARAGRAPHS, docx_bytes, pdf_bytes

QUESTION = "\n".join(QUESTION_PARAGRAPHS)
UPLOAD_LIMIT = 10 * 1024 * 1024


def _accepted_as_upload(name: str, data: bytes) -> None:
    """Samples must be files the upload form accepts, or the tests prove nothing about real uploads."""
    check_upload(name, data, max_bytes=UPLOAD_LIMIT)


def _rewritten_by_pypdf(data: bytes, **encryption) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    if encryption:
        writer.encrypt(**encryption)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# DOCX


def test_docx_reads_paragraphs_and_tables_in_body_order_without_headers_or_footers():
    def build(document):
        section = document.sections[0]
        section.header.paragraphs[0].text = "ヘッダーの文"
        section.footer.paragraphs[0].text = "フッターの文"
        document.add_paragraph("意見照会への質問")
        document.add_paragraph("")
        document.add_paragraph("")
        document.add_paragraph("　第一段落です。\t改行の前\n改行の後")
        table = document.add_table(rows=2, cols=2)
        for row, values in zip(table.rows, [("項目", "内容"), ("鍵", "誰が管理しますか。")], strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
        document.add_paragraph("番号付きの段落", style="List Number")
        document.add_paragraph("最後の段落。")

    data = docx_bytes(build)
    _accepted_as_upload("質問.docx", data)

    assert extract_text("質問.docx", data) == ExtractedText(
        "意見照会への質問\n\n　第一段落です。\t改行の前\n改行の後\n項目\t内容\n鍵\t誰が管理しますか。\n"
        "番号付きの段落\n最後の段落。",
        None,
        None,
    )


def test_docx_merged_cells_are_read_once_and_nested_tables_are_read():
    def build(document):
        table = document.add_table(rows=3, cols=3)
        table.cell(0, 0).merge(table.cell(0, 1)).text = "横に結合"
        table.cell(0, 2).text = "右"
        merged = table.cell(1, 2).merge(table.cell(2, 2))
        merged.text = "縦に結合"
        merged.add_paragraph("二段落目")
        table.cell(1, 0).text = "一"
        table.cell(2, 0).text = "二"
        inner = table.cell(1, 1).add_table(rows=1, cols=2)
        inner.cell(0, 0).text = "内側A"
        inner.cell(0, 1).text = "内側B"

    result = extract_text("table.docx", docx_bytes(build))

    assert result.problem is None
    # The vertical merge's text sits in the row where it starts; the row it continues into ends early.
    assert result.text == "横に結合\t右\n一\t内側A\t内側B\t縦に結合\n二段落目\n二"


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04 not really a zip",
        pdf_bytes([QUESTION_PARAGRAPHS]),
        b"",
    ],
    ids=["broken-zip", "pdf-named-docx", "empty"],
)
def test_what_is_not_a_word_file_is_unreadable(data):
    assert extract_text("question.docx", data) == ExtractedText("", "unreadable", None)


def test_a_zip_without_a_word_document_is_unreadable():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<not-closed")

    assert extract_text("question.docx", buffer.getvalue()).problem == "unreadable"


def test_an_empty_word_document_has_no_text():
    assert extract_text("blank.docx", docx_bytes(lambda document: None)) == ExtractedText("", "no_text", None)


# PDF


@pytest.mark.parametrize("encoding", ["Identity-H", "UniJIS-UTF16-H"])
def test_pdf_japanese_text_layer_is_read_through_the_to_unicode_cmap(encoding):
    data = pdf_bytes([QUESTION_PARAGRAPHS], encoding=encoding)
    _accepted_as_upload("質問.pdf", data)

    assert extract_text("質問.pdf", data) == ExtractedText(QUESTION, None, 1)


def test_pdf_pages_are_read_in_order_and_counted():
    data = pdf_bytes([["一ページ目の質問。"], ["二ページ目の質問。", "続き。"], ["三ページ目。"]])
    _accepted_as_upload("pages.pdf", data)

    assert extract_text("PAGES.PDF", data) == ExtractedText(
        "一ページ目の質問。\n二ページ目の質問。\n続き。\n三ページ目。", None, 3
    )


def test_pdf_rewritten_by_pypdf_is_read_the_same():
    data = _rewritten_by_pypdf(pdf_bytes([QUESTION_PARAGRAPHS]))
    _accepted_as_upload("rewritten.pdf", data)

    assert extract_text("rewritten.pdf", data) == ExtractedText(QUESTION, None, 1)


def test_pdf_without_a_text_layer_has_no_text():
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    _accepted_as_upload("scan.pdf", buffer.getvalue())

    assert extract_text("scan.pdf", buffer.getvalue()) == ExtractedText("", "no_text", 2)
    assert extract_text("blank.pdf", pdf_bytes([["", "　 "]])) == ExtractedText("", "no_text", 1)


def test_pdf_with_a_password_is_reported_as_encrypted():
    data = _rewritten_by_pypdf(pdf_bytes([QUESTION_PARAGRAPHS]), user_password="secret", algorithm="RC4-128")
    _accepted_as_upload("locked.pdf", data)

    assert extract_text("locked.pdf", data) == ExtractedText("", "encrypted", None)


def test_pdf_encrypted_with_an_empty_user_password_is_read():
    data = _rewritten_by_pypdf(
        pdf_bytes([QUESTION_PARAGRAPHS]), user_password="", owner_password="owner", algorithm="RC4-128"
    )
    assert pypdf.PdfReader(io.BytesIO(data)).is_encrypted

    assert extract_text("restricted.pdf", data) == ExtractedText(QUESTION, None, 1)


def test_pdf_encrypted_with_aes_but_no_aes_library_is_reported_as_encrypted(monkeypatch):
    from pypdf.errors import DependencyError

    def needs_cryptography(self, password):
        raise DependencyError("cryptography>=3.1 is required for AES algorithm")

    data = _rewritten_by_pypdf(pdf_bytes([QUESTION_PARAGRAPHS]), user_password="", algorithm="RC4-128")
    monkeypatch.setattr(pypdf.PdfReader, "decrypt", needs_cryptography)

    assert extract_text("aes.pdf", data) == ExtractedText("", "encrypted", None)


def _cyclic_page_tree() -> bytes:
    data = pdf_bytes([QUESTION_PARAGRAPHS])
    return data.replace(b"/Kids [7 0 R] /Count 1", b"/Kids [2 0 R 7 0 R] /Count 2")


@pytest.mark.parametrize(
    "data",
    [
        pdf_bytes([QUESTION_PARAGRAPHS])[:600],
        b"%PDF-1.7\n" + bytes(range(256)) * 8,
        _cyclic_page_tree(),
        b"%PDF-",
    ],
    ids=["truncated", "garbage", "cyclic-page-tree", "header-only"],
)
def test_corrupt_pdf_is_unreadable(data):
    assert extract_text("broken.pdf", data) == ExtractedText("", "unreadable", None)


def test_any_library_error_is_unreadable(monkeypatch):
    def explode(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(pypdf.PdfReader, "__init__", explode)

    assert extract_text("deep.pdf", pdf_bytes([QUESTION_PARAGRAPHS])) == ExtractedText("", "unreadable", None)


def test_pdf_pages_past_the_limit_are_not_read():
    data = pdf_bytes([[f"第{number}頁"] for number in range(1, MAX_PDF_PAGES + 2)])

    result = extract_text("long.pdf", data)

    assert (result.problem, result.pages) == ("too_long", MAX_PDF_PAGES + 1)
    assert result.text.splitlines()[-1] == f"第{MAX_PDF_PAGES}頁"


def test_pdf_reading_stops_once_the_text_is_too_long():
    line = "長" * 1000
    data = pdf_bytes([[line]] * 30)

    result = extract_text("wordy.pdf", data)

    assert (result.problem, result.pages, len(result.text)) == ("too_long", 30, MAX_EXTRACTED_CHARS)
    assert result.text.startswith(line + "\n" + line)


# TXT


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "cp932", "euc_jp"])
def test_text_files_in_the_encodings_japanese_users_save(encoding):
    text = "\r\n".join(QUESTION_PARAGRAPHS) + "\r\n"
    data = ("\ufeff" + text).encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)

    assert extract_text("質問.txt", data) == ExtractedText(QUESTION, None, None)


def test_cp932_with_half_width_katakana_stays_cp932():
    assert decode_text_file("ﾃｽﾄの質問です。".encode("cp932")) == "ﾃｽﾄの質問です。"


def test_undecodable_text_is_read_as_utf8_with_replacement_characters():
    # 0x81 must be followed by a second byte from 0x40 in CP932 and starts nothing in EUC-JP or UTF-8.
    assert decode_text_file(b"abc\x81 def") == "abc\ufffd def"


def test_text_is_tidied():
    decomposed = unicodedata.normalize("NFD", "が")
    data = (
        f"\n\n　字下げの段落{decomposed}  \r\n\r\n\r\n\r\n次の段落\x00\x07\x1b\u2028同じ段落の次の行\tタブ\r後\n\n"
    ).encode()

    assert extract_text("memo.txt", data).text == "　字下げの段落が\n\n次の段落\n同じ段落の次の行\tタブ\n後"


@pytest.mark.parametrize("data", [b"", b" \r\n\t\r\n\x00", "　\n".encode()])
def test_blank_text_file_has_no_text(data):
    assert extract_text("blank.txt", data) == ExtractedText("", "no_text", None)


def test_text_at_the_limit_is_kept_and_longer_text_is_cut():
    assert extract_text("a.txt", ("あ" * MAX_EXTRACTED_CHARS).encode()) == ExtractedText(
        "あ" * MAX_EXTRACTED_CHARS, None, None
    )
    assert extract_text("b.txt", ("い" * (MAX_EXTRACTED_CHARS + 1)).encode()) == ExtractedText(
        "い" * MAX_EXTRACTED_CHARS, "too_long", None
    )


# Types and fixtures


@pytest.mark.parametrize("filename", ["question.doc", "scan.png", "question", "question.pdf.exe", ""])
def test_other_types_are_unsupported(filename):
    data = (FIXTURE_DIR / "question-ja.docx").read_bytes()  # the name decides, not the content

    assert extract_text(filename, data) == ExtractedText("", "unsupported", None)


@pytest.mark.parametrize(("filename", "pages"), [("question-ja.docx", None), ("question-ja.pdf", 1)])
def test_committed_fixtures_hold_the_question(filename, pages):
    data = (FIXTURE_DIR / filename).read_bytes()
    _accepted_as_upload(filename, data)

    assert extract_text(filename, data) == ExtractedText(QUESTION, None, pages)
