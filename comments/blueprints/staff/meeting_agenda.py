"""Back-office views of a meeting's agenda (議事) and papers (資料): items added, edited, moved up or down
with buttons (no dragging), removed; papers posted from an upload, a consultation's material or an
inquiry's answer, public or not, and read back (a non-public one's every reading recorded)."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from comments.blueprints.actors import request_actor
from comments.blueprints.staff import bp
from comments.blueprints.staff.meeting_forms import NONE, AgendaItemForm, ButtonForm, PaperForm
from comments.blueprints.uploads import download_response, read_uploads
from comments.blueprints.views import commit_change, load, post_change
from comments.dates import calendar_day
from comments.domain import DomainError
from comments.domain.agenda import add_agenda_item, move_agenda_item, remove_agenda_item, update_agenda_item
from comments.domain.meeting_papers import (
    post_inquiry_paper,
    post_material_paper,
    post_uploaded_paper,
    record_paper_read,
    remove_paper,
)
from comments.domain.meetings import meeting_consultations
from comments.domain.uploads import ALLOWED_EXTENSIONS_TEXT
from comments.extensions import db
from comments.models import AgendaItem, Consultation, ConsultationStatus, Inquiry, Material, Meeting, MeetingPaper
from comments.permissions import Permission, require
from comments.storage import blob_store


def _consultation_choices() -> list[SelectChoice]:
    consultations = db.session.scalars(
        select(Consultation)
        .where(Consultation.status != ConsultationStatus.draft)
        .order_by(Consultation.opens_at.desc(), Consultation.id.desc())
    )
    return [SelectChoice(NONE, _l("None (other business)"))] + [SelectChoice(str(c.id), c.title) for c in consultations]


def _item_form(form: AgendaItemForm) -> AgendaItemForm:
    form.consultation.choices = _consultation_choices()
    return form


def _paper_form(meeting: Meeting, form: PaperForm) -> PaperForm:
    """Offer only what belongs to this meeting: its agenda items, its consultations' materials and answers
    (an id of anything else posted by hand is refused by the form: "Not a valid choice")."""
    form.agenda_item.choices = [SelectChoice(NONE, _l("The whole meeting"))] + [
        SelectChoice(str(item.id), f"({index}) {item.title}")
        for index, item in enumerate(meeting.agenda_items, start=1)
    ]
    ids = [consultation.id for consultation in meeting_consultations(meeting)]
    materials = db.session.scalars(
        select(Material).where(Material.consultation_id.in_(ids)).order_by(Material.consultation_id, Material.id)
    )
    committee_only = str(_l("non-public"))
    form.material.choices = [SelectChoice(NONE, _l("Choose a material"))] + [
        SelectChoice(
            str(material.id),
            f"{material.consultation.title}: {material.title}" + ("" if material.public else f" ({committee_only})"),
        )
        for material in materials
    ]
    inquiries = db.session.scalars(
        select(Inquiry)
        .where(Inquiry.consultation_id.in_(ids), Inquiry.answer != "")
        .order_by(Inquiry.consultation_id, Inquiry.id)
    )
    confidential = str(_l("confidential"))
    form.inquiry.choices = [SelectChoice(NONE, _l("Choose an inquiry"))] + [
        SelectChoice(
            str(inquiry.id),
            _l("%(text)s (%(note)s)", text=inquiry.body_name, note=calendar_day(inquiry.sent_on))
            if inquiry.answer_public
            else _l(
                "%(text)s (%(note)s)",
                text=_l("%(text)s (%(note)s)", text=inquiry.body_name, note=calendar_day(inquiry.sent_on)),
                note=confidential,
            ),
        )
        for inquiry in inquiries
    ]
    return form


def _render_agenda(meeting: Meeting, item_form: AgendaItemForm | None = None, paper_form: PaperForm | None = None):
    item_form = _item_form(item_form or AgendaItemForm(formdata=None, prefix="item"))
    paper_form = _paper_form(meeting, paper_form or PaperForm(formdata=None, prefix="paper"))
    return render_template(
        "staff/meeting_agenda.html",
        meeting=meeting,
        item_form=item_form,
        paper_form=paper_form,
        button_form=ButtonForm(formdata=None),
        allowed_types=ALLOWED_EXTENSIONS_TEXT,
    )


def _agenda_url(meeting: Meeting) -> str:
    return url_for("staff.show_meeting_agenda", meeting_id=meeting.id)


def _portal_url(meeting: Meeting) -> str:
    return url_for("committee.show_meeting", meeting_id=meeting.id)


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    return load(AgendaItem, item_id, visible=lambda found: found.meeting_id == meeting.id)


def _chosen(model, value):
    return db.session.get(model, int(value)) if value and str(value).isdigit() else None


@bp.get("/meetings/<int:meeting_id>/agenda")
@require(Permission.consultation_manage)
def show_meeting_agenda(meeting_id: int):
    """The meeting's agenda and papers, with the forms to change them."""
    return _render_agenda(load(Meeting, meeting_id))


@bp.post("/meetings/<int:meeting_id>/agenda")
@require(Permission.consultation_manage)
def add_meeting_agenda_item(meeting_id: int):
    meeting = load(Meeting, meeting_id)
    form = _item_form(AgendaItemForm(prefix="item"))
    return post_change(
        form,
        lambda: add_agenda_item(
            meeting, form.title.data, _chosen(Consultation, form.consultation.data), actor=request_actor()
        ),
        page=lambda: _render_agenda(meeting, item_form=form),
        lock=[meeting],
        then=_agenda_url(meeting),
        done=_l("The agenda item is added."),
    )


@bp.route("/meetings/<int:meeting_id>/agenda/<int:item_id>/edit", methods=["GET", "POST"])
@require(Permission.consultation_manage)
def edit_meeting_agenda_item(meeting_id: int, item_id: int):
    """Change an agenda item's title or consultation."""
    meeting = load(Meeting, meeting_id)
    item = _item(meeting, item_id)
    if request.method == "GET":
        form = _item_form(
            AgendaItemForm(
                formdata=None,
                title=item.title,
                consultation=str(item.consultation_id) if item.consultation_id else NONE,
            )
        )
        return render_template("staff/meeting_agenda_item_edit.html", meeting=meeting, item=item, form=form)
    form = _item_form(AgendaItemForm())
    return post_change(
        form,
        lambda: update_agenda_item(
            item, form.title.data, _chosen(Consultation, form.consultation.data), actor=request_actor()
        ),
        page=lambda: render_template("staff/meeting_agenda_item_edit.html", meeting=meeting, item=item, form=form),
        lock=[meeting],
        then=_agenda_url(meeting),
        done=_l("The agenda item is saved."),
    )


@bp.post("/meetings/<int:meeting_id>/agenda/<int:item_id>/move/<direction>")
@require(Permission.consultation_manage)
def move_meeting_agenda_item(meeting_id: int, item_id: int, direction: str):
    """Move an item one place up or down (buttons, so a keyboard and a screen reader can do it)."""
    meeting = load(Meeting, meeting_id)
    item = _item(meeting, item_id)
    step = {"up": -1, "down": 1}.get(direction)
    if step is None:
        abort(404)
    return post_change(
        ButtonForm(),
        lambda: move_agenda_item(item, step, actor=request_actor()),
        page=None,
        lock=[meeting],
        then=_agenda_url(meeting) + f"#agenda-item-{item.id}",
        done=_l("The agenda item is moved."),
    )


@bp.post("/meetings/<int:meeting_id>/agenda/<int:item_id>/remove")
@require(Permission.consultation_manage)
def remove_meeting_agenda_item(meeting_id: int, item_id: int):
    """Take an item off the agenda; its papers become papers of the whole meeting."""
    meeting = load(Meeting, meeting_id)
    item = _item(meeting, item_id)
    return post_change(
        ButtonForm(),
        lambda: remove_agenda_item(item, actor=request_actor()),
        page=None,
        lock=[meeting],
        then=_agenda_url(meeting),
        done=_l("The agenda item is removed. Its papers are now papers of the whole meeting."),
    )


@bp.post("/meetings/<int:meeting_id>/papers")
@require(Permission.consultation_manage)
def post_meeting_paper(meeting_id: int):
    """Post a paper from an upload, a consultation's material or an inquiry's answer; the members are told."""
    meeting = load(Meeting, meeting_id)
    form = _paper_form(meeting, PaperForm(prefix="paper"))
    files, errors = read_uploads(request.files.getlist(form.document.name))

    def post():
        common = {
            "title": form.title.data or "",
            "label": form.label.data or "",
            "public": form.visibility.data == "public",
            "agenda_item": _chosen(AgendaItem, form.agenda_item.data),
            "actor": request_actor(),
            "link": _portal_url(meeting),
            "posted_by_id": current_user.id,
        }
        if form.source.data == "material":
            material = _chosen(Material, form.material.data)
            if material is None:
                raise DomainError(_l("Choose the material."), field="material")
            return post_material_paper(meeting, material, **common)
        if form.source.data == "inquiry":
            inquiry = _chosen(Inquiry, form.inquiry.data)
            if inquiry is None:
                raise DomainError(_l("Choose the inquiry whose answer is the paper."), field="inquiry")
            return post_inquiry_paper(meeting, inquiry, **common)
        if errors:
            raise DomainError(errors[0], field="document")
        if not files:
            raise DomainError(_l("Choose the file to post."), field="document")
        return post_uploaded_paper(meeting, files[0], blob_store=blob_store(), **common)

    return post_change(
        form,
        post,
        page=lambda: _render_agenda(meeting, paper_form=form),
        lock=[meeting],
        field=form.document,
        then=_agenda_url(meeting),
        done=_l("The paper is posted, and the members are told."),
    )


def _paper(meeting: Meeting, paper_id: int) -> MeetingPaper:
    return load(MeetingPaper, paper_id, visible=lambda found: found.meeting_id == meeting.id)


@bp.post("/meetings/<int:meeting_id>/papers/<int:paper_id>/remove")
@require(Permission.consultation_manage)
def remove_meeting_paper(meeting_id: int, paper_id: int):
    meeting = load(Meeting, meeting_id)
    paper = _paper(meeting, paper_id)
    return post_change(
        ButtonForm(),
        lambda: remove_paper(paper, actor=request_actor()),
        page=None,
        lock=[meeting],
        then=_agenda_url(meeting),
        done=_l("The paper is removed."),
    )


@bp.get("/meetings/<int:meeting_id>/papers/<int:paper_id>")
@require(Permission.consultation_manage)
def read_meeting_paper(meeting_id: int, paper_id: int):
    """A paper's file as a download, or the answer it carries as a page; a non-public one's reading is
    recorded."""
    meeting = load(Meeting, meeting_id)
    paper = _paper(meeting, paper_id)
    if not paper.public:  # a public paper's reading is not recorded, so takes no write lock
        commit_change(lambda: record_paper_read(paper, actor=request_actor(), where="staff"))
    if paper.sha256:
        return download_response(
            paper.sha256, paper.filename or "paper", paper.content_type or "application/octet-stream"
        )
    return render_template(
        "public/meeting_paper.html",
        meeting=meeting,
        paper=paper,
        back_url=url_for("staff.show_meeting_agenda", meeting_id=meeting.id),
    )
