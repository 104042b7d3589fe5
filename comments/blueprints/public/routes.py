"""Public routes: thin views that load, validate, call one domain function, commit once, render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import (
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from werkzeug.exceptions import NotFound

from comments.blueprints.actors import request_actor
from comments.blueprints.form_errors import put_domain_error
from comments.blueprints.links import safe_next
from comments.blueprints.public import bp
from comments.blueprints.public.forms import CommentForm
from comments.blueprints.uploads import download_response, read_uploads
from comments.blueprints.views import commit_once, load
from comments.domain.deadlines import phase, time_remaining
from comments.domain.intake import (
    PeriodClosedError,
    PeriodLock,
    SubmissionInvalidError,
    accept_submission,
    lock_period_on_read,
    prepare_submission,
    read_attachments,
    read_with_period_lock,
    receipt_mail_withheld,
)
from comments.domain.masking import MASK, contains_individual_number
from comments.domain.receipts import FingerprintedFile, fingerprint_manifest, normalise_receipt_number
from comments.domain.schedule import public_schedule
from comments.domain.sections import section_choices
from comments.domain.uploads import ALLOWED_EXTENSIONS_TEXT
from comments.extensions import db, limiter
from comments.models import Channel, Consultation, ConsultationStatus, Material, Submission
from comments.storage import blob_store
from comments.throttles import public_form_posts_per_address
from comments.transactions import begin_write, end_transaction, read_before_write

# How many receipts one browser session can reopen (its own submissions only).
SESSION_RECEIPTS = 20
# The name of CommentForm.attachments, read before the form is built (_locks_period_on_first_read).
ATTACHMENTS_FIELD = "attachments"


_CONSULTATION_BY_SLUG = select(Consultation).where(Consultation.slug == bindparam("slug"))


def load_listed_consultation(slug: str) -> Consultation:
    """The consultation, or 404 while it is a draft or does not exist."""
    consultation = db.session.execute(_CONSULTATION_BY_SLUG, {"slug": slug}).scalar_one_or_none()
    if consultation is None or not consultation.is_listed():
        abort(404)
    return consultation


@bp.get("/")
def list_consultations():
    consultations = db.session.execute(
        select(Consultation)
        .where(Consultation.status != ConsultationStatus.draft)
        .order_by(Consultation.closes_at.desc())
    ).scalars()
    groups: dict[str, list[Consultation]] = {"open": [], "upcoming": [], "closed": [], "results": []}
    for consultation in consultations:
        groups[phase(consultation, g.received_at)].append(consultation)
    return render_template("public/consultation_list.html", groups=groups)


@bp.get("/consultations/<slug>")
def show_consultation(slug: str):
    consultation = load_listed_consultation(slug)
    return render_template(
        "public/consultation_show.html",
        consultation=consultation,
        phase=phase(consultation, g.received_at),
        time_left=time_remaining(consultation, g.received_at),
        schedule=public_schedule(consultation),
    )


@bp.get("/consultations/<slug>/results")
def show_results(slug: str):
    """The published results: built only from the redacted copy the secretariat published (R04-R07)."""
    from comments.domain.accounting import account_for_submissions, describe_totals
    from comments.domain.publication import (
        FIELD_LABELS,
        campaigns_counted,
        published_entries,
        results_changes,
        results_withdrawn,
        submissions_by_channel,
    )

    consultation = load_listed_consultation(slug)
    if consultation.results_published_at is None:
        abort(404)
    return render_template(
        "public/results.html",
        consultation=consultation,
        entries=published_entries(consultation),
        by_channel=[(Channel(name), count) for name, count in sorted(submissions_by_channel(consultation).items())],
        campaigns=campaigns_counted(consultation),
        totals=describe_totals(account_for_submissions(consultation, citizens_only=True)),
        changes=results_changes(consultation),
        withdrawn=results_withdrawn(consultation),
        parts=FIELD_LABELS,
    )


@bp.get("/consultations/<slug>/materials/<int:material_id>")
def download_material(slug: str, material_id: int):
    consultation = load_listed_consultation(slug)
    material = load(
        Material, material_id, visible=lambda found: found.consultation_id == consultation.id and found.public
    )
    return download_response(material.sha256, material.filename, material.content_type)


@dataclass(frozen=True)
class FormConsultation:
    """The few columns of a consultation that taking an opinion needs, read as one plain row.

    Every opinion comes through the form's POST; loading the whole consultation as an ORM object there cost
    more than any statement it then runs. A page shown again (an error, the closed page) loads the object.
    """

    id: int
    status: ConsultationStatus
    opens_at: datetime
    closes_at: datetime
    require_name: bool
    require_contact: bool
    # The period and a receipt number, read under the period lock with the row (``lock_period_on_read``).
    period_lock: PeriodLock | None = None

    is_listed = Consultation.is_listed


_FORM_COLUMNS = ("id", "status", "opens_at", "closes_at", "require_name", "require_contact")
_consultations = Consultation.__table__
_FORM_CONSULTATION_BY_SLUG = select(*(_consultations.c[name] for name in _FORM_COLUMNS)).where(
    _consultations.c.slug == bindparam("slug")
)
_FORM_CONSULTATION_LOCKED = lock_period_on_read(_FORM_CONSULTATION_BY_SLUG)


def load_form_consultation(slug: str, *, lock_period: bool = False) -> FormConsultation:
    """What ``load_listed_consultation`` finds, as a ``FormConsultation``; 404 alike. With ``lock_period``, the
    same statement takes the period lock and draws a receipt number (``PeriodLock``), so that the opinion's
    transaction reads the consultation once instead of twice."""
    if not lock_period:
        row = db.session.execute(_FORM_CONSULTATION_BY_SLUG, {"slug": slug}).one_or_none()
        consultation = None if row is None else FormConsultation(*row)
    else:
        found = read_with_period_lock(_FORM_CONSULTATION_LOCKED, {"slug": slug})
        consultation = None if found is None else FormConsultation(*found[0], period_lock=found[1])
    if consultation is None or not consultation.is_listed():
        abort(404)
    return consultation


def _locks_period_on_first_read() -> bool:
    """Whether this POST of the form takes the period lock with its first read (``lock_period_on_read``): on
    PostgreSQL, where that lock keeps out only a close or an extension, never another opinion; and only when
    no file is attached, as the transaction then ends before the files are read (R40), and the lock with it.
    SQLite's lock is the write lock every other opinion waits for: taken by ``begin_write``, just before the
    INSERTs."""
    if db.session.get_bind().dialect.name != "postgresql":
        return False
    return not any(upload.filename for upload in request.files.getlist(ATTACHMENTS_FIELD))


def _loaded(consultation: Consultation | FormConsultation) -> Consultation:
    """The consultation's ORM object, for a page (from the session when it holds it)."""
    if isinstance(consultation, Consultation):
        return consultation
    return db.session.get(Consultation, consultation.id)


def _render_form(consultation: Consultation | FormConsultation, form: CommentForm, status: int = 200, **extra):
    consultation = _loaded(consultation)
    form.offer_sections(section_choices(consultation))
    return (
        render_template(
            "public/comment_form.html",
            consultation=consultation,
            form=form,
            allowed_types=ALLOWED_EXTENSIONS_TEXT,
            time_left=time_remaining(consultation, g.received_at),
            **extra,
        ),
        status,
    )


def _render_closed(consultation: Consultation | FormConsultation, status: int):
    return render_template("public/comment_closed.html", consultation=_loaded(consultation)), status


@bp.route("/consultations/<slug>/comment", methods=["GET", "POST"])
# Over the limit nothing is stored; the 429 page is this form again, filled in (rerender_comment_form).
@limiter.limit(public_form_posts_per_address, methods=["POST"])
def submit_comment(slug: str):
    read_before_write()
    if request.method == "GET":
        consultation = load_listed_consultation(slug)
    else:
        consultation = load_form_consultation(slug, lock_period=_locks_period_on_first_read())
    if phase(consultation, g.received_at) != "open":
        return _render_closed(consultation, 200 if request.method == "GET" else 403)
    form = CommentForm(consultation=consultation)
    if request.method == "GET":
        return _render_form(consultation, form)

    if form.website.data:
        current_app.logger.info("honeypot field filled in request %s; nothing stored", g.request_id)
        abort(400)
    files, file_errors = read_uploads(request.files.getlist(form.attachments.name))
    if not form.validate() or file_errors:
        form.attachments.errors = list(form.attachments.errors or []) + file_errors
        return _render_form(consultation, form, 422, reattach=bool(files or file_errors))

    typed = " ".join([form.body.data or "", form.name.data or "", form.contact.data or ""])
    if contains_individual_number(typed) and form.number_acknowledged.data != "1":
        # R15: say so before the final submit; the citizen sends again knowing what will be removed.
        form.number_acknowledged.data = "1"
        return _render_form(consultation, form, 200, number_warning=True, reattach=bool(files))

    if files:
        end_transaction()  # nothing is locked or held open while the files are read (R40)
    try:
        attachments = read_attachments(files, channel=Channel.web)
    except SubmissionInvalidError as error:
        put_domain_error(form, error, default=form.attachments)
        return _render_form(consultation, form, 422, reattach=True)
    try:
        # Checked and masked, files stored, before the write lock: on SQLite every other writer waits while
        # it is held, so it is held for the inserts alone.
        prepared = prepare_submission(consultation, form.to_draft(attachments), blob_store=blob_store())
    except SubmissionInvalidError as error:
        put_domain_error(form, error, default=form.body)
        return _render_form(consultation, form, 422, reattach=bool(files))
    begin_write()
    try:
        accepted = accept_submission(
            consultation,
            prepared,
            received_at=g.received_at,
            actor=request_actor(),
            blob_store=blob_store(),
            period_lock=consultation.period_lock,
        )
    except PeriodClosedError:
        db.session.rollback()
        return _render_closed(consultation, 403)
    receipt = accepted.receipt_number
    commit_once()
    session["receipts"] = [receipt, *session.get("receipts", [])][:SESSION_RECEIPTS]
    return redirect(url_for("public.show_receipt", receipt=receipt), code=303)


def rerender_after_csrf_failure():
    """A stale or missing token on the comment form keeps everything typed (R29); None elsewhere."""
    return rerender_comment_form(
        _l("The form had expired, so nothing was sent yet. Your text is kept below: check it and send it again."),
        400,
    )


def rerender_comment_form(message, status: int):
    """The comment form again, filled with what was sent and ``message`` above it, when a request to it was
    refused before the view ran (an expired token, too many sends); None for every other page."""
    if request.endpoint != "public.submit_comment":
        return None
    try:
        consultation = load_listed_consultation((request.view_args or {}).get("slug", ""))
    except NotFound:
        return None
    if phase(consultation, g.received_at) != "open":
        return _render_closed(consultation, 403)
    form = CommentForm(consultation=consultation)
    form.form_errors.append(message)
    return _render_form(consultation, form, status, reattach=bool(request.files))


def _own_submission(receipt: str) -> Submission:
    """A receipt page is shown only to the browser session that submitted it."""
    number = normalise_receipt_number(receipt)
    if number is None or number not in session.get("receipts", []):
        abort(404)
    submission = db.session.execute(select(Submission).where(Submission.receipt_number == number)).scalar_one_or_none()
    if submission is None:
        abort(404)
    return submission


def _manifest(submission: Submission) -> str:
    return fingerprint_manifest(
        submission.body, [FingerprintedFile(a.filename, a.sha256) for a in submission.attachments]
    )


@bp.get("/receipts/<receipt>")
def show_receipt(receipt: str):
    submission = _own_submission(receipt)
    return render_template(
        "public/receipt_show.html",
        submission=submission,
        manifest=_manifest(submission),
        mask=MASK,
        mail_withheld=receipt_mail_withheld(submission),
    )


@bp.get("/receipts/<receipt>/copy.txt")
def download_receipt_copy(receipt: str):
    submission = _own_submission(receipt)
    text = render_template("public/receipt_copy.txt", submission=submission, manifest=_manifest(submission))
    response = make_response(text)
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="receipt-{submission.receipt_number}.txt"'
    return response


@bp.get("/receipts/<receipt>/attachments/<int:position>")
def download_receipt_attachment(receipt: str, position: int):
    submission = _own_submission(receipt)
    attachment = next((a for a in submission.attachments if a.position == position), None)
    if attachment is None:
        abort(404)
    kept = attachment.kept  # a redacted copy (黒塗り) once staff replaced the file
    return download_response(kept.sha256, kept.filename, kept.content_type)


@bp.get("/language/<code>")
def switch_language(code: str):
    """Remember the visitor's language in a cookie and go back to the page they were on."""
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(safe_next(request.args.get("next")) or url_for("public.list_consultations"))
    response.set_cookie(
        "lang",
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.get("/favicon.ico")
def favicon():
    """The site's icon where browsers and feed readers look for it without reading a page (pages name
    /static/favicon.ico, which may be cached)."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon")


@bp.get("/accessibility")
def accessibility_policy():
    """The accessibility policy (ウェブアクセシビリティ方針), as the ministry's guideline and WAIC's template lay it out."""
    from comments.accessibility import load_results

    return render_template(
        "public/accessibility.html",
        tested_on=load_results()["tested_on"],
        target_date=current_app.config["ACCESSIBILITY_TARGET_DATE"],
    )


@bp.get("/accessibility/results")
def show_accessibility_results():
    """The test results (試験結果) the browser tests recorded in the committed results file."""
    from comments.accessibility import (
        AUDIENCES,
        KEYBOARD_CHECKS,
        LANGUAGE_NAMES,
        criterion_results,
        later_criteria,
        load_results,
        summarise,
    )

    results = load_results()
    return render_template(
        "public/accessibility_results.html",
        results=results,
        summary=summarise(results),
        criteria=criterion_results(results),
        later_criteria=later_criteria(results),
        audiences=AUDIENCES,
        keyboard_checks=KEYBOARD_CHECKS,
        language_names=LANGUAGE_NAMES,
    )
