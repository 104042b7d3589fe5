"""Questions by e-mail through `flask mail ingest`, the MTA pipe, with real message files (R59-R66).

Each message is written as an RFC 822 file, exactly as an MTA would hand it over, and fed to the command
on standard input; then the secretariat's quarantine is worked through the web.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from comments.domain.audit import Actor
from comments.domain.committee import rotate_intake_token
from comments.extensions import db
from comments.models import (
    AuditEvent,
    Channel,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
    Submission,
    SubmitterKind,
)
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import make_consultation, make_user
from tests.functional.auth_helpers import sign_in

DOCUMENTS = Path(__file__).resolve().parents[1] / "data" / "documents"
MAIL_FIXTURES = Path(__file__).resolve().parents[1] / "data" / "mail"
# A valid individual number (check digit correct), as a member might paste by mistake.
INDIVIDUAL_NUMBER = "123456789018"


@pytest.fixture
def member(app):
    user = make_user(Role.member, email="iin.hanako@example.jp")
    with app.app_context():
        user = db.session.get(type(user), user.id)
        rotate_intake_token(user, Actor("test"))
        db.session.commit()
    return user


def address(app, user) -> str:
    return f"{app.config['MAIL_INTAKE_LOCAL_PART']}+{user.intake_token}@{app.config['MAIL_INTAKE_DOMAIN']}"


def message(
    *,
    sender: str,
    to: str,
    subject: str = "評価書への質問",
    body: str = "（１）暗号の方式を教えてください。",
    attachments=(),
    headers=None,
    message_id: str | None = None,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"委員 花子 <{sender}>"
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(datetime.now().astimezone())
    mail["Message-ID"] = message_id or make_msgid(domain="example.jp")
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    for filename, data, maintype, subtype in attachments:
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return mail.as_bytes()


def ingest(app, raw: bytes, tmp_path: Path, *args: str):
    """Write the message to a file and pipe that file into `flask mail ingest`, as an MTA does."""
    path = tmp_path / "message.eml"
    path.write_bytes(raw)
    with path.open("rb") as stdin:
        result = app.test_cli_runner().invoke(args=["mail", "ingest", *args], input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def inbound() -> list[InboundMessage]:
    db.session.expire_all()
    return db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()


def test_a_members_mail_becomes_their_question_with_attachment_masking_and_an_acknowledgement(app, member, tmp_path):
    consultation = make_consultation()
    docx = (DOCUMENTS / "question-ja.docx").read_bytes()
    raw = message(
        sender=member.email,
        to=address(app, member),
        body=f"個人番号 {INDIVIDUAL_NUMBER} の扱いについて質問します。",
        attachments=[
            ("質問票.docx", docx, "application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
        ],
    )
    output = ingest(app, raw, tmp_path)
    [received] = inbound()
    assert received.status == InboundStatus.accepted
    submission = received.submission
    assert f"accepted: receipt {submission.receipt_number}" in output
    assert submission.consultation_id == consultation.id
    assert submission.member_id == member.id
    assert submission.channel == Channel.email
    assert submission.submitter_kind == SubmitterKind.member
    assert INDIVIDUAL_NUMBER not in submission.body
    assert "評価書への質問" in submission.body  # the subject is part of the question
    assert [a.filename for a in submission.attachments] == ["質問票.docx"]
    ack = db.session.scalars(select(OutboxMessage).where(OutboxMessage.submission_id == submission.id)).one()
    assert ack.to_address == member.email
    assert submission.receipt_number in ack.subject


def test_the_same_message_id_twice_makes_one_question(app, member, tmp_path):
    make_consultation()
    raw = message(sender=member.email, to=address(app, member), message_id="<same-1@example.jp>")
    ingest(app, raw, tmp_path)
    output = ingest(app, raw, tmp_path)
    assert "duplicate" in output
    assert len(inbound()) == 1
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1


@pytest.mark.parametrize(
    "forgery",
    [
        {"sender": "stranger@example.com"},  # anyone, to the member's own address
        {"to": "questions+0123456789abcdef0123456789abcdef01234567@intake.comments.localhost"},  # a made-up token
        {"headers": {"Authentication-Results": "mx.city.example; dmarc=fail header.from=example.jp"}},
    ],
)
def test_a_message_id_planted_before_the_members_own_mail_does_not_swallow_it(app, member, tmp_path, forgery):
    """Issue 11, item 8: a first message carrying ``Message-ID: <victim-next-message@...>`` made the member's
    later real question a "duplicate, nothing stored", because deduplication ran before the sender was
    checked. Now a Message-ID counts only among the verified member's own messages."""
    app.config["MAIL_TRUSTED_AUTHSERV_ID"] = "mx.city.example"
    try:
        make_consultation()
        planted = "<victim-next-message@example.jp>"
        fields = {"sender": member.email, "to": address(app, member), "message_id": planted, "body": "偽物"}
        ingest(app, message(**{**fields, **forgery}), tmp_path)
        real = message(
            sender=member.email,
            to=address(app, member),
            message_id=planted,
            headers={"Authentication-Results": "mx.city.example; dmarc=pass header.from=example.jp"},
        )
        output = ingest(app, real, tmp_path)
    finally:
        app.config["MAIL_TRUSTED_AUTHSERV_ID"] = None
    assert "duplicate" not in output
    first, second = inbound()
    assert first.status == InboundStatus.quarantined
    assert second.status == InboundStatus.accepted and second.submission.member_id == member.id


def test_two_members_may_use_the_same_message_id(app, member, tmp_path):
    make_consultation()
    other = make_user(Role.member, email="iin.jiro@example.jp")
    with app.app_context():
        other = db.session.get(type(other), other.id)
        rotate_intake_token(other, Actor("test"))
        db.session.commit()
    for user in (member, other):
        ingest(app, message(sender=user.email, to=address(app, user), message_id="<1@pc.local>"), tmp_path)
    assert [received.status for received in inbound()] == [InboundStatus.accepted, InboundStatus.accepted]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"to": "questions+0123456789abcdef0123456789abcdef01234567@intake.comments.localhost"}, "unknown_token"),
        ({"to": "questions@intake.comments.localhost"}, "unknown_token"),
        ({"sender": "someone.else@example.com"}, "unknown_sender"),
    ],
)
def test_mail_without_a_valid_token_or_from_a_stranger_waits_in_quarantine(app, member, tmp_path, change, reason):
    make_consultation()
    values = {"sender": member.email, "to": address(app, member)} | change
    ingest(app, message(**values), tmp_path)
    [received] = inbound()
    assert (received.status, received.reason) == (InboundStatus.quarantined, reason)
    assert received.submission_id is None
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_a_rotated_token_no_longer_files_questions(app, member, tmp_path):
    make_consultation()
    old = address(app, member)
    with app.app_context():
        rotate_intake_token(db.session.get(type(member), member.id), Actor("test"))
        db.session.commit()
    ingest(app, message(sender=member.email, to=old), tmp_path)
    assert inbound()[0].reason == "unknown_token"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "auto_submitted"),
        ({"X-Autoreply": "yes"}, "autoreply"),
        ({"Precedence": "bulk"}, "bulk"),
    ],
)
def test_auto_replies_and_bulk_mail_are_dropped(app, member, tmp_path, headers, reason):
    make_consultation()
    ingest(app, message(sender=member.email, to=address(app, member), headers=headers), tmp_path)
    [received] = inbound()
    assert (received.status, received.reason) == (InboundStatus.dropped, reason)
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_an_oversized_message_is_quarantined_unread(app, member, tmp_path, monkeypatch):
    make_consultation()
    monkeypatch.setitem(app.config, "MAIL_INTAKE_MAX_BYTES", 5000)
    ingest(app, message(sender=member.email, to=address(app, member), body="大" * 4000), tmp_path)
    [received] = inbound()
    assert (received.status, received.reason) == (InboundStatus.quarantined, "too_large")
    assert received.sender == ""  # not parsed at all


def test_a_failed_dmarc_verdict_of_our_own_server_quarantines(app, member, tmp_path, monkeypatch):
    make_consultation()
    monkeypatch.setitem(app.config, "MAIL_TRUSTED_AUTHSERV_ID", "mx.city.example.lg.jp")
    results = {"Authentication-Results": "mx.city.example.lg.jp; spf=fail smtp.mailfrom=example.jp; dmarc=fail"}
    ingest(app, message(sender=member.email, to=address(app, member), headers=results), tmp_path)
    assert inbound()[0].reason == "dmarc_failed"


def test_no_header_can_choose_the_owner_or_the_status(app, member, tmp_path):
    """R65: headers that look like control fields are only content."""
    make_consultation()
    other = make_user(Role.member, email="other.member@example.jp")
    headers = {
        "Sender": other.email,
        "Reply-To": other.email,
        "X-Comments-Member": str(other.id),
        "X-Comments-Status": "approved",
        "X-Original-To": "questions@intake.comments.localhost",
    }
    ingest(app, message(sender=member.email, to=address(app, member), headers=headers), tmp_path)
    [received] = inbound()
    assert received.status == InboundStatus.accepted
    assert received.submission.member_id == member.id
    assert received.submission.late is False


def test_a_refused_attachment_quarantines_the_whole_message(app, member, tmp_path):
    make_consultation()
    raw = message(
        sender=member.email,
        to=address(app, member),
        attachments=[("invoice.pdf.exe", b"MZ\x90\x00" * 64, "application", "octet-stream")],
    )
    ingest(app, raw, tmp_path)
    [received] = inbound()
    assert (received.status, received.reason) == (InboundStatus.quarantined, "attachment_refused")
    assert "invoice.pdf.exe" in received.decision_note


def test_an_empty_stdin_is_a_usage_error(app):
    result = app.test_cli_runner().invoke(args=["mail", "ingest"], input=b"")
    assert result.exit_code == 65
    assert "standard input was empty" in result.output


def test_the_secretariat_releases_a_quarantined_message_for_the_member_and_the_look_is_recorded(
    app, client, member, tmp_path
):
    consultation = make_consultation()
    # The member wrote from a private address instead of the registered one.
    ingest(app, message(sender="hanako.private@example.net", to=address(app, member)), tmp_path)
    [received] = inbound()
    clerk = make_user(Role.secretariat)
    sign_in(client, clerk)
    listing = client.get("/staff/mail").get_data(as_text=True)
    assert "hanako.private@example.net" not in listing  # the list shows no sender
    page = client.get(f"/staff/mail/{received.id}")
    html = page.get_data(as_text=True)
    assert "hanako.private@example.net" in html
    assert page.headers["Cache-Control"].startswith("no-store")
    viewed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "personal_data.viewed")).all()
    assert [event.object_id for event in viewed] == [str(received.id)]

    url = f"/staff/mail/{received.id}/release"
    missing_note = client.post(
        url,
        data={
            "csrf_token": csrf_token_from(html),
            "consultation_id": consultation.id,
            "member_id": member.id,
            "note": "",
        },
    )
    assert missing_note.status_code == 422
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token_from(html),
            "consultation_id": consultation.id,
            "member_id": member.id,
            "note": "委員本人に電話で確認した。",
        },
    )
    assert response.status_code == 303
    [received] = inbound()
    assert received.status == InboundStatus.released
    assert received.decided_by_id == clerk.id
    assert received.submission.member_id == member.id
    assert received.submission.channel == Channel.email
    again = client.post(
        url,
        data={
            "csrf_token": csrf_token_from(html),
            "consultation_id": consultation.id,
            "member_id": member.id,
            "note": "x",
        },
    )
    assert again.status_code == 422  # decided once only
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1


def test_the_secretariat_rejects_a_message_with_a_reason(app, client, member, tmp_path):
    make_consultation()
    ingest(app, message(sender="spam@example.com", to="questions@intake.comments.localhost"), tmp_path)
    [received] = inbound()
    sign_in(client, make_user(Role.secretariat))
    html = client.get(f"/staff/mail/{received.id}").get_data(as_text=True)
    url = f"/staff/mail/{received.id}/reject"
    assert client.post(url, data={"csrf_token": csrf_token_from(html), "note": ""}).status_code == 422
    assert client.post(url, data={"csrf_token": csrf_token_from(html), "note": "迷惑メール"}).status_code == 303
    [received] = inbound()
    assert (received.status, received.decision_note) == (InboundStatus.rejected, "迷惑メール")
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_mail_status_reports_what_waits_in_quarantine(app, member, tmp_path, monkeypatch):
    """R63: oversized and other quarantined messages show up where the operators look."""
    make_consultation()
    monkeypatch.setitem(app.config, "MAIL_INTAKE_MAX_BYTES", 5000)
    ingest(app, message(sender=member.email, to=address(app, member), body="大" * 4000), tmp_path)
    ingest(app, message(sender=member.email, to="questions@intake.comments.localhost"), tmp_path)
    output = app.test_cli_runner().invoke(args=["mail", "status"]).output
    assert re.search(r"quarantined\s+too_large\s+1", output)
    assert re.search(r"quarantined\s+unknown_token\s+1", output)


@pytest.mark.parametrize(
    ("fixture", "sender", "attachments", "text"),
    [
        ("iso2022jp_becky.eml", "hyoka.taro@example.ne.jp", 0, "委託先について（質問）\n\n事務局 御中\n\n①委託先の数"),
        (
            "mixed_docx_pdf.eml",
            "iin.hanako@example.jp",
            2,
            "意見書の送付\n\n事務局 御中\n\n意見書と参考資料を添付します。",
        ),
    ],
)
def test_real_message_files_through_the_pipe_with_the_envelope_recipient(
    app, tmp_path, fixture, sender, attachments, text
):
    """Mail as Becky! and Thunderbird wrote it, addressed to the shared address: the MTA passes the
    member's own intake address as the envelope recipient (--recipient), which carries the token."""
    make_consultation()
    owner = make_user(Role.chair, email=sender)
    with app.app_context():
        user = db.session.get(type(owner), owner.id)
        rotate_intake_token(user, Actor("test"))
        db.session.commit()
        recipient = address(app, user)
    raw = (MAIL_FIXTURES / fixture).read_bytes()
    output = ingest(app, raw, tmp_path, "--recipient", recipient)
    [received] = inbound()
    assert received.status == InboundStatus.accepted, output
    submission = received.submission
    assert submission.member_id == owner.id
    assert submission.submitter_kind == SubmitterKind.member
    assert len(submission.attachments) == attachments
    assert submission.body.startswith(text)  # subject and text decoded from ISO-2022-JP / UTF-8
    without = ingest(app, raw, tmp_path)  # the same message again, now without the envelope: a duplicate
    assert "duplicate" in without
