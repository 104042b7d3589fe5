"""The minutes of a meeting (議事録), from the secretariat's first draft to the published copy.

The secretariat drafts the minutes (typed, or read from a Word file with ``source_from_docx``) in the markup
of comments/domain/minutes_text.py, marking each passage that is not disclosed with its ground; every save is
a new version, never a change to an old one. The draft is circulated to the members who were present (or,
when no attendance was recorded for the meeting, to every committee member), who comment on it by a deadline;
the secretariat revises it; the chair finalises it, which freezes the last version; the secretariat publishes
it. The published copy is generated from the final version by ``public_rendering``, so no character of a
withheld passage is ever part of it. Every step is audited.

drafting → circulating (a revised draft stays circulating; circulating again sets a new deadline)
→ finalised (by the chair) → published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from comments import clock
from comments.dates import calendar_day
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.domain.minutes_text import MinutesMarkupError, MinutesText, parse, public_rendering, withheld_passages
from comments.domain.notifications import notify
from comments.extensions import db
from comments.models import Meeting, Minutes, MinutesComment, MinutesState, MinutesVersion, User, UserRole
from comments.permissions import Permission, Role, has_permission

# A member's comment on the draft: a few paragraphs. Longer is a mistake (the whole minutes pasted back).
MAX_COMMENT_CHARS = 5_000
MAX_NOTE_CHARS = 1_000
# Who the minutes go to when no attendance was recorded: the members of the committee (not the secretariat).
COMMITTEE_ROLES = frozenset({Role.chair, Role.member, Role.observer})


class MinutesError(DomainError):
    """The minutes cannot be changed as asked."""


@dataclass(frozen=True)
class Ground:
    """A ground for withholding a passage: its key (typed in the marker) and its label in each language."""

    key: str
    ja: str
    en: str

    def label(self, locale: str | None = None) -> str:
        """The label in ``locale`` (the visitor's when None): 第7条第2号（個人に関する情報）."""
        locale = locale or str(get_locale())
        return self.en if locale == "en" else self.ja


def nondisclosure_grounds() -> list[Ground]:
    """The configured grounds (NONDISCLOSURE_GROUNDS, checked at start), in their order."""
    return [Ground(**ground) for ground in current_app.config["NONDISCLOSURE_GROUNDS"]]


def ground_label(key: str, locale: str | None = None) -> str:
    """The label of the ground ``key``; the key itself for a key no longer configured (never an error, so a
    page still shows the committee's copy)."""
    for ground in nondisclosure_grounds():
        if ground.key == key:
            return ground.label(locale)
    return key


def public_label(key: str) -> str:
    """The label a published copy shows: in Japanese whatever the reader's language, as the minutes are."""
    return ground_label(key, "ja")


def _grounds() -> list[str]:
    return [ground.key for ground in nondisclosure_grounds()]


def parse_source(source: str) -> MinutesText:
    """``source`` read with the configured grounds; ``MinutesMarkupError`` (with its line) when it cannot be."""
    return parse(source, _grounds())


# --- Reading ---------------------------------------------------------------------------------------------


def minutes_of(meeting: Meeting) -> Minutes | None:
    """The meeting's minutes, or None before the secretariat starts them."""
    return db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting.id))


def current_version(minutes: Minutes) -> MinutesVersion:
    """The last version: the draft in progress, or the final text once finalised."""
    return minutes.versions[-1]


def version_numbered(minutes: Minutes, number: int | None) -> MinutesVersion | None:
    """The version ``number`` of these minutes, or None."""
    return next((version for version in minutes.versions if version.number == number), None)


def committee_text(version: MinutesVersion) -> MinutesText:
    """The committee's copy of a version: the full text, withheld passages kept with their grounds."""
    return parse_source(version.source)


def public_text(minutes: Minutes) -> MinutesText | None:
    """The published copy, or None while the minutes are not published. Generated from the final version,
    each withheld passage replaced by 〔非開示：ground〕; None as well if the final version can no longer be
    read (a ground removed from the configuration): the page then shows nothing rather than risk the text."""
    if minutes.state != MinutesState.published:
        return None
    try:
        return public_rendering(committee_text(current_version(minutes)), public_label)
    except MinutesMarkupError:
        current_app.logger.error("minutes %s: the final version cannot be read; not shown", minutes.id)
        return None


def published_minutes(meeting: Meeting) -> tuple[Minutes, MinutesText] | None:
    """(minutes, published copy) of the meeting, or None when there is nothing published."""
    minutes = minutes_of(meeting)
    if minutes is None:
        return None
    text = public_text(minutes)
    return None if text is None else (minutes, text)


def recipients(minutes: Minutes) -> list[User]:
    """Who the draft goes to and who may comment on it: the members recorded present at the meeting; when
    no attendance at all was recorded, every active committee member (chair, members, observers), so that
    minutes of a meeting entered before attendance was kept can still be circulated."""
    meeting = minutes.meeting
    if meeting.attendance:
        return [row.user for row in meeting.attendance if row.present and row.user.active]
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.active.is_(True), UserRole.role.in_(COMMITTEE_ROLES))
            .distinct()
            .order_by(User.id)
        )
    )


def is_recipient(minutes: Minutes, user: User) -> bool:
    """Whether ``user`` is one of those the draft was sent to (and so may comment)."""
    return any(recipient.id == user.id for recipient in recipients(minutes))


def comments_open(minutes: Minutes) -> bool:
    """Whether members may comment now: circulating, and the deadline's day not over in Japan."""
    return (
        minutes.state == MinutesState.circulating
        and minutes.comment_deadline is not None
        and clock.japan_today() <= minutes.comment_deadline
    )


def visible_to_committee(minutes: Minutes | None) -> bool:
    """Whether the committee's portal shows these minutes: once circulated (a draft in preparation is the
    secretariat's alone)."""
    return minutes is not None and minutes.state != MinutesState.drafting


# --- Changing --------------------------------------------------------------------------------------------


def _checked_note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise MinutesError(
            _l("The note is longer than %(limit)d characters. Shorten it.", limit=MAX_NOTE_CHARS), field="note"
        )
    return note


def _checked_source(source: str | None) -> str:
    source = (source or "").replace("\r\n", "\n").replace("\r", "\n")
    if not source.strip():
        raise MinutesError(_l("The minutes are empty. Type or paste their text."), field="source")
    try:
        parse_source(source)
    except MinutesMarkupError as error:
        raise MinutesMarkupError(error.message, line=error.line, field="source") from error
    return source.strip("\n")


def _add_version(minutes: Minutes, source: str, note: str, actor_user: User | None) -> MinutesVersion:
    # Counted in the table, not the loaded list: the caller locked the minutes' row, the list may predate it.
    number = (
        db.session.scalar(select(func.max(MinutesVersion.number)).where(MinutesVersion.minutes_id == minutes.id)) or 0
    ) + 1
    version = MinutesVersion(
        minutes=minutes, number=number, source=source, note=note, created_by_id=actor_user and actor_user.id
    )
    db.session.add(version)
    db.session.flush()
    return version


def start_minutes(meeting: Meeting, source: str, *, note: str = "", by: User | None = None, actor: Actor) -> Minutes:
    """The meeting's minutes, begun with ``source`` as version 1 (refused if the meeting has minutes, or if
    the text cannot be read: the message names the line)."""
    if minutes_of(meeting) is not None:
        raise MinutesError(_l("This meeting already has minutes. Open them and save a new version instead."))
    source, note = _checked_source(source), _checked_note(note)
    minutes = Minutes(meeting=meeting, state=MinutesState.drafting)
    db.session.add(minutes)
    db.session.flush()
    version = _add_version(minutes, source, note, by)
    record_event(actor, "minutes.started", minutes, meeting_id=meeting.id, version=version.number)
    return minutes


def save_minutes_version(minutes: Minutes, source: str, *, note: str = "", by: User | None = None, actor: Actor):
    """A new version of the draft (the old ones stay as they were); refused once the chair finalised them."""
    if minutes.state in (MinutesState.finalised, MinutesState.published):
        raise MinutesError(
            _l("The minutes are finalised and can no longer be changed."),
        )
    source, note = _checked_source(source), _checked_note(note)
    if minutes.versions and source == current_version(minutes).source:
        raise MinutesError(_l("The text is the same as the current version: change it, or leave the page."))
    version = _add_version(minutes, source, note, by)
    record_event(
        actor,
        "minutes.version_saved",
        minutes,
        version=version.number,
        withheld=len(withheld_passages(parse_source(source))),
    )
    return version


def circulate_minutes(minutes: Minutes, deadline: date | None, *, link: str = "", actor: Actor) -> list[User]:
    """Send the current version to the members (``recipients``) for comments by the end of ``deadline`` (a
    day in Japan, today or later), and notify them. Circulating a revised draft again sets a new deadline.
    Returns the recipients."""
    if minutes.state not in (MinutesState.drafting, MinutesState.circulating):
        raise MinutesError(_l("Finalised minutes are not circulated again."))
    if deadline is None:
        raise MinutesError(_l("Give the day by which members comment."), field="deadline")
    if deadline < clock.japan_today():
        raise MinutesError(_l("The deadline is in the past. Choose today or a later day."), field="deadline")
    people = recipients(minutes)
    if not people:
        raise MinutesError(
            _l(
                "Nobody would receive the draft: no member is recorded present at the meeting. Record the "
                "attendance first."
            )
        )
    minutes.state = MinutesState.circulating
    minutes.comment_deadline = deadline
    minutes.circulated_at = clock.now()
    db.session.flush()
    version = current_version(minutes)
    notify(
        people,
        "minutes.circulated",
        params={"meeting": minutes.meeting.title, "deadline": deadline.isoformat()},
        link=link,
        dedupe_key=f"minutes:{minutes.id}:v{version.number}:{deadline.isoformat()}",
    )
    record_event(
        actor,
        "minutes.circulated",
        minutes,
        version=version.number,
        deadline=deadline.isoformat(),
        recipients=sorted(person.id for person in people),
    )
    return people


def comment_on_minutes(minutes: Minutes, user: User, body: str, *, actor: Actor) -> MinutesComment:
    """A member's comment on the circulated draft (its current version), until the end of the deadline."""
    if minutes.state != MinutesState.circulating:
        raise MinutesError(_l("The minutes are not out for comment, so comments are no longer taken."))
    if not comments_open(minutes):
        raise MinutesError(
            _l(
                "The deadline for comments (%(deadline)s) has passed. Send any further remark to the secretariat "
                "directly.",
                deadline=calendar_day(minutes.comment_deadline) if minutes.comment_deadline else "",
            )
        )
    if not is_recipient(minutes, user):
        raise MinutesError(
            _l(
                "The draft was sent to the members present at the meeting, so only they comment on it. "
                "Send your remark to the secretariat."
            )
        )
    body = (body or "").strip()
    if not body:
        raise MinutesError(_l("The comment is empty. Type it."), field="body")
    if len(body) > MAX_COMMENT_CHARS:
        raise MinutesError(
            _l("The comment is longer than %(limit)d characters. Shorten it.", limit=MAX_COMMENT_CHARS),
            field="body",
        )
    comment = MinutesComment(minutes=minutes, version=current_version(minutes), author_id=user.id, body=body)
    db.session.add(comment)
    db.session.flush()
    record_event(actor, "minutes.commented", minutes, comment_id=comment.id, version=comment.version.number)
    return comment


def finalise_minutes(minutes: Minutes, chair: User, *, actor: Actor) -> MinutesVersion:
    """The chair finalises the minutes on the committee's behalf: the current version becomes the final
    text and nothing is changed after. Only a circulated (or revised) draft is finalised."""
    if not has_permission(chair.roles, Permission.minutes_finalise):
        raise MinutesError(_l("Only the chair finalises the minutes."))
    if minutes.state != MinutesState.circulating:
        raise MinutesError(
            _l("Only a draft that was circulated to the members can be finalised.")
            if minutes.state == MinutesState.drafting
            else _l("The minutes are already finalised.")
        )
    version = current_version(minutes)
    parse_source(version.source)  # a ground removed since the save would make it unpublishable
    minutes.state = MinutesState.finalised
    minutes.finalised_at = clock.now()
    minutes.finalised_by_id = chair.id
    db.session.flush()
    record_event(actor, "minutes.finalised", minutes, version=version.number)
    return version


def publish_minutes(minutes: Minutes, *, actor: Actor) -> MinutesText:
    """Publish the finalised minutes: from now on the public meeting page shows the public copy (each
    withheld passage replaced by its marker and ground) and offers it as a Word file."""
    if minutes.state != MinutesState.finalised:
        raise MinutesError(
            _l("The minutes are already published.")
            if minutes.state == MinutesState.published
            else _l("Only minutes the chair has finalised can be published.")
        )
    text = committee_text(current_version(minutes))
    minutes.state = MinutesState.published
    minutes.published_at = clock.now()
    db.session.flush()
    record_event(
        actor,
        "minutes.published",
        minutes,
        version=current_version(minutes).number,
        withheld=len(withheld_passages(text)),
    )
    return public_rendering(text, public_label)
