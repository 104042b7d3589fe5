"""Reading the text of documents (DOCX, PDF, TXT), and rewriting a Word file's text: pure functions over
bytes, below the domain, so that the intake rules and the parsers of every channel use the same ones.

``extract_text`` reads a question file a committee member uploads, for them to confirm.

The text is shown to the member for confirmation and then stored beside the original file, so a file
that cannot be read is never an error here: ``extract_text`` returns what it could read and a short
problem code, and the view turns the code into a message. Every result is tidied the same way: NFC,
line ends as ``\\n``, control characters other than ``\\n`` and ``\\t`` removed, trailing spaces removed
from each line, runs of blank lines collapsed to one, and blank lines at either end removed. A leading
full-width space, the usual first-line indent of a Japanese paragraph, is kept on the first line as on
every other line.

The caller has already run ``comments.domain.uploads.check_upload`` on the bytes, which bounds their
size and refuses DOCX archives that would inflate too far (R40).
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

from comments.text import clean_text

# The public form's text limit: longer text is cut to it and reported, so the member can shorten it.
MAX_EXTRACTED_CHARS = 10_000
# Reading a page of a PDF costs time and memory whatever the file's size; a question has no reason to
# be longer than this, and the pages after it are not read at all.
MAX_PDF_PAGES = 200

ENCRYPTED = "encrypted"
NO_TEXT = "no_text"
UNREADABLE = "unreadable"
TOO_LONG = "too_long"
UNSUPPORTED = "unsupported"

# Line and page separators that are not "\n"; clean_text would drop the C0/C1 ones as control characters.
_LINE_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n", "\x85": "\n", "\u2028": "\n", "\u2029": "\n"})
_BLANK_LINES = re.compile(r"\n{3,}")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ExtractedText:
    """The text read from one file, the reason it is incomplete or empty, and a PDF's page count.

    ``problem`` is None when the text was read, else one of ``ENCRYPTED``, ``NO_TEXT`` (a scanned PDF
    with no text layer, an empty document), ``UNREADABLE`` (a corrupt file), ``TOO_LONG`` (``text`` holds
    the first ``MAX_EXTRACTED_CHARS`` characters, or the first ``MAX_PDF_PAGES`` pages) or
    ``UNSUPPORTED``. ``text`` is "" whenever nothing could be read.
    """

    text: str
    problem: str | None
    pages: int | None = None


def tidy_text(text: str) -> str:
    """``text`` in the form every extracted text takes (see the module docstring)."""
    text = unicodedata.normalize("NFC", clean_text(text.translate(_LINE_BREAKS)))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip("\n")


def _visible_length(text: str) -> int:
    return len(_WHITESPACE.sub("", text))


def _docx_lines(container) -> Iterator[str]:
    """The text of the paragraphs and tables of a document body or table cell, in document order."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if not isinstance(block, Table):
            yield block.text
            continue
        # python-docx hands back a merged cell once per grid column it spans, and the cell above for
        # each row a vertical merge continues into; its text belongs where the merge starts, once.
        seen = set()
        for row in block.rows:
            cells = []
            for cell in row.cells:
                if cell._tc in seen:
                    continue
                seen.add(cell._tc)
                cells.append("\n".join(_docx_lines(cell)).strip("\n"))
            yield "\t".join(cells)


def _docx_text(data: bytes) -> ExtractedText:
    """The body of a Word file: paragraphs and tables in document order, one paragraph a line.

    A table is read row by row, its cells separated by tabs (a cell's own paragraphs by line breaks,
    nested tables included). Headers, footers, footnotes, comments, text boxes, content controls and
    text inside unaccepted tracked insertions are not read. Word's automatic list numbering ("1.", "(1)") is not part of the paragraph text and
    python-docx does not expose it, so it is lost; numbers typed by hand are kept. As in
    ``draft_import``, python-docx parses with ``resolve_entities=False`` and lxml fetches nothing from
    the network, so XXE payloads are not expanded.
    """
    import docx

    document = docx.Document(io.BytesIO(data))
    return ExtractedText("\n".join(_docx_lines(document)), None)


def _pdf_text(data: bytes) -> ExtractedText:
    """The text layer of a PDF, page by page (at most ``MAX_PDF_PAGES``), with pypdf.

    A PDF that opens without a password (encrypted only to restrict printing or copying, with an empty
    user password) is decrypted and read; any other encrypted PDF is reported as ``ENCRYPTED``, as is
    one encrypted with AES when the ``cryptography`` package pypdf needs for AES is not installed.
    Reading stops early once the text is certainly longer than ``MAX_EXTRACTED_CHARS``.
    """
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except DependencyError:
            opened = PasswordType.NOT_DECRYPTED
        if opened == PasswordType.NOT_DECRYPTED:
            return ExtractedText("", ENCRYPTED)
    page_count = len(reader.pages)
    texts: list[str] = []
    visible = 0
    for page in islice(reader.pages, MAX_PDF_PAGES):
        # Tidied page by page so the count is of what the member will see: the pages are joined by "\n",
        # which NFC composes with nothing, so every non-blank character counted here reaches the text.
        text = tidy_text(page.extract_text() or "")
        texts.append(text)
        visible += _visible_length(text)
        if visible > MAX_EXTRACTED_CHARS:
            break
    cut_short = page_count > MAX_PDF_PAGES or len(texts) < page_count
    return ExtractedText("\n".join(texts), TOO_LONG if cut_short else None, page_count)


def _looks_misread(text: str) -> int:
    """How many characters of ``text`` suggest the wrong Japanese encoding was used to decode it."""
    # Half-width katakana and private-use characters: rare in questions, common in a misread file.
    return sum(1 for ch in text if "\uff61" <= ch <= "\uff9f" or unicodedata.category(ch) == "Co")


def text_file_encoding(data: bytes) -> str | None:
    """The encoding a plain-text file reads cleanly in, of those Japanese users actually save in; None when
    it reads in none of them.

    In order: a byte-order mark decides (``utf-8-sig``, or ``utf-16`` little- or big-endian: what Notepad
    writes as "UTF-8 with BOM" and "Unicode"); then UTF-8 without a mark (the default of current Windows
    Notepad, macOS and Linux); then CP932, the Shift_JIS that Japanese Windows writes ("ANSI" in older
    Notepad, and what Excel and many Japanese tools still save), tried before EUC-JP because it is far more
    common among the people who send questions; then EUC-JP (old Unix systems). EUC-JP bytes very often
    decode as CP932 too, into half-width katakana and private-use characters, so when both decode and the
    CP932 reading has more of those than the EUC-JP reading, EUC-JP wins.

    Hand-written rather than taken from charset-normalizer or chardet: they weigh dozens of encodings and
    name a short Japanese text something else often enough, where only these four are ever sent.
    """
    marked = _marked_encoding(data)
    try:
        data.decode(marked or "utf-8")
        return marked or "utf-8"
    except UnicodeDecodeError:
        if marked:
            return None
    readings = {}
    for candidate in ("cp932", "euc_jp"):
        try:
            readings[candidate] = data.decode(candidate)
        except UnicodeDecodeError:
            continue
    if not readings:
        return None
    return min(readings, key=lambda name: _looks_misread(readings[name]))  # min keeps CP932 on a tie


def decode_text_file(data: bytes) -> str:
    """The characters of a plain-text file, in the encoding ``text_file_encoding`` finds; a file that reads
    in none is read as UTF-8 with replacement characters, which the member sees when confirming the text.
    A byte-order mark is not part of the text."""
    encoding = text_file_encoding(data)
    if encoding is None:
        return data.decode(_marked_encoding(data) or "utf-8", errors="replace")
    return data.decode(encoding)


def _marked_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark names (the codec that leaves the mark out of the text), or None."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _txt_text(data: bytes) -> ExtractedText:
    return ExtractedText(decode_text_file(data), None)


_READERS: dict[str, Callable[[bytes], ExtractedText]] = {"docx": _docx_text, "pdf": _pdf_text, "txt": _txt_text}


def extract_text(filename: str, data: bytes) -> ExtractedText:
    """The text of an uploaded question file, read by its extension (pdf, docx, txt; else ``UNSUPPORTED``).

    Never raises: any error from the file or the library reading it becomes ``UNREADABLE``. Text that
    is empty after tidying is ``NO_TEXT``; text longer than ``MAX_EXTRACTED_CHARS`` is cut to it and
    ``TOO_LONG``. See ``_docx_text``, ``_pdf_text`` and ``decode_text_file`` for what each type yields.
    """
    extension = filename.rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    reader = _READERS.get(extension)
    if reader is None:
        return ExtractedText("", UNSUPPORTED)
    try:
        raw = reader(data)
    except Exception:  # a broken upload must become a message to the member, never a server error
        return ExtractedText("", UNREADABLE)
    if raw.problem == ENCRYPTED:
        return raw
    text = tidy_text(raw.text)
    if not text:
        return ExtractedText("", NO_TEXT, raw.pages)
    if len(text) > MAX_EXTRACTED_CHARS:
        return ExtractedText(text[:MAX_EXTRACTED_CHARS].rstrip(), TOO_LONG, raw.pages)
    return ExtractedText(text, raw.problem, raw.pages)


# --- Every word a file holds, to look for what must not be kept ---------------------------------------

# Reading stops here: beyond it a PDF is "too long to read whole" and the caller decides what to do.
MAX_PDF_SCAN_PAGES = 1000


def pdf_every_text(data: bytes) -> str | None:
    """All the text a PDF shows or carries: every page's text layer and the document information (title,
    author, subject, keywords); None when it cannot be read whole (encrypted with a password, damaged, or
    longer than ``MAX_PDF_SCAN_PAGES`` pages)."""
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except DependencyError:
                opened = PasswordType.NOT_DECRYPTED
            if opened == PasswordType.NOT_DECRYPTED:
                return None
        if len(reader.pages) > MAX_PDF_SCAN_PAGES:
            return None
        texts = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
        texts.extend(str(info.get(key) or "") for key in ("/Title", "/Author", "/Subject", "/Keywords", "/Creator"))
    except Exception:  # a damaged file: the caller treats it as unreadable
        return None
    return "\n".join(texts)


# --- Rewriting a Word file's text ----------------------------------------------------------------------

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_TEXT_TAGS = {f"{{{_W}}}t", f"{{{_W}}}delText", f"{{{_W}}}instrText", f"{{{_W}}}delInstrText"}
_BREAK_TAGS = {f"{{{_W}}}tab": "\t", f"{{{_W}}}br": "\n", f"{{{_W}}}cr": "\n"}
_PARAGRAPH = f"{{{_W}}}p"
# The parts of a .docx that hold WordprocessingML paragraphs: the body (text boxes included), headers,
# footers, footnotes, endnotes, comments and the glossary.
_PARAGRAPH_PARTS = re.compile(
    r"^word/(document|header\d*|footer\d*|footnotes|endnotes|comments\w*|glossary/document)\.xml$"
)


def _replace_spans(nodes: list[tuple[object, int]], spans: list[tuple[int, int]], replacement: str) -> None:
    """Cut each span out of the text nodes that hold it (``(node, offset of its first character)``), putting
    ``replacement`` where the span begins: a number split across runs leaves nothing behind in any run."""
    for start, end in reversed(spans):
        placed = False
        for node, offset in nodes:
            text = node.text or ""
            node_start, node_end = offset, offset + len(text)
            if node_end <= start or node_start >= end:
                continue
            cut_from, cut_to = max(start, node_start) - offset, min(end, node_end) - offset
            insert = replacement if not placed and node_start <= start else ""
            placed = placed or bool(insert)
            node.text = text[:cut_from] + insert + text[cut_to:]
        if not placed and nodes:  # the span began in a break between nodes: put it on the first node after
            for node, offset in nodes:
                if offset >= start:
                    node.text = replacement + (node.text or "")
                    break


def _mask_paragraphs(root, find_spans, replacement: str) -> int:
    """Mask the part's text as it reads: the runs of a paragraph side by side, tabs and breaks included,
    and a line break between paragraphs, so a number split across runs, lines or paragraphs (a group on
    each line, a table's cells) is found as in a typed text."""
    pieces, nodes, length = [], [], 0
    for node in root.iter():
        if node.tag == _PARAGRAPH:
            # A paragraph begins a line: a character of the text but of no node, so offsets move on.
            pieces.append("\n")
            length += 1
        elif node.tag in _TEXT_TAGS:
            nodes.append((node, length))
            pieces.append(node.text or "")
            length += len(node.text or "")
        elif node.tag in _BREAK_TAGS:
            pieces.append(_BREAK_TAGS[node.tag])
            length += 1
    spans = find_spans("".join(pieces))
    if spans:
        _replace_spans(nodes, spans, replacement)
    return len(spans)


# Attributes that hold text a person wrote or reads (a picture's alternative text and title, a field's
# instruction, WordArt, a link's target and tooltip); the others hold numbers and ids that must stay valid.
_TEXT_ATTRIBUTES = {"descr", "title", "instr", "string", "Target", "tooltip"}


def _masked_value(value: str, find_spans, replacement: str) -> tuple[str, int]:
    spans = find_spans(value)
    if not spans:
        return value, 0
    pieces, last = [], 0
    for start, end in spans:
        pieces.extend((value[last:start], replacement))
        last = end
    pieces.append(value[last:])
    return "".join(pieces), len(spans)


def _mask_every_text(root, find_spans, replacement: str) -> int:
    """Mask each text, tail and text attribute of every element on its own (document properties, charts,
    diagrams, alternative texts, field instructions, link targets)."""
    count = 0
    for element in root.iter():
        for attribute in ("text", "tail"):
            value = getattr(element, attribute, None)
            if value and isinstance(value, str):
                value, found = _masked_value(value, find_spans, replacement)
                if found:
                    setattr(element, attribute, value)
                    count += found
        for name, value in element.attrib.items():
            if etree_local_name(name) in _TEXT_ATTRIBUTES:
                value, found = _masked_value(value, find_spans, replacement)
                if found:
                    element.set(name, value)
                    count += found
    return count


def etree_local_name(name: str) -> str:
    """An attribute's name without its namespace (``{uri}descr`` -> ``descr``)."""
    return name.rsplit("}", 1)[-1]


def mask_docx(data: bytes, find_spans, replacement: str) -> tuple[bytes, int]:
    """The Word file with every span ``find_spans`` finds replaced by ``replacement``, in every part that
    holds text (body, text boxes, headers, footers, footnotes, endnotes, comments, tracked deletions,
    document properties, charts); return the new bytes and how many spans were replaced. A file in which
    nothing was found comes back as it was, byte for byte. Parsed without entities or network access."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    count = 0
    changed: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        for info in infos:
            if not info.filename.endswith((".xml", ".rels")):
                continue
            raw = archive.read(info)
            root = etree.fromstring(raw, parser)
            if _PARAGRAPH_PARTS.match(info.filename):
                found = _mask_paragraphs(root, find_spans, replacement)
                found += _mask_every_text(root, find_spans, replacement)
            else:
                found = _mask_every_text(root, find_spans, replacement)
            if found:
                count += found
                changed[info.filename] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        if not count:
            return data, 0
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as rewritten:
            for info in infos:
                rewritten.writestr(info, changed.get(info.filename) or archive.read(info))
    return buffer.getvalue(), count
