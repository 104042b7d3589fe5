"""Several nodes, one service (issue 13, item 3): two gunicorn nodes of the app, each with local folders of its own
(INSTANCE_PATH, ATTACHMENT_STORAGE), share what the servers of one deployment share: one PostgreSQL database
(fresh, migrated as `flask db upgrade` migrates it), one S3 bucket (moto's server, BLOB_STORAGE=s3), one Redis
for the limits (under a key prefix of this module's own), and the keys (SECRET_KEY, CONTACT_DATA_KEYS), which
production requires in the environment.

The nodes run production's settings (COMMENTS_ENV=production: its checks, FORCE_HTTPS, Secure cookies,
TRUSTED_HOSTS) as they run behind nginx: every request carries what nginx adds (X-Forwarded-Proto: https and the
client's address in X-Forwarded-For, read with PROXY_FIX_X_FOR=1) and the public Host. A ``Browser`` is one person
with one set of cookies who may reach either node, as behind a load balancer; each has an address of its own, so
the per-address limits of one test never touch another's.

Shown: a file sent to node A is downloaded from node B (it is in the bucket, in neither node's folder); failed
sign-ins on A and B count against one limit; two `flask worker` processes side by side (one with each node's
environment) deliver each receipt mail exactly once over a real SMTP server, index each submission exactly once,
and seal one audit chain that `flask audit verify` finds intact.

On PostgreSQL only: on the SQLite pass the tests are skipped with the reason (SQLite is a file on one host, which
a second node cannot share); `make test`'s PostgreSQL pass runs them, where CI's REQUIRE_POSTGRES=1 and
REQUIRE_REDIS=1 make a missing server an error, not a skip.
"""

from __future__ import annotations

import asyncio
import email
import hashlib
import json
import os
import secrets
import signal
import struct
import subprocess
import sys
import zlib
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from pathlib import Path

import httpx
import pyotp
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, create_engine, text

from tests import dbutil
from tests.conftest import csrf_token_from
from tests.factories import DEFAULT_PASSWORD
from tests.integration.test_throttles import REDIS_URL, redis_unreachable_reason
from tests.s3_server import MotoServer, S3Bucket
from tests.web_server import (
    BIN,
    ROOT,
    STOP_TIMEOUT_SECONDS,
    Gunicorn,
    flask,
    free_port,
    service_environment,
    wait_for,
    wait_until_it_answers,
)

pytestmark = [
    pytest.mark.no_db_session,
    pytest.mark.skipif(
        dbutil.backend() != "postgresql",
        reason="several nodes share one database server: SQLite is a file on one host, so this runs on the "
        "PostgreSQL pass (TEST_DATABASE=postgresql)",
    ),
]

# The public name of the service: nginx passes it as Host to every node (TRUSTED_HOSTS, PUBLIC_BASE_URL).
HOST = "comments.city.example"
SLUG = "two-nodes"
STAFF_EMAIL = "staff@example.jp"
LIMITED_EMAIL = "limited@example.jp"
WRONG = "not-the-password-at-all"
LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE = 4
RECEIPTS = 60
# The keys every node of one deployment shares (production refuses to start without them); test-only values.
SECRET_KEY = "two-nodes-test-only-secret-key-" + "x" * 32
CONTACT_DATA_KEYS = "two:dHdvLW5vZGVzLXRlc3Qtb25seS1rZXktbm90LXByb2Q"


def png(payload: bytes) -> bytes:
    """A valid PNG of one pixel, with ``payload`` in a text chunk so that each test's file is its own."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Comment\x00" + payload)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def seed() -> None:
    """Run in a child process with a node's environment (no app is built in the test process, so the suite's
    limiter and factories stay as they are): migrate the fresh database, then write the consultation and two
    staff accounts with their second factor; the staff's TOTP secret is printed as JSON on the last line."""
    from flask_migrate import upgrade

    from comments import create_app
    from comments.extensions import db
    from comments.permissions import Role
    from tests import factories

    app = create_app()
    with app.app_context():
        upgrade()  # what `flask db upgrade` runs, here without a second start of the app
        factories.make_consultation(slug=SLUG)
        staff = factories.make_user(Role.secretariat, email=STAFF_EMAIL)
        factories.make_user(Role.secretariat, email=LIMITED_EMAIL)
        db.session.commit()
        print(json.dumps({"staff_totp": staff.totp_secret}))


def logged_errors(log: str) -> list[str]:
    """The lines of a log that tell of an error (a traceback, a failed job, a blob not found, a UniqueViolation)."""
    return [line for line in log.splitlines() if any(word in line for word in ("Traceback", "ERROR", "Error:"))]


@dataclass
class Cluster:
    nodes: tuple[Gunicorn, Gunicorn]
    envs: tuple[dict[str, str], dict[str, str]]
    bucket: S3Bucket
    seeded: dict
    tmp: Path
    engine: Engine = field(repr=False)

    def rows(self, statement: str, **values) -> list:
        with self.engine.connect() as connection:
            return connection.execute(text(statement), values).all()

    def scalar(self, statement: str, **values):
        with self.engine.connect() as connection:
            return connection.execute(text(statement), values).scalar_one()

    def stored_files(self) -> list[Path]:
        """Every file in either node's local attachment folder."""
        return [
            path
            for env in self.envs
            if Path(env["ATTACHMENT_STORAGE"]).exists()
            for path in Path(env["ATTACHMENT_STORAGE"]).rglob("*")
            if path.is_file()
        ]

    def assert_no_errors_logged(self) -> None:
        """Neither node logged an error (a blob it could not find, a UniqueViolation, ...)."""
        for node in self.nodes:
            logged = node.output()
            assert not logged_errors(logged), logged[-5000:]


class Browser:
    """One person at ``address`` reaching whichever node the load balancer picks: each request goes to the node
    it names, with the headers nginx adds. The browser's side is https, so the session cookie is Secure; nginx
    hands it on over the plain HTTP of the host, so the browser's cookies are kept here (httpx's jar would keep
    a Secure cookie from an http:// address to itself)."""

    def __init__(self, address: str):
        self.address = address
        self.cookies: dict[str, str] = {}
        self.client = httpx.Client(
            headers={"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": address},
            timeout=30,
            trust_env=False,  # 127.0.0.1 only, never through a proxy of the environment
        )

    def close(self) -> None:
        self.client.close()

    def request(self, node: Gunicorn, method: str, path: str, *, headers=None, **kwargs) -> httpx.Response:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        response = self.client.request(method, f"http://127.0.0.1:{node.port}{path}", headers=headers, **kwargs)
        self.client.cookies.clear()
        for cookie in response.headers.get_list("set-cookie"):
            name, _, value = cookie.split(";", 1)[0].strip().partition("=")
            gone = "max-age=0" in cookie.lower() or "expires=thu, 01 jan 1970" in cookie.lower()
            if gone:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def get(self, node: Gunicorn, path: str) -> httpx.Response:
        return self.request(node, "GET", path)

    def post(self, node: Gunicorn, path: str, **kwargs) -> httpx.Response:
        """A form sent from the page at ``path`` (the CSRF check wants the Referer of the https page)."""
        return self.request(node, "POST", path, headers={"Referer": f"https://{HOST}{path}"}, **kwargs)

    def token(self, node: Gunicorn, path: str) -> str:
        page = self.get(node, path)
        assert page.status_code == 200, page.text[:500]
        return csrf_token_from(page.text)

    def comment(self, node: Gunicorn, *, body: str, files=(), **fields) -> httpx.Response:
        path = f"/consultations/{SLUG}/comment"
        data = {"csrf_token": self.token(node, path), "body": body, "submitter_kind": "citizen", "consent": "y"}
        data.update(fields)
        attachments = [("attachments", (name, content, "application/octet-stream")) for name, content in files]
        return self.post(node, path, data=data, files=attachments or None)

    def password(self, node: Gunicorn, email_address: str, password: str) -> httpx.Response:
        token = self.token(node, "/auth/login")
        return self.post(node, "/auth/login", data={"csrf_token": token, "email": email_address, "password": password})

    def second_factor(self, node: Gunicorn, totp_secret: str) -> httpx.Response:
        token = self.token(node, "/auth/second-factor")
        code = pyotp.TOTP(totp_secret).now()
        return self.post(node, "/auth/second-factor", data={"csrf_token": token, "code": code})


@pytest.fixture(scope="module")
def redis_url() -> str:
    reason = redis_unreachable_reason()
    if reason is not None:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"REQUIRE_REDIS=1 but {reason}")
        pytest.skip(reason)
    return REDIS_URL


def _forget_counters(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)


def start_node(env: dict[str, str], log: Path) -> Gunicorn:
    """``gunicorn wsgi:app`` from the project folder, as tests/web_server.py's ``gunicorn`` starts it, without
    waiting for it to answer (so that two nodes boot at once)."""
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{free_port()}"}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Gunicorn(process, int(env["GUNICORN_BIND"].rsplit(":", 1)[1]), log)


def stop_all(processes: list[subprocess.Popen]) -> None:
    """TERM every process group at once, then wait for each (KILL one that lingers): one stop's wait at a time
    would add them up."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _seed(env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", "from tests.integration.test_two_nodes import seed; seed()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"seeding exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def cluster(redis_url, moto_server: MotoServer, tmp_path_factory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("two-nodes")
    prefix = f"test-two-nodes-{secrets.token_hex(4)}"  # this module's counters only, in a Redis others share
    with ExitStack() as cleanup:
        database_url = dbutil.create_database(tmp, "two_nodes")
        cleanup.callback(dbutil.drop_database, database_url)
        bucket = moto_server.new_bucket()
        cleanup.callback(bucket.delete)
        cleanup.callback(_forget_counters, redis_url, prefix)
        shared = {
            "COMMENTS_ENV": "production",
            "DATABASE_URL": database_url,
            **bucket.settings(),
            "RATELIMIT_STORAGE_URI": redis_url,
            "RATELIMIT_KEY_PREFIX": prefix,
            "SECRET_KEY": SECRET_KEY,
            "CONTACT_DATA_KEYS": CONTACT_DATA_KEYS,
            # Behind nginx (deploy/nginx/comments.conf): it terminates TLS and appends the client's address.
            "PROXY_FIX_X_FOR": 1,
            "TRUSTED_HOSTS": HOST,
            "PUBLIC_BASE_URL": f"https://{HOST}",
            "MAIL_TRUSTED_AUTHSERV_ID": "mx.city.example",
            "LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE": LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE,
            "WEB_CONCURRENCY": 1,  # one worker a node: whatever one node counts on its own shows
        }
        # service_environment gives each node its own instance folder (and attachment folder) under its tmp.
        envs = (service_environment(tmp / "a", **shared), service_environment(tmp / "b", **shared))
        assert envs[0]["ATTACHMENT_STORAGE"] != envs[1]["ATTACHMENT_STORAGE"]
        # Both nodes boot (the slow part: each gunicorn worker imports the app) while the database is migrated
        # and seeded; neither is asked anything before that is done.
        nodes = tuple(start_node(env, tmp / f"{name}.log") for env, name in zip(envs, "ab", strict=True))
        cleanup.callback(stop_all, [node.process for node in nodes])
        seeded = _seed(envs[0])
        for node in nodes:
            wait_until_it_answers(node.process, node.port, node.log)
        engine = create_engine(database_url)
        cleanup.callback(engine.dispose)
        yield Cluster(
            nodes=nodes,
            envs=envs,
            bucket=bucket,
            seeded=seeded,
            tmp=tmp,
            engine=engine,
        )


@pytest.fixture
def browsers() -> Iterator[callable]:
    """``browsers(address)`` opens a Browser; all are closed when the test ends."""
    opened: list[Browser] = []

    def open_browser(address: str) -> Browser:
        opened.append(Browser(address))
        return opened[-1]

    yield open_browser
    for browser in opened:
        browser.close()


def test_a_file_sent_to_one_node_is_downloaded_from_the_other(cluster, browsers):
    node_a, node_b = cluster.nodes
    picture = png(secrets.token_hex(64).encode())
    digest = hashlib.sha256(picture).hexdigest()

    citizen = browsers("198.51.100.7")
    sent = citizen.comment(node_a, body="添付の図のとおりです。", files=[("意見の図.png", picture)])
    assert sent.status_code == 303, sent.text[:2000]
    receipt = sent.headers["Location"].rsplit("/", 1)[-1]

    assert f"{cluster.bucket.prefix}{digest[:2]}/{digest}" in cluster.bucket.object_keys(), "kept in the bucket"
    assert cluster.stored_files() == [], "in neither node's own folder"
    [(submission_id, position, stored_digest)] = cluster.rows(
        "SELECT submissions.id, attachments.position, attachments.sha256 FROM attachments"
        " JOIN submissions ON submissions.id = attachments.submission_id WHERE submissions.receipt_number = :r",
        r=receipt,
    )
    assert stored_digest == digest

    # The citizen's own copy from the receipt page, through node B: the session node A started is B's too.
    own_copy = citizen.get(node_b, f"/receipts/{receipt}/attachments/{position}")
    assert own_copy.status_code == 200
    assert own_copy.content == picture

    staff = browsers("198.51.100.8")
    first = staff.password(node_b, STAFF_EMAIL, DEFAULT_PASSWORD)
    assert first.status_code == 303 and first.headers["Location"].endswith("/auth/second-factor"), first.text[:500]
    signed_in = staff.second_factor(node_b, cluster.seeded["staff_totp"])
    assert signed_in.status_code == 303, signed_in.text[:500]
    for node in (node_b, node_a):  # the staff session (a row of the shared database) holds on both nodes
        download = staff.get(node, f"/staff/submissions/{submission_id}/attachments/{position}")
        assert download.status_code == 200, download.text[:500]
        assert download.content == picture
        assert download.headers["Content-Disposition"].startswith("attachment")
    cluster.assert_no_errors_logged()


def test_failed_sign_ins_on_both_nodes_count_against_one_limit(cluster, browsers):
    node_a, node_b = cluster.nodes
    visitor = browsers("198.51.100.20")
    failed = [visitor.password(node, LIMITED_EMAIL, WRONG).status_code for node in (node_a, node_b, node_a, node_b)]
    assert failed == [401] * LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE
    for node in (node_a, node_b):  # the next attempt, on either node, is refused before the password is read
        refused = visitor.password(node, LIMITED_EMAIL, DEFAULT_PASSWORD)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
    # The count is the address's alone: another address signs in with the right password.
    other = browsers("198.51.100.21")
    assert other.password(node_b, LIMITED_EMAIL, DEFAULT_PASSWORD).status_code == 303
    cluster.assert_no_errors_logged()


class Mailbox:
    """An aiosmtpd handler keeping every message with the number of the SMTP connection that brought it. The first
    message waits (at most ``hold_seconds``) until a second connection has named a sender: one worker sends a
    batch over one connection, so that second connection can only be the other worker's, and ``overlapped``
    says the two sent at the same time rather than one after the other."""

    def __init__(self, hold_seconds: float = 20):
        self.hold_seconds = hold_seconds
        self.sessions: list[object] = []
        self.overlapped = False
        self.received: list[tuple[int, email.message.Message, list[str]]] = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if not any(seen is session for seen in self.sessions):
            self.sessions.append(session)
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.hold_seconds
        while not self.received and len(self.sessions) < 2 and loop.time() < deadline:
            await asyncio.sleep(0.02)
        self.overlapped = self.overlapped or len(self.sessions) >= 2
        number = next(index for index, seen in enumerate(self.sessions) if seen is session)
        self.received.append((number, email.message_from_bytes(envelope.content), list(envelope.rcpt_tos)))
        return "250 OK"


def _subject(message: email.message.Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def test_two_workers_side_by_side_mail_and_index_each_submission_once(cluster):
    """Two `flask worker` processes, one with each node's environment, run while 60 citizens send the form to
    the two nodes, each asking for a receipt mail; then every mail, index row and seal is checked."""
    nodes = cluster.nodes

    def send(number: int) -> tuple[str, str]:
        browser = Browser(f"203.0.113.{number + 1}")  # citizens of their own addresses: no limit is near
        try:
            recipient = f"citizen{number}@example.jp"
            answer = browser.comment(
                nodes[number % 2], body=f"第{number}の意見です。保存期間について。", email=recipient
            )
            assert answer.status_code == 303, answer.text[:1000]
            return recipient, answer.headers["Location"].rsplit("/", 1)[-1]
        finally:
            browser.close()

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    workers: list[subprocess.Popen] = []
    logs = [cluster.tmp / f"worker-{name}.log" for name in ("a", "b")]
    try:
        for env, log in zip(cluster.envs, logs, strict=True):
            worker_env = {**env, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(controller.port)}
            with log.open("wb") as output:
                workers.append(
                    subprocess.Popen(
                        [str(BIN / "flask"), "--app", "wsgi", "worker", "--interval", "0.2"],
                        cwd=ROOT,
                        env=worker_env,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        with ThreadPoolExecutor(max_workers=6) as pool:
            receipts = dict(pool.map(send, range(RECEIPTS)))

        def caught_up() -> bool:
            assert all(worker.poll() is None for worker in workers), "a worker stopped"
            return (
                len(mailbox.received) >= RECEIPTS
                and cluster.scalar("SELECT count(*) FROM outbox_messages WHERE status <> 'sent'") == 0
                and cluster.scalar(
                    "SELECT count(*) FROM submissions WHERE id NOT IN (SELECT submission_id FROM submission_search)"
                )
                == 0
                and cluster.scalar("SELECT count(*) FROM audit_events WHERE seq IS NULL") == 0
            )

        wait_for(caught_up, "the two workers sending, indexing and sealing everything", seconds=60)
    finally:
        stop_all(workers)
        controller.stop()
    output = "\n".join(log.read_text(errors="replace") for log in logs)
    assert not logged_errors(output), output[-5000:]

    # Each receipt mail delivered exactly once, to its citizen, with its own Message-ID, by one of two
    # connections that were open at the same time.
    recipients = Counter(address for _number, _message, rcpt_tos in mailbox.received for address in rcpt_tos)
    assert recipients == dict.fromkeys(receipts, 1)
    message_ids = [message["Message-ID"] for _number, message, _rcpt in mailbox.received]
    assert len(message_ids) == len(set(message_ids)) == RECEIPTS
    assert set(message_ids) == {row[0] for row in cluster.rows("SELECT message_id FROM outbox_messages")}
    for _number, message, [recipient] in mailbox.received:
        assert receipts[recipient] in _subject(message), "the receipt of the citizen it went to"
    assert mailbox.overlapped, "the two workers sent at the same time, over two connections"
    assert len({number for number, _message, _rcpt in mailbox.received}) >= 2

    # Each submission indexed exactly once.
    indexed = cluster.rows(
        "SELECT submissions.id, count(submission_search.submission_id) FROM submissions"
        " LEFT JOIN submission_search ON submission_search.submission_id = submissions.id GROUP BY submissions.id"
    )
    assert len(indexed) >= RECEIPTS
    assert {count for _id, count in indexed} == {1}

    # The audit trail both workers sealed is one unbroken chain.
    verified = flask(cluster.envs[1], "audit", "verify")
    assert "chain intact" in verified.stdout, verified.stdout
    assert "unsealed 0" in verified.stdout, verified.stdout
    cluster.assert_no_errors_logged()
