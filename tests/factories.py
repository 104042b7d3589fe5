"""Factories that flush and never commit: every test module builds its data from these."""

from __future__ import annotations

import contextlib
import contextvars
import itertools
from datetime import UTC, date, datetime, timedelta

from comments import clock
from comments.domain.audit import Actor
from comments.domain.departments import department_named
from comments.domain.receipts import new_receipt_number
from comments.domain.responses import approve, response_for, save_draft, submit_for_review
from comments.domain.search import index_pending_submissions
from comments.domain.triage import ItemDraft, add_item, assign_items
from comments.extensions import db
from comments.models import (
    Attachment,
    Channel,
    Consultation,
    ConsultationStatus,
    Item,
    ItemKind,
    Meeting,
    Response,
    ResponseCategory,
    Section,
    Submission,
    Submitter,
    SubmitterKind,
)

_sequence = itertools.count(1)
APP = None  # set by the session's app fixture; factories that need settings run in its app context
# True while a factory runs in an app context of its own: it still uses the test body's session.
IN_FACTORY: contextvars.ContextVar[bool] = contextvars.ContextVar("in_factory", default=False)


@contextlib.contextmanager
def _app_context():
    from flask import has_app_context

    if has_app_context():
        yield
        return
    token = IN_FACTORY.set(True)
    try:
        with APP.app_context():
            yield
    finally:
        IN_FACTORY.reset(token)


def make_consultation(**overrides) -> Consultation:
    """An open consultation of 31 days around now, with two sections; ``department`` may be given by name."""
    number = next(_sequence)
    now = datetime.now(UTC)
    values = {
        "slug": f"test-consultation-{number}",
        "title": f"評価書（案）テスト{number}",
        "affair": "後期高齢者医療事務",
        "department": "健康保険課",
        "status": ConsultationStatus.open,
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=30),
    }
    values.update(overrides)
    if isinstance(values["department"], str):
        values["department"] = department_named(values["department"])
    consultation = Consultation(**values)
    consultation.sections.append(Section(position=1, number="I-1", heading="基本情報", page=3, body="本文1"))
    consultation.sections.append(
        Section(position=2, number="III-2", heading="特定個人情報の入手", page=21, body="本文2")
    )
    db.session.add(consultation)
    db.session.flush()
    return consultation


DEFAULT_PASSWORD = "correct-horse-battery-staple-42"


def make_user(
    *roles,
    email: str | None = None,
    totp: bool | None = None,
    password: str = DEFAULT_PASSWORD,
    department=None,
):
    """An active account with ``roles``; those that need a second factor get one already set up. A role of one
    department's gets ``department``, or a new department of its own."""

    with _app_context():
        return _make_user(roles, email=email, totp=totp, password=password, department=department)


def _make_user(roles, *, email, totp, password, department):
    from comments.domain.accounts import create_user, enable_totp, new_totp_secret
    from comments.domain.audit import Actor
    from comments.models import Department
    from comments.permissions import Permission, has_permission

    number = next(_sequence)
    roles = set(roles)
    if department is None and has_permission(roles, Permission.own_department):
        department = Department(name=f"テスト課{number}")
        db.session.add(department)
    user = create_user(
        email=email or f"user{number}@example.jp",
        display_name=f"テスト利用者{number}",
        password=password,
        roles=roles,
        actor=Actor("test"),
        department=department,
    )
    if totp if totp is not None else user.needs_second_factor:
        enable_totp(user, new_totp_secret(), Actor("test"))
    db.session.flush()
    return user


ACTOR = Actor("test")
# The submitter make_submission records, unless a test gives another.
SUBMITTER = ("山田花子", "hanako@example.jp", "千葉市中央区1-1")


def make_submission(consultation, *, body="意見です。", received_at=None, attachments=0, **values) -> Submission:
    """A stored web submission of a citizen with its submitter (``SUBMITTER``), made searchable at once
    (the worker does that in production); ``values`` set any other column, or ``submitter``."""
    name, email, contact = SUBMITTER
    submission = Submission(
        consultation=consultation,
        receipt_number=new_receipt_number(),
        channel=values.pop("channel", Channel.web),
        submitter_kind=values.pop("submitter_kind", SubmitterKind.citizen),
        body=body,
        received_at=received_at or datetime.now(UTC),
        late=values.pop("late", False),
        fingerprint="0" * 64,
        submitter=values.pop("submitter", None) or Submitter(name=name, email=email, contact=contact),
        **values,
    )
    for position in range(1, attachments + 1):
        submission.attachments.append(
            Attachment(
                position=position, filename=f"f{position}.pdf", content_type="application/pdf", size=1, sha256="a" * 64
            )
        )
    db.session.add(submission)
    db.session.flush()
    index_pending_submissions(limit=100_000)
    return submission


def make_mail(submission, *, to: str = SUBMITTER[1], subject: str = "受付しました", body: str = "受付番号") -> None:
    """A mail queued in the outbox for ``submission`` (a receipt, say), as the intake queues one."""
    from comments.domain.outbox import enqueue_mail

    with _app_context():
        enqueue_mail(to=to, subject=subject, body=body, submission=submission)


def make_items(consultation, clerk, *gists: str, text: str | None = None, part: str | None = None, kind=None):
    """One item per gist, each taken from a submission of its own whose text is ``text`` (the gist and 。 when
    not given); the item covers ``part`` of that text, or all of it. Numbered in order, as staff make them."""
    items = []
    for gist in gists:
        body = text if text is not None else f"{gist}。"
        start = body.index(part) if part else 0
        end = start + len(part) if part else len(body)
        submission = make_submission(consultation, body=body)
        items.append(
            add_item(
                submission,
                ItemDraft(start, end, kind or ItemKind.opinion, gist),
                created_by=clerk,
                actor=ACTOR,
            )
        )
    return items


def assign(items: list[Item], department, *, due_in_days: int = 14) -> None:
    """Send ``items`` to ``department``, due ``due_in_days`` from today in Japan."""
    assign_items(items, department, due_on=clock.japan_today() + timedelta(days=due_in_days), actor=ACTOR)


def respond(
    target,
    *,
    author,
    approver=None,
    until: str = "approved",
    body: str = "市の考え方です。",
    category: ResponseCategory | None = ResponseCategory.answered,
    change_made: str = "",
) -> Response:
    """Take the response of ``target`` (an item or a group) through the workflow: a revision by ``author``,
    then, as ``until`` says, "drafting", "in_review" or "approved" (by ``approver``, just signed in again)."""
    response = response_for(target)
    save_draft(response, body=body, category=category, change_made=change_made, author=author, actor=ACTOR)
    if until in ("in_review", "approved"):
        submit_for_review(response, actor=ACTOR)
    if until == "approved":
        approve(response, approver=approver, reauthenticated_at=clock.now(), actor=ACTOR)
    return response


def make_meeting(*consultations, title="第3回 特定個人情報保護評価部会", held_on=date(2015, 9, 3)) -> Meeting:
    """A committee meeting whose packet covers ``consultations``."""
    meeting = Meeting(title=title, held_on=held_on)
    meeting.consultations.extend(consultations)
    db.session.add(meeting)
    db.session.flush()
    return meeting
