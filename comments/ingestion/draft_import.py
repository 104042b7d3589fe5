"""Reading the sections of a draft assessment from a DOCX file or from plain text (pure parsers).

The heading rule, the same for plain text and for DOCX paragraphs without a heading style:

* A heading is one line that starts with a section number, then a space (half- or full-width), then
  the heading text; it is at most ``HEADING_MAX_CHARS`` characters and does not end with "。" (a
  numbered sentence in the body is not a heading).
* A section number is one of: a Roman numeral with an optional sub-number ("I-1", "Ⅲ 7", "III．2"),
  an Arabic number with optional sub-numbers ("1", "2-3", "4.1"), or "第" + number ("第1", "第三").
  Full-width forms are read as their half-width equivalents (NFKC); the stored number joins a Roman
  numeral and its sub-number with "-" ("Ⅲ 7" becomes "III-7").
* Every line after a heading, up to the next heading, is that section's body.
* A page marker, "(p.21)" / "（p.21）" / "21ページ" / "- 21 -", on a line of its own or at the end of a
  heading line, sets the page of the sections that start after it; marker lines never reach a body.
* Text before the first heading becomes a section with no number headed "前文".

In a DOCX, paragraphs styled "Heading 1" to "Heading 9" (見出し 1 ... in Japanese Word) are headings
whatever their text; their number is split off by the rule above when present. A document with no
heading styles at all is read line by line with the plain-text rule. Tables are read as text, one row a
line, cells separated by tabs.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import asdict, dataclass

from flask_babel import lazy_gettext as _l


class DraftUnreadable(ValueError):
    """No section could be read from the draft; ``message`` says why and what to do, and ``field`` names the
    input it is about, for the form."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


HEADING_MAX_CHARS = 80
NUMBER_MAX_CHARS = 40
HEADING_TEXT_MAX_CHARS = 300
PREAMBLE_HEADING = "前文"

_ROMAN = r"(?:X{0,3})(?:IX|IV|V?I{0,3})"
_SPACE = r"[ \t\u3000]"
_NUMBER_PATTERNS = (
    # Roman numeral, optional sub-number: I-1, III 7, IV.2 (after NFKC, Ⅲ is III and － is -).
    re.compile(
        rf"^(?P<roman>{_ROMAN})(?:{_SPACE}*[-‐‑–.・]{_SPACE}*|{_SPACE}+)(?P<sub>\d+(?:[-.]\d+)*){_SPACE}+(?P<rest>\S.*)$"
    ),
    re.compile(rf"^(?P<roman>{_ROMAN}){_SPACE}+(?P<rest>\S.*)$"),
    # 第1, 第十二 (then optional 章/節/部)
    re.compile(rf"^(?P<number>第[0-9〇一二三四五六七八九十百]+[章節部]?){_SPACE}*(?P<rest>\S.*)$"),
    # 1, 2-3, 4.1
    re.compile(rf"^(?P<number>\d{{1,3}}(?:[-.]\d{{1,3}})*)\.?{_SPACE}+(?P<rest>\S.*)$"),
)
_PAGE_MARKER = re.compile(
    r"^(?:\(\s*p\.?\s*(?P<p1>\d{1,4})\s*\)|(?P<p2>\d{1,4})\s*ページ|-\s*(?P<p3>\d{1,4})\s*-)$", re.I
)
_TRAILING_PAGE = re.compile(r"\s*\(\s*p\.?\s*(?P<page>\d{1,4})\s*\)$|\s*(?P<page2>\d{1,4})\s*ページ$", re.I)
_HEADING_STYLE = re.compile(r"^(?:heading|見出し)\s*[1-9]$", re.I)


@dataclass(frozen=True)
class ParsedSection:
    """One section as read from the draft: its number ("" when none), heading, page (or None) and body."""

    number: str
    heading: str
    body: str
    page: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ParsedSection:
        page = data.get("page")
        return cls(
            number=str(data.get("number", ""))[:NUMBER_MAX_CHARS],
            heading=str(data.get("heading", ""))[:HEADING_TEXT_MAX_CHARS],
            body=str(data.get("body", "")),
            page=int(page) if isinstance(page, int) else None,
        )


def _is_roman(text: str) -> bool:
    return bool(text) and re.fullmatch(_ROMAN, text) is not None


def split_number(line: str) -> tuple[str, str] | None:
    """(number, heading text) when ``line`` starts with a section number by the rule above, else None."""
    normal = unicodedata.normalize("NFKC", line).strip()
    for pattern in _NUMBER_PATTERNS:
        match = pattern.match(normal)
        if match is None:
            continue
        groups = match.groupdict()
        if "roman" in groups:
            # "I think ..." in an English body is not section I.
            if not _is_roman(groups["roman"]) or groups["rest"][:1].islower():
                continue
            number = groups["roman"] + (f"-{groups['sub']}" if groups.get("sub") else "")
        else:
            number = groups["number"]
        rest = groups["rest"].strip()
        if len(number) > NUMBER_MAX_CHARS or not rest:
            continue
        return number, rest
    return None


def _page_marker(line: str) -> int | None:
    match = _PAGE_MARKER.match(unicodedata.normalize("NFKC", line).strip())
    if match is None:
        return None
    return int(match.group("p1") or match.group("p2") or match.group("p3"))


def _heading_with_page(text: str) -> tuple[str, int | None]:
    match = _TRAILING_PAGE.search(text)
    if match is None:
        return text, None
    return text[: match.start()].strip(), int(match.group("page") or match.group("page2"))


def _looks_like_heading(line: str) -> bool:
    stripped = line.strip()
    return 0 < len(stripped) <= HEADING_MAX_CHARS and not stripped.endswith("。")


class _Builder:
    """Collects headings and body lines in order and closes each section at the next heading."""

    def __init__(self):
        self.sections: list[ParsedSection] = []
        self.number: str | None = None
        self.heading = ""
        self.page: int | None = None
        self.current_page: int | None = None
        self.lines: list[str] = []
        self.found_heading = False

    def _close(self) -> None:
        body = "\n".join(self.lines).strip("\n")
        if self.number is None:
            if body.strip():
                self.sections.append(ParsedSection("", PREAMBLE_HEADING, body, None))
        else:
            self.sections.append(ParsedSection(self.number, self.heading, body, self.page))
        self.lines = []

    def heading_line(self, number: str, text: str) -> None:
        self._close()
        self.found_heading = True
        heading, page = _heading_with_page(text)
        if page is not None:
            self.current_page = page
        self.number = number
        self.heading = (heading or text)[:HEADING_TEXT_MAX_CHARS]
        self.page = self.current_page

    def body_line(self, line: str) -> None:
        page = _page_marker(line)
        if page is not None:
            self.current_page = page
            return
        self.lines.append(line.rstrip())

    def finish(self) -> list[ParsedSection]:
        self._close()
        return self.sections


def _no_sections() -> DraftUnreadable:
    return DraftUnreadable(
        _l(
            "No section headings were found. Each section must begin on its own line with its number and "
            "heading, such as “I-1 特定個人情報ファイルを取り扱う事務”, “1 基本情報” or “第1 評価の概要”; "
            "in a Word file, heading styles (見出し 1, Heading 1) also mark sections."
        ),
        field="source",
    )


def _read_lines(lines, builder: _Builder) -> None:
    for raw in lines:
        line = raw.replace("\r", "")
        numbered = split_number(line) if _looks_like_heading(line) else None
        if numbered is not None:
            builder.heading_line(*numbered)
        else:
            builder.body_line(line)


def _result(builder: _Builder) -> list[ParsedSection]:
    sections = builder.finish()
    if not builder.found_heading:
        raise _no_sections()
    return sections


def sections_from_text(text: str) -> list[ParsedSection]:
    """The sections of a draft pasted as plain text, by the heading rule of this module.

    Raises ``DraftUnreadable`` when the text has no heading at all.
    """
    builder = _Builder()
    _read_lines((text or "").splitlines(), builder)
    return _result(builder)


def _docx_blocks(document):
    """(style name or "", text) of every paragraph and table row in document order."""
    from docx.table import Table

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = []
                for cell in row.cells:
                    text = cell.text.strip()
                    if not cells or cells[-1] != text:  # a merged cell repeats across the columns it spans
                        cells.append(text)
                yield "", "\t".join(cells)
        else:
            style = block.style.name if block.style is not None else ""
            yield style or "", block.text


def docx_blocks(data: bytes) -> list[tuple[str, str]] | None:
    """(style name or "", text) of every paragraph and table row of a Word (.docx) file, in document order;
    None when the bytes are not a Word document. Plain data, so it can be read in a child process under the
    reading limits (``comments.domain.uploads.read_in_child``): this is the part that costs what the file
    makes it cost.

    python-docx parses the package with lxml through a parser built with ``resolve_entities=False``
    and lxml never fetches external DTDs or entities by default (``no_network``, ``load_dtd=False``),
    so an XXE payload in the file is not expanded and reads no local file. The caller has already run
    ``check_upload``, which refuses archives that would inflate too far (R40).
    """
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        document = docx.Document(io.BytesIO(data))
        return list(_docx_blocks(document))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.LxmlError):
        return None


def sections_from_blocks(blocks: list[tuple[str, str]] | None) -> list[ParsedSection]:
    """The sections of a draft from its ``docx_blocks``: heading styles first, the text rule otherwise.

    Raises ``DraftUnreadable`` when the blocks are None (not a Word document) or hold no heading.
    """
    if blocks is None:
        raise DraftUnreadable(
            _l("The file could not be read as a Word document (.docx). Save it from Word as .docx and try again."),
            field="source",
        )
    builder = _Builder()
    if any(_HEADING_STYLE.match(style) for style, _text in blocks):
        for style, text in blocks:
            if _HEADING_STYLE.match(style) and text.strip():
                numbered = split_number(text)
                builder.heading_line(*(numbered or ("", text.strip())))
            else:
                for line in text.splitlines() or [""]:
                    builder.body_line(line)
    else:
        _read_lines((line for _style, text in blocks for line in (text.splitlines() or [""])), builder)
    return _result(builder)


def sections_from_docx(data: bytes) -> list[ParsedSection]:
    """The sections of a draft in a Word (.docx) file, read in this process: ``sections_from_blocks`` of
    ``docx_blocks``. The web reads the blocks in a child process instead (staff.import_sections)."""
    return sections_from_blocks(docx_blocks(data))
