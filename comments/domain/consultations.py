"""Running a consultation through its lifecycle: create, edit, sections, materials, open, extend, close."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from comments import clock
from comments.domain import DomainError, schedule
from comments.domain.audit import Actor, record_event
from comments.domain.deadlines import MINIMUM_PERIOD_DAYS, check_comment_period, period_days, start_of_day
from comments.domain.departments import department_named
from comments.domain.uploads import CheckedFile
from comments.extensions import db
from comments.models import (
    Consultation,
    ConsultationStatus,
    DeadlineExtension,
    Item,
    Material,
    MaterialKind,
    Meeting,
    PostalRule,
    Section,
    StepKind,
    User,
)
from comments.storage import BlobStore

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Once the public has seen a consultation, only what does not change the terms of the comment may be
# edited: the dates move only through extend_deadline (R54), and the address of the page never changes.
FIELDS_EDITABLE_AFTER_DRAFT = frozenset({"system_name", "evaluation_group", "summary"})


@dataclass(frozen=True)
class ConsultationDetails:
    """What the secretariat enters about a consultation; the dates are instants (aware datetimes)."""

    title: str
    slug: str
    affair: str
    department: str  # the department's name, as written on the draft
    opens_at: datetime
    closes_at: datetime
    system_name: str = ""
    evaluation_group: str = ""
    summary: str = ""
    shortening_reason: str | None = None
    postal_rule: PostalRule = PostalRule.arrival
    # Days after the results are published that the submitters' contact data is kept (R46).
    contact_retention_days: int = 365


def _check_details(details: ConsultationDetails, consultation: Consultation | None) -> None:
    for name, message in (
        ("title", _l("Enter the title of the draft assessment.")),
        ("affair", _l("Enter the affair (事務) the assessment covers.")),
        ("department", _l("Enter the department responsible for the affair.")),
    ):
        if not (getattr(details, name) or "").strip():
            raise DomainError(message, field=name)
    if not SLUG_PATTERN.match(details.slug or ""):
        raise DomainError(
            _l("The address may contain only lower-case letters, digits and single hyphens, such as 2025-koki-korei."),
            field="slug",
        )
    taken = db.session.execute(
        select(Consultation.id).where(Consultation.slug == details.slug).limit(1)
    ).scalar_one_or_none()
    if taken is not None and (consultation is None or taken != consultation.id):
        raise DomainError(_l("Another consultation already uses this address; choose another."), field="slug")
    check_comment_period(details.opens_at, details.closes_at, details.shortening_reason)


def _normalised(details: ConsultationDetails) -> dict:
    """The details as the consultation's attributes: strings trimmed, the department by its name."""
    values = {field.name: getattr(details, field.name) for field in fields(details)}
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip()
    values["shortening_reason"] = values["shortening_reason"] or None
    values["department"] = department_named(values["department"]) if values["department"] else None
    return values


def create_consultation(details: ConsultationDetails, actor: Actor) -> Consultation:
    """A new consultation in draft, its period checked by the 30-day rule (R01) already; it belongs to the
    department named (made when the city has none of that name yet)."""
    _check_details(details, None)
    consultation = Consultation(status=ConsultationStatus.draft, **_normalised(details))
    db.session.add(consultation)
    db.session.flush()
    record_event(actor, "consultation.created", consultation, slug=consultation.slug)
    return consultation


def update_consultation(consultation: Consultation, details: ConsultationDetails, actor: Actor) -> list[str]:
    """Save the edited details; return the names of the fields that changed.

    Everything may change while the consultation is a draft; afterwards only the system name, the
    evaluation group and the summary, and an attempt to change anything else is refused by name.
    """
    if consultation.status == ConsultationStatus.draft:
        _check_details(details, consultation)
    values = _normalised(details)
    changed = [name for name, value in values.items() if getattr(consultation, name) != value]
    if consultation.status != ConsultationStatus.draft:
        locked = [name for name in changed if name not in FIELDS_EDITABLE_AFTER_DRAFT]
        if locked:
            raise DomainError(
                _l(
                    "This consultation has been published, so only the system, the evaluation group and the "
                    "summary can be changed. To move the deadline, extend it."
                ),
                field=locked[0],
            )
    for name in changed:
        setattr(consultation, name, values[name])
    if changed:
        db.session.flush()
        record_event(actor, "consultation.updated", consultation, fields=sorted(changed))
    return changed


def replace_sections(consultation: Consultation, parsed: Sequence, actor: Actor) -> int:
    """Replace every section of a draft by ``parsed`` (ParsedSection-like: number, heading, body, page).

    Only a draft: once published, opinions point at sections, and the text the public commented on
    must stay as it was. Returns how many sections the draft now has.
    """
    if consultation.status != ConsultationStatus.draft:
        raise DomainError(_l("Sections can be replaced only while the consultation is a draft."))
    if not parsed:
        raise DomainError(_l("There are no sections to import."), field="source")
    previous = len(consultation.sections)
    consultation.sections.clear()
    db.session.flush()  # the old positions go before the new ones take them
    for position, item in enumerate(parsed, start=1):
        consultation.sections.append(
            Section(position=position, number=item.number, heading=item.heading, page=item.page, body=item.body)
        )
    db.session.flush()
    record_event(actor, "consultation.sections_replaced", consultation, removed=previous, added=len(parsed))
    return len(parsed)


def attach_material(
    consultation: Consultation,
    upload: CheckedFile,
    *,
    title: str,
    kind: MaterialKind,
    public: bool,
    actor: Actor,
    blob_store: BlobStore,
) -> tuple[Material, bool]:
    """Store a checked file as a material of the consultation; return it and whether its blob is new.

    The original of the draft must be a PDF, and there is one: a new original turns the previous one
    into an ordinary material. The blob stays if the transaction then fails (comments/storage.py).
    """
    title = (title or "").strip() or upload.filename
    if kind == MaterialKind.original and upload.content_type != "application/pdf":
        raise DomainError(_l("The original of the draft must be a PDF file."), field="document")
    if consultation.status in (ConsultationStatus.published, ConsultationStatus.archived):
        raise DomainError(_l("Materials cannot be added after the results are published."))
    demoted = None
    if kind == MaterialKind.original:
        for material in consultation.materials:
            if material.kind == MaterialKind.original:
                material.kind = MaterialKind.reference
                demoted = material.id
    sha256, created = blob_store.put(upload.data)
    material = Material(
        kind=kind,
        title=title[:300],
        filename=upload.filename,
        content_type=upload.content_type,
        size=upload.size,
        sha256=sha256,
        public=public,
    )
    consultation.materials.append(material)
    db.session.flush()
    record_event(
        actor,
        "consultation.material_attached",
        consultation,
        material_id=material.id,
        kind=kind.value,
        public=public,
        previous_original=demoted,
    )
    return material, created


def open_consultation(consultation: Consultation, actor: Actor) -> None:
    """Publish a draft for comment: only with a period of 30 days or more, or a recorded reason (R01).

    The period counts from the day it really opens. Opened after the planned opening day, it starts today
    (the publication day is day 1, in Japan time): the opening date shown to the public becomes today, and
    a period that became shorter than 30 days is refused unless a shortening reason is recorded, which the
    public page then shows.
    """
    if consultation.status != ConsultationStatus.draft:
        raise DomainError(_l("Only a draft consultation can be opened."))
    planned = consultation.opens_at
    today = start_of_day(clock.japan_today())
    opens_at = max(planned, today)
    if opens_at > planned and not (consultation.shortening_reason or "").strip():
        days = period_days(opens_at, consultation.closes_at)
        if consultation.closes_at <= opens_at or days < MINIMUM_PERIOD_DAYS:
            raise DomainError(
                _l(
                    "The planned opening day has passed: opened today, the comment period would be %(days)d days, "
                    "and the rules require at least %(minimum)d (the publication day is day 1). Move the closing "
                    "date later, or record the special reason for shortening the period; the public page shows it.",
                    days=max(days, 0),
                    minimum=MINIMUM_PERIOD_DAYS,
                ),
                field="shortening_reason",
            )
    check_comment_period(opens_at, consultation.closes_at, consultation.shortening_reason)
    if not consultation.sections:
        raise DomainError(_l("Import the sections of the draft before publishing it."))
    consultation.opens_at = opens_at
    consultation.status = ConsultationStatus.open
    record_event(
        actor,
        "consultation.opened",
        consultation,
        shortened=bool((consultation.shortening_reason or "").strip()),
        **({"planned_opens_at": planned.isoformat()} if opens_at > planned else {}),
    )
    schedule.start_comment_period(consultation, actor)


def extend_deadline(
    consultation: Consultation, new_closes_at: datetime, reason: str, *, user: User | None, actor: Actor
) -> DeadlineExtension:
    """Move the deadline of an open consultation later (R54); the public page shows old and new dates.

    A deadline that has already passed is not extended: people turned away in between would have been
    treated differently from those who come after.
    """
    if consultation.status != ConsultationStatus.open:
        raise DomainError(_l("Only an open consultation can have its deadline extended."))
    if clock.now() >= consultation.closes_at:
        raise DomainError(_l("The comment period has already ended, so its deadline can no longer be extended."))
    if new_closes_at <= consultation.closes_at:
        raise DomainError(_l("The new closing date must be later than the current one."), field="new_closes_on")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason for the extension; it is shown to the public."), field="reason")
    extension = DeadlineExtension(
        old_closes_at=consultation.closes_at,
        new_closes_at=new_closes_at,
        reason=reason,
        extended_by_id=user.id if user is not None else None,
    )
    consultation.extensions.append(extension)
    consultation.closes_at = new_closes_at
    db.session.flush()
    record_event(
        actor,
        "consultation.deadline_extended",
        consultation,
        extension_id=extension.id,
        old_closes_at=extension.old_closes_at.isoformat(),
        new_closes_at=new_closes_at.isoformat(),
    )
    schedule.move_comment_period(consultation, actor)
    return extension


def close_consultation(consultation: Consultation, actor: Actor) -> None:
    """End the comment period's bookkeeping once its deadline has passed: open → closed.

    Not before: closing early would cut the period the notice promised (R01).
    """
    if consultation.status != ConsultationStatus.open:
        raise DomainError(_l("Only an open consultation can be closed."))
    if clock.now() < consultation.closes_at:
        raise DomainError(
            _l("The comment period has not ended yet; the consultation can be closed once its deadline has passed.")
        )
    consultation.status = ConsultationStatus.closed
    db.session.flush()
    record_event(actor, "consultation.closed", consultation)
    schedule.end_comment_period(consultation, actor)


def begin_responses(consultation: Consultation, actor: Actor) -> None:
    """closed → responding: the period is over and the city prepares its responses."""
    if consultation.status in (ConsultationStatus.draft, ConsultationStatus.open):
        raise DomainError(_l("Close the consultation first: responses are prepared after the comment period."))
    if consultation.status != ConsultationStatus.closed:
        raise DomainError(_l("The responses of this consultation are already being prepared or done."))
    consultation.status = ConsultationStatus.responding
    db.session.flush()
    record_event(actor, "consultation.responding", consultation)


def record_inspection(consultation: Consultation, meeting: Meeting, outcome: str, actor: Actor) -> None:
    """responding → inspected: the committee inspected the responses at ``meeting``, whose final packet was made.

    The items carried over to a later meeting stay as they are (each with its reason); the record says how
    many there were."""
    if consultation.status != ConsultationStatus.responding:
        raise DomainError(
            _l("Start preparing the responses first; the inspection is recorded after the responses are prepared.")
        )
    if consultation not in meeting.consultations:
        raise DomainError(_l("Choose a meeting whose packet covers this consultation."), field="meeting_id")
    if meeting.final_packet_at is None:
        raise DomainError(
            _l("Make the final packet of that meeting first: the committee inspects the final packet."),
            field="meeting_id",
        )
    outcome = (outcome or "").strip()
    if not outcome:
        raise DomainError(_l("Write what the committee concluded."), field="outcome")
    consultation.status = ConsultationStatus.inspected
    consultation.inspection_meeting_id = meeting.id
    consultation.inspected_on = meeting.held_on
    consultation.inspection_outcome = outcome
    carried = db.session.scalar(
        select(func.count())
        .select_from(Item)
        .where(Item.consultation_id == consultation.id, Item.carried_over_reason.is_not(None))
    )
    db.session.flush()
    record_event(actor, "consultation.inspected", consultation, meeting_id=meeting.id, carried_over=carried)
    schedule.stamp_step(consultation, StepKind.inspection, on=meeting.held_on, meeting=meeting, actor=actor)


def meetings_covering(consultation: Consultation) -> list[Meeting]:
    """The meetings whose packet covers the consultation, latest first."""
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.consultations.any(Consultation.id == consultation.id))
            .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        )
    )


def archive_consultation(consultation: Consultation, actor: Actor) -> None:
    """results published → archived: the file is closed. The public page still shows the results; nothing
    more is corrected or added."""
    if consultation.status != ConsultationStatus.published:
        raise DomainError(_l("Only a consultation whose results are published can be archived."))
    consultation.status = ConsultationStatus.archived
    db.session.flush()
    record_event(actor, "consultation.archived", consultation)
