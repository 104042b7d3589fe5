"""What every format of the inspection packet shows, in the same words and cells: its title, its columns
and the cells of each row. The print page, the Word file and the CSV file are all made from these, so
they can never say different things. Every word comes from ``Packet.labels`` (see domain/packet.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from comments.dates import calendar_day
from comments.domain.packet import Packet, PacketInquiry, PacketOpinion, PacketRow

PAGE_WIDTH_MM = 297  # A4 landscape
PAGE_HEIGHT_MM = 210
MARGIN_MM = 15
TEXT_WIDTH_MM = PAGE_WIDTH_MM - 2 * MARGIN_MM  # 267

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

# The committee's opinions carried to this meeting (前回からの継続事項).
CARRIED_IN_COLUMNS = (
    ("column_number", 25),
    ("column_consultation", 45),
    ("column_raised_at", 45),
    ("column_opinion", 76),
    ("column_answer", 76),
)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill_label(template: str, **values) -> str:
    """The template with each ``{name}`` replaced; a plain substitution, never ``str.format``."""
    return _PLACEHOLDER.sub(lambda match: str(values.get(match.group(1), match.group(0))), template)


def date_text(labels: Mapping[str, str], day: date) -> str:
    """``day`` in the packet's language, as every date of the service is written (comments/dates.py)."""
    return calendar_day(day, locale=labels.get("language", "ja"))


def packet_title(packet: Packet) -> str:
    return packet.labels["document_title"] + (packet.labels["draft_title_suffix"] if packet.draft else "")


def where(row: PacketRow, labels: Mapping[str, str]) -> str:
    """The section and its page, or the whole draft."""
    section = row.section or labels["whole_draft"]
    return section + (fill_label(labels["page"], page=row.page) if row.page is not None else "")


def inquiry_lines(inquiry: PacketInquiry, labels: Mapping[str, str]) -> list[str]:
    """The lines of one inquiry: to whom and whether answered, the question, and the answer, or only that
    a confidential one came ("awaiting an answer" would tell the committee something untrue)."""
    if inquiry.answered_on is not None:
        status = fill_label(labels["inquiry_answered"], date=date_text(labels, inquiry.answered_on))
    elif not inquiry.answer and not inquiry.withheld:
        status = labels["inquiry_pending"]
    else:
        status = ""
    lines = [fill_label(labels["inquiry_body"], body=inquiry.body_name) + status]
    if inquiry.question:
        lines.append(fill_label(labels["inquiry_question"], question=inquiry.question))
    if inquiry.answer:
        lines.append(fill_label(labels["inquiry_answer"], answer=inquiry.answer))
    elif inquiry.withheld:
        lines.append(labels["inquiry_answer_not_public"])
    return lines


def _leading_cells(row: PacketRow, labels: Mapping[str, str]):
    """The cells both tables begin with: number, section and page, submitter, kind, and the gist (with the
    count of a same-purport group)."""
    gist = [(row.gist, False)]
    if row.group_count > 1:
        gist.append((fill_label(labels["group_count"], count=row.group_count), True))
    return (
        [(row.number, False)],
        [(where(row, labels), False)],
        [(row.submitter_kind, False)],
        [(row.kind, False)],
        gist,
    )


def main_cells(row: PacketRow, labels: Mapping[str, str]):
    """The cells of a row of the main table, in ``MAIN_COLUMNS`` order: each a list of (text, bold)."""
    response = [(row.response or labels["response_pending"], False)]
    for inquiry in row.inquiries:
        response.extend((line, index == 0) for index, line in enumerate(inquiry_lines(inquiry, labels)))
    return (*_leading_cells(row, labels), response, [(row.category, False)], [(row.change, False)])


def carried_over_cells(row: PacketRow, reason: str, labels: Mapping[str, str]):
    """The cells of a carried-over row, in ``CARRIED_OVER_COLUMNS`` order."""
    return (*_leading_cells(row, labels), [(reason, False)])


def opinion_number(opinion: PacketOpinion, labels: Mapping[str, str]) -> str:
    return fill_label(labels["opinion_number"], number=opinion.number)


def raised_at(opinion: PacketOpinion, labels: Mapping[str, str]) -> str:
    return fill_label(labels["raised_at"], meeting=opinion.raised_at, date=date_text(labels, opinion.raised_on))


def carried_in_cells(opinion: PacketOpinion, labels: Mapping[str, str]):
    """The cells of an opinion carried to this meeting, in ``CARRIED_IN_COLUMNS`` order; the answer, or that
    it is to be given at this meeting."""
    return (
        [(opinion_number(opinion, labels), False)],
        [(opinion.consultation, False)],
        [(raised_at(opinion, labels), False)],
        [(opinion.body, False)],
        [(opinion.answer or labels["answer_pending"], False)],
    )
