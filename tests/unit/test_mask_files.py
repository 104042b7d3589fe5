"""Files rewritten with every individual number masked: Word files in every part that holds text, text
files, and PDFs (refused, or replaced by their masked text) (R14, R66)."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from comments.documents import mask_docx
from comments.domain.masking import MASK, find_individual_numbers
from comments.domain.uploads import DOCX_TYPE, PDF_TYPE, TEXT_TYPE, NumberInFileError, check_upload, mask_file
from tests.document_samples import docx_bytes, pdf_bytes

FIRST, SECOND = "621498320257", "123456789018"
# PDF and Word files are read in a child process under the app's FILE_READ_* limits.
pytestmark = pytest.mark.usefixtures("plain_app_context")


def _numbers_in(data: bytes) -> list[str]:
    """The numbers in every text of every XML part, read as it reads (runs side by side), and in every
    attribute value, each on its own."""
    from lxml import etree

    texts = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                root = etree.fromstring(archive.read(name))
                texts.append("".join(root.itertext()))
                texts.extend(value for element in root.iter() for value in element.attrib.values())
    return [text[start:end] for text in texts for start, end in find_individual_numbers(text)]


def _word_file_with_numbers_everywhere() -> bytes:
    def build(document):
        document.add_paragraph(f"本文の番号 {FIRST} です。")
        split = document.add_paragraph("分かれた番号：")
        runs = [split.add_run(SECOND[:2]), split.add_run(SECOND[2:9]), split.add_run(SECOND[9:])]
        runs[1].italic = True
        with_tab = document.add_paragraph(FIRST[:4])
        with_tab.add_run().add_tab()
        with_tab.add_run(FIRST[4:])
        document.add_table(rows=1, cols=1).cell(0, 0).text = f"{FIRST[:4]}-{FIRST[4:8]}-{FIRST[8:]}"
        for group in (SECOND[:4], SECOND[4:8], SECOND[8:]):  # a group on each line, each line a paragraph
            document.add_paragraph(group)
        section = document.sections[0]
        section.header.paragraphs[0].text = f"ヘッダー {SECOND}"
        section.footer.paragraphs[0].text = f"フッター {FIRST}"
        document.add_comment(runs, text=f"コメント {FIRST}", author="確認者")
        document.core_properties.title = f"題名 {SECOND}"
        document.core_properties.keywords = FIRST
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), f'HYPERLINK "mailto:{FIRST}@example.jp"')
        document.add_paragraph()._p.append(field)
        document.part.relate_to(f"mailto:{SECOND}@example.jp", RELATIONSHIP_TYPE.HYPERLINK, is_external=True)

    return docx_bytes(build)


def test_a_word_file_is_masked_in_every_part_and_stays_a_word_file():
    original = _word_file_with_numbers_everywhere()
    assert len(_numbers_in(original)) >= 8, "the sample holds numbers where the reader looks"
    masked, count = mask_docx(original, find_individual_numbers, MASK)
    assert count >= 9
    assert _numbers_in(masked) == []
    reopened = docx.Document(io.BytesIO(masked))  # still a Word file Word and python-docx open
    paragraphs = [paragraph.text for paragraph in reopened.paragraphs]
    assert paragraphs[0] == f"本文の番号 {MASK} です。"
    assert paragraphs[1] == f"分かれた番号：{MASK}", "a number split across runs leaves no digit in any run"
    assert [run.text for run in reopened.paragraphs[1].runs][1:4] == [MASK, "", ""]
    assert [paragraph.text for paragraph in reopened.paragraphs[3:6]] == [MASK, "", ""]
    assert reopened.sections[0].header.paragraphs[0].text == f"ヘッダー {MASK}"
    assert reopened.core_properties.title == f"題名 {MASK}"
    check_upload("masked.docx", masked, max_bytes=10 * 1024 * 1024)


def test_a_word_file_without_a_number_comes_back_byte_for_byte():
    original = docx_bytes(lambda document: document.add_paragraph("法人番号 3368595748906 と電話 043-245-5555"))
    assert mask_docx(original, find_individual_numbers, MASK) == (original, 0)


@pytest.mark.parametrize("convert_pdf", [True, False])
def test_files_are_masked_by_kind(convert_pdf):
    text = check_upload(f"番号{FIRST}.txt", f"私の番号は{FIRST}です".encode(), max_bytes=10**6)
    assert text.filename == f"番号{MASK}.txt", "the name is masked like any text"
    result = mask_file(text, convert_pdf=convert_pdf)
    assert result.file.data.decode() == f"私の番号は{MASK}です" and result.numbers == 1
    assert result.file.content_type == TEXT_TYPE

    word = check_upload("q.docx", _word_file_with_numbers_everywhere(), max_bytes=10**6)
    result = mask_file(word, convert_pdf=convert_pdf)
    assert result.file.content_type == DOCX_TYPE and result.numbers >= 9

    pdf = check_upload("q.pdf", pdf_bytes([[f"番号 {SECOND[:4]} {SECOND[4:8]} {SECOND[8:]}"]]), max_bytes=10**6)
    if not convert_pdf:
        with pytest.raises(NumberInFileError):
            mask_file(pdf, convert_pdf=False)
        return
    result = mask_file(pdf, convert_pdf=True)
    assert result.converted_from == PDF_TYPE and result.file.filename == "q.pdf.txt"
    assert MASK in result.file.data.decode() and not find_individual_numbers(result.file.data.decode())


def test_a_pdf_without_a_number_is_kept_as_it_came():
    pdf = check_upload("q.pdf", pdf_bytes([["法人番号 3368595748906"]]), max_bytes=10**6)
    assert mask_file(pdf, convert_pdf=False).file is pdf
