"""While a crafted file is being read, the service answers everybody else (R40).

A 37 KB PDF once kept a worker busy for minutes, and because the view read it while holding SQLite's write
lock, a citizen's comment waited behind it. Here the app runs on a live threaded server over its own
database, a PDF bomb is sent through the comment form, and while a child process reads it (the reading is
seen starting) a visitor opens a public page and a citizen sends an opinion: both are answered before the
bomb's request is, and the bomb is refused with the message that says why. The server reads files with
five CPU seconds each, so the bomb is refused in about five seconds and the others have that long.
"""

from __future__ import annotations

import http.client
import re
import secrets
import threading
import urllib.parse
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from comments import create_app
from comments.domain import uploads
from comments.extensions import db
from config import TestingConfig
from tests import dbutil, factories
from tests.document_samples import nested_forms_pdf

pytestmark = [pytest.mark.no_db_session]

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
# Generous: only a request that hangs reaches them.
ANSWER_TIMEOUT = 120


class Visitor:
    """One browser: its own cookies (session, language), plain HTTP to the live server."""

    def __init__(self, port: int):
        self.port = port
        self.cookies = {"lang": "en"}

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=ANSWER_TIMEOUT)
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            page = response.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name] = value
        return response.status, page

    def form_token(self, path: str) -> str:
        status, page = self.request("GET", path)
        assert status == 200, page[:2000]
        return CSRF.search(page).group(1)


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type (by hand: urllib3 would do it, and is not installed)."""
    boundary = secrets.token_hex(16)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts += [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
        for name, (filename, data) in files.items()
    ]
    return b"".join([*parts, f"--{boundary}--\r\n".encode()]), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def live(tmp_path):
    """The app on its own migrated database, with one open consultation, served on a free local port."""
    database_url = dbutil.create_database(tmp_path, "reading")
    instance = Path(tmp_path) / "instance"
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        INSTANCE_PATH=instance,
        ATTACHMENT_STORAGE=instance / "attachments",
        MAIL_PORT=1,  # receipts only go to the outbox
        FILE_READ_CPU_SECONDS=5,
        FILE_READ_WALL_SECONDS=30,
    )
    try:
        with app.app_context():
            upgrade()
            slug = factories.make_consultation().slug
            db.session.commit()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        try:
            yield server.server_port, slug, database_url
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
            with app.app_context():
                db.engine.dispose()
    finally:
        dbutil.drop_database(database_url)


def stored_opinions(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text("SELECT body FROM submissions ORDER BY id")).scalars())
    finally:
        engine.dispose()


def test_a_page_and_a_citizens_opinion_are_answered_while_a_bomb_is_read(live, monkeypatch):
    port, slug, database_url = live
    form = f"/consultations/{slug}/comment"
    reading = threading.Event()
    real_run_limited = uploads.run_limited

    def run_limited_seen(*args, **kwargs):
        reading.set()
        return real_run_limited(*args, **kwargs)

    monkeypatch.setattr(uploads, "run_limited", run_limited_seen)

    sender = Visitor(port)
    body, content_type = multipart(
        {
            "csrf_token": sender.form_token(form),
            "body": "添付をご覧ください。",
            "submitter_kind": "citizen",
            "consent": "y",
        },
        {"attachments": ("bomb.pdf", nested_forms_pdf())},
    )
    bomb_answer: dict = {}
    bomb_answered = threading.Event()

    def send_the_bomb():
        try:
            bomb_answer["status"], bomb_answer["page"] = sender.request("POST", form, body, content_type)
        finally:
            bomb_answered.set()

    bomb = threading.Thread(target=send_the_bomb, name="bomb-sender", daemon=True)
    bomb.start()
    assert reading.wait(timeout=ANSWER_TIMEOUT), "the bomb's request never began reading its file"

    visitor = Visitor(port)
    status, page = visitor.request("GET", "/")
    assert status == 200
    assert not bomb_answered.is_set(), "the public page was answered only once the bomb was"

    citizen = Visitor(port)
    opinion = urllib.parse.urlencode(
        {
            "csrf_token": citizen.form_token(form),
            "body": "読み込み中でも受け付けられる意見です。",
            "submitter_kind": "citizen",
            "consent": "y",
        }
    ).encode()
    status, page = citizen.request("POST", form, opinion, "application/x-www-form-urlencoded")
    assert status == 303, page[:2000]
    assert not bomb_answered.is_set(), "the citizen's opinion waited for the bomb to be read"

    bomb.join(timeout=ANSWER_TIMEOUT)
    assert bomb_answered.is_set(), "the bomb's request never ended"
    assert bomb_answer["status"] == 422
    assert "“bomb.pdf” took too long to read, so it was not accepted." in bomb_answer["page"]
    assert stored_opinions(database_url) == ["読み込み中でも受け付けられる意見です。"]
