"""The limits hold in production's shape (R22, R57): gunicorn with four workers counting in the real Redis.

With memory:// each worker counted on its own, and 80 failed sign-ins got 56 answers of 401 before any 429
against a limit of 30. Here one server is started for the module, with low limits, on a migrated SQLite file;
each test sends from its own loopback address (127.0.0.x), so per-address counts never mix, and reads what
was stored straight from the database file. Without Redis the tests are skipped with a reason, or fail when
``REQUIRE_REDIS=1`` (CI).
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from comments import create_app
from comments.extensions import db
from comments.permissions import Role
from config import DevelopmentConfig
from tests import factories
from tests.conftest import csrf_token_from

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
WRONG = "not-the-password-at-all"

pytestmark = [pytest.mark.no_db_session, pytest.mark.database_independent]

# The limits the server runs with: low, so that a few dozen requests reach each of them.
LIMITS = {
    "LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR": 30,
    "LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE": 1000,
    "PUBLIC_FORM_POSTS_PER_ADDRESS_PER_MINUTE": 1000,
    "PUBLIC_FORM_POSTS_PER_ADDRESS_PER_HOUR": 5,
    "RECEIPT_MAILS_PER_RECIPIENT_PER_DAY": 3,
    "PASSWORD_RESET_MAILS_PER_ACCOUNT_PER_HOUR": 2,
}


def redis_unreachable_reason() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis at {REDIS_URL} is not reachable ({error}); start it or set TEST_REDIS_URL"
    return None


@pytest.fixture(scope="module")
def redis_url() -> str:
    reason = redis_unreachable_reason()
    if reason is not None:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"REQUIRE_REDIS=1 but {reason}")
        pytest.skip(reason)
    return REDIS_URL


@dataclass(frozen=True)
class Server:
    port: int
    database_url: str
    seeded: dict
    redis_url: str
    prefix: str

    def counter_keys(self) -> list[str]:
        import redis

        client = redis.Redis.from_url(self.redis_url)
        return [key.decode() for key in client.scan_iter(match=f"*{self.prefix}*")]

    def scalar(self, statement: str, **values) -> int:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return connection.execute(text(statement), values).scalar_one()
        finally:
            engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _seed(database_url: str, instance: Path) -> dict:
    """Migrate the file and write what the tests need; the instance folder keeps the keys the workers read."""
    app = create_app(
        DevelopmentConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        INSTANCE_PATH=instance,
        ATTACHMENT_STORAGE=instance / "attachments",
        ARGON2_TIME_COST=1,
        ARGON2_MEMORY_COST=1024,
    )
    with app.app_context():
        upgrade()
        form = factories.make_consultation(slug="throttle-form")
        receipts = factories.make_consultation(slug="throttle-receipts")
        member = factories.make_user(Role.member)
        approver = factories.make_user(Role.secretariat)
        drafter = factories.make_user(Role.department_staff)
        [item] = factories.make_items(factories.make_consultation(), approver, "再委託先の安全管理")
        factories.assign([item], drafter.department)
        factories.respond(item, author=drafter, until="in_review")
        seeded = {
            "form": form.id,
            "receipts": receipts.id,
            "member": member.email,
            "approver": approver.email,
            "approver_totp": approver.totp_secret,
            "item": item.id,
        }
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return seeded


@pytest.fixture(scope="module")
def server(redis_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("throttles")
    instance = tmp / "instance"
    database_url = f"sqlite:///{tmp / 'throttles.sqlite3'}"
    seeded = _seed(database_url, instance)
    port = _free_port()
    prefix = f"test-throttles-{secrets.token_hex(4)}"  # this server's counters only, in a Redis others share
    env = {
        **os.environ,
        **{name: str(value) for name, value in LIMITS.items()},
        "COMMENTS_ENV": "development",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance),
        "ATTACHMENT_STORAGE": str(instance / "attachments"),
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": prefix,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST": "1024",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": "1",  # mail only goes to the outbox here
        "TRUSTED_HOSTS": "127.0.0.1",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [str(gunicorn), "--workers", "4", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _wait_until_it_answers(process, port)
        yield Server(port=port, database_url=database_url, seeded=seeded, redis_url=redis_url, prefix=prefix)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        _forget_counters(redis_url, prefix)


def _wait_until_it_answers(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn stopped at startup:\n{process.stderr.read().decode(errors='replace')[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("gunicorn did not answer within 60 seconds")


def _forget_counters(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    text: str


class Visitor:
    """A browser on its own loopback address (so with its own per-address counts), keeping its cookies.
    Each request opens a new connection, so gunicorn hands the requests to whichever worker is free."""

    def __init__(self, server: Server, address: str):
        self.server = server
        self.address = address
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, fields: dict | None = None) -> Answer:
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.server.port, timeout=30, source_address=(self.address, 0)
        )
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        answer = Answer(response.status, response.headers, response.read().decode())
        connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name] = value
        return answer

    def token(self, page: str) -> str:
        return csrf_token_from(self.request("GET", page).text)

    def sign_in(self, email: str, password: str, *, totp_secret: str | None = None) -> Answer:
        answer = self.request(
            "POST", "/auth/login", {"csrf_token": self.token("/auth/login"), "email": email, "password": password}
        )
        if answer.status == 303 and totp_secret and answer.headers["Location"].endswith("/auth/second-factor"):
            token = self.token("/auth/second-factor")
            answer = self.request(
                "POST", "/auth/second-factor", {"csrf_token": token, "code": pyotp.TOTP(totp_secret).now()}
            )
        return answer


def _comment_form(consultation_slug: str) -> str:
    return f"/consultations/{consultation_slug}/comment"


def test_eighty_failed_sign_ins_get_thirty_answers_of_401_then_429s(server):
    visitor = Visitor(server, "127.0.0.2")
    token = visitor.token("/auth/login")
    target = f"somebody-{secrets.token_hex(3)}@example.jp"
    statuses = [
        visitor.request("POST", "/auth/login", {"csrf_token": token, "email": target, "password": WRONG}).status
        for _ in range(80)
    ]
    assert statuses == [401] * 30 + [429] * 50


def test_the_comment_form_from_one_address_stops_at_its_limit_and_keeps_the_text(server):
    visitor = Visitor(server, "127.0.0.3")
    form = _comment_form("throttle-form")
    statuses, refused = [], None
    for number in range(8):
        fields = {"body": f"意見その{number}です。", "submitter_kind": "citizen", "consent": "y"}
        answer = visitor.request("POST", form, {"csrf_token": visitor.token(form), **fields})
        statuses.append(answer.status)
        refused = answer if answer.status == 429 else refused
    assert statuses == [303] * 5 + [429] * 3
    assert "意見その7です。</textarea>" in refused.text, "the form comes back filled"
    assert int(refused.headers["Retry-After"]) > 0
    stored = server.scalar("SELECT count(*) FROM submissions WHERE consultation_id = :id", id=server.seeded["form"])
    assert stored == 5, "nothing stored beyond the limit"
    # Another address is not held back by this one.
    other = Visitor(server, "127.0.0.4")
    fields = {"body": "別の人の意見です。", "submitter_kind": "citizen", "consent": "y"}
    assert other.request("POST", form, {"csrf_token": other.token(form), **fields}).status == 303


def test_receipt_mails_to_one_recipient_stop_at_their_limit(server):
    form = _comment_form("throttle-receipts")
    victim = f"victim-{secrets.token_hex(3)}@example.jp"
    for number in range(5):
        visitor = Visitor(server, f"127.0.0.{10 + number}")  # five senders, so no per-address limit is near
        fields = {"body": f"意見{number}", "submitter_kind": "citizen", "consent": "y", "email": victim}
        assert visitor.request("POST", form, {"csrf_token": visitor.token(form), **fields}).status == 303
    consultation = server.seeded["receipts"]
    stored = server.scalar("SELECT count(*) FROM submissions WHERE consultation_id = :id", id=consultation)
    mailed = server.scalar(
        "SELECT count(*) FROM outbox_messages JOIN submissions ON submissions.id = outbox_messages.submission_id "
        "WHERE submissions.consultation_id = :id",
        id=consultation,
    )
    assert (stored, mailed) == (5, 3)
    # Redis counts the address under a keyed digest: the address itself is nowhere in it.
    keys = server.counter_keys()
    assert any("receipt-mail" in key for key in keys)
    assert not any("victim" in key or "example.jp" in key for key in keys)


def test_reset_links_to_one_account_stop_at_their_limit_behind_one_answer(server):
    visitor = Visitor(server, "127.0.0.5")
    answers = set()
    for _ in range(5):
        token = visitor.token("/auth/password-reset")
        answer = visitor.request(
            "POST", "/auth/password-reset", {"csrf_token": token, "email": server.seeded["member"]}
        )
        answers.add((answer.status, answer.headers["Location"]))
    assert len(answers) == 1 and next(iter(answers))[0] == 303
    # Only reset mails count: the seed's assignments notify the department's staff by mail too (the
    # addresses are sealed, so the subject tells them apart).
    reset_mails = server.scalar(
        "SELECT count(*) FROM outbox_messages WHERE submission_id IS NULL AND subject IN (:ja, :en)",
        ja="パスワードの再設定について",
        en="Resetting your password",
    )
    assert reset_mails == 2


def test_wrong_approval_passwords_and_failed_sign_ins_share_one_limit(server):
    approver = Visitor(server, "127.0.0.6")
    seeded = server.seeded
    assert (
        approver.sign_in(
            seeded["approver"], "correct-horse-battery-staple-42", totp_secret=seeded["approver_totp"]
        ).status
        == 303
    )
    page = f"/staff/items/{seeded['item']}/response"
    approve = f"{page}/approve"
    token = approver.token(page)
    statuses = [approver.request("POST", approve, {"csrf_token": token, "password": WRONG}).status for _ in range(20)]
    elsewhere = Visitor(server, "127.0.0.7")
    statuses += [elsewhere.sign_in(seeded["approver"], WRONG).status for _ in range(10)]
    assert statuses == [422] * 20 + [401] * 10
    assert (
        approver.request("POST", approve, {"csrf_token": token, "password": "correct-horse-battery-staple-42"}).status
        == 429
    )
    assert elsewhere.sign_in(seeded["approver"], "correct-horse-battery-staple-42").status == 429
    assert server.scalar("SELECT count(*) FROM audit_events WHERE action = 'response.approved'") == 0


def test_gunicorn_names_neither_itself_nor_its_version_and_refuses_other_hosts(server):
    """Issue 11, item 10: every response carried ``Server: gunicorn``; gunicorn.conf.py names the service
    instead. And item 2 in production's shape: a request for another Host is refused before any view."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", "/")
    response = connection.getresponse()
    response.read()
    assert response.getheader("Server") == "comments"
    connection.request("GET", "/auth/password-reset", headers={"Host": "evil.example"})
    refused = connection.getresponse()
    assert refused.status == 400
    assert "evil.example" not in refused.read().decode()
    connection.close()
