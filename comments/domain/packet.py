"""The inspection packet of a meeting, assembled from the database (issue 5, point 7).

Rows carry what the committee reviews and nothing else: the item's number, section and page, the kind
of submitter (never a name, an address or an e-mail address: the builder is never given one), the
gist, the approved response with its category and change, same-purport groups once with their
count, inquiries with their answers only where the answer may be made public, and carried-over items
apart. Until every item that is not carried over has an approved response the packet is a draft, and
the final packet is refused (R03).

Meetings are made here too, and every export of a packet (a download or the print page) is recorded.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from flask_babel import force_locale, format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from comments import clock
from comments.clock import JAPAN
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.domain.responses import responses_of
from comments.exports.packet import (
    DEFAULT_LABELS_EN,
    DEFAULT_LABELS_JA,
    Packet,
    PacketConsultation,
    PacketInquiry,
    PacketRow,
)
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
    """First and last day of the comment period in Japan time (a period ends at midnight: the day before)."""
    opens = consultation.opens_at.astimezone(JAPAN).date()
    last = (consultation.closes_at - timedelta(microseconds=1)).astimezone(JAPAN).date()
    return f"{format_date(opens, 'long')} – {format_date(last, 'long')}"


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
        gist=gist,
        response=response.body if approved else "",
        category=label(response.category) if approved and response.category else "",
        change=response.change_made if approved else "",
        group_count=len(items),
        inquiries=tuple(
            PacketInquiry(
                body_name=inquiry.body_name,
                question=inquiry.question,
                answer=inquiry.answer if inquiry.answer_public else "",
                answered_on=inquiry.answered_on if inquiry.answer_public else None,
            )
            for inquiry in inquiries
        ),
    )


def _consultation_rows(consultation: Consultation) -> tuple[PacketConsultation, list[int]]:
    """The consultation's part of the packet, and the numbers of items still without an approved response."""
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
    for item in items:
        if item.carried_over_reason:
            carried.append((_row([item], item.gist, None, inquiries[item.id]), item.carried_over_reason))
            continue
        if item.group_id is not None:
            if item.group_id in seen_groups:
                continue
            seen_groups.add(item.group_id)
            members = [i for i in item.group.items if not i.carried_over_reason]
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
        title=consultation.title, period=_period(consultation), rows=tuple(rows), carried_over=tuple(carried)
    )
    return part, missing


def build_packet(meeting: Meeting, *, final: bool, locale: str, organisation: str) -> Packet:
    """The meeting's packet in ``locale`` ("ja" or "en"); ``final`` refuses it while items lack approval."""
    with force_locale(locale):
        parts, missing = [], []
        for consultation in meeting.consultations:
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
            meeting_title=meeting.title,
            meeting_date=format_date(meeting.held_on, "long"),
            organisation=organisation,
            consultations=tuple(parts),
            draft=bool(missing),
            labels=dict(DEFAULT_LABELS_JA if locale == "ja" else DEFAULT_LABELS_EN),
        )


def packet_ready(meeting: Meeting) -> bool:
    return not any(_consultation_rows(c)[1] for c in meeting.consultations)


# --- Meetings and exports (issue 5, point 7) ----------------------------------------------------------


class MeetingError(DomainError):
    """A meeting cannot be made as asked."""


def create_meeting(title: str, held_on: date, consultations: list[Consultation], *, actor: Actor) -> Meeting:
    """A committee meeting on ``held_on`` whose packet covers ``consultations`` (none of them a draft:
    a draft was never put out for comment, so it has nothing to inspect)."""
    title = (title or "").strip()
    if not title:
        raise MeetingError(_l("Give the meeting a title."), field="title")
    if not consultations:
        raise MeetingError(_l("Choose the consultations the meeting inspects."), field="consultations")
    if any(consultation.status == ConsultationStatus.draft for consultation in consultations):
        raise MeetingError(_l("A consultation still in draft cannot go to a meeting."), field="consultations")
    meeting = Meeting(title=title, held_on=held_on)
    meeting.consultations.extend(sorted({c.id: c for c in consultations}.values(), key=lambda c: c.id))
    db.session.add(meeting)
    db.session.flush()
    record_event(
        actor, "meeting.created", meeting, consultations=sorted(consultation.id for consultation in consultations)
    )
    return meeting


def items_lacking_approval(meeting: Meeting) -> list[tuple[Consultation, list[Item]]]:
    """Per consultation of the meeting, the items (not carried over) still without an approved response,
    by number; consultations where nothing is lacking are left out. Empty exactly when ``packet_ready``."""
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


def record_packet_export(meeting: Meeting, *, fmt: str, final: bool, draft: bool, actor: Actor) -> None:
    """Record that the packet left the system as ``fmt`` (a download, or the print page): exports are
    logged (style rule 11). ``final`` says the final packet was asked for, and is stamped on the meeting;
    ``draft`` whether what left was still a draft."""
    if final:
        meeting.final_packet_at = clock.now()
        db.session.flush()
    record_event(actor, "packet.exported", meeting, format=fmt, final=final, draft=draft)
