"""Real DOCX and PDF files with Japanese text for the tests, made with no dependency beyond the app's own.

DOCX files come from python-docx. PDFs are written by hand, because no PDF library that draws text is
installed and the machine has no Japanese font: each page draws its lines with one Type 0 (composite)
font that is not embedded, and the font carries a ``/ToUnicode`` CMap, which is what text extraction
(pypdf, a viewer's copy and search) reads. Two encodings are offered:

* ``Identity-H`` (the default), as Word and most PDF printers write Japanese: two-byte codes that are
  glyph numbers of a subset font, numbered here 1, 2, 3 ... in order of first use, so only the
  ToUnicode CMap can turn them back into text. Without the font a viewer shows no glyphs.
* ``UniJIS-UTF16-H``: the codes are the text's UTF-16 code units and the font is Adobe-Japan1
  (``HeiseiMin-W3``), which a viewer with Japanese fonts renders; the committed fixture uses this so a
  person can open it.

Run ``python -m tests.document_samples`` to rewrite the committed fixtures in ``tests/data/documents``.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import docx

FIXTURE_DIR = Path(__file__).parent / "data" / "documents"
QUESTION_PARAGRAPHS = ("暗号化の方式について質問します。", "（１）鍵の管理は誰が行いますか。")

_FONTS = {
    "Identity-H": ("MS-Mincho", "Identity", 0),
    "UniJIS-UTF16-H": ("HeiseiMin-W3", "Japan1", 6),
}


def docx_bytes(build) -> bytes:
    """A Word file made by ``build(document)`` on a new python-docx document."""
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def question_docx() -> bytes:
    """The two-paragraph question as a Word file."""

    def build(document):
        for paragraph in QUESTION_PARAGRAPHS:
            document.add_paragraph(paragraph)

    return docx_bytes(build)


def _codes(pages: Sequence[Sequence[str]], encoding: str) -> dict[str, bytes]:
    characters = dict.fromkeys(ch for lines in pages for line in lines for ch in line)
    if encoding == "Identity-H":
        return {ch: number.to_bytes(2, "big") for number, ch in enumerate(characters, start=1)}
    if any(ord(ch) > 0xFFFF for ch in characters):
        raise ValueError("this generator writes UniJIS-UTF16-H for the Basic Multilingual Plane only")
    return {ch: ch.encode("utf-16-be") for ch in characters}


def _to_unicode_cmap(codes: dict[str, bytes]) -> bytes:
    entries = sorted((code, ch) for ch, code in codes.items())
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    for start in range(0, len(entries), 100):  # a CMap section holds at most 100 entries
        chunk = entries[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines.extend(f"<{code.hex().upper()}> <{ch.encode('utf-16-be').hex().upper()}>" for code, ch in chunk)
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


def _content(lines: Sequence[str], codes: dict[str, bytes]) -> bytes:
    operators = ["BT", "/F1 12 Tf", "18 TL", "72 770 Td"]
    for number, line in enumerate(lines):
        if number:
            operators.append("T*")
        if line:
            operators.append(f"<{b''.join(codes[ch] for ch in line).hex().upper()}> Tj")
    operators.append("ET")
    return "\n".join(operators).encode("ascii")


def _stream(dictionary: str, data: bytes) -> bytes:
    return f"<< {dictionary} /Length {len(data)} >>\nstream\n".encode("ascii") + data + b"\nendstream"


def pdf_bytes(pages: Sequence[Sequence[str]], *, encoding: str = "Identity-H") -> bytes:
    """A PDF with one A4 page per item of ``pages``, each drawing its lines from the top, 18 pt apart."""
    font_name, ordering, supplement = _FONTS[encoding]
    codes = _codes(pages, encoding)
    first_page = 7
    kids = " ".join(f"{first_page + 2 * index} 0 R" for index in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode("ascii"),
        f"<< /Type /Font /Subtype /Type0 /BaseFont /{font_name} /Encoding /{encoding} "
        f"/DescendantFonts [4 0 R] /ToUnicode 6 0 R >>".encode("ascii"),
        f"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /{font_name} "
        f"/CIDSystemInfo << /Registry (Adobe) /Ordering ({ordering}) /Supplement {supplement} >> "
        f"/FontDescriptor 5 0 R /DW 1000 >>".encode("ascii"),
        f"<< /Type /FontDescriptor /FontName /{font_name} /Flags 6 /FontBBox [0 -141 1000 859] "
        f"/ItalicAngle 0 /Ascent 859 /Descent -141 /CapHeight 709 /StemV 69 >>".encode("ascii"),
        _stream("", _to_unicode_cmap(codes)),
    ]
    for index, lines in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {first_page + 2 * index + 1} 0 R >>".encode("ascii")
        )
        objects.append(_stream("", _content(lines, codes)))

    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += b"".join(f"{offset:010d} 00000 n \n".encode("ascii") for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return bytes(out)


def question_pdf() -> bytes:
    """The two-paragraph question as a one-page PDF that viewers with Japanese fonts can display."""
    return pdf_bytes([QUESTION_PARAGRAPHS], encoding="UniJIS-UTF16-H")


def _pdf_file(objects: Sequence[bytes]) -> bytes:
    """A PDF of ``objects`` (object 1 is the catalog) with its cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    out += b"".join(f"{offset:010d} 00000 n \n".encode("ascii") for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode("ascii")
    return bytes(out)


def nested_forms_pdf(depth: int = 4, fanout: int = 10, leaf_operators: int = 1000) -> bytes:
    """A PDF bomb of about 1.5 KB: one page that draws a form XObject ``fanout`` times, each of which draws the
    next level's form ``fanout`` times, ``depth`` levels down, where the last form shows a letter
    ``leaf_operators`` times (compressed, so the file stays small). A text extractor that follows every
    drawing of a form runs the last one fanout**depth times; pypdf stops after 5,000 forms, which with the
    defaults still leaves some four thousand runs of a thousand text operators: minutes of CPU."""
    first_form = 6
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> "
        f"/XObject << /X0 {first_form} 0 R >> >> /Contents 4 0 R >>".encode("ascii"),
        _stream("", b"/X0 Do\n" * fanout),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for level in range(depth):
        if level == depth - 1:
            content = b"BT /F1 1 Tf (a) Tj ET\n" * leaf_operators
            resources = "<< /Font << /F1 5 0 R >> >>"
        else:
            content = f"/X{level + 1} Do\n".encode("ascii") * fanout
            resources = f"<< /Font << /F1 5 0 R >> /XObject << /X{level + 1} {first_form + level + 1} 0 R >> >>"
        objects.append(
            _stream(
                f"/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources {resources} /Filter /FlateDecode",
                zlib.compress(content, 9),
            )
        )
    return _pdf_file(objects)


def paragraph_flood_docx(inflated_mb: int = 45) -> bytes:
    """A Word file bomb of about 100 KB: a real document whose body holds ``inflated_mb`` MB of empty paragraphs
    (``<w:p/>``, seven million of them by default), under the upload check's 50 MB inflation cap. lxml
    builds a node for each and python-docx an object on top: gigabytes of memory, and minutes of CPU."""
    base = question_docx()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                head, body, tail = data.partition(b"<w:body>")
                data = head + body + b"<w:p/>" * (inflated_mb * 1024 * 1024 // len(b"<w:p/>")) + tail
            bomb.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def write_fixtures(directory: Path = FIXTURE_DIR) -> None:
    """Write ``question-ja.docx`` and ``question-ja.pdf``, which other tests (the browser's) upload."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "question-ja.docx").write_bytes(question_docx())
    (directory / "question-ja.pdf").write_bytes(question_pdf())


if __name__ == "__main__":
    write_fixtures()
