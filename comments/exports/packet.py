"""The inspection packet (第三者点検資料): the comment-and-response table of a meeting's consultations.

Pure builders: they take a ``Packet`` of plain values, already filtered by the caller (no submitter
names or addresses, only the inquiries whose answers may be public, R07), and return the bytes of a
Word file or a CSV file. Every word they add themselves comes from ``Packet.labels``, so the files
speak the viewer's language and hold nothing but the input and those labels.

Label keys (``DEFAULT_LABELS_JA`` and ``DEFAULT_LABELS_EN`` hold every one; a ``Packet`` whose labels
lack a key falls back to the Japanese default). ``{name}`` marks a value filled in:

==========================  =====================================================================
``document_title``          the packet's title, 意見と市の考え方
``draft_title_suffix``      added to the title while the packet is a draft, （案）
``draft_mark``              the page-header mark of a draft (案 / DRAFT); also the first cell of the
                            CSV's leading draft row
``draft_notice``            the sentence under the title, and the CSV's leading row, of a draft
``meeting_date``            ``{date}``: the meeting date line
``period``                  ``{period}``: the comment period line under each consultation's heading
``column_consultation``     CSV column: the consultation's title
``column_number``           column No.
``column_section``          column 該当箇所（頁）: section, then page
``column_page``             CSV column: the page alone (the Word table puts it after the section)
``column_submitter``        column 提出者
``column_kind``             column 区分 (意見 / 質問 / 要望)
``column_gist``             column 意見の概要
``column_group_count``      CSV column: how many items the row answers (1, or n for a same-purport group)
``column_response``         column 市の考え方
``column_category``         column 対応
``column_change``           column 修正内容
``column_inquiries``        CSV column: the row's inquiries, as under the response in the Word table
``column_carried_over``     CSV column: marks a carried-over row
``column_reason``           column 理由 of a carried-over row
``carried_over_heading``    heading of the carried-over table, 次回以降の部会で説明する項目
``carried_over_mark``       the CSV's value in ``column_carried_over`` for a carried-over row
``whole_draft``             the section of an item on the whole draft (``PacketRow.section == ""``)
``page``                    ``{page}``: the page after the section, （p.12）
``group_count``             ``{count}``: shown under the gist of a same-purport group, 同趣旨 n件
``response_pending``        in the Word table when a row has no approved response yet
``inquiry_body``            ``{body}``: first line of an inquiry, 照会先：総務省
``inquiry_answered``        ``{date}``: after the body when the answer is dated, （回答 2015年9月1日）
``inquiry_pending``         after the body when there is no answer yet
``inquiry_question``        ``{question}``: the question line
``inquiry_answer``          ``{answer}``: the answer line (left out when there is no answer)
``date``                    ``{year}``, ``{month}``, ``{day}``, ``{mm}``, ``{dd}`` (zero-padded)
``no_items``                in place of the table of a consultation with no rows at all
``footer_page``             ``{page}`` and ``{pages}``: the footer, as Word's PAGE and NUMPAGES fields
==========================  =====================================================================
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml.ns import nsmap, qn
from docx.shared import Mm, Pt, RGBColor
from lxml import etree

from comments import clock
from comments.exports.csv import build_csv
from comments.text import clean_text


@dataclass(frozen=True)
class PacketInquiry:
    """A question forwarded to an outside body (総務省, J-LIS, 広域連合) whose answer may be public."""

    body_name: str
    question: str
    answer: str  # "" when none yet
    answered_on: date | None


@dataclass(frozen=True)
class PacketRow:
    """One item, or one same-purport group answered once, as it stands in the table.

    ``submitter_kind`` is a label such as 市民 or 部会委員, never a name (R07).
    """

    number: str  # as shown: "1", "2-1"
    section: str  # "III-2 特定個人情報の入手"; "" for the whole draft
    page: int | None
    submitter_kind: str
    kind: str  # 意見 / 質問 / 要望
    gist: str  # 意見の概要
    response: str  # 市の考え方; "" until approved
    category: str  # 反映 / 既に記載 / 参考 / 反映しない / 回答; "" when none
    change: str  # the change to the draft when reflected; ""
    group_count: int  # 1 for a single item; n for a same-purport group (R06)
    inquiries: tuple[PacketInquiry, ...]


@dataclass(frozen=True)
class PacketConsultation:
    """One consultation of the meeting: its rows and the rows carried over to a later meeting."""

    title: str
    period: str  # already formatted: "2015年6月22日〜7月21日"
    rows: tuple[PacketRow, ...]
    carried_over: tuple[tuple[PacketRow, str], ...]  # (row, reason)


@dataclass(frozen=True)
class Packet:
    """Everything the packet shows. ``draft`` stays True until every item has an approved response."""

    meeting_title: str
    meeting_date: str  # already formatted
    organisation: str
    consultations: tuple[PacketConsultation, ...]
    draft: bool
    labels: dict[str, str]


DEFAULT_LABELS_JA: dict[str, str] = {
    "document_title": "意見と市の考え方",
    "draft_title_suffix": "（案）",
    "draft_mark": "案",
    "draft_notice": "この資料は案です。すべての意見について市の考え方が承認された後に確定します。",
    "meeting_date": "開催日：{date}",
    "period": "意見募集期間：{period}",
    "column_consultation": "案件",
    "column_number": "No.",
    "column_section": "該当箇所（頁）",
    "column_page": "頁",
    "column_submitter": "提出者",
    "column_kind": "区分",
    "column_gist": "意見の概要",
    "column_group_count": "同趣旨件数",
    "column_response": "市の考え方",
    "column_category": "対応",
    "column_change": "修正内容",
    "column_inquiries": "照会",
    "column_carried_over": "次回以降",
    "column_reason": "理由",
    "carried_over_heading": "次回以降の部会で説明する項目",
    "carried_over_mark": "次回以降の部会で説明",
    "whole_draft": "全体",
    "page": "（p.{page}）",
    "group_count": "同趣旨 {count}件",
    "response_pending": "（未承認）",
    "inquiry_body": "照会先：{body}",
    "inquiry_answered": "（回答 {date}）",
    "inquiry_pending": "（回答待ち）",
    "inquiry_question": "照会内容：{question}",
    "inquiry_answer": "回答：{answer}",
    "date": "{year}年{month}月{day}日",
    "no_items": "この案件に対する意見はありませんでした。",
    "footer_page": "{page} / {pages}",
}

DEFAULT_LABELS_EN: dict[str, str] = {
    "document_title": "Comments and the City's Responses",
    "draft_title_suffix": " (draft)",
    "draft_mark": "DRAFT",
    "draft_notice": "This is a draft. It becomes final once the city's response to every comment is approved.",
    "meeting_date": "Meeting date: {date}",
    "period": "Comment period: {period}",
    "column_consultation": "Consultation",
    "column_number": "No.",
    "column_section": "Section (page)",
    "column_page": "Page",
    "column_submitter": "Submitter",
    "column_kind": "Type",
    "column_gist": "Summary of the comment",
    "column_group_count": "Same-purport count",
    "column_response": "City's response",
    "column_category": "Action",
    "column_change": "Change to the draft",
    "column_inquiries": "Inquiries",
    "column_carried_over": "Carried over",
    "column_reason": "Reason",
    "carried_over_heading": "Items to be explained at a later meeting",
    "carried_over_mark": "Carried over",
    "whole_draft": "Whole draft",
    "page": " (p. {page})",
    "group_count": "{count} comments of the same purport",
    "response_pending": "(not yet approved)",
    "inquiry_body": "Inquiry to: {body}",
    "inquiry_answered": " (answered {date})",
    "inquiry_pending": " (awaiting an answer)",
    "inquiry_question": "Question: {question}",
    "inquiry_answer": "Answer: {answer}",
    "date": "{year}-{mm}-{dd}",
    "no_items": "No comments were received on this consultation.",
    "footer_page": "{page} / {pages}",
}

# Word shows Japanese in the font named by w:eastAsia; the theme fonts of python-docx's template are
# Latin ones, so every style we use names a Japanese font explicitly.
BODY_FONT_LATIN = "Century"
BODY_FONT_JAPANESE = "ＭＳ 明朝"
HEADING_FONT_LATIN = "Arial"
HEADING_FONT_JAPANESE = "ＭＳ ゴシック"

PAGE_WIDTH_MM = 297
PAGE_HEIGHT_MM = 210
MARGIN_MM = 15
_TEXT_WIDTH_MM = PAGE_WIDTH_MM - 2 * MARGIN_MM  # 267

# (label key, width in mm); each table's widths add up to the text width.
MAIN_COLUMNS = (
    ("column_number", 12),
    ("column_section", 30),
    ("column_submitter", 18),
    ("column_kind", 14),
    ("column_gist", 70),
    ("column_response", 75),
    ("column_category", 16),
    ("column_change", 32),
)
CARRIED_OVER_COLUMNS = (
    ("column_number", 12),
    ("column_section", 30),
    ("column_submitter", 18),
    ("column_kind", 14),
    ("column_gist", 110),
    ("column_reason", 83),
)
_CSV_COLUMNS = (
    "column_consultation",
    "column_number",
    "column_section",
    "column_page",
    "column_submitter",
    "column_kind",
    "column_gist",
    "column_group_count",
    "column_response",
    "column_category",
    "column_change",
    "column_inquiries",
    "column_carried_over",
    "column_reason",
)

_TABLE_FONT_HALF_POINTS = "18"  # 9 pt: eight columns on A4 landscape
_HEADER_SHADING = "D9D9D9"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# XML 1.0 cannot hold these at all; clean_text has already dropped the control characters.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def packet_labels(packet: Packet) -> dict[str, str]:
    return {**DEFAULT_LABELS_JA, **packet.labels}


def _text(value) -> str:
    """Any value as text Word and spreadsheets can hold: LF line ends, no control characters."""
    return _NOT_XML.sub("", clean_text("" if value is None else str(value)))


def fill_label(template: str, **values) -> str:
    """The template with each ``{name}`` replaced; a plain substitution, never ``str.format``."""
    return _PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), match.group(0))), template)


def _date(labels: Mapping[str, str], day: date) -> str:
    return fill_label(
        labels["date"], year=day.year, month=day.month, day=day.day, mm=f"{day.month:02d}", dd=f"{day.day:02d}"
    )


def packet_title(packet: Packet, labels: Mapping[str, str]) -> str:
    return labels["document_title"] + (labels["draft_title_suffix"] if packet.draft else "")


def _where(row: PacketRow, labels: Mapping[str, str]) -> str:
    section = row.section or labels["whole_draft"]
    return section + (fill_label(labels["page"], page=row.page) if row.page is not None else "")


def _inquiry_lines(inquiry: PacketInquiry, labels: Mapping[str, str]) -> list[str]:
    if inquiry.answered_on is not None:
        status = fill_label(labels["inquiry_answered"], date=_date(labels, inquiry.answered_on))
    elif not inquiry.answer:
        status = labels["inquiry_pending"]
    else:
        status = ""
    lines = [fill_label(labels["inquiry_body"], body=inquiry.body_name) + status]
    if inquiry.question:
        lines.append(fill_label(labels["inquiry_question"], question=inquiry.question))
    if inquiry.answer:
        lines.append(fill_label(labels["inquiry_answer"], answer=inquiry.answer))
    return lines


# --- Word -------------------------------------------------------------------------------------------


@functools.cache
def _name(prefixed: str) -> str:
    return qn(prefixed)


def _element(parent, tag: str, **attributes):
    """A w: element under ``parent``, or a new root when ``parent`` is None; attributes are w: ones."""
    attrib = {_name(f"w:{name}"): value for name, value in attributes.items()}
    if parent is None:
        return etree.Element(_name(tag), attrib, nsmap={"w": nsmap["w"]})
    return etree.SubElement(parent, _name(tag), attrib)


def _set_fonts(rpr, latin: str, japanese: str) -> None:
    """Name the fonts outright: a theme attribute would win over a name in the same w:rFonts."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = etree.Element(qn("w:rFonts"))
        rpr.insert(0, fonts)
    for name in list(fonts.attrib):
        del fonts.attrib[name]
    for slot, font in (("ascii", latin), ("hAnsi", latin), ("eastAsia", japanese), ("cs", latin)):
        fonts.set(qn(f"w:{slot}"), font)


def _set_up_styles(document) -> None:
    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(defaults, BODY_FONT_LATIN, BODY_FONT_JAPANESE)
    language = defaults.find(qn("w:lang"))
    if language is not None:
        # Characters shared by both scripts (quotes, dashes) are then set as Japanese.
        language.set(qn("w:eastAsia"), "ja-JP")

    normal = styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    for name, size in (("Heading 1", 14), ("Heading 2", 12)):
        style = styles[name]
        _set_fonts(style.element.get_or_add_rPr(), HEADING_FONT_LATIN, HEADING_FONT_JAPANESE)
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(12)
        style.paragraph_format.space_after = Pt(6)
    for name in ("Header", "Footer"):
        tabs = styles[name].paragraph_format.tab_stops
        tabs.clear_all()  # the template's stops are for US Letter portrait
        tabs.add_tab_stop(Mm(_TEXT_WIDTH_MM / 2), WD_TAB_ALIGNMENT.CENTER)
        tabs.add_tab_stop(Mm(_TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT)


def _set_up_page(section) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width = Mm(PAGE_WIDTH_MM)
    section.page_height = Mm(PAGE_HEIGHT_MM)
    section.top_margin = section.bottom_margin = Mm(MARGIN_MM)
    section.left_margin = section.right_margin = Mm(MARGIN_MM)
    section.header_distance = section.footer_distance = Mm(7)


def _add_run_xml(paragraph_element, text: str, *, bold: bool = False, half_points: str | None = None) -> None:
    """A w:r with the text; line breaks become w:br and tabs w:tab, as Word writes them."""
    run = _element(paragraph_element, "w:r")
    if bold or half_points:
        properties = _element(run, "w:rPr")
        if bold:
            _element(properties, "w:b")
        if half_points:
            _element(properties, "w:sz", val=half_points)
            _element(properties, "w:szCs", val=half_points)
    for line_number, line in enumerate(_text(text).split("\n")):
        if line_number:
            _element(run, "w:br")
        for part_number, part in enumerate(line.split("\t")):
            if part_number:
                _element(run, "w:tab")
            if part:
                node = _element(run, "w:t")
                node.text = part
                node.set(_XML_SPACE, "preserve")


def _add_cell(row_element, width_twips: int, paragraphs: Sequence[tuple[str, bool]], *, shading: str = "") -> None:
    """A w:tc of a fixed width holding one paragraph per (text, bold)."""
    cell = _element(row_element, "w:tc")
    properties = _element(cell, "w:tcPr")
    _element(properties, "w:tcW", w=str(width_twips), type="dxa")
    if shading:
        _element(properties, "w:shd", val="clear", color="auto", fill=shading)
    for text, bold in paragraphs or (("", False),):
        paragraph = _element(cell, "w:p")
        _add_run_xml(paragraph, text, bold=bold, half_points=_TABLE_FONT_HALF_POINTS)


def _add_table(document, columns: Sequence[tuple[str, int]], labels: Mapping[str, str], rows) -> None:
    """A fixed-layout table whose header row Word repeats on every page (w:tblHeader).

    The rows are built as plain lxml elements and then moved into the table: python-docx's
    ``add_row().cells`` walks the whole table for every row (25 s for 5,000 rows), and even elements
    made inside its tree cost several times more, as lxml looks up python-docx's class for each one.
    """
    widths = [int(Mm(width).twips) for _key, width in columns]
    table = document.add_table(rows=0, cols=len(columns))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # w:tblLayout fixed: Word lays out long tables without measuring every cell
    element = table._tbl
    for grid_column, width in zip(element.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        grid_column.set(qn("w:w"), str(width))
    table_width = element.tblPr.find(qn("w:tblW"))
    table_width.set(qn("w:w"), str(sum(widths)))
    table_width.set(qn("w:type"), "dxa")

    header = _element(None, "w:tr")
    header_properties = _element(header, "w:trPr")
    _element(header_properties, "w:cantSplit")
    _element(header_properties, "w:tblHeader")
    for (key, _width), width in zip(columns, widths, strict=True):
        _add_cell(header, width, ((labels[key], True),), shading=_HEADER_SHADING)
    element.append(header)
    for cells in rows:
        row = _element(None, "w:tr")
        for paragraphs, width in zip(cells, widths, strict=True):
            _add_cell(row, width, paragraphs)
        element.append(row)


def main_cells(row: PacketRow, labels: Mapping[str, str]):
    gist = [(row.gist, False)]
    if row.group_count > 1:
        gist.append((fill_label(labels["group_count"], count=row.group_count), True))
    response = [(row.response or labels["response_pending"], False)]
    for inquiry in row.inquiries:
        response.extend((line, index == 0) for index, line in enumerate(_inquiry_lines(inquiry, labels)))
    return (
        [(row.number, False)],
        [(_where(row, labels), False)],
        [(row.submitter_kind, False)],
        [(row.kind, False)],
        gist,
        response,
        [(row.category, False)],
        [(row.change, False)],
    )


def carried_over_cells(row: PacketRow, reason: str, labels: Mapping[str, str]):
    gist = [(row.gist, False)]
    if row.group_count > 1:
        gist.append((fill_label(labels["group_count"], count=row.group_count), True))
    return (
        [(row.number, False)],
        [(_where(row, labels), False)],
        [(row.submitter_kind, False)],
        [(row.kind, False)],
        gist,
        [(reason, False)],
    )


def _add_paragraph(document, text: str, *, bold=False, size=None, align=None, style=None, page_break=False):
    paragraph = document.add_paragraph(style=style)
    run = paragraph.add_run(_text(text))
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    if align is not None:
        paragraph.alignment = align
    if page_break:
        paragraph.paragraph_format.page_break_before = True
    return paragraph


def _add_field(paragraph_element, instruction: str) -> None:
    """A complex field (PAGE, NUMPAGES) with "1" as the result Word replaces when it lays out pages."""
    for kind, text in (("begin", None), ("instr", instruction), ("separate", None), ("result", "1"), ("end", None)):
        run = _element(paragraph_element, "w:r")
        if kind == "instr":
            node = _element(run, "w:instrText")
            node.text = f" {text} "
            node.set(_XML_SPACE, "preserve")
        elif kind == "result":
            _element(run, "w:t").text = text
        else:
            _element(run, "w:fldChar", fldCharType=kind)


def _set_up_header_and_footer(section, packet: Packet, labels: Mapping[str, str]) -> None:
    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.add_run(_text(packet.meeting_title)).font.size = Pt(8)
    if packet.draft:
        # The mark stands at the right of every page, boxed, so a printed draft page is never taken
        # for the final packet.
        paragraph.add_run("\t")
        mark = paragraph.add_run(_text(labels["draft_mark"]))
        mark.bold = True
        mark.font.size = Pt(20)
        _element(mark._r.get_or_add_rPr(), "w:bdr", val="single", sz="12", space="1", color="auto")

    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fields = {"page": "PAGE", "pages": "NUMPAGES"}
    position = 0
    template = labels["footer_page"]
    for match in _PLACEHOLDER.finditer(template):
        if match.group(1) not in fields:
            continue
        if match.start() > position:
            _add_run_xml(paragraph._p, template[position : match.start()])
        _add_field(paragraph._p, fields[match.group(1)])
        position = match.end()
    if position < len(template):
        _add_run_xml(paragraph._p, template[position:])


def packet_docx(packet: Packet) -> bytes:
    """The packet as a Word file: A4 landscape, one table per consultation with its header row repeated
    on every page, a table of the items carried over to a later meeting, page numbers in the footer, and
    "案" / "DRAFT" in the header of every page while ``packet.draft``.
    """
    labels = packet_labels(packet)
    document = docx.Document()
    _set_up_styles(document)
    title = packet_title(packet, labels)
    properties = document.core_properties
    # The template's own values ("python-docx", a 2013 date) would otherwise travel with the file.
    properties.title = _text(f"{packet.meeting_title} {title}".strip())
    properties.author = properties.last_modified_by = _text(packet.organisation)
    properties.comments = properties.subject = properties.keywords = properties.category = ""
    properties.created = properties.modified = clock.now()
    properties.revision = 1
    for section in document.sections:
        _set_up_page(section)
        _set_up_header_and_footer(section, packet, labels)

    _add_paragraph(document, packet.meeting_title, bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    _add_paragraph(document, title, bold=True, size=16, align=WD_ALIGN_PARAGRAPH.CENTER)
    if packet.draft:
        _add_paragraph(document, labels["draft_notice"], align=WD_ALIGN_PARAGRAPH.CENTER)
    _add_paragraph(document, packet.organisation, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _add_paragraph(
        document, fill_label(labels["meeting_date"], date=packet.meeting_date), align=WD_ALIGN_PARAGRAPH.RIGHT
    )

    for index, consultation in enumerate(packet.consultations):
        _add_paragraph(document, consultation.title, style="Heading 1", page_break=index > 0)
        _add_paragraph(document, fill_label(labels["period"], period=consultation.period))
        if consultation.rows:
            _add_table(document, MAIN_COLUMNS, labels, (main_cells(row, labels) for row in consultation.rows))
        elif not consultation.carried_over:
            _add_paragraph(document, labels["no_items"])
        if consultation.carried_over:
            _add_paragraph(document, labels["carried_over_heading"], style="Heading 2")
            _add_table(
                document,
                CARRIED_OVER_COLUMNS,
                labels,
                (carried_over_cells(row, reason, labels) for row, reason in consultation.carried_over),
            )

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- CSV --------------------------------------------------------------------------------------------


def _csv_row(consultation: PacketConsultation, row: PacketRow, labels: Mapping[str, str], reason: str | None):
    inquiries = "\n".join(line for inquiry in row.inquiries for line in _inquiry_lines(inquiry, labels))
    return [
        _text(cell)
        for cell in (
            consultation.title,
            row.number,
            row.section or labels["whole_draft"],
            "" if row.page is None else row.page,
            row.submitter_kind,
            row.kind,
            row.gist,
            row.group_count,
            row.response,
            row.category,
            row.change,
            inquiries,
            "" if reason is None else labels["carried_over_mark"],
            reason or "",
        )
    ]


def packet_csv(packet: Packet) -> bytes:
    """The packet as CSV for Excel: UTF-8 with a BOM, CRLF, one row per item with the consultation's
    title first, carried-over rows marked with their reason; a draft starts with a row ["案", notice]
    before the column headings. Every cell goes through the formula neutralisation of ``build_csv``.
    """
    labels = packet_labels(packet)
    lines: list[list] = []
    if packet.draft:
        lines.append([labels["draft_mark"], labels["draft_notice"]])
    lines.append([labels[key] for key in _CSV_COLUMNS])
    for consultation in packet.consultations:
        lines.extend(_csv_row(consultation, row, labels, None) for row in consultation.rows)
        lines.extend(_csv_row(consultation, row, labels, reason) for row, reason in consultation.carried_over)
    # build_csv calls its first line the header; here that is the draft row when there is one.
    return build_csv(lines[0], lines[1:]).encode("utf-8")
