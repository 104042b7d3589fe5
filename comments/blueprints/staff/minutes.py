"""The secretariat's pages for a meeting's minutes: the current text (the committee's copy, withheld passages
marked with their grounds), every version with a character-level comparison between any two, the members'
comments, and the steps (edit, import a Word file, circulate, publish). The chair finalises in the portal."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from comments.blueprints.actors import request_actor
from comments.blueprints.form_errors import put_domain_error
from comments.blueprints.staff import bp
from comments.blueprints.staff.minutes_forms import (
    CirculateMinutesForm,
    MinutesActionForm,
    MinutesImportForm,
    MinutesSourceForm,
)
from comments.blueprints.uploads import read_uploads
from comments.blueprints.views import load, post_change
from comments.domain import DomainError
from comments.domain.minutes import (
    circulate_minutes,
    committee_text,
    current_version,
    ground_label,
    minutes_of,
    nondisclosure_grounds,
    parse_source,
    publish_minutes,
    recipients,
    save_minutes_version,
    start_minutes,
    version_numbered,
)
from comments.domain.minutes_text import MinutesMarkupError, source_from_docx
from comments.models import Meeting, Minutes
from comments.permissions import Permission, require
from comments.text_diff import char_diff, render_diff_html


def _minutes(meeting: Meeting) -> Minutes:
    minutes = minutes_of(meeting)
    if minutes is None:
        abort(404)
    return minutes


def _comparison(minutes: Minutes):
    """(old, new, html, error) for the versions named by ?old=&new=; by default the last two versions."""
    numbers = [version.number for version in minutes.versions]
    if "old" not in request.args and "new" not in request.args:
        if len(numbers) < 2:
            return None, None, None, None
        old, new = version_numbered(minutes, numbers[-2]), version_numbered(minutes, numbers[-1])
    else:
        old = version_numbered(minutes, request.args.get("old", type=int))
        new = version_numbered(minutes, request.args.get("new", type=int))
        if old is None or new is None:
            return None, None, None, _l("Choose two versions that exist, from the lists.")
    return old, new, render_diff_html(char_diff(old.source, new.source)), None


@bp.get("/meetings/<int:meeting_id>/minutes")
@require(Permission.consultation_manage)
def show_minutes(meeting_id: int):
    """The minutes of the meeting as the committee sees them, their versions, comments and next steps."""
    meeting = load(Meeting, meeting_id)
    minutes = minutes_of(meeting)
    if minutes is None:
        return render_template("staff/minutes_show.html", meeting=meeting, minutes=None)
    return _render_show(meeting, minutes)


def _render_show(meeting, minutes, circulate_form=None, status=200):
    old, new, diff, diff_error = _comparison(minutes)
    version = current_version(minutes)
    try:
        text, text_error = committee_text(version), None
    except MinutesMarkupError as error:
        text, text_error = None, error.message
    page = render_template(
        "staff/minutes_show.html",
        meeting=meeting,
        minutes=minutes,
        version=version,
        text=text,
        text_error=text_error,
        recipients=recipients(minutes),
        ground_label=ground_label,
        old=old,
        new=new,
        diff=diff,
        diff_error=diff_error,
        circulate_form=circulate_form or CirculateMinutesForm(formdata=None),
        action_form=MinutesActionForm(formdata=None),
    )
    if diff_error is not None:
        status = 400
    return page, status


def _render_edit(meeting, form, import_form=None, imported=None):
    minutes = minutes_of(meeting)
    error_line = None
    if form.source.errors and form.source.data:
        try:
            parse_source(form.source.data)
        except MinutesMarkupError as error:
            if error.line is not None:
                lines = form.source.data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
                if 0 < error.line <= len(lines):
                    error_line = (error.line, lines[error.line - 1])
    return render_template(
        "staff/minutes_edit.html",
        meeting=meeting,
        minutes=minutes,
        form=form,
        import_form=import_form or MinutesImportForm(formdata=None),
        grounds=nondisclosure_grounds(),
        error_line=error_line,
        imported=imported,
    )


@bp.get("/meetings/<int:meeting_id>/minutes/edit")
@require(Permission.consultation_manage)
def edit_minutes(meeting_id: int):
    """The edit page: the current text in a box, the markup explained, the grounds listed, a Word import."""
    meeting = load(Meeting, meeting_id)
    minutes = minutes_of(meeting)
    form = MinutesSourceForm(formdata=None)
    if minutes is not None:
        form.source.data = current_version(minutes).source
    return _render_edit(meeting, form)


@bp.post("/meetings/<int:meeting_id>/minutes/edit")
@require(Permission.consultation_manage)
def save_minutes(meeting_id: int):
    meeting = load(Meeting, meeting_id)
    minutes = minutes_of(meeting)
    form = MinutesSourceForm()
    actor = request_actor()

    def save():
        if minutes is None:
            return start_minutes(meeting, form.source.data, note=form.note.data, by=current_user, actor=actor)
        return save_minutes_version(minutes, form.source.data, note=form.note.data, by=current_user, actor=actor)

    return post_change(
        form,
        save,
        page=lambda: _render_edit(meeting, form),
        then=url_for("staff.show_minutes", meeting_id=meeting.id),
        done=_l("The minutes are saved as a new version."),
        lock=[meeting] if minutes is None else [meeting, minutes],
        field=form.source,
    )


@bp.post("/meetings/<int:meeting_id>/minutes/import")
@require(Permission.consultation_manage)
def import_minutes(meeting_id: int):
    """Read a Word file into the edit box, speakers' turns kept; nothing is saved until the secretariat has
    checked the text, marked what is withheld and pressed Save."""
    meeting = load(Meeting, meeting_id)
    import_form = MinutesImportForm()
    form = MinutesSourceForm(formdata=None)
    if minutes := minutes_of(meeting):
        form.source.data = current_version(minutes).source
    if not import_form.validate():
        return _render_edit(meeting, form, import_form), 422
    files, errors = read_uploads(request.files.getlist(import_form.document.name))
    try:
        if errors:
            raise DomainError(errors[0], field="document")
        if not files:
            raise DomainError(_l("Choose the Word file (.docx) to import."), field="document")
        source = source_from_docx(files[0].data)
    except DomainError as error:
        put_domain_error(import_form, error, default=import_form.document, renamed={"file": "document"})
        return _render_edit(meeting, form, import_form), 422
    form.source.data = source
    form.note.data = str(_l("Imported from %(name)s.", name=files[0].filename))
    return _render_edit(meeting, form, import_form, imported=files[0].filename)


@bp.post("/meetings/<int:meeting_id>/minutes/circulate")
@require(Permission.consultation_manage)
def circulate(meeting_id: int):
    meeting = load(Meeting, meeting_id)
    minutes = _minutes(meeting)
    form = CirculateMinutesForm()
    return post_change(
        form,
        lambda: circulate_minutes(
            minutes,
            form.deadline.data,
            link=url_for("committee.show_minutes", meeting_id=meeting.id),
            actor=request_actor(),
        ),
        page=lambda: _render_show(meeting, minutes, circulate_form=form)[0],
        then=url_for("staff.show_minutes", meeting_id=meeting.id),
        done=lambda people: str(_l("The draft is sent to %(count)d member(s) for comments.", count=len(people))),
        lock=[minutes],
        field=form.deadline,
    )


@bp.post("/meetings/<int:meeting_id>/minutes/publish")
@require(Permission.consultation_manage)
def publish(meeting_id: int):
    meeting = load(Meeting, meeting_id)
    minutes = _minutes(meeting)
    return post_change(
        MinutesActionForm(),
        lambda: publish_minutes(minutes, actor=request_actor()),
        page=None,
        then=url_for("staff.show_minutes", meeting_id=meeting.id),
        done=_l("The minutes are published: the public copy is on the meeting's public page."),
        lock=[minutes],
    )
