"""A throwaway Dovecot IMAP server for the integration tests, started from Debian's dovecot-imapd.

Everything lives in one temporary directory: the configuration, a self-signed CA and the server's
certificate (made with the ``openssl`` command line), the passwd-files, the maildirs, the log and
Dovecot's runtime directory; nothing under /etc/dovecot is read. The server listens on 127.0.0.1 only,
on a free port for plain IMAP (with STARTTLS) and another for implicit TLS. It runs in the foreground
as a child of the test process (``dovecot -F``), so stopping it is a SIGTERM to that child, whose
master stops and reaps its own children.

Stopping Dovecot takes about a second, so one server serves the whole session and every test gets
its own account on it: a passwd-file with one user and a plaintext password, and an empty maildir.

Without Dovecot the tests are skipped with a reason, or fail when ``REQUIRE_IMAP=1`` (CI).

Running as root (CI) needs what Dovecot insists on: the login processes run as an unprivileged user
(``dovenull``, else ``nobody``) chrooted into the runtime directory; mail is never accessed as root,
so the accounts' mail belongs to ``nobody``, and because pytest's temporary tree is private to root
(mode 0700) the mail process chroots into the account's home before dropping to that user (the
"/./" in the home field); the internal processes, among them auth reading the passwd-files, stay
root. As an ordinary user, every process simply runs as that user.
"""

from __future__ import annotations

import email
import grp
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from imapclient import IMAPClient

from comments.ingestion.mail.imap import ImapSettings

DOVECOT = "/usr/sbin/dovecot"
MISSING_DOVECOT = "dovecot not installed: apt-get install dovecot-imapd"
HOST = "127.0.0.1"
USERNAME = "committee"
PASSWORD = "intake-secret"
# Dovecot refuses mail access as root; as root the test accounts' mail belongs to this user.
MAIL_USER_AS_ROOT = "nobody"
START_TIMEOUT_SECONDS = 10
STOP_TIMEOUT_SECONDS = 10
# The post-login capabilities a server "without" MOVE or UIDPLUS announces instead of Dovecot's own.
BASIC_CAPABILITIES = ("IMAP4rev1", "SASL-IR", "LOGIN-REFERRALS", "ID", "ENABLE", "IDLE", "LITERAL+", "NAMESPACE")


def imap_required() -> bool:
    return os.environ.get("REQUIRE_IMAP") == "1"


def require_tools() -> None:
    """Skip (or fail under REQUIRE_IMAP=1) when Dovecot or openssl is missing."""
    reason = None
    if not os.access(DOVECOT, os.X_OK):
        reason = MISSING_DOVECOT
    elif shutil.which("openssl") is None:
        reason = "openssl not installed: apt-get install openssl"
    if reason is None:
        return
    if imap_required():
        pytest.fail(f"REQUIRE_IMAP=1 but {reason}")
    pytest.skip(reason)


@dataclass(frozen=True)
class StoredMessage:
    uid: int
    message_id: str
    flags: tuple[bytes, ...]
    raw: bytes


@dataclass
class DovecotServer:
    """One running Dovecot; every test gets its own account on it (``add_account``)."""

    directory: Path
    plain_port: int
    tls_port: int
    ca_file: Path
    accounts: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def log_file(self) -> Path:
        return self.directory / "dovecot.log"

    def add_account(self) -> ImapAccount:
        """A new user with an empty mailbox."""
        self.accounts += 1
        username = f"{USERNAME}{self.accounts}"
        home = self.directory / "mail" / username
        home.mkdir()
        if os.geteuid() == 0:
            owner = pwd.getpwnam(MAIL_USER_AS_ROOT)
            os.chown(home, owner.pw_uid, owner.pw_gid)
            home_field = f"{home}/./"  # "/./": the mail process chroots into the home, see the module docstring
        else:
            owner = pwd.getpwuid(os.getuid())
            home_field = str(home)
        # One passwd-file per user: Dovecot notices a changed file only once a second, a new one at once.
        passwd = self.directory / "users" / f"{username}.passwd"
        passwd.write_text(f"{username}:{{PLAIN}}{PASSWORD}:{owner.pw_uid}:{owner.pw_gid}::{home_field}::\n")
        return ImapAccount(server=self, username=username, password=PASSWORD)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_file.exists():
            return "(no log)"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])


@dataclass(frozen=True)
class ImapAccount:
    """A user's mailbox on the test server, with what a test needs to fill it and look into it."""

    server: DovecotServer
    username: str
    password: str
    host: str = HOST

    @property
    def plain_port(self) -> int:
        return self.server.plain_port

    @property
    def tls_port(self) -> int:
        return self.server.tls_port

    @property
    def ca_file(self) -> Path:
        return self.server.ca_file

    def settings(self, security: str = "plain", **overrides) -> ImapSettings:
        """Settings for ``poll_mailbox`` against this server: plain, starttls or tls (with the test CA)."""
        values = {
            "host": self.host,
            "port": self.tls_port if security == "tls" else self.plain_port,
            "username": self.username,
            "password": self.password,
            "security": security,
            "ca_file": None if security == "plain" else str(self.ca_file),
            "timeout": 5.0,
        }
        values.update(overrides)
        return ImapSettings(**values)

    @contextmanager
    def client(self) -> Iterator[IMAPClient]:
        """A logged-in plain connection, for putting messages in and looking at what is there."""
        client = IMAPClient(self.host, port=self.plain_port, ssl=False, timeout=5)
        try:
            client.login(self.username, self.password)
            yield client
        finally:
            with suppress(Exception):
                client.logout()

    def deliver(self, *messages: bytes, folder: str = "INBOX") -> None:
        """Append the messages, in order (so their UIDs ascend in that order), unread."""
        with self.client() as client:
            for message in messages:
                client.append(folder, message)

    def messages(self, folder: str = "INBOX") -> list[StoredMessage]:
        """What the folder holds, by UID, read without changing any flag; [] when it does not exist."""
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search("ALL"))
            if not uids:
                return []
            response = client.fetch(uids, ["FLAGS", "BODY.PEEK[]"])
            return [
                StoredMessage(
                    uid=uid,
                    message_id=email.message_from_bytes(response[uid][b"BODY[]"])["Message-ID"],
                    flags=tuple(response[uid][b"FLAGS"]),
                    raw=response[uid][b"BODY[]"],
                )
                for uid in uids
            ]

    def message_ids(self, folder: str = "INBOX") -> list[str]:
        return [message.message_id for message in self.messages(folder)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A self-signed CA and a server certificate for 127.0.0.1 and localhost, signed by it."""
    openssl = shutil.which("openssl")
    ca_key, ca_cert = directory / "ca.key", directory / "ca.pem"
    key, request, cert = directory / "server.key", directory / "server.csr", directory / "server.pem"
    extensions = directory / "server.ext"
    extensions.write_text(
        "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature\n"
        "extendedKeyUsage = serverAuth\n"
        "subjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid, issuer\n"
    )
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ca_extensions = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
    commands = [
        [openssl, "req", "-x509", *new_key, "-keyout", ca_key, "-out", ca_cert, "-days", "2", *ca_extensions,
         "-subj", "/CN=comments test CA"],
        [openssl, "req", "-new", *new_key, "-keyout", key, "-out", request, "-subj", "/CN=localhost"],
        [openssl, "x509", "-req", "-in", request, "-CA", ca_cert, "-CAkey", ca_key, "-set_serial", "2", "-days", "2",
         "-extfile", extensions, "-out", cert],
    ]  # fmt: skip
    for command in commands:
        subprocess.run(command, check=True, capture_output=True, timeout=30)
    return ca_cert, cert, key


def write_config(directory: Path, server: DovecotServer, cert: Path, key: Path, capabilities: str | None) -> Path:
    """The whole configuration in one file; nothing from /etc/dovecot is read."""
    mail = directory / "mail"
    mail.mkdir()
    if os.geteuid() == 0:
        # Dovecot refuses login processes and mail access as root (see the module docstring).
        login_user = "dovenull" if user_exists("dovenull") else "nobody"
        privileges = f"""default_internal_user = root
default_internal_group = root
default_login_user = {login_user}
valid_chroot_dirs = {mail}
"""
        unprivileged_chroot = ""
    else:
        user = pwd.getpwuid(os.getuid())
        # An unprivileged master can neither chroot nor change users: everything runs as this user.
        privileges = f"""default_internal_user = {user.pw_name}
default_internal_group = {grp.getgrgid(user.pw_gid).gr_name}
default_login_user = {user.pw_name}
"""
        unprivileged_chroot = "  chroot =\n"
    passwd = directory / "users" / "%u.passwd"
    passwd.parent.mkdir()
    capability_line = f"imap_capability = {capabilities}\n" if capabilities is not None else ""
    config = directory / "dovecot.conf"
    config.write_text(
        f"""# Throwaway test server (tests/imap_server.py)
instance_name = comments-test-imap
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
protocols = imap
listen = {HOST}
shutdown_clients = yes
first_valid_uid = 1
first_valid_gid = 1
{privileges}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
# Plain IMAP is for local use; the tests log in over it as well as over TLS.
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
# The wrong-password test must not slow down the tests after it: no delay after a failed login,
# and no growing penalty for 127.0.0.1 (anvil's penalty socket is not created with mode 0).
auth_failure_delay = 0
service anvil {{
{unprivileged_chroot}  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {passwd}
}}
userdb {{
  driver = passwd-file
  args = {passwd}
}}
mail_location = maildir:~/Maildir
{capability_line}
service imap-login {{
{unprivileged_chroot}  inet_listener imap {{
    address = {HOST}
    port = {server.plain_port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {server.tls_port}
    ssl = yes
  }}
}}
"""
    )
    return config


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def wait_until_ready(process: subprocess.Popen, server: DovecotServer, stderr_file: Path) -> None:
    """Until the plain port greets (which needs a working login process) and the TLS port accepts."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"dovecot exited with status {process.returncode} while starting:\n"
                f"{stderr_file.read_text(errors='replace')}\n{server.log_tail()}"
            )
        with suppress(OSError):
            with socket.create_connection((HOST, server.plain_port), timeout=1) as sock:
                greeting = sock.recv(200)
            with socket.create_connection((HOST, server.tls_port), timeout=1):
                pass
            if greeting.startswith(b"* OK"):
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"dovecot did not answer within {START_TIMEOUT_SECONDS} s:\n{server.log_tail()}")
        time.sleep(0.05)


def start_dovecot(directory: Path, *, capabilities: str | None = None) -> DovecotServer:
    """Start Dovecot with a fresh configuration in ``directory``; ``stop_dovecot`` ends it.

    ``capabilities`` replaces the capabilities announced after login (to test a server without MOVE).
    """
    ca_file, cert, key = make_certificates(directory)
    server = DovecotServer(directory=directory, plain_port=free_port(), tls_port=free_port(), ca_file=ca_file)
    config = write_config(directory, server, cert, key, capabilities)
    stderr_file = directory / "dovecot.stderr"
    with stderr_file.open("wb") as stderr:
        server.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)], stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr
        )
    try:
        wait_until_ready(server.process, server, stderr_file)
    except BaseException:
        stop_dovecot(server)
        raise
    return server


def stop_dovecot(*servers: DovecotServer) -> None:
    """Stop the servers together: each master takes about a second to stop its children and exit."""
    running = [server.process for server in servers if server.process is not None and server.process.poll() is None]
    for process in running:
        process.terminate()  # the master stops its children (shutdown_clients) and exits
    for process in running:
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_SECONDS)


@contextmanager
def running_dovecot(directory: Path, *, capabilities: str | None = None) -> Iterator[DovecotServer]:
    """One server for the duration of a ``with`` block."""
    server = start_dovecot(directory, capabilities=capabilities)
    try:
        yield server
    finally:
        stop_dovecot(server)


class DovecotServers:
    """The servers of a test session, started on first use, one per capability variant.

    Stopping Dovecot takes about a second, so tests share a server and each gets its own account.
    """

    def __init__(self, tmp_path_factory: pytest.TempPathFactory):
        self.tmp_path_factory = tmp_path_factory
        self.servers: dict[tuple[str, ...], DovecotServer] = {}

    def get(self, without: tuple[str, ...] = ()) -> DovecotServer:
        require_tools()
        if without not in self.servers:
            capabilities = None
            if without:
                kept = (name for name in ("UIDPLUS", "MOVE") if name not in without)
                capabilities = " ".join([*BASIC_CAPABILITIES, *kept])
            # A short directory name: Dovecot's unix sockets live under it and their paths have a length limit.
            directory = self.tmp_path_factory.mktemp("imap")
            self.servers[without] = start_dovecot(directory, capabilities=capabilities)
        return self.servers[without]

    def stop_all(self) -> None:
        stop_dovecot(*self.servers.values())


def dovecot_servers_fixture():
    """The session fixture holding the running servers; register it as ``dovecot_servers``."""

    @pytest.fixture(scope="session")
    def dovecot_servers(tmp_path_factory) -> Iterator[DovecotServers]:
        servers = DovecotServers(tmp_path_factory)
        try:
            yield servers
        finally:
            servers.stop_all()

    return dovecot_servers


def imap_account_fixture(*, without: tuple[str, ...] = ()):
    """A fixture giving each test a fresh account (an ``ImapAccount``) on a running test server.

    ``without=("MOVE",)`` or ``("MOVE", "UIDPLUS")`` uses a server that announces a basic capability
    list lacking those, so the client's fallback paths run. Needs the ``dovecot_servers`` fixture.
    """

    @pytest.fixture
    def imap_account(dovecot_servers: DovecotServers) -> ImapAccount:
        return dovecot_servers.get(without).add_account()

    return imap_account
