"""Triage: a submission split into items and parts that are not an opinion, items grouped by purport and
assigned to departments.

The submission is never changed (R06): an item is a span of its text by character offsets, with a gist
written by staff. A submission is fully triaged when every non-blank character of its text lies in one
item or one span marked "not an opinion", and no two of those overlap.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from comments import clock
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.domain.notifications import notify_items_assigned
from comments.domain.responses import is_overdue, response_states
from comments.domain.splitting import coverage_gaps, propose_spans, spans_are_valid
from comments.extensions import db
from comments.models import (
    Consultation,
    Department,
    Item,
    ItemKind,
    LateDecision,
    NonOpinionSpan,
    Response,
    ResponseState,
    SamePurportGroup,
    Section,
    Submission,
    User,
)
from comments.transactions import lock_row


class TriageError(DomainError):
    """A split, a grouping or an assignment breaks a rule; the message says which."""


@dataclass(frozen=True)
class ItemDraft:
    start: int
    end: int
    kind: ItemKind
    gist: str
    section_id: int | None = None


def _taken_spans(submission: Submission) -> list[tuple[int, int]]:
    items = db.session.execute(
        select(Item.start_offset, Item.end_offset).where(Item.submission_id == submission.id)
    ).all()
    others = db.session.execute(
        select(NonOpinionSpan.start_offset, NonOpinionSpan.end_offset).where(
            NonOpinionSpan.submission_id == submission.id
        )
    ).all()
    return sorted((start, end) for start, end in [*items, *others])


def _check_span(submission: Submission, start: int, end: int, taken: list[tuple[int, int]]) -> None:
    if not 0 <= start < end <= len(submission.body):
        raise TriageError(_l("The part chosen is not inside the submission's text."), field="span")
    if not spans_are_valid(len(submission.body), sorted([*taken, (start, end)])):
        raise TriageError(_l("That part overlaps an item or a part already marked; adjust the split."), field="span")


def add_item(submission: Submission, draft: ItemDraft, *, created_by: User, actor: Actor) -> Item:
    """Make an item of a span of the submission; numbered next in its consultation."""
    taken = _taken_spans(submission)
    _check_span(submission, draft.start, draft.end, taken)
    gist = (draft.gist or "").strip()
    if not gist:
        raise TriageError(_l("Write the gist of the item (意見の概要)."), field="gist")
    if draft.section_id is not None:
        section = db.session.get(Section, draft.section_id)
        if section is None or section.consultation_id != submission.consultation_id:
            raise TriageError(_l("Choose a section of this consultation's draft."), field="section_id")
    # Numbered in the consultation: two staff triaging at once take turns here, so no number is given twice.
    lock_row(Consultation, submission.consultation_id)
    number = (
        db.session.scalar(select(func.max(Item.number)).where(Item.consultation_id == submission.consultation_id)) or 0
    ) + 1
    item = Item(
        consultation_id=submission.consultation_id,
        submission_id=submission.id,
        number=number,
        start_offset=draft.start,
        end_offset=draft.end,
        kind=draft.kind,
        gist=gist,
        section_id=draft.section_id,
        created_by_id=created_by.id,
    )
    db.session.add(item)
    db.session.flush()
    record_event(actor, "item.created", item, submission_id=submission.id, number=number)
    return item


def mark_not_an_opinion(
    submission: Submission, start: int, end: int, *, note: str, created_by: User, actor: Actor
) -> NonOpinionSpan:
    """Mark a span as not an opinion (a greeting, a signature): triaged, but no item."""
    _check_span(submission, start, end, _taken_spans(submission))
    span = NonOpinionSpan(
        submission_id=submission.id,
        start_offset=start,
        end_offset=end,
        note=(note or "").strip()[:200],
        created_by_id=created_by.id,
    )
    db.session.add(span)
    db.session.flush()
    record_event(actor, "submission.part_marked_not_opinion", submission, start=start, end=end)
    return span


def untriaged_parts(submission: Submission) -> list[tuple[int, int]]:
    """The spans of the text in no item and no marked part, trimmed of blanks; whitespace-only gaps ignored."""
    return coverage_gaps(submission.body, _taken_spans(submission))


def group_items(items: list[Item], *, gist: str, created_by: User, actor: Actor) -> SamePurportGroup:
    """Confirm a same-purport group: one gist, one response, every item kept and counted (R06).

    Items already in another group are moved into this one; an item that had its own response cannot be
    grouped until that response is removed, so no approved answer silently disappears.
    """
    if len(items) < 2:
        raise TriageError(_l("Choose at least two items to group."), field="items")
    consultations = {item.consultation_id for item in items}
    if len(consultations) != 1:
        raise TriageError(_l("Items of different consultations cannot be grouped."), field="items")
    if db.session.scalar(select(func.count()).select_from(Response).where(Response.item_id.in_([i.id for i in items]))):
        raise TriageError(
            _l("An item chosen already has its own response; group items before responding."), field="items"
        )
    if not (gist or "").strip():
        raise TriageError(_l("Write the gist shared by the group."), field="gist")
    group = SamePurportGroup(consultation_id=consultations.pop(), gist=gist.strip(), created_by_id=created_by.id)
    db.session.add(group)
    db.session.flush()
    for item in items:
        item.group_id = group.id
    db.session.flush()
    record_event(actor, "group.created", group, items=sorted(item.number for item in items))
    return group


def assign_items(items: list[Item], department: Department, *, due_on: date | None, actor: Actor) -> None:
    """Send items to a department to draft their responses, with a due date; its staff are notified."""
    if due_on is not None and due_on < clock.japan_today():
        raise TriageError(_l("The due date is in the past; choose a later day."), field="due_on")
    for item in items:
        item.department_id = department.id
        item.due_on = due_on
    db.session.flush()
    for item in items:
        record_event(actor, "item.assigned", item, department_id=department.id, due_on=str(due_on) if due_on else None)
    notify_items_assigned(items, department)


def carry_over(item: Item, *, reason: str, actor: Actor) -> None:
    """次回以降の部会で説明: the item is answered at a later meeting; listed apart in the packet."""
    if not (reason or "").strip():
        raise TriageError(_l("Write why the item is carried over."), field="reason")
    item.carried_over_reason = reason.strip()
    item.carried_over_at = clock.now()
    db.session.flush()
    record_event(actor, "item.carried_over", item)


# --- Reading for the triage pages ------------------------------------------------------------------------


@dataclass(frozen=True)
class TriagePart:
    """A part of a submission's text as the triage page shows it: an item, a part marked "not an opinion",
    or a proposed part nobody has triaged yet (both ``item`` and ``marked`` None).

    ``join_index`` is set on an untriaged part that a proposed split point ends: the index of the proposed
    span it closes, which ``triage_parts`` takes in ``joined`` to merge the part with the next one.
    ``split_at`` is set on an untriaged part that a split of staff's ends: its offset in ``split``, which
    staff drop from ``split`` to merge the part with the next one again.
    """

    start: int
    end: int
    item: Item | None = None
    marked: NonOpinionSpan | None = None
    join_index: int | None = None
    split_at: int | None = None

    @property
    def untriaged(self) -> bool:
        return self.item is None and self.marked is None


def triage_parts(submission: Submission, joined: Collection[int] = (), split: Collection[int] = ()) -> list[TriagePart]:
    """The submission's text as the triage page shows it, in order: its items and marked parts as they are,
    and what lies between them cut at the split points ``propose_spans`` proposes.

    ``joined`` holds indexes of proposed spans whose split point with the next span staff removed; they are
    the indexes of the proposal for the unchanged text, so they mean the same whatever was triaged since.
    Untriaged parts are trimmed of blanks (they are offered as they are for an item) and parts of blanks
    only are left out, as ``untriaged_parts`` ignores them.

    ``split`` holds character offsets where staff cut a part, applied after the joins: an offset strictly
    inside an untriaged part cuts it there, and both pieces are trimmed as above (so whitespace at the cut
    ends neither piece, as it ends the part before in ``propose_spans``). Other offsets are ignored.
    """
    text = submission.body
    spans = propose_spans(text)
    removed = set(joined)
    split_points = {spans[index + 1].start: index for index in range(len(spans) - 1) if index not in removed}
    taken: list[tuple[int, int, Item | NonOpinionSpan]] = sorted(
        [
            *((item.start_offset, item.end_offset, item) for item in _items_of(submission)),
            *((span.start_offset, span.end_offset, span) for span in _marked_of(submission)),
        ],
        key=lambda entry: (entry[0], entry[1]),
    )
    parts: list[TriagePart] = []
    position = 0
    for start, end, triaged in [*taken, (len(text), len(text), None)]:
        if start > position:
            for part in _untriaged_between(text, position, start, split_points):
                parts.extend(_split_part(text, part, split))
        if isinstance(triaged, Item):
            parts.append(TriagePart(start, end, item=triaged))
        elif isinstance(triaged, NonOpinionSpan):
            parts.append(TriagePart(start, end, marked=triaged))
        position = max(position, end)
    return parts


def _items_of(submission: Submission) -> list[Item]:
    return list(db.session.scalars(select(Item).where(Item.submission_id == submission.id)))


def _marked_of(submission: Submission) -> list[NonOpinionSpan]:
    return list(db.session.scalars(select(NonOpinionSpan).where(NonOpinionSpan.submission_id == submission.id)))


def _untriaged_between(text: str, start: int, end: int, split_points: dict[int, int]) -> list[TriagePart]:
    cuts = [point for point in sorted(split_points) if start < point < end]
    parts = []
    for piece_start, piece_end in zip([start, *cuts], [*cuts, end], strict=True):
        piece = text[piece_start:piece_end]
        if not piece.strip():
            continue
        leading = len(piece) - len(piece.lstrip())
        trailing = len(piece) - len(piece.rstrip())
        parts.append(
            TriagePart(
                piece_start + leading,
                piece_end - trailing,
                join_index=split_points[piece_end] if piece_end < end else None,
            )
        )
    return parts


def _split_part(text: str, part: TriagePart, split: Collection[int]) -> list[TriagePart]:
    """``part`` (untriaged, trimmed) cut at the offsets of ``split`` strictly inside it, each piece trimmed;
    the last piece keeps the part's ``join_index``."""
    inside = sorted(point for point in split if part.start < point < part.end)
    if not inside:
        return [part]
    # Blanks at a cut go with the piece before it: a cut in blanks moves to the next visible character,
    # which exists, as the part ends on one. So no piece is blank, and cuts in the same blanks are one.
    cuts: dict[int, int] = {}  # where the text is cut: the offset staff gave, the first one kept
    for point in inside:
        cut = point
        while text[cut].isspace():
            cut += 1
        cuts.setdefault(cut, point)
    pieces = []
    for piece_start, piece_end in zip([part.start, *cuts], [*cuts, part.end], strict=True):
        last = piece_end == part.end
        piece = text[piece_start:piece_end]
        pieces.append(
            TriagePart(
                piece_start,
                piece_start + len(piece.rstrip()),
                join_index=part.join_index if last else None,
                split_at=None if last else cuts[piece_end],
            )
        )
    return pieces


# A sentence end, with the closing brackets right after it: 「…です。」 ends after the 」.
_SENTENCE_END = re.compile(r"[。！？!?]+[」』）)]*")


def sentence_cuts(text: str, start: int, end: int) -> list[tuple[int, str]]:
    """Where staff may split ``text[start:end]`` after a sentence: for each sentence end (。 ！ ？ ! ?) with
    more visible text after it in the span, the offset of that text (the blanks between stay with the
    sentence, as in ``propose_spans``) and the sentence it ends, trimmed. [] for a single sentence."""
    cuts = []
    sentence_start = start
    for found in _SENTENCE_END.finditer(text, start, end):
        cut = found.end()
        while cut < end and text[cut].isspace():
            cut += 1
        if cut >= end:
            break
        cuts.append((cut, text[sentence_start : found.end()].strip()))
        sentence_start = cut
    return cuts


@dataclass(frozen=True)
class SubmissionProgress:
    """A submission that still has parts nobody triaged (or a late one waiting for a decision)."""

    id: int
    receipt_number: str
    untriaged: int  # how many parts are left


@dataclass(frozen=True)
class TriageProgress:
    """How far the triage of a consultation is.

    A submission counts when it arrived in time, or late and staff included it (R53); a late one with no
    decision yet waits apart, and a late one excluded is in neither.
    """

    counted: int
    fully_triaged: int
    to_triage: list[SubmissionProgress]
    waiting: list[SubmissionProgress]


def triage_progress(consultation: Consultation) -> TriageProgress:
    """How many of the consultation's counted submissions are fully triaged, and which are not yet.

    Three queries whatever the number of submissions: their texts, the items' spans and the marked spans.
    """
    rows = db.session.execute(
        select(Submission.id, Submission.receipt_number, Submission.body, Submission.late, LateDecision.included)
        .outerjoin(LateDecision, LateDecision.submission_id == Submission.id)
        .where(Submission.consultation_id == consultation.id)
        .order_by(Submission.received_at, Submission.id)
    ).all()
    taken: dict[int, list[tuple[int, int]]] = {}
    for model in (Item, NonOpinionSpan):
        spans = db.session.execute(
            select(model.submission_id, model.start_offset, model.end_offset)
            .join(Submission, Submission.id == model.submission_id)
            .where(Submission.consultation_id == consultation.id)
        )
        for submission_id, start, end in spans:
            taken.setdefault(submission_id, []).append((start, end))
    counted, fully_triaged, to_triage, waiting = 0, 0, [], []
    for submission_id, receipt_number, body, late, included in rows:
        left = len(coverage_gaps(body, taken.get(submission_id, [])))
        if late and included is None:
            waiting.append(SubmissionProgress(submission_id, receipt_number, left))
            continue
        if late and not included:
            continue
        counted += 1
        if left:
            to_triage.append(SubmissionProgress(submission_id, receipt_number, left))
        else:
            fully_triaged += 1
    return TriageProgress(counted, fully_triaged, to_triage, waiting)


@dataclass(frozen=True)
class ItemFilters:
    """What to narrow a consultation's items to; None means any.

    ``response_states`` and ``department_ids`` hold None for "no response" and "not assigned".
    """

    response_states: frozenset[ResponseState | None] | None = None
    department_ids: frozenset[int | None] | None = None
    overdue: bool | None = None
    carried_over: bool | None = None


@dataclass(frozen=True)
class ItemRow:
    item: Item
    group_count: int  # how many items the item's group has; 0 when it is in none
    response_state: ResponseState | None  # of the item's response, or its group's; None when there is none
    overdue: bool


def item_rows(consultation: Consultation) -> list[ItemRow]:
    """The consultation's items in number order with their group's size, their response state and whether
    they are overdue (judged on today's date in Japan). A fixed number of queries whatever the number of items."""
    items = db.session.scalars(
        select(Item)
        .where(Item.consultation_id == consultation.id)
        .order_by(Item.number)
        .options(selectinload(Item.section), selectinload(Item.group), selectinload(Item.department))
    ).all()
    group_counts = dict(
        db.session.execute(
            select(Item.group_id, func.count())
            .where(Item.consultation_id == consultation.id, Item.group_id.is_not(None))
            .group_by(Item.group_id)
        ).all()
    )
    states = response_states(items)
    today = clock.japan_today()
    rows = []
    for item in items:
        state = states[item.id]
        rows.append(ItemRow(item, group_counts.get(item.group_id, 0), state, is_overdue(item, state, today)))
    return rows


def filter_item_rows(rows: list[ItemRow], filters: ItemFilters) -> list[ItemRow]:
    """The rows that match every filter set."""
    return [row for row in rows if _matches(row, filters)]


def _matches(row: ItemRow, filters: ItemFilters) -> bool:
    if filters.response_states is not None and row.response_state not in filters.response_states:
        return False
    if filters.department_ids is not None and row.item.department_id not in filters.department_ids:
        return False
    if filters.overdue is not None and row.overdue != filters.overdue:
        return False
    return filters.carried_over is None or (row.item.carried_over_reason is not None) == filters.carried_over
