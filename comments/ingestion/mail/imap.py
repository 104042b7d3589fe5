"""Polling the committee's intake mailbox over IMAP and moving what was handled.

Delivery is at-least-once, like the outbox: a message is moved out of the mailbox only after the
handler returned, so a crash between handling and moving hands the same message over again on the
next poll, and the caller drops the duplicate by its Message-ID. Messages are fetched with
``BODY.PEEK[]`` so that nothing is marked read before it was handled; a message whose handler raised
stays in the mailbox, unread, for the next poll.

Oversized messages are never downloaded: they go straight to the quarantine folder, which staff
monitor (R63).

The connection is encrypted, ``security="tls"`` (implicit TLS, port 993) or ``"starttls"`` (port
143), always with certificate and host name verification. ``"plain"`` is for a server on this machine
only and refused for any other host, because it sends the password in clear.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

log = logging.getLogger(__name__)

PROCESSED = "processed"
QUARANTINED = "quarantined"
SECURITY_MODES = ("tls", "starttls", "plain")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
LOOPBACK_NAMES = {"localhost"}


class ImapError(Exception):
    """The mailbox could not be reached or used; the message says what to check."""


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    username: str
    password: str = field(repr=False)  # settings end up in logs and tracebacks; the password must not
    security: str = "tls"  # "tls" (implicit TLS, port 993), "starttls", or "plain" (local use only)
    mailbox: str = "INBOX"
    processed_folder: str = "Processed"
    quarantine_folder: str = "Quarantine"
    ca_file: str | None = None  # CA bundle of a private server; when set, trusted instead of the system's CAs
    timeout: float = 30.0
    batch: int = 100  # at most this many messages per poll

    def __post_init__(self):
        if self.security not in SECURITY_MODES:
            raise ValueError(f"security must be one of {', '.join(SECURITY_MODES)}, not {self.security!r}")
        if self.batch < 1:
            raise ValueError("batch must be at least 1")

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class PollReport:
    fetched: int = 0  # messages downloaded and given to the handler
    processed: int = 0
    quarantined: int = 0  # by the handler's decision, plus the oversized ones
    failed: int = 0  # handler raised: the message stays in the mailbox for the next poll
    oversized: int = 0  # over max_bytes: moved to quarantine without being downloaded


def poll_mailbox(
    settings: ImapSettings,
    handle: Callable[[bytes], str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> PollReport:
    """Hand up to ``settings.batch`` messages of the mailbox to ``handle``, oldest (lowest UID) first.

    ``handle(raw_bytes)`` returns ``"processed"`` or ``"quarantined"``, and the message is then moved
    to that folder (IMAP MOVE when the server offers it, else COPY, ``\\Deleted`` and an EXPUNGE of that
    UID only). Both folders are created when missing. A message larger than ``max_bytes`` (by its
    RFC822.SIZE) is moved to the quarantine folder without being downloaded or handled. When
    ``handle`` raises, the error is logged, the message stays in the mailbox unread and counts as
    failed; the poll goes on with the next one. Any other return value is a programming error and
    raises ``ValueError`` (the message stays).

    Raises ``ImapError`` when the server cannot be reached, the TLS certificate is not trusted, the
    login is refused, or the connection fails during the poll.
    """
    report = PollReport()
    client = connect(settings)
    try:
        _poll_selected_mailbox(client, settings, handle, max_bytes, report)
    except (IMAPClientError, OSError) as error:
        raise ImapError(
            f"IMAP connection to {settings.address} failed during the poll of {settings.mailbox!r} "
            f"({error}); handled so far: {report}. Messages not yet moved are handled again next time."
        ) from error
    finally:
        with contextlib.suppress(IMAPClientError, OSError):
            client.logout()
    return report


def _poll_selected_mailbox(
    client: IMAPClient, settings: ImapSettings, handle: Callable[[bytes], str], max_bytes: int, report: PollReport
) -> None:
    ensure_folders(client, (settings.processed_folder, settings.quarantine_folder))
    client.select_folder(settings.mailbox)
    # A \Deleted message was already copied out by an earlier poll whose EXPUNGE did not happen.
    uids = sorted(client.search(["UNDELETED"]))[: settings.batch]
    sizes = client.fetch(uids, ["RFC822.SIZE"]) if uids else {}
    for uid in uids:
        if uid not in sizes:
            continue  # gone since the search (another poller, or a person with a mail client)
        size = sizes[uid][b"RFC822.SIZE"]
        if size > max_bytes:
            log.warning(
                "IMAP message UID %s in %r has %d bytes, over the limit of %d: moved to %r unread",
                uid,
                settings.mailbox,
                size,
                max_bytes,
                settings.quarantine_folder,
            )
            move_message(client, uid, settings.quarantine_folder)
            report.oversized += 1
            report.quarantined += 1
            continue
        _handle_message(client, settings, uid, handle, report)


def _handle_message(
    client: IMAPClient, settings: ImapSettings, uid: int, handle: Callable[[bytes], str], report: PollReport
) -> None:
    # One message at a time, so a batch of large messages never sits in memory together.
    response = client.fetch([uid], ["BODY.PEEK[]"])
    if uid not in response:
        return
    raw = response[uid][b"BODY[]"]
    report.fetched += 1
    try:
        outcome = handle(raw)
    except Exception:
        log.exception("IMAP message UID %s in %r: handler failed; it stays for the next poll", uid, settings.mailbox)
        report.failed += 1
        return
    if outcome == PROCESSED:
        move_message(client, uid, settings.processed_folder)
        report.processed += 1
    elif outcome == QUARANTINED:
        move_message(client, uid, settings.quarantine_folder)
        report.quarantined += 1
    else:
        raise ValueError(f"the IMAP message handler returned {outcome!r}, not {PROCESSED!r} or {QUARANTINED!r}")


def connect(settings: ImapSettings) -> IMAPClient:
    """A logged-in client, or ``ImapError`` saying what to check (host, port, security, credentials)."""
    if settings.security == "plain" and not _is_loopback(settings.host):
        raise ImapError(
            f"security='plain' would send the password for {settings.username!r} unencrypted to "
            f"{settings.host}; it is only allowed for a server on this machine. Use 'tls' (port 993) or "
            "'starttls' (port 143)."
        )
    context = None if settings.security == "plain" else _tls_context(settings)
    where = f"{settings.address} (security={settings.security!r})"
    try:
        client = IMAPClient(
            settings.host,
            port=settings.port,
            ssl=settings.security == "tls",
            ssl_context=context,
            timeout=settings.timeout,
        )
    except ssl.SSLCertVerificationError as error:
        raise ImapError(_certificate_message(settings, error)) from error
    except ssl.SSLError as error:
        raise ImapError(
            f"TLS handshake with {where} failed ({error.reason or error}): check that the port speaks "
            "implicit TLS (usually 993) or use security='starttls' for port 143"
        ) from error
    except TimeoutError as error:
        raise ImapError(
            f"no IMAP greeting from {where} within {settings.timeout:g} s: check host, port and security "
            "(a plain or STARTTLS connection to an implicit-TLS port waits for a greeting that never comes)"
        ) from error
    except socket.gaierror as error:
        raise ImapError(f"cannot resolve the IMAP host {settings.host!r} ({error}): check the host name") from error
    except (OSError, IMAPClientError) as error:
        raise ImapError(f"cannot connect to the IMAP server at {where} ({error}): check host and port") from error
    try:
        if settings.security == "starttls":
            _start_tls(client, settings, context)
        client.login(settings.username, settings.password)
    except LoginError as error:
        _close_quietly(client)
        raise ImapError(
            f"the IMAP server at {where} refused the login of {settings.username!r} ({error}): "
            "check the username and password"
        ) from error
    except ImapError:
        _close_quietly(client)
        raise
    except (OSError, IMAPClientError) as error:
        _close_quietly(client)
        raise ImapError(f"IMAP login at {where} failed ({error}): check host, port and security") from error
    return client


def _start_tls(client: IMAPClient, settings: ImapSettings, context: ssl.SSLContext) -> None:
    if not client.has_capability("STARTTLS"):
        raise ImapError(
            f"the IMAP server at {settings.address} does not offer STARTTLS: use security='tls' "
            "with its implicit-TLS port (usually 993)"
        )
    try:
        client.starttls(context)
    except ssl.SSLCertVerificationError as error:
        raise ImapError(_certificate_message(settings, error)) from error
    except ssl.SSLError as error:
        raise ImapError(f"STARTTLS with {settings.address} failed ({error.reason or error})") from error


def _tls_context(settings: ImapSettings) -> ssl.SSLContext:
    # Certificate and host name are always verified: a private server gets its CA through ca_file,
    # never through switched-off verification.
    try:
        return ssl.create_default_context(cafile=settings.ca_file)
    except (OSError, ssl.SSLError) as error:
        raise ImapError(f"cannot read the CA bundle {settings.ca_file!r} ({error}): check ca_file") from error


def _certificate_message(settings: ImapSettings, error: ssl.SSLCertVerificationError) -> str:
    return (
        f"the TLS certificate of the IMAP server at {settings.address} is not trusted "
        f"({error.verify_message or error}): check the host name, and for a server with a private CA "
        "set ca_file to that CA's certificate"
    )


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _close_quietly(client: IMAPClient) -> None:
    with contextlib.suppress(IMAPClientError, OSError):
        client.shutdown()


def ensure_folders(client: IMAPClient, folders: Iterable[str]) -> None:
    """Create the folders that do not exist yet (another poller may create one at the same moment)."""
    for folder in folders:
        if client.folder_exists(folder):
            continue
        try:
            client.create_folder(folder)
        except IMAPClientError:
            if not client.folder_exists(folder):
                raise


def move_message(client: IMAPClient, uid: int, folder: str) -> None:
    """Move one message: MOVE when offered, else COPY, flag it \\Deleted and expunge that UID only."""
    if client.has_capability("MOVE"):
        client.move([uid], folder)
        return
    client.copy([uid], folder)
    client.add_flags([uid], [b"\\Deleted"], silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge([uid])
    # Without UIDPLUS an EXPUNGE would also remove messages someone else flagged \Deleted; the copied
    # message stays flagged instead, and later polls skip it (they only search UNDELETED messages).
