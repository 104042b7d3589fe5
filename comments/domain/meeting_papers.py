"""The papers (資料) of a meeting, for one agenda item or the whole meeting, public or not (非公開資料).

A paper comes from one of three sources: a file uploaded and checked like any material; a consultation's
material, reused by its content address (the same blob, never a second copy); or an outside body's answer
to an inquiry, shown as text. A confidential answer (one the inquiry says may not be published) can only
be a non-public paper: it reaches the members and the secretariat, never a public page.

Posting a paper notifies the committee's members, once a day per meeting at most, so that a secretariat
posting six papers one after the other sends one notice, not six.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from comments import clock
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.domain.committee import committee_members
from comments.domain.meetings import meeting_consultations
from comments.domain.notifications import notify
from comments.domain.uploads import CheckedFile
from comments.extensions import db
from comments.models import AgendaItem, Inquiry, Material, Meeting, MeetingPaper
from comments.storage import BlobStore


class PaperError(DomainError):
    """A paper cannot be posted as asked."""


def _position(meeting: Meeting) -> int:
    last = db.session.scalar(select(func.max(MeetingPaper.position)).where(MeetingPaper.meeting_id == meeting.id))
    return (last or 0) + 1


def _checked_item(meeting: Meeting, agenda_item: AgendaItem | None) -> AgendaItem | None:
    if agenda_item is not None and agenda_item.meeting_id != meeting.id:
        raise PaperError(_l("That agenda item belongs to another meeting."), field="agenda_item")
    return agenda_item


def _checked_text(value: str, limit: int, field: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise PaperError(_l("At most %(limit)d characters.", limit=limit), field=field)
    return value


def _post(
    meeting: Meeting,
    paper: MeetingPaper,
    *,
    title: str,
    label: str,
    agenda_item: AgendaItem | None,
    actor: Actor,
    link: str,
    source: str,
    members: Iterable | None,
) -> MeetingPaper:
    paper.title = _checked_text(title, 300, "title")
    if not paper.title:
        raise PaperError(_l("Give the paper a title."), field="title")
    paper.agenda_item = _checked_item(meeting, agenda_item)
    position = _position(meeting)
    paper.position = position
    paper.label = _checked_text(label, 40, "label") or f"資料{position}"
    paper.posted_at = clock.now()
    paper.meeting = meeting
    db.session.add(paper)
    db.session.flush()
    record_event(
        actor,
        "meeting_paper.posted",
        meeting,
        paper_id=paper.id,
        source=source,
        public=paper.public,
        agenda_item_id=paper.agenda_item_id,
        material_id=paper.material_id,
        inquiry_id=paper.inquiry_id,
    )
    notify(
        committee_members() if members is None else members,
        "meeting.papers_posted",
        params={"meeting": meeting.title},
        link=link,
        dedupe_key=f"meeting-papers:{meeting.id}:{clock.japan_today().isoformat()}",
    )
    return paper


def post_uploaded_paper(
    meeting: Meeting,
    upload: CheckedFile,
    *,
    title: str,
    label: str,
    public: bool,
    agenda_item: AgendaItem | None,
    actor: Actor,
    blob_store: BlobStore,
    link: str,
    posted_by_id: int | None = None,
    members: Iterable | None = None,
) -> MeetingPaper:
    """Post a checked uploaded file as a paper; the blob stays if the transaction then fails (storage.py)."""
    _checked_item(meeting, agenda_item)
    sha256, _created = blob_store.put(upload.data)
    paper = MeetingPaper(
        public=public,
        filename=upload.filename,
        content_type=upload.content_type,
        size=upload.size,
        sha256=sha256,
        posted_by_id=posted_by_id,
    )
    return _post(
        meeting,
        paper,
        title=title or upload.filename,
        label=label,
        agenda_item=agenda_item,
        actor=actor,
        link=link,
        source="upload",
        members=members,
    )


def post_material_paper(
    meeting: Meeting,
    material: Material,
    *,
    title: str,
    label: str,
    public: bool,
    agenda_item: AgendaItem | None,
    actor: Actor,
    link: str,
    posted_by_id: int | None = None,
    members: Iterable | None = None,
) -> MeetingPaper:
    """Post a material of one of the meeting's consultations as a paper, pointing at the same stored file.
    A committee-only material stays non-public as a paper."""
    if material.consultation_id not in {c.id for c in meeting_consultations(meeting)}:
        raise PaperError(_l("Choose a material of a consultation this meeting deals with."), field="material")
    if public and not material.public:
        raise PaperError(
            _l("This material is for the committee only, so the paper cannot be public."), field="visibility"
        )
    paper = MeetingPaper(
        public=public,
        filename=material.filename,
        content_type=material.content_type,
        size=material.size,
        sha256=material.sha256,
        material=material,
        posted_by_id=posted_by_id,
    )
    return _post(
        meeting,
        paper,
        title=title or material.title,
        label=label,
        agenda_item=agenda_item,
        actor=actor,
        link=link,
        source="material",
        members=members,
    )


def post_inquiry_paper(
    meeting: Meeting,
    inquiry: Inquiry,
    *,
    title: str,
    label: str,
    public: bool,
    agenda_item: AgendaItem | None,
    actor: Actor,
    link: str,
    posted_by_id: int | None = None,
    members: Iterable | None = None,
) -> MeetingPaper:
    """Post an outside body's answer to an inquiry of one of the meeting's consultations as a paper. An
    answer the inquiry keeps confidential can only be a non-public paper (delivered to the members)."""
    if inquiry.consultation_id not in {c.id for c in meeting_consultations(meeting)}:
        raise PaperError(_l("Choose an inquiry of a consultation this meeting deals with."), field="inquiry")
    if not (inquiry.answer or "").strip():
        raise PaperError(_l("That inquiry has no answer yet."), field="inquiry")
    if public and not inquiry.answer_public:
        raise PaperError(
            _l("This answer is confidential, so the paper cannot be public. Post it as a non-public paper."),
            field="visibility",
        )
    paper = MeetingPaper(public=public, inquiry=inquiry, posted_by_id=posted_by_id)
    return _post(
        meeting,
        paper,
        # The title is kept as the city writes it on the paper, whatever language the clerk uses the site in.
        title=title or f"{inquiry.body_name}からの回答",
        label=label,
        agenda_item=agenda_item,
        actor=actor,
        link=link,
        source="inquiry",
        members=members,
    )


def remove_paper(paper: MeetingPaper, *, actor: Actor) -> None:
    """Take a paper off the meeting; its file stays while anything else refers to it (blobs gc)."""
    meeting = paper.meeting
    paper_id = paper.id
    meeting.papers.remove(paper)
    db.session.flush()
    record_event(actor, "meeting_paper.removed", meeting, paper_id=paper_id)


def record_paper_read(paper: MeetingPaper, *, actor: Actor, where: str) -> None:
    """Record that someone read a non-public paper (downloaded its file, or opened the answer it carries);
    a public paper's reading is not recorded, as a public material's is not."""
    if not paper.public:
        record_event(actor, "meeting_paper.downloaded", paper.meeting, paper_id=paper.id, where=where)


def shown_to_public(paper: MeetingPaper) -> bool:
    """Whether the public may see the paper: posted as public, and, for an inquiry's answer, an answer the
    inquiry still lets be published (made confidential later, it leaves the public side at once)."""
    return paper.public and (paper.inquiry is None or paper.inquiry.answer_public)


def papers_for(meeting: Meeting, *, public_only: bool) -> list[MeetingPaper]:
    """The meeting's papers in order; ``public_only`` keeps those the public may see (the public's pages)."""
    return [paper for paper in meeting.papers if not public_only or shown_to_public(paper)]
