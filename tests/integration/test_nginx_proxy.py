"""The service behind nginx as deploy/nginx/comments.conf ships it (issue 13, items 1 and 6).

Debian's nginx runs the shipped file itself, with only its ports, certificate and paths replaced (each line the
test replaces must still be in the file, so an edit to them fails here), under a minimal main configuration in a
temporary directory, on free ports of 127.0.0.1, with a self-signed certificate. Behind it gunicorn runs
`wsgi:app` with ./gunicorn.conf.py, PROXY_FIX_X_FOR=1, FORCE_HTTPS and secure cookies, on a SQLite file migrated
by `flask db upgrade`.

Each client binds its own loopback address (Linux routes all of 127.0.0.0/8 to lo), so nginx sees distinct
clients: what the app records and counts must be that client, not nginx's 127.0.0.1 nor what the client wrote
in X-Forwarded-For. Without nginx the tests are skipped with a reason, or fail when ``REQUIRE_NGINX=1`` (CI).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import ssl
import struct
import subprocess
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import create_engine, text

from comments import create_app
from comments.extensions import db
from config import DevelopmentConfig
from tests import factories
from tests.conftest import csrf_token_from
from tests.web_server import ROOT, flask, free_port, gunicorn, service_environment, stop, wait_for

NGINX = Path(os.environ.get("NGINX", "/usr/sbin/nginx"))
SHIPPED = ROOT / "deploy" / "nginx" / "comments.conf"
MIME_TYPES = Path("/etc/nginx/mime.types")
MiB = 1024 * 1024
MAX_CONTENT_LENGTH = 21 * MiB  # config.py's default, which the tests' server keeps
ADMIN_EMAIL = "admin@example.jp"
ADMIN_PASSWORD = "correct-horse-battery-staple-42"
SLUG = "behind-the-proxy"

pytestmark = [pytest.mark.no_db_session, pytest.mark.database_independent]


def nginx_or_skip() -> None:
    """Skip without nginx, or fail when REQUIRE_NGINX=1 says it must be there."""
    if os.access(NGINX, os.X_OK) and MIME_TYPES.is_file():
        return
    reason = f"nginx not installed ({NGINX}, {MIME_TYPES}): apt-get install nginx"
    if os.environ.get("REQUIRE_NGINX") == "1":
        pytest.fail(f"REQUIRE_NGINX=1 but {reason}")
    pytest.skip(reason)


def render_shipped_conf(*, upstream: int, https: int, http: int, certificate: Path, key: Path, tmp: Path) -> str:
    """deploy/nginx/comments.conf with its host, ports and paths replaced by the test's, nothing else."""
    shipped = SHIPPED.read_text(encoding="utf-8")
    replacements = [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen [::]:80;", ""),
        ("/etc/letsencrypt/live/comments.city.example/fullchain.pem", str(certificate)),
        ("/etc/letsencrypt/live/comments.city.example/privkey.pem", str(key)),
        ("comments.city.example", "127.0.0.1"),
        ("/srv/comments/app/static/", f"{ROOT / 'static'}/"),
        ("/var/log/nginx/", f"{tmp}/"),
        ("/var/www/html", str(tmp / "acme")),
    ]
    for shipped_text, replacement in replacements:
        assert shipped_text in shipped, f"deploy/nginx/comments.conf no longer has {shipped_text!r}: update this test"
        shipped = shipped.replace(shipped_text, replacement)
    return shipped


def main_conf(tmp: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf gives the site, with every path in ``tmp``."""
    user = "user root root;\n" if os.geteuid() == 0 else ""  # pytest's temp tree is private to its owner
    temporary = "\n".join(
        f"    {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes 1;\npid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'} info;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n    include {MIME_TYPES};\n    default_type application/octet-stream;\n{temporary}\n"
        f"    include {tmp / 'comments.conf'};\n}}\n"
    )


def self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = tmp / "certificate.pem", tmp / "key.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certificate_path, key_path


@contextmanager
def nginx(tmp: Path, conf: str) -> Iterator[None]:
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "acme"):
        (tmp / kind).mkdir(exist_ok=True)
    (tmp / "comments.conf").write_text(conf, encoding="utf-8")
    (tmp / "nginx.conf").write_text(main_conf(tmp), encoding="utf-8")
    command = [str(NGINX), "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(tmp / "nginx.conf")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, f"nginx -t refused the shipped configuration:\n{checked.stderr}"
    with (tmp / "nginx.stderr").open("wb") as stderr:
        process = subprocess.Popen([*command, "-g", "daemon off;"], start_new_session=True, stderr=stderr)
    try:
        yield
    finally:
        stop(process)


@dataclass
class Stack:
    https: int
    http: int
    database_url: str
    certificate: Path
    nginx_log: Path
    acme: Path
    gunicorn_log: Path

    def client(self, address: str, *, lang: str | None = None) -> httpx.Client:
        """A browser on its own loopback address, verifying the test's certificate, keeping its cookies."""
        context = ssl.create_default_context(cafile=str(self.certificate))
        client = httpx.Client(
            base_url=f"https://127.0.0.1:{self.https}",
            transport=httpx.HTTPTransport(local_address=address, verify=context),
            timeout=60,
        )
        if lang:
            client.cookies.set("lang", lang, domain="127.0.0.1")
        return client

    def scalar(self, statement: str, **values):
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return connection.execute(text(statement), values).scalar()
        finally:
            engine.dispose()


def _seed(env: dict[str, str]) -> None:
    """The commands of deploy/README.md, then one open consultation written with the tests' factories."""
    flask(env, "db", "upgrade")
    flask(env, "users", "create-admin", "--email", ADMIN_EMAIL, "--name", "管理者", "--password", ADMIN_PASSWORD)
    instance = Path(env["INSTANCE_PATH"])
    app = create_app(
        DevelopmentConfig,
        SQLALCHEMY_DATABASE_URI=env["DATABASE_URL"],
        INSTANCE_PATH=instance,
        ATTACHMENT_STORAGE=instance / "attachments",
    )
    with app.app_context():
        factories.make_consultation(slug=SLUG)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    nginx_or_skip()
    tmp = tmp_path_factory.mktemp("nginx")
    https, http = free_port(), free_port()
    env = service_environment(
        tmp,
        WEB_CONCURRENCY=1,  # the limiter counts in this one process's memory here (Redis in production)
        PROXY_FIX_X_FOR=1,
        FORCE_HTTPS=1,
        SESSION_COOKIE_SECURE=1,
        TRUSTED_HOSTS="127.0.0.1",
        PUBLIC_BASE_URL="https://comments.city.example",
        LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE=3,
    )
    _seed(env)
    certificate, key = self_signed(tmp)
    gunicorn_log = tmp / "gunicorn.log"
    with gunicorn(env, log=gunicorn_log) as server:
        conf = render_shipped_conf(
            upstream=server.port, https=https, http=http, certificate=certificate, key=key, tmp=tmp
        )
        with nginx(tmp, conf):
            stack = Stack(
                https=https,
                http=http,
                database_url=env["DATABASE_URL"],
                certificate=certificate,
                nginx_log=tmp / "comments.access.log",
                acme=tmp / "acme",
                gunicorn_log=gunicorn_log,
            )
            wait_for(lambda: _answers(stack), "nginx answering on its TLS port")
            yield stack


def _answers(stack: Stack) -> bool:
    try:
        with stack.client("127.0.0.1") as client:
            return client.get("/static/style.css").status_code == 200
    except httpx.TransportError:
        return False


def _form(slug: str = SLUG) -> str:
    return f"/consultations/{slug}/comment"


def _token(client: httpx.Client, page: str) -> tuple[str, dict]:
    """The page's CSRF token, and the Referer a browser sends with the form (the CSRF check wants it on https)."""
    answer = client.get(page)
    assert answer.status_code == 200, answer.text[:500]
    return csrf_token_from(answer.text), {"Referer": str(answer.url)}


def _sign_in(client: httpx.Client, email: str, password: str, **headers) -> httpx.Response:
    token, referer = _token(client, "/auth/login")
    fields = {"csrf_token": token, "email": email, "password": password}
    return client.post("/auth/login", data=fields, headers={**referer, **headers})


def _comment(client: httpx.Client, files: list[tuple[str, bytes]], *, body_bytes: int | None = None) -> httpx.Response:
    """Send the comment form with ``files``; with ``body_bytes``, the one file is grown so that the whole request
    body is exactly that long."""
    token, referer = _token(client, _form())
    fields = {
        "csrf_token": token,
        "body": "添付資料のとおり意見を提出します。",
        "submitter_kind": "citizen",
        "consent": "y",
    }

    def request(files):
        uploads = [("attachments", (name, data, "application/octet-stream")) for name, data in files]
        return client.build_request("POST", _form(), data=fields, files=uploads, headers=referer)

    built = request(files)
    if body_bytes is not None:
        [(name, data)] = files
        built = request([(name, data + b"0" * (body_bytes - int(built.headers["Content-Length"])))])
        assert int(built.headers["Content-Length"]) == body_bytes
    return client.send(built)


def png_of(size: int) -> bytes:
    """A valid 1×1 PNG of exactly ``size`` bytes: the picture, then a private ancillary chunk of filler."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    head = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    head += chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    end = chunk(b"IEND", b"")
    return head + chunk(b"prVt", os.urandom(size - len(head) - len(end) - 12)) + end


def _submissions(stack: Stack) -> int:
    return stack.scalar(
        "SELECT count(*) FROM submissions JOIN consultations ON consultations.id = submissions.consultation_id "
        "WHERE consultations.slug = :slug",
        slug=SLUG,
    )


def test_the_audit_trail_records_the_client_not_the_proxy_nor_what_the_client_wrote(stack):
    with stack.client("127.0.0.4") as client:
        answer = _sign_in(
            client,
            "nobody@example.jp",
            "not-the-password-at-all",
            **{"X-Forwarded-For": "203.0.113.9", "X-Request-Id": "chosen-by-the-client"},
        )
    assert answer.status_code == 401
    request_id = answer.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id), "nginx's $request_id, not the client's"
    where = stack.scalar(
        "SELECT ip FROM audit_events WHERE action = 'login.failed' AND request_id = :id", id=request_id
    )
    assert where == "127.0.0.4"


def test_the_sign_in_limit_counts_each_client_apart(stack):
    statuses = []
    with stack.client("127.0.0.2") as client:
        token, referer = _token(client, "/auth/login")
        fields = {"csrf_token": token, "email": "somebody@example.jp", "password": "not-the-password-at-all"}
        # The limit is 3 a minute in fixed windows: one boundary crossed lets three more through, never more.
        while 429 not in statuses and len(statuses) < 8:
            statuses.append(client.post("/auth/login", data=fields, headers=referer).status_code)
    assert statuses[:3] == [401, 401, 401]
    assert statuses[-1] == 429
    with stack.client("127.0.0.3") as client:
        signed_in = _sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert signed_in.status_code == 303
        assert signed_in.headers["Location"].endswith("/auth/second-factor/setup")
        assert client.get("/auth/second-factor/setup").status_code == 200


def test_https_is_known_behind_the_proxy_and_plain_http_leads_to_it(stack):
    """ProxyFix's x_proto: the app knows the request was https. Flask-WTF then holds a form to the https rule
    (the Referer must be this site), which it would skip for a request it took for plain http."""
    with stack.client("127.0.0.5") as client:
        page = client.get("/")
        token, referer = _token(client, "/auth/login")
        fields = {"csrf_token": token, "email": "somebody@example.jp", "password": "not-the-password-at-all"}
        without_referer = client.post("/auth/login", data=fields)
        from_elsewhere = client.post("/auth/login", data=fields, headers={"Referer": "https://evil.example/"})
        with_referer = client.post("/auth/login", data=fields, headers=referer)
    assert page.status_code == 200, "no redirect to https"
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert (without_referer.status_code, from_elsewhere.status_code, with_referer.status_code) == (400, 400, 401)
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.5")) as plain:
        redirected = plain.get(f"http://127.0.0.1:{stack.http}/consultations?page=2")
    assert redirected.status_code == 301
    assert redirected.headers["Location"] == "https://127.0.0.1/consultations?page=2"


def test_plain_http_answers_certbots_challenge_from_its_folder(stack):
    challenge = stack.acme / ".well-known" / "acme-challenge" / "token-123"
    challenge.parent.mkdir(parents=True, exist_ok=True)
    challenge.write_text("token-123.key", encoding="ascii")
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.5")) as plain:
        answer = plain.get(f"http://127.0.0.1:{stack.http}/.well-known/acme-challenge/token-123")
    assert (answer.status_code, answer.text) == (200, "token-123.key")


def test_the_link_in_a_mail_is_built_on_the_public_address_never_on_a_header(stack):
    """nginx passes the Host the browser asked for and no X-Forwarded-Host; the app reads neither for a link."""
    with stack.client("127.0.0.10") as client:
        token, referer = _token(client, "/auth/password-reset")
        answer = client.post(
            "/auth/password-reset",
            data={"csrf_token": token, "email": ADMIN_EMAIL},
            headers={**referer, "X-Forwarded-Host": "evil.example"},
        )
    assert answer.status_code == 303
    mail = stack.scalar("SELECT body_text FROM outbox_messages WHERE submission_id IS NULL ORDER BY id DESC LIMIT 1")
    assert "https://comments.city.example/auth/password-reset/" in mail
    assert "evil.example" not in mail and "127.0.0.1" not in mail


def test_a_twenty_megabyte_upload_reaches_the_app_and_is_kept(stack):
    files = [("資料1.png", png_of(10 * MiB - 4096)), ("資料2.png", png_of(10 * MiB - 4096))]
    before = _submissions(stack)
    with stack.client("127.0.0.6") as client:
        answer = _comment(client, files)
        assert answer.status_code == 303, answer.text[-2000:]
        assert client.get(answer.headers["Location"]).status_code == 200
    assert _submissions(stack) == before + 1
    sizes = stack.scalar("SELECT sum(size) FROM attachments WHERE submission_id = (SELECT max(id) FROM submissions)")
    assert sizes == sum(len(data) for _name, data in files)


def test_every_body_under_the_apps_limit_passes_the_proxy(stack):
    """nginx's client_max_body_size is the app's MAX_CONTENT_LENGTH: a body one byte under it reaches the app,
    which reads it and refuses the file it holds (over 10 MB) on its form, not with a 413."""
    with stack.client("127.0.0.7") as client:
        answer = _comment(client, [("大きな資料.pdf", b"%PDF-1.4\n")], body_bytes=MAX_CONTENT_LENGTH - 1)
    assert answer.status_code == 422
    assert "「大きな資料.pdf」は10 MBを超えています" in answer.text


def test_a_body_of_exactly_the_limit_gets_the_services_page_not_a_proxy_error(stack):
    """nginx lets it through; the app (werkzeug reading from gunicorn) reads it all and refuses it."""
    with stack.client("127.0.0.7") as client:
        answer = _comment(client, [("大きな資料.pdf", b"%PDF-1.4\n")], body_bytes=MAX_CONTENT_LENGTH)
    assert answer.status_code == 413
    assert "<h1>送信できるサイズを超えています</h1>" in answer.text


@pytest.mark.parametrize(
    ("body_bytes", "lang", "title", "limit"),
    [
        (MAX_CONTENT_LENGTH + 1, None, "送信できるサイズを超えています", "送信された内容が合計21 MBを超えています"),
        (30 * MiB, None, "送信できるサイズを超えています", "送信された内容が合計21 MBを超えています"),
        (30 * MiB, "en", "Too large to accept", "What you sent is larger than 21 MB in all"),
    ],
    ids=["one-byte-over", "thirty-megabytes", "in-english"],
)
def test_a_body_over_the_limit_gets_the_services_own_page_from_the_proxy(stack, body_bytes, lang, title, limit):
    """nginx stops the body (error_page 413) and answers with the app's page, in the visitor's language."""
    before = _submissions(stack)
    with stack.client("127.0.0.7", lang=lang) as client:
        answer = _comment(client, [("大きな資料.pdf", b"%PDF-1.4\n")], body_bytes=body_bytes)
    assert answer.status_code == 413
    assert f"<h1>{title}</h1>" in answer.text
    assert limit in answer.text
    assert "nginx" not in answer.text and "Request Entity Too Large" not in answer.text, "not the proxy's page"
    assert answer.headers["Cache-Control"] == "no-store"
    assert _submissions(stack) == before
    # The body never reached gunicorn: only nginx's GET of the page did.
    assert '"GET /errors/too-large HTTP/1.0" 413' in _read_when_written(stack.gunicorn_log, until="/errors/too-large")


def test_static_files_come_from_nginx_with_caching_and_metrics_not_at_all(stack):
    with stack.client("127.0.0.8") as client:
        style = client.get("/static/style.css")
        metrics = [client.get(path).status_code for path in ("/metrics", "/metrics/", "/%6Detrics", "/readyz")]
        health = client.get("/healthz")
    assert style.status_code == 200
    assert style.headers["Content-Type"].startswith("text/css")
    assert style.headers["Cache-Control"] == "max-age=3600"
    assert style.headers["X-Content-Type-Options"] == "nosniff"
    assert style.content == (ROOT / "static" / "style.css").read_bytes()
    assert metrics == [404, 404, 404, 404]
    assert (health.status_code, health.text.strip()) == (200, "ok")
    # gunicorn saw neither: nginx answered both itself.
    served = _read_when_written(stack.gunicorn_log)
    assert "/static/" not in served
    assert "/metrics" not in served and "etrics" not in served and "/readyz" not in served


def test_neither_access_log_keeps_a_query_string_or_a_reset_token(stack):
    secret_query = "q=SECRET-QUERY-%E5%B1%B1%E7%94%B0"
    with stack.client("127.0.0.9") as client:
        referer = {"Referer": f"https://127.0.0.1:{stack.https}/auth/password-reset/SECRET-TOKEN-1?{secret_query}"}
        client.get(f"/auth/password-reset/SECRET-TOKEN-2?{secret_query}", headers=referer)
        client.get(f"/consultations?{secret_query}", headers={"Referer": f"https://127.0.0.1:{stack.https}/?next=x"})
    request_ids = []
    for log in (stack.nginx_log, stack.gunicorn_log):
        # nginx's line starts with the address; gunicorn's (LOG_FORMAT=text) with the time, level and request id.
        # Wait for this client's own two lines: other tests' requests for /consultations may be there already.
        def from_client(text: str) -> list[str]:
            return [line for line in text.splitlines() if f" {line}".count(" 127.0.0.9 - ")]

        wait_for(
            lambda log=log: log.exists() and len(from_client(log.read_text(errors="replace"))) >= 2,
            f"{log.name} to have both requests of 127.0.0.9",
        )
        written = log.read_text(errors="replace")
        mine = from_client(written)
        assert len(mine) == 2, f"{log.name}: both requests, from the client's own address:\n{written}"
        assert "SECRET" not in written and "%E5" not in written, log.name
        assert '"GET /auth/password-reset/[token] HTTP/1.' in mine[0], log.name
        assert f"https://127.0.0.1:{stack.https}/auth/password-reset/[token]" in mine[0], log.name
        assert '"GET /consultations HTTP/1.' in mine[1], log.name
        request_ids.append([re.findall(r"\b[0-9a-f]{32}\b", line) for line in mine])
    # The same request ids in both logs (nginx's $request_id): each request followed from nginx to the app.
    assert request_ids[0] == request_ids[1]
    assert all(len(ids) == 1 for ids in request_ids[0])


def _read_when_written(log: Path, until: str | None = None) -> str:
    """The log's text; nginx and gunicorn write a line after the answer is sent, so wait for ``until``."""
    if until is not None:
        wait_for(lambda: log.exists() and until in log.read_text(errors="replace"), f"{log.name} to have {until!r}")
    return log.read_text(errors="replace")
