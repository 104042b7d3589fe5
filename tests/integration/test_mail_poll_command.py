"""`flask mail poll` against a real IMAP server (the throwaway Dovecot of tests/imap_server.py), over TLS.

A member's question, a stranger's message and an auto-reply are delivered to the mailbox; one poll files
the question with a receipt and an acknowledgement, quarantines the stranger's message, drops the
auto-reply, and moves each message to the folder its outcome names. A second poll finds nothing new.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import select

from comments.domain.audit import Actor
from comments.domain.committee import rotate_intake_token
from comments.extensions import db
from comments.models import InboundMessage, InboundStatus, OutboxMessage, User
from comments.permissions import Role
from tests.factories import make_consultation, make_user


def _message(sender: str, to: str, body: str, **headers) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, "評価書への質問"
    mail["Date"] = format_datetime(datetime.now().astimezone())
    mail["Message-ID"] = make_msgid(domain="example.jp")
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body, charset="iso-2022-jp")
    return mail.as_bytes()


def test_one_poll_files_quarantines_and_drops_then_moves_each_message(app, imap_server, monkeypatch):
    consultation = make_consultation()
    member = make_user(Role.member, email="iin.poll@example.jp")
    with app.app_context():
        user = db.session.get(User, member.id)
        rotate_intake_token(user, Actor("test"))
        db.session.commit()
        token = user.intake_token
    address = f"questions+{token}@{app.config['MAIL_INTAKE_DOMAIN']}"
    imap_server.deliver(
        _message(member.email, address, "（１）暗号鍵の管理者は誰ですか。"),
        _message("stranger@example.com", address, "知らない人からのメール"),
        _message(member.email, address, "不在です。", Auto_Submitted="auto-replied"),
    )
    settings = imap_server.settings("tls")
    for key, value in {
        "MAIL_IMAP_HOST": settings.host,
        "MAIL_IMAP_PORT": settings.port,
        "MAIL_IMAP_SECURITY": "tls",
        "MAIL_IMAP_USERNAME": settings.username,
        "MAIL_IMAP_PASSWORD": settings.password,
        "MAIL_IMAP_CA_FILE": settings.ca_file,
    }.items():
        monkeypatch.setitem(app.config, key, value)

    result = app.test_cli_runner().invoke(args=["mail", "poll", "--once"])
    assert result.exit_code == 0, result.output
    assert "fetched 3: processed 2, quarantined 1" in result.output

    db.session.expire_all()
    rows = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert [(row.status, row.reason) for row in rows] == [
        (InboundStatus.accepted, ""),
        (InboundStatus.quarantined, "unknown_sender"),
        (InboundStatus.dropped, "auto_submitted"),
    ]
    question = rows[0].submission
    assert question.consultation_id == consultation.id
    assert question.member_id == member.id
    assert "暗号鍵の管理者" in question.body
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.submission_id == question.id)).one()
    assert imap_server.message_ids("INBOX") == []
    assert len(imap_server.messages("Processed")) == 2
    assert len(imap_server.messages("Quarantine")) == 1

    again = app.test_cli_runner().invoke(args=["mail", "poll", "--once"])
    assert "fetched 0" in again.output


def test_poll_without_credentials_says_what_to_set(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_IMAP_USERNAME", None)
    result = app.test_cli_runner().invoke(args=["mail", "poll", "--once"])
    assert result.exit_code == 2
    assert "MAIL_IMAP_USERNAME" in result.output


def test_poll_with_a_wrong_password_fails_with_a_clear_message(app, imap_server, monkeypatch):
    settings = imap_server.settings("plain")
    for key, value in {
        "MAIL_IMAP_HOST": settings.host,
        "MAIL_IMAP_PORT": settings.port,
        "MAIL_IMAP_SECURITY": "plain",
        "MAIL_IMAP_USERNAME": settings.username,
        "MAIL_IMAP_PASSWORD": "wrong-password",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    result = app.test_cli_runner().invoke(args=["mail", "poll", "--once"])
    assert result.exit_code == 1
    assert "password" in result.output.lower()
