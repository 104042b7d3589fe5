"""The inspection packet (第三者点検資料) of a meeting: its value types and their assembly from the database.

Rows carry what the committee reviews and nothing else: the item's number, section and page, the kind
of submitter (never a name, an address or an e-mail address: no builder is ever given one), the gist,
the approved response with its category and change, same-purport groups once with their count,
inquiries with their answers only where the answer may be made public, and carried-over items apart; then
the committee's opinions carried to this meeting from earlier ones (前回からの継続事項), with their answers once
closed here. Until every item that is not carried over has an approved response the packet is a draft, and the final
packet is refused (R03). The builders of comments/exports/ turn a ``Packet`` into a page, a Word file or
a CSV file; every word they add comes from ``Packet.labels``, translated by Babel like every other word
of the service (the catalog's contexts "packet" and "packet column").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale, lazy_pgettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from comments.clock import JAPAN
from comments.dates import calendar_day, last_day, period_text
from comments.domain import DomainError
from comments.domain.accounting import account_for_submissions, describe_totals, unaccounted_message
from comments.domain.masking import masked
from comments.domain.opinions import opinions_carried_to
from comments.domain.responses import responses_of
from comments.extensions import db
from comments.labels import label
from comments.models import (
    Consultation,
    ConsultationStatus,
    Inquiry,
    Item,
    Meeting,
    Response,
    ResponseState,
    SamePurportGroup,
    Submission,
)


@dataclass(frozen=True)
class PacketInquiry:
    """A question forwarded to an outside body (総務省, J-LIS, 広域連合) and its answer where it may be public.
    A confidential answer is never here: only ``withheld`` says that one came."""

    body_name: str
    question: str
    answer: str  # "" when none yet, or when the answer is confidential
    answered_on: date | None  # None unless the answer is here
    withheld: bool = False  # an answer came and may not be made public (回答あり（非公開）)


@dataclass(frozen=True)
class PacketRow:
    """One item, or one same-purport group answered once, as it stands in the table.

    ``submitter_kind`` is a label such as 市民 or 部会委員, never a name (R07).
    """

    number: str  # as shown: "1", "2, 5"
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
    period: str  # already formatted: "2015年6月22日 – 2015年7月21日"
    rows: tuple[PacketRow, ...]
    carried_over: tuple[tuple[PacketRow, str], ...]  # (row, reason)
    # Already formatted: how many people sent how many opinions, the groups, the opinions per section.
    totals: str = ""


@dataclass(frozen=True)
class PacketOpinion:
    """One of the committee's main opinions raised at an earlier meeting and carried to this one (次回以降),
    with the city's answer once it is closed here ("" until then)."""

    number: int  # 主な意見（N） at the meeting it was raised at
    consultation: str  # the consultation's title; "" when the opinion is about none
    raised_at: str  # the earlier meeting's title
    raised_on: date
    body: str
    answer: str


@dataclass(frozen=True)
class Packet:
    """Everything the packet shows. ``draft`` stays True until every item has an approved response;
    ``labels`` holds every word the builders add, in ``language``. ``carried_in`` holds the committee's
    opinions carried to this meeting from earlier ones (前回からの継続事項)."""

    meeting_id: int
    meeting_title: str
    meeting_date: str  # already formatted
    organisation: str
    consultations: tuple[PacketConsultation, ...]
    draft: bool
    language: str
    labels: dict[str, str]
    carried_in: tuple[PacketOpinion, ...] = ()


# The words of the packet, by the key the builders use; ``{name}`` marks a value a builder fills in.
PACKET_WORDS = {
    "document_title": lazy_pgettext("packet", "Comments and the City's Responses"),
    "draft_title_suffix": lazy_pgettext("packet", " (draft)"),
    # The mark in every page header of a draft; also the first cell of the CSV's draft row.
    "draft_mark": lazy_pgettext("packet", "DRAFT"),
    # The sentence under the title of a draft, and the CSV's first row.
    "draft_notice": lazy_pgettext(
        "packet", "This is a draft. It becomes final once the city's response to every comment is approved."
    ),
    "meeting_date": lazy_pgettext("packet", "Meeting date: {date}"),
    "period": lazy_pgettext("packet", "Comment period: {period}"),
    # CSV column: the consultation's title.
    "column_consultation": lazy_pgettext("packet column", "Consultation"),
    "column_number": lazy_pgettext("packet column", "No."),
    # The section, then its page.
    "column_section": lazy_pgettext("packet column", "Section (page)"),
    # CSV column: the page alone.
    "column_page": lazy_pgettext("packet column", "Page"),
    "column_submitter": lazy_pgettext("packet column", "Submitter"),
    "column_kind": lazy_pgettext("packet column", "Type"),
    "column_gist": lazy_pgettext("packet column", "Summary of the comment"),
    # CSV column: how many items the row answers.
    "column_group_count": lazy_pgettext("packet column", "Same-purport count"),
    "column_response": lazy_pgettext("packet column", "City's response"),
    "column_category": lazy_pgettext("packet column", "Action"),
    "column_change": lazy_pgettext("packet column", "Change to the draft"),
    # CSV column: the row's inquiries.
    "column_inquiries": lazy_pgettext("packet column", "Inquiries"),
    # CSV column: marks a carried-over row.
    "column_carried_over": lazy_pgettext("packet column", "Carried over"),
    "column_reason": lazy_pgettext("packet column", "Reason"),
    "carried_over_heading": lazy_pgettext("packet", "Items to be explained at a later meeting"),
    # The CSV's value in the carried-over column.
    "carried_over_mark": lazy_pgettext("packet", "Carried over"),
    # The section of an item about the whole draft.
    "whole_draft": lazy_pgettext("packet", "Whole draft"),
    "page": lazy_pgettext("packet", " (p. {page})"),
    "group_count": lazy_pgettext("packet", "{count} comments of the same purport"),
    "response_pending": lazy_pgettext("packet", "(not yet approved)"),
    "inquiry_body": lazy_pgettext("packet", "Inquiry to: {body}"),
    "inquiry_answered": lazy_pgettext("packet", " (answered {date})"),
    "inquiry_pending": lazy_pgettext("packet", " (awaiting an answer)"),
    "inquiry_question": lazy_pgettext("packet", "Question: {question}"),
    "inquiry_answer": lazy_pgettext("packet", "Answer: {answer}"),
    # In place of a confidential answer: one came, and it is not shown.
    "inquiry_answer_not_public": lazy_pgettext("packet", "Answered (not public)"),
    "no_items": lazy_pgettext("packet", "No comments were received on this consultation."),
    # {page} and {pages} become Word's PAGE and NUMPAGES fields.
    "footer_page": lazy_pgettext("packet", "{page} / {pages}"),
    # The committee's opinions carried to this meeting from earlier ones (前回からの継続事項).
    "carried_in_heading": lazy_pgettext("packet", "Carried over from earlier meetings"),
    # {number} is the opinion's number at the meeting it was raised at: 主な意見（4）.
    "opinion_number": lazy_pgettext("packet", "Main opinion ({number})"),
    "column_raised_at": lazy_pgettext("packet column", "Raised at"),
    "column_opinion": lazy_pgettext("packet column", "Committee's opinion"),
    "column_answer": lazy_pgettext("packet column", "City's answer"),
    # The earlier meeting and its day.
    "raised_at": lazy_pgettext("packet", "{meeting} ({date})"),
    # In place of the answer of a carried-over opinion not closed yet.
    "answer_pending": lazy_pgettext("packet", "(to be answered at this meeting)"),
    # The CSV's value in the carried-over column for an opinion carried from an earlier meeting.
    "carried_in_mark": lazy_pgettext("packet", "Carried over from an earlier meeting"),
}


def packet_labels(locale: str) -> dict[str, str]:
    """Every word of ``PACKET_WORDS`` in ``locale`` ("ja" or "en"), from the translation catalog, and under
    "language" the locale itself, by which the builders write the dates (comments/dates.py)."""
    with force_locale(locale):
        return {key: str(word) for key, word in PACKET_WORDS.items()} | {"language": locale}


class PacketNotReadyError(DomainError):
    """The final packet was asked for while some item has no approved response (R03)."""

    def __init__(self, message, numbers: list[int]):
        super().__init__(message)
        self.numbers = numbers


def _inquiries(consultation: Consultation) -> dict[int, list[Inquiry]]:
    by_item: dict[int, list[Inquiry]] = defaultdict(list)
    for inquiry in db.session.scalars(
        select(Inquiry).where(Inquiry.consultation_id == consultation.id).options(selectinload(Inquiry.items))
    ):
        for item in inquiry.items:
            by_item[item.id].append(inquiry)
    return by_item


def _period(consultation: Consultation) -> str:
    """First and last day of the comment period in Japan (a period ends at midnight: the day before)."""
    return period_text(consultation.opens_at.astimezone(JAPAN).date(), last_day(consultation.closes_at))


def _row(items: list[Item], gist: str, response: Response | None, inquiries: list[Inquiry]) -> PacketRow:
    first = items[0]
    approved = response is not None and response.state == ResponseState.approved
    section = first.section
    kinds = {item.submission.submitter_kind for item in items}
    return PacketRow(
        number=", ".join(str(item.number) for item in items),
        section=f"{section.number} {section.heading}" if section else "",
        page=section.page if section else None,
        submitter_kind=" / ".join(sorted(label(kind) for kind in kinds)),
        kind=label(first.kind),
        # Staff write these; a number copied into one by hand never leaves in a packet (R14).
        gist=masked(gist),
        response=masked(response.body) if approved else "",
        category=label(response.category) if approved and response.category else "",
        change=masked(response.change_made) if approved else "",
        group_count=len(items),
        inquiries=tuple(
            PacketInquiry(
                body_name=inquiry.body_name,
                question=masked(inquiry.question),
                answer=masked(inquiry.answer) if inquiry.answer_public else "",
                answered_on=inquiry.answered_on if inquiry.answer_public else None,
                withheld=inquiry.answered_on is not None and not inquiry.answer_public,
            )
            for inquiry in inquiries
        ),
    )


def _consultation_rows(consultation: Consultation) -> tuple[PacketConsultation, list[int]]:
    """The consultation's part of the packet, and the numbers of items still without an approved response.

    Only the items of submissions that count: a late submission staff excluded (R53) is in neither the packet
    nor the results. Committee members' questions are in the packet: it is the committee's record."""
    accounting = account_for_submissions(consultation)
    counted = accounting.counted_ids()
    items = list(
        db.session.scalars(
            select(Item)
            .join(Submission, Submission.id == Item.submission_id)
            .where(Item.consultation_id == consultation.id)
            .order_by(Item.number)
            # One query per relation for all the rows, not one per row: 5,000 items took 5 s the other way.
            .options(
                selectinload(Item.submission),
                selectinload(Item.section),
                selectinload(Item.group).selectinload(SamePurportGroup.items).selectinload(Item.submission),
            )
        )
    )
    by_item, by_group = responses_of(consultation)
    inquiries = _inquiries(consultation)
    rows, carried, missing, seen_groups = [], [], [], set()
    items = [item for item in items if item.submission_id in counted]
    for item in items:
        if item.carried_over_reason:
            carried.append((_row([item], item.gist, None, inquiries[item.id]), item.carried_over_reason))
            continue
        if item.group_id is not None:
            if item.group_id in seen_groups:
                continue
            seen_groups.add(item.group_id)
            members = [i for i in item.group.items if not i.carried_over_reason and i.submission_id in counted]
            response = by_group.get(item.group_id)
            related = [inquiry for member in members for inquiry in inquiries[member.id]]
            unique = list({inquiry.id: inquiry for inquiry in related}.values())
            rows.append(_row(members, item.group.gist, response, unique))
        else:
            response = by_item.get(item.id)
            members = [item]
            rows.append(_row(members, item.gist, response, inquiries[item.id]))
        if response is None or response.state != ResponseState.approved:
            missing.extend(member.number for member in members)
    part = PacketConsultation(
        title=consultation.title,
        period=_period(consultation),
        rows=tuple(rows),
        carried_over=tuple(carried),
        totals=describe_totals(accounting),
    )
    return part, missing


def _check_final(consultation: Consultation) -> None:
    """The final packet of a consultation comes after its period closed and once every submission is
    accounted for (domain/accounting.py); else ``PacketNotReadyError`` says what is missing."""
    if consultation.status in (ConsultationStatus.draft, ConsultationStatus.open):
        raise PacketNotReadyError(
            _l(
                "The comment period of “%(title)s” has not been closed yet (it ends %(date)s). The final packet is "
                "made after the period is closed and every submission is accounted for.",
                title=consultation.title,
                date=calendar_day(last_day(consultation.closes_at)),
            ),
            [],
        )
    message = unaccounted_message(consultation, account_for_submissions(consultation))
    if message is not None:
        raise PacketNotReadyError(message, [])


def build_packet(meeting: Meeting, *, final: bool, locale: str, organisation: str) -> Packet:
    """The meeting's packet in ``locale`` ("ja" or "en"); ``final`` refuses it while items lack approval."""
    with force_locale(locale):
        parts, missing = [], []
        for consultation in meeting.consultations:
            if final:
                _check_final(consultation)
            part, lacking = _consultation_rows(consultation)
            parts.append(part)
            missing.extend(lacking)
        if final and missing:
            raise PacketNotReadyError(
                _l(
                    "The final packet needs an approved response for every item; %(count)d still lack one: %(numbers)s.",
                    count=len(missing),
                    numbers=", ".join(str(number) for number in missing[:30]),
                ),
                missing,
            )
        return Packet(
            meeting_id=meeting.id,
            meeting_title=meeting.title,
            meeting_date=calendar_day(meeting.held_on, weekday=True),
            organisation=organisation,
            consultations=tuple(parts),
            draft=bool(missing),
            language=locale,
            labels=packet_labels(locale),
            carried_in=_carried_in(meeting),
        )


def _carried_in(meeting: Meeting) -> tuple[PacketOpinion, ...]:
    """The committee's opinions carried to ``meeting``: waiting for their answer, or closed here with it.
    Written by the secretariat: a number copied into one by hand never leaves in a packet (R14)."""
    return tuple(
        PacketOpinion(
            number=opinion.number,
            consultation=opinion.consultation.title if opinion.consultation is not None else "",
            raised_at=opinion.meeting.title,
            raised_on=opinion.meeting.held_on,
            body=masked(opinion.body),
            answer=masked(opinion.answer) if opinion.answered_meeting_id == meeting.id else "",
        )
        for opinion in opinions_carried_to(meeting)
    )


def items_lacking_approval(meeting: Meeting) -> list[tuple[Consultation, list[Item]]]:
    """Per consultation of the meeting, the items (not carried over) still without an approved response,
    by number; consultations where nothing is lacking are left out. Empty exactly when the final packet can be made."""
    lacking = []
    for consultation in meeting.consultations:
        numbers = _consultation_rows(consultation)[1]
        if numbers:
            items = db.session.scalars(
                select(Item)
                .options(selectinload(Item.department))
                .where(Item.consultation_id == consultation.id, Item.number.in_(numbers))
                .order_by(Item.number)
            ).all()
            lacking.append((consultation, list(items)))
    return lacking
