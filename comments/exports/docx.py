"""Word files for Japanese readers, written with python-docx and, where python-docx is slow, as plain
WordprocessingML elements made with lxml: fonts that Word shows Japanese in, pages, tables whose header
row repeats on every page, and PAGE / NUMPAGES fields. Nothing here knows what a document is about."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml.ns import nsmap, qn
from docx.shared import Mm, Pt, RGBColor
from lxml import etree

from comments.text import portable_text

# Word shows Japanese in the font named by w:eastAsia; the theme fonts of python-docx's template are
# Latin ones, so every style we use names a Japanese font explicitly.
BODY_FONT_LATIN = "Century"
BODY_FONT_JAPANESE = "ＭＳ 明朝"
HEADING_FONT_LATIN = "Arial"
HEADING_FONT_JAPANESE = "ＭＳ ゴシック"

_HEADER_SHADING = "D9D9D9"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@functools.cache
def _name(prefixed: str) -> str:
    return qn(prefixed)


def element(parent, tag: str, **attributes):
    """A w: element under ``parent``, or a new root when ``parent`` is None; attributes are w: ones."""
    attrib = {_name(f"w:{name}"): value for name, value in attributes.items()}
    if parent is None:
        return etree.Element(_name(tag), attrib, nsmap={"w": nsmap["w"]})
    return etree.SubElement(parent, _name(tag), attrib)


def set_fonts(rpr, latin: str, japanese: str) -> None:
    """Name the fonts outright: a theme attribute would win over a name in the same w:rFonts."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = etree.Element(qn("w:rFonts"))
        rpr.insert(0, fonts)
    for name in list(fonts.attrib):
        del fonts.attrib[name]
    for slot, font in (("ascii", latin), ("hAnsi", latin), ("eastAsia", japanese), ("cs", latin)):
        fonts.set(qn(f"w:{slot}"), font)


def set_up_japanese_styles(document, *, text_width_mm: float) -> None:
    """Japanese fonts in the defaults and headings, 10.5 pt body text, and header and footer tab stops at
    the centre and the right edge of a text column ``text_width_mm`` wide."""
    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(defaults, BODY_FONT_LATIN, BODY_FONT_JAPANESE)
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
        set_fonts(style.element.get_or_add_rPr(), HEADING_FONT_LATIN, HEADING_FONT_JAPANESE)
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(12)
        style.paragraph_format.space_after = Pt(6)
    for name in ("Header", "Footer"):
        tabs = styles[name].paragraph_format.tab_stops
        tabs.clear_all()  # the template's stops are for US Letter portrait
        tabs.add_tab_stop(Mm(text_width_mm / 2), WD_TAB_ALIGNMENT.CENTER)
        tabs.add_tab_stop(Mm(text_width_mm), WD_TAB_ALIGNMENT.RIGHT)


def set_up_landscape_page(section, *, width_mm: float, height_mm: float, margin_mm: float) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width = Mm(width_mm)
    section.page_height = Mm(height_mm)
    section.top_margin = section.bottom_margin = Mm(margin_mm)
    section.left_margin = section.right_margin = Mm(margin_mm)
    section.header_distance = section.footer_distance = Mm(7)


def add_run_xml(paragraph_element, text: str, *, bold: bool = False, half_points: str | None = None) -> None:
    """A w:r with the text; line breaks become w:br and tabs w:tab, as Word writes them."""
    run = element(paragraph_element, "w:r")
    if bold or half_points:
        properties = element(run, "w:rPr")
        if bold:
            element(properties, "w:b")
        if half_points:
            element(properties, "w:sz", val=half_points)
            element(properties, "w:szCs", val=half_points)
    for line_number, line in enumerate(portable_text(text).split("\n")):
        if line_number:
            element(run, "w:br")
        for part_number, part in enumerate(line.split("\t")):
            if part_number:
                element(run, "w:tab")
            if part:
                node = element(run, "w:t")
                node.text = part
                node.set(_XML_SPACE, "preserve")


def _add_cell(
    row_element, width_twips: int, paragraphs: Sequence[tuple[str, bool]], *, half_points: str, shading: str = ""
) -> None:
    """A w:tc of a fixed width holding one paragraph per (text, bold)."""
    cell = element(row_element, "w:tc")
    properties = element(cell, "w:tcPr")
    element(properties, "w:tcW", w=str(width_twips), type="dxa")
    if shading:
        element(properties, "w:shd", val="clear", color="auto", fill=shading)
    for text, bold in paragraphs or (("", False),):
        paragraph = element(cell, "w:p")
        add_run_xml(paragraph, text, bold=bold, half_points=half_points)


def add_table(
    document,
    headings: Sequence[str],
    widths_mm: Sequence[float],
    rows: Iterable[Sequence[Sequence[tuple[str, bool]]]],
    *,
    font_half_points: str,
) -> None:
    """A fixed-layout table whose header row Word repeats on every page (w:tblHeader); each row is one
    list of (text, bold) paragraphs per column.

    The rows are built as plain lxml elements and then moved into the table: python-docx's
    ``add_row().cells`` walks the whole table for every row (25 s for 5,000 rows), and even elements
    made inside its tree cost several times more, as lxml looks up python-docx's class for each one.
    """
    widths = [int(Mm(width).twips) for width in widths_mm]
    table = document.add_table(rows=0, cols=len(widths))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # w:tblLayout fixed: Word lays out long tables without measuring every cell
    table_element = table._tbl
    for grid_column, width in zip(table_element.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        grid_column.set(qn("w:w"), str(width))
    table_width = table_element.tblPr.find(qn("w:tblW"))
    table_width.set(qn("w:w"), str(sum(widths)))
    table_width.set(qn("w:type"), "dxa")

    header = element(None, "w:tr")
    header_properties = element(header, "w:trPr")
    element(header_properties, "w:cantSplit")
    element(header_properties, "w:tblHeader")
    for heading, width in zip(headings, widths, strict=True):
        _add_cell(header, width, ((heading, True),), half_points=font_half_points, shading=_HEADER_SHADING)
    table_element.append(header)
    for cells in rows:
        row = element(None, "w:tr")
        for paragraphs, width in zip(cells, widths, strict=True):
            _add_cell(row, width, paragraphs, half_points=font_half_points)
        table_element.append(row)


def add_paragraph(document, text: str, *, bold=False, size=None, align=None, style=None, page_break=False):
    paragraph = document.add_paragraph(style=style)
    run = paragraph.add_run(portable_text(text))
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    if align is not None:
        paragraph.alignment = align
    if page_break:
        paragraph.paragraph_format.page_break_before = True
    return paragraph


def add_field(paragraph_element, instruction: str) -> None:
    """A complex field (PAGE, NUMPAGES) with "1" as the result Word replaces when it lays out pages."""
    for kind, text in (("begin", None), ("instr", instruction), ("separate", None), ("result", "1"), ("end", None)):
        run = element(paragraph_element, "w:r")
        if kind == "instr":
            node = element(run, "w:instrText")
            node.text = f" {text} "
            node.set(_XML_SPACE, "preserve")
        elif kind == "result":
            element(run, "w:t").text = text
        else:
            element(run, "w:fldChar", fldCharType=kind)


def add_text_with_fields(paragraph_element, template: str, fields: dict[str, str]) -> None:
    """``template`` as runs, each ``{name}`` of ``fields`` replaced by that field (``{"page": "PAGE"}``)."""
    position = 0
    for match in PLACEHOLDER.finditer(template):
        if match.group(1) not in fields:
            continue
        if match.start() > position:
            add_run_xml(paragraph_element, template[position : match.start()])
        add_field(paragraph_element, fields[match.group(1)])
        position = match.end()
    if position < len(template):
        add_run_xml(paragraph_element, template[position:])


def boxed(run) -> None:
    """A single-line box around a run (the draft mark in a page header)."""
    element(run._r.get_or_add_rPr(), "w:bdr", val="single", sz="12", space="1", color="auto")
