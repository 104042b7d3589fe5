"""Published results (意見募集の結果): a redacted copy of every line, prepared, checked, then published in one
step (R04-R07).

Preparing copies each item's (or group's) gist and approved response into ``PublicationEntry`` rows and
removes, automatically and with a recorded reason each time: the names, e-mail addresses and contact
details that the consultation's submitters gave, any other e-mail address or telephone number, and any
individual number left unmasked. Staff then remove more by hand (a reason is required) or omit a line
with its reason (R07). Publishing freezes the copy; the public page reads only these rows, while staff
keep the full originals (R05).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from comments import clock
from comments.domain import DomainError
from comments.domain.accounting import account_for_submissions, unaccounted_message
from comments.domain.audit import Actor, record_event
from comments.domain.campaigns import CampaignCount, campaign_count
from comments.domain.masking import mask_individual_numbers
from comments.domain.responses import responses_of
from comments.extensions import db
from comments.models import (
    Consultation,
    ConsultationStatus,
    Item,
    LateDecision,
    PublicationEntry,
    Redaction,
    ResponseState,
    ResultsChange,
    SamePurportGroup,
    Submission,
    Submitter,
    User,
)

REMOVED = "［削除］"
# An e-mail address, with the half- or full-width at sign and dots, and the spaces people put around the
# at sign to hide an address from robots (hanako ＠ example.jp).
# Letters and digits of the Latin alphabet only, half- or full-width: a Japanese word touching the address
# (「hanako@example.jpまで」) is not part of it.
_EMAIL = re.compile(
    r"[A-Za-z0-9Ａ-Ｚａ-ｚ０-９._%+\-．＿＋－]+\s?[@＠]\s?[A-Za-z0-9Ａ-Ｚａ-ｚ０-９\-－]+"
    r"(?:[.．][A-Za-z0-9Ａ-Ｚａ-ｚ０-９\-－]+)+"
)
# A run that may be a telephone number: digits (half- or full-width), with hyphens, dashes, spaces,
# dots and brackets between them, optionally after +81; judged by ``_is_phone``.
_PHONE_CANDIDATE = re.compile(
    r"(?<![0-9０-９])(?:[+＋]\s?[8８][1１][\s\-‐－−]?(?:[(（][0０][)）])?|[(（]?)[0-9０-９]"
    r"[0-9０-９\-‐－−ー\s.．()（）]{6,18}[0-9０-９](?![0-9０-９])"
)
FIELDS = ("gist", "response", "change_made")
# Each field of a line by the name the results page gives it, wherever a redaction or a correction names one.
FIELD_LABELS = {
    "gist": _l("Summary of the opinion"),
    "response": _l("The city's view"),
    "change_made": _l("Change made"),
}


def _is_phone(candidate: str) -> bool:
    """Whether a candidate run is a Japanese telephone number: 10 or 11 digits starting with 0 (043-245-5111,
    090 1234 5678, 0120-123-456), or +81 and the number without its 0 (+81-90-1234-5678), in at most five
    groups."""
    normalised = unicodedata.normalize("NFKC", candidate)
    if len(re.findall(r"\d+", normalised)) > 6:
        return False
    digits = re.sub(r"\D", "", normalised)
    if normalised.lstrip("(（ ").startswith("+"):
        national = digits[2:]
        national = national[1:] if national.startswith("0") else national
        return digits.startswith("81") and len(national) in (9, 10)
    return digits.startswith("0") and len(digits) in (10, 11)


def _remove_phones(text: str) -> tuple[str, int]:
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal count
        if not _is_phone(match.group(0).strip()):
            return match.group(0)
        count += 1
        leading = match.group(0)[: len(match.group(0)) - len(match.group(0).lstrip())]
        trailing = match.group(0)[len(match.group(0).rstrip()) :]
        return leading + REMOVED + trailing

    return _PHONE_CANDIDATE.sub(replace, text), count


class PublicationError(DomainError):
    """The results cannot be prepared, changed or published as asked."""


def counted_submissions(consultation: Consultation):
    """The citizens' submissions that count: those in the period, and late ones staff decided to include
    (R53). Committee members' questions are the committee's record (the packet), not the public results."""
    return (
        select(Submission)
        .outerjoin(LateDecision, LateDecision.submission_id == Submission.id)
        .where(Submission.consultation_id == consultation.id, Submission.member_id.is_(None))
        .where((Submission.late.is_(False)) | (LateDecision.included.is_(True)))
    )


def submissions_by_channel(consultation: Consultation) -> dict[str, int]:
    counted = counted_submissions(consultation).subquery()
    rows = db.session.execute(select(counted.c.channel, func.count()).group_by(counted.c.channel)).all()
    return {channel.value if hasattr(channel, "value") else channel: count for channel, count in rows}


def campaigns_counted(consultation: Consultation) -> CampaignCount:
    """Of the submissions that count, how many came in the same or nearly the same words (R58)."""
    return campaign_count(counted_submissions(consultation).with_only_columns(Submission.id))


def given_values(name: str, email: str, contact: str) -> set[str]:
    """What one submitter gave about themselves (each line of the contact apart), as it may be quoted: as
    given, and without its spaces."""
    values = set()
    for value in (name, email, *(contact or "").splitlines()):
        value = (value or "").strip()
        if len(value) >= 2:
            values.add(value)
            compact = value.replace(" ", "").replace("\u3000", "")
            if len(compact) >= 2:
                values.add(compact)
    return values


def _personal_values(consultation: Consultation) -> list[str]:
    """What the consultation's submitters gave about themselves, longest first, as it may be quoted."""
    rows = db.session.execute(
        select(Submitter.name, Submitter.email, Submitter.contact)
        .join(Submission, Submission.id == Submitter.submission_id)
        .where(Submission.consultation_id == consultation.id)
    ).all()
    values = set()
    for name, email, contact in rows:
        values |= given_values(name, email, contact)
    return sorted(values, key=len, reverse=True)


@dataclass
class _Removal:
    field: str
    reason: str


def _redact(text: str, field: str, personal: list[str]) -> tuple[str, list[_Removal]]:
    removals = []
    for value in personal:
        if value in text:
            text = text.replace(value, REMOVED)
            removals.append(_Removal(field, str(_l("A submitter's name, address or contact details"))))
    text, count = _EMAIL.subn(REMOVED, text)
    if count:
        removals.append(_Removal(field, str(_l("An e-mail address"))))
    text, count = _remove_phones(text)
    if count:
        removals.append(_Removal(field, str(_l("A telephone number"))))
    text, count = mask_individual_numbers(text)
    if count:
        removals.append(_Removal(field, str(_l("An individual number (マイナンバー)"))))
    return text, removals


def without_personal_data(text: str, personal: set[str]) -> str:
    """``text`` without what preparing the results removes by itself: the ``personal`` values
    (``given_values``), any e-mail address, telephone number or individual number; for a copy that leaves
    the service without anyone's personal data (the Excel files of the back office's lists)."""
    return _redact(text, "", sorted(personal, key=len, reverse=True))[0]


def _lines(consultation: Consultation, counted: set[int]):
    """(item numbers, gist, response or None, first item) per ungrouped item or group, in item order, of the
    items of the ``counted`` submissions only (citizens' opinions that count)."""
    items = list(
        db.session.scalars(
            select(Item)
            .where(Item.consultation_id == consultation.id, Item.submission_id.in_(counted))
            .order_by(Item.number)
            .options(
                selectinload(Item.section),
                selectinload(Item.group).selectinload(SamePurportGroup.items),  # not one query per group
            )
        )
    )
    responses_by_item, responses_by_group = responses_of(consultation)
    seen = set()
    for item in items:
        if item.group_id is not None:
            if item.group_id in seen:
                continue
            seen.add(item.group_id)
            members = [member for member in item.group.items if member.submission_id in counted]
            yield [m.number for m in members], item.group.gist, responses_by_group.get(item.group_id), item
        else:
            yield [item.number], item.gist, responses_by_item.get(item.id), item


CORRECTION, WITHDRAWAL = "correction", "withdrawal"
NOT_INSPECTED = _l(
    "Record the committee's inspection of the responses first (on the consultation's page): the results are "
    "published after the inspection."
)


def prepare_results(consultation: Consultation, *, actor: Actor) -> list[PublicationEntry]:
    """Make (again) the redacted copy of every line; refused once published, or while a line that is not
    carried over lacks an approved response."""
    if consultation.results_published_at is not None:
        raise PublicationError(_l("The results are already published; they cannot be prepared again."))
    if consultation.status in (ConsultationStatus.draft, ConsultationStatus.open):
        raise PublicationError(_l("Close the consultation before preparing its results."))
    if consultation.status != ConsultationStatus.inspected:
        raise PublicationError(NOT_INSPECTED)
    # The copy is a document for the public in Japanese, whoever prepares it in whatever language.
    with force_locale("ja"):
        return _prepare(consultation, actor)


def _prepare(consultation: Consultation, actor: Actor) -> list[PublicationEntry]:
    accounting = account_for_submissions(consultation, citizens_only=True)
    message = unaccounted_message(consultation, accounting)
    if message is not None:
        raise PublicationError(message)
    lines = list(_lines(consultation, accounting.counted_ids(citizens_only=True)))
    lacking = [
        numbers[0]
        for numbers, _gist, response, item in lines
        if not item.carried_over_reason and (response is None or response.state != ResponseState.approved)
    ]
    if lacking:
        raise PublicationError(
            _l(
                "Every item needs an approved response before the results are prepared; %(count)d lack one: %(numbers)s.",
                count=len(lacking),
                numbers=", ".join(str(n) for n in lacking[:30]),
            )
        )
    db.session.execute(delete(PublicationEntry).where(PublicationEntry.consultation_id == consultation.id))
    personal = _personal_values(consultation)
    entries = []
    for position, (numbers, gist, response, item) in enumerate(lines, start=1):
        approved = response is not None and response.state == ResponseState.approved
        carried_note = "" if approved else str(_l("To be explained at a later meeting of the committee."))
        texts = {
            "gist": gist,
            "response": response.body if approved else carried_note,
            "change_made": response.change_made if approved else "",
        }
        removals: list[_Removal] = []
        for field in FIELDS:
            texts[field], found = _redact(texts[field], field, personal)
            removals.extend(found)
        entry = PublicationEntry(
            consultation_id=consultation.id,
            position=position,
            item_numbers=", ".join(str(n) for n in numbers),
            group_count=len(numbers),
            section=f"{item.section.number} {item.section.heading}".strip() if item.section else "",
            gist=texts["gist"],
            response=texts["response"],
            category=response.category if approved else None,
            change_made=texts["change_made"],
            omitted=False,
            omission_reason="",
        )
        entry.redactions = [Redaction(field=r.field, reason=r.reason, automatic=True) for r in removals]
        db.session.add(entry)
        entries.append(entry)
    db.session.flush()
    record_event(
        actor,
        "results.prepared",
        consultation,
        entries=len(entries),
        automatic_redactions=sum(len(e.redactions) for e in entries),
    )
    return entries


def _editable(entry: PublicationEntry) -> None:
    consultation = db.session.get(Consultation, entry.consultation_id)
    if consultation.results_published_at is not None:
        raise PublicationError(_l("The results are already published; they cannot be changed."))


def redact_entry(entry: PublicationEntry, *, field: str, text: str, reason: str, user: User, actor: Actor) -> None:
    """Replace a field of the copy with a text that leaves something out, and record why (R07)."""
    _editable(entry)
    if field not in FIELDS:
        raise PublicationError(_l("Choose the gist, the response or the change to edit."), field="field")
    if not (reason or "").strip():
        raise PublicationError(_l("Write why this is removed."), field="reason")
    setattr(entry, field, (text or "").strip())
    entry.redactions.append(Redaction(field=field, reason=reason.strip(), automatic=False, created_by_id=user.id))
    db.session.flush()
    record_event(actor, "results.redacted", entry, field=field)


def omit_entry(entry: PublicationEntry, *, reason: str, user: User, actor: Actor) -> None:
    """Leave a line out of the published results, with the reason that is published instead (R07)."""
    _editable(entry)
    if not (reason or "").strip():
        raise PublicationError(_l("Write why this opinion is not published."), field="reason")
    entry.omitted = True
    entry.omission_reason = reason.strip()
    db.session.flush()
    record_event(actor, "results.omitted", entry, user_id=user.id)


def publish_results(consultation: Consultation, *, confirmed: bool, actor: Actor) -> None:
    """Publish the prepared copy once the secretariat confirmed it; from now on the public page shows it."""
    if consultation.results_published_at is not None:
        raise PublicationError(_l("The results are already published."))
    if consultation.status in (ConsultationStatus.draft, ConsultationStatus.open):
        raise PublicationError(_l("Close the consultation before publishing its results."))
    if consultation.status != ConsultationStatus.inspected:
        raise PublicationError(NOT_INSPECTED)
    if not confirmed:
        raise PublicationError(
            _l("Tick the box to confirm you checked every line of the copy as it will be published."), field="confirm"
        )
    count = db.session.scalar(
        select(func.count()).select_from(PublicationEntry).where(PublicationEntry.consultation_id == consultation.id)
    )
    if not count:
        raise PublicationError(_l("Prepare the results first."))
    consultation.results_published_at = clock.now()
    consultation.status = ConsultationStatus.published
    db.session.flush()
    record_event(actor, "results.published", consultation, entries=count)


def published_entries(consultation: Consultation) -> list[PublicationEntry]:
    return list(
        db.session.scalars(
            select(PublicationEntry)
            .where(PublicationEntry.consultation_id == consultation.id)
            .order_by(PublicationEntry.position)
        )
    )


def results_changes(consultation: Consultation) -> list[ResultsChange]:
    """Every change made to the consultation's published results, oldest first."""
    return list(
        db.session.scalars(
            select(ResultsChange)
            .where(ResultsChange.consultation_id == consultation.id)
            .order_by(ResultsChange.made_at, ResultsChange.id)
        )
    )


def results_withdrawn(consultation: Consultation) -> ResultsChange | None:
    return next((change for change in results_changes(consultation) if change.kind == WITHDRAWAL), None)


def _changeable(consultation: Consultation) -> None:
    if consultation.results_published_at is None:
        raise PublicationError(_l("The results are not published yet: edit the copy before publishing it."))
    if results_withdrawn(consultation) is not None:
        raise PublicationError(_l("The results were withdrawn; they can no longer be corrected."))
    if consultation.status == ConsultationStatus.archived:
        raise PublicationError(_l("The consultation is archived; its results can no longer be changed."))


def correct_published_entry(
    entry: PublicationEntry, *, field: str, text: str, reason: str, user: User, actor: Actor
) -> ResultsChange:
    """Correct one line of published results: the new text replaces the old on the public page, which says
    what was corrected, when and why; the old text stays on record. Never a silent edit."""
    consultation = db.session.get(Consultation, entry.consultation_id)
    _changeable(consultation)
    if field not in FIELDS:
        raise PublicationError(_l("Choose the gist, the response or the change to edit."), field="field")
    reason = (reason or "").strip()
    if not reason:
        raise PublicationError(_l("Write why the line is corrected; the public page shows it."), field="reason")
    new_text = mask_individual_numbers((text or "").strip())[0]
    old_text = getattr(entry, field)
    if new_text == old_text:
        raise PublicationError(_l("The corrected text is the same as the published one."), field="text")
    change = ResultsChange(
        consultation_id=consultation.id,
        kind=CORRECTION,
        entry_id=entry.id,
        field=field,
        old_text=old_text,
        new_text=new_text,
        reason=reason,
        made_by_id=user.id,
        made_at=clock.now(),
    )
    setattr(entry, field, new_text)
    db.session.add(change)
    db.session.flush()
    record_event(actor, "results.corrected", consultation, entry_id=entry.id, field=field, change_id=change.id)
    return change


def withdraw_results(consultation: Consultation, *, reason: str, user: User, actor: Actor) -> ResultsChange:
    """Withdraw published results: the public page then says they were withdrawn, when and why, and shows no
    line; the copy stays on record."""
    _changeable(consultation)
    reason = (reason or "").strip()
    if not reason:
        raise PublicationError(_l("Write why the results are withdrawn; the public page shows it."), field="reason")
    change = ResultsChange(
        consultation_id=consultation.id, kind=WITHDRAWAL, reason=reason, made_by_id=user.id, made_at=clock.now()
    )
    db.session.add(change)
    db.session.flush()
    record_event(actor, "results.withdrawn", consultation, change_id=change.id)
    return change
