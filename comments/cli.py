"""Flask commands. Each one calls domain/ and says plainly what it did or what was wrong."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from comments.domain.audit import Actor
from comments.extensions import db
from comments.storage import blob_store
from comments.transactions import read_before_write

CLI_ACTOR = Actor("cli")


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(demo_pages_command)
    app.cli.add_command(outbox)
    app.cli.add_command(audit)
    app.cli.add_command(users)
    app.cli.add_command(search)
    app.cli.add_command(mail)
    app.cli.add_command(worker_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(keys)
    app.cli.add_command(numbers)
    from comments.cli_blobs import blobs

    app.cli.add_command(blobs)
    from comments.cli_backup import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Create the demo consultations (the open one from the 2015 meeting in shared/seed/, one being answered
    with a response in each state, one inspected with its final packet, and one taken to published results)
    and the demo accounts; running it again changes nothing. The accounts' passwords go to a file named
    after this database, never over another database's file."""
    from comments.demo import seed_whole_demo
    from comments.demo.accounts import find_accounts_file, write_accounts_file
    from comments.demo.stages import INSPECTED_SLUG, RESPONDING_SLUG

    demo = seed_whole_demo(blob_store(), CLI_ACTOR)
    db.session.commit()
    accounts = demo.accounts

    def made(was_made: bool) -> str:
        return "created" if was_made else "already present"

    click.echo(f"Demo consultation {made(demo.open_created)}: /consultations/{demo.open_slug}")
    click.echo(f"Demo consultation being answered {made(demo.responding_created)}: /consultations/{RESPONDING_SLUG}")
    click.echo(f"Inspected demo consultation {made(demo.inspected_created)}: /consultations/{INSPECTED_SLUG}")
    click.echo(
        f"Finished demo consultation {made(demo.finished_created)} (results published): "
        f"/consultations/{demo.finished_slug}/results"
    )
    click.echo("The committee's meetings, papers and published minutes: /meetings")
    instance = Path(current_app.instance_path)
    database = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if accounts:
        lines = ["Demo accounts (sign in at /auth/login):"]
        for account in accounts:
            roles = ", ".join(sorted(role.value for role in account.roles))
            lines.append(f"  {account.email:28} password {account.password}  ({roles})")
            if account.totp_secret:
                lines.append(f"  {'':28} TOTP key {account.totp_secret}  (or: make totp EMAIL={account.email})")
            if account.intake_address:
                lines.append(f"  {'':28} questions by e-mail to {account.intake_address}")
        path = write_accounts_file(instance, database, lines)
        click.echo("\n".join(lines))
        click.echo(f"(kept in {path})")
    elif (path := find_accounts_file(instance, database)) is not None:
        click.echo(f"Demo accounts already present; see {path}")
    else:
        click.echo(
            f"Demo accounts already present; {instance} holds no accounts file of this database (their passwords "
            "were printed when they were made)."
        )


@click.command("demo-pages")
@click.option("--base-url", default=None, help="The demo's address; by default PUBLIC_BASE_URL.")
@with_appcontext
def demo_pages_command(base_url: str | None):
    """Print the demo's pages to start from: per role the page to open first and the account to sign in as,
    and a page for each stage of a consultation (what `make run` prints last)."""
    from comments.demo.accounts import find_accounts_file
    from comments.demo.guide import start_pages

    accounts_file = find_accounts_file(Path(current_app.instance_path), current_app.config["SQLALCHEMY_DATABASE_URI"])
    base_url = base_url or current_app.config.get("PUBLIC_BASE_URL") or ""
    click.echo("\n".join(start_pages(base_url, accounts_file)))


worker_interval = click.option(
    "--interval",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds between the worker's passes once every job has caught up.",
)


@click.group(cls=AppGroup)
def outbox():
    """The outbox of mail waiting to be sent."""


@outbox.command("send")
@click.option("--once", is_flag=True, help="Send what is due now and exit (for cron).")
@worker_interval
@click.option(
    "--batch-size",
    default=50,
    show_default=True,
    type=click.IntRange(min=1, max=1000),
    help="Messages claimed per pass.",
)
def outbox_send(once: bool, interval: float, batch_size: int):
    """Send due outbox messages through Flask-Mail: with --once, what is due now; without it, run the whole
    worker (`flask worker`), as this command always has."""
    from comments.mail.sender import send_due_messages

    if not once:
        _run_worker(interval)
        return
    report = send_due_messages(batch_size)
    click.echo(f"sent {report.sent}, will retry {report.retried}, failed for good {report.failed}")


@outbox.command("status")
@click.option(
    "--failed",
    "failed_limit",
    default=20,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many of the newest failed messages to list.",
)
def outbox_status(failed_limit: int):
    """How many messages wait, were sent and failed, how long the oldest unsent one has waited, and the
    failed ones with the mail server's answer. Recipients are masked (t***@example.jp) and no subject or
    body is shown: this output may be pasted into a ticket."""
    from comments import clock
    from comments.domain.outbox_admin import outbox_state

    read_before_write()
    state = outbox_state(failed_limit=failed_limit)
    counts = state.counts
    waiting = counts["pending"] - state.due_now - state.in_flight
    click.echo(
        f"pending {counts['pending']} (due now {state.due_now}, being sent {state.in_flight}, waiting to retry "
        f"{waiting}), sent {counts['sent']}, failed {counts['failed']}"
    )
    age = state.age_of_oldest_unsent(clock.now())
    if age is None:
        click.echo("oldest unsent: none, nothing waits")
    else:
        click.echo(
            f"oldest unsent: message {state.oldest_unsent_id}, waiting {_duration(age)} "
            f"(written {state.oldest_unsent_at:%Y-%m-%d %H:%M} UTC)"
        )
    if not counts["failed"]:
        return
    shown = f"the newest {len(state.failed)} of {counts['failed']}" if len(state.failed) < counts["failed"] else "all"
    click.echo(f"failed messages ({shown}):")
    for message in state.failed:
        click.echo(
            f"  {message.id}  {message.recipient}  {message.attempts} attempt(s), written "
            f"{message.created_at:%Y-%m-%d %H:%M} UTC: {message.reason}"
        )
    click.echo("put them back in the queue with: flask outbox retry --id N [--id M ...] or --all-failed")


def _duration(delta) -> str:
    """A wait as an operator reads it: 3 d 4 h, 2 h 5 min, 4 min 10 s, 12 s."""
    seconds = max(int(delta.total_seconds()), 0)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


@outbox.command("retry")
@click.option(
    "--id",
    "ids",
    multiple=True,
    type=click.IntRange(min=1),
    help="A failed message to send again (repeat for several; `flask outbox status` lists them).",
)
@click.option("--all-failed", is_flag=True, help="Send every failed message again.")
def outbox_retry(ids: tuple[int, ...], all_failed: bool):
    """Put failed messages back in the queue, due now and with a fresh count of attempts (after the cause was
    fixed: a mail server refusing our sender, an address corrected at the source). The worker sends them on
    its next pass. An id that is unknown or not failed changes nothing at all."""
    from comments.domain.outbox_admin import retry_failed

    if bool(ids) == all_failed:
        raise click.UsageError("say which messages: --id N (repeatable) or --all-failed, one of the two")
    result = retry_failed(None if all_failed else ids, CLI_ACTOR)
    if result.refused:
        db.session.rollback()
        problems = [f"no outbox message {message_id}" for message_id in result.unknown]
        problems += [
            f"message {message_id} is {status}, not failed" for message_id, status in result.not_failed.items()
        ]
        raise click.ClickException("; ".join(problems) + ". Nothing was put back.")
    if not result.retried:
        click.echo("no failed messages: nothing to put back")
        return
    db.session.commit()
    click.echo(
        f"put back {len(result.retried)} message(s) in the queue ({', '.join(map(str, result.retried))}); "
        "the worker sends them on its next pass"
    )


@click.command("worker")
@click.option("--once", is_flag=True, help="One pass of every job, then exit (for cron).")
@worker_interval
@with_appcontext
def worker_command(once: bool, interval: float):
    """Run the worker: send the outbox's mail, seal the audit trail, index new submissions for search.

    Each job gets its share of every pass and fails on its own: see comments/worker.py.
    """
    if once:
        from comments.worker import run_pass

        for outcome in run_pass():
            click.echo(f"{outcome.job}: {'FAILED, see the log' if outcome.failed else outcome.done}")
        return
    _run_worker(interval)


def _run_worker(interval: float) -> None:
    from comments.worker import JOBS, run_worker

    click.echo(
        f"Worker running {', '.join(job.name for job in JOBS)} every {interval} s; mail goes to "
        f"{current_app.config['MAIL_SERVER']}:{current_app.config['MAIL_PORT']}. Ctrl+C stops it."
    )
    try:
        totals = run_worker(interval)
    except KeyboardInterrupt:
        return
    click.echo(", ".join(f"{name} {count}" for name, count in totals.items()))


@click.group(cls=AppGroup)
def audit():
    """The audit trail's hash chain: seal new events, verify that nothing sealed was changed."""


@audit.command("seal")
@click.option(
    "--batch-size",
    default=1000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Events sealed per transaction.",
)
def audit_seal(batch_size: int):
    """Seal every pending audit event into the hash chain, in id order.

    Commits after each batch, so that on SQLite the write lock is held for one batch at a time and
    citizens' submissions never wait for a large backlog. The worker does the same each pass.
    """
    from comments.worker import seal_audit

    click.echo(f"sealed {seal_audit(sys.maxsize, batch=batch_size)} events")


@audit.command("head")
def audit_head():
    """Print the head of the chain (the last sealed seq and its hash) as one line to keep outside the database.

    The worker appends it to AUDIT_HEAD_FILE (and mails it to AUDIT_HEAD_MAIL_TO) once a day; kept where the
    database's writers cannot reach, it shows a later deletion of the newest events or a rewrite of the
    chain, which the chain alone cannot (``flask audit verify --head``).
    """
    from comments.domain.audit import current_head

    read_before_write()
    head = current_head()
    if head is None:
        click.echo("no sealed event yet: run `flask audit seal` (the worker seals every few seconds)")
        return
    click.echo(head.line())


@audit.command("verify")
@click.option(
    "--head",
    "head_file",
    type=click.File("r", encoding="utf-8"),
    help="A file of published heads (AUDIT_HEAD_FILE, a saved mail, `-` for standard input): each must "
    "still be in the chain with the same hash.",
)
def audit_verify(head_file):
    """Check the hash chain of the sealed audit events; exit 1 if any was edited, deleted or inserted.

    Prints the head (last seq and its hash). With ``--head``, the chain must also still hold every head
    published before (see ``flask audit head``): that shows a deletion of the newest events and a rewrite of
    the chain, which the chain alone cannot.
    """
    from comments.domain.audit import parse_heads, verify_chain

    heads = []
    if head_file is not None:
        heads = parse_heads(head_file.read())
        if not heads:
            raise click.UsageError(
                f"{head_file.name} holds no head line (comments-audit-head seq=... hash=...): give the file "
                "the worker writes (AUDIT_HEAD_FILE) or a saved head mail"
            )
    # Verification only reads: a deferred transaction keeps SQLite's write lock free for submissions
    # while it walks what may be millions of rows.
    read_before_write()
    report = verify_chain(heads)
    pending = " (waiting for the next seal, which is not a problem)" if report.unsealed else ""
    click.echo(f"sealed {report.sealed}, unsealed {report.unsealed}{pending}")
    if report.head_seq is not None:
        click.echo(f"head: seq {report.head_seq} hash {report.head_hash}")
    for problem in report.problems:
        click.echo(f"PROBLEM {problem}")
    if report.intact:
        click.echo(f"chain intact{f', and it holds the {len(heads)} published head(s)' if heads else ''}")
        return
    click.echo(f"chain broken: {len(report.problems)} problem(s) found")
    sys.exit(1)


@click.group(cls=AppGroup)
def users():
    """Staff and committee accounts."""


@users.command("create-admin")
@click.option("--email", required=True, help="The address the administrator signs in with.")
@click.option("--name", "display_name", required=True, help="The administrator's name as shown on screen.")
@click.password_option(help="At least 12 characters, not a common password; asked twice when not given.")
def create_admin(email: str, display_name: str, password: str):
    """Create an administrator account; the first sign-in sets up its second factor."""
    from comments.domain import DomainError
    from comments.domain.accounts import create_user
    from comments.permissions import Role

    try:
        user = create_user(
            email=email, display_name=display_name, password=password, roles={Role.administrator}, actor=CLI_ACTOR
        )
    except DomainError as error:
        raise click.UsageError(str(error.message)) from None
    db.session.commit()
    click.echo(
        f"Administrator {user.email} created. Sign in at /auth/login; the first sign-in sets up the second factor."
    )


@users.command("totp-code")
@click.argument("email")
def totp_code(email: str):
    """Print the current second-factor code of a demo account (development only, for `make run`)."""
    import pyotp
    from sqlalchemy import select

    from comments.domain.accounts import normalise_email
    from comments.models import User

    if not current_app.config.get("DEBUG_DEMO_TOOLS"):
        raise click.UsageError("totp-code works only in development (COMMENTS_ENV=development).")
    user = db.session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()
    if user is None or not user.totp_secret:
        raise click.UsageError(f"No account with a second factor has the address {email!r}.")
    click.echo(pyotp.TOTP(user.totp_secret).now())


@click.group(cls=AppGroup)
def search():
    """The staff's Japanese search index."""


@search.command("index")
def search_index():
    """Index the submissions not yet searchable (the worker does this every pass)."""
    from comments.worker import index_search

    click.echo(f"indexed {index_search(sys.maxsize)} submissions")


@click.group(cls=AppGroup)
def mail():
    """The committee's e-mail intake: read messages from an MTA pipe or an IMAP mailbox."""


# sysexits.h: an MTA that runs `flask mail ingest` as a pipe keeps the message and tries again on 75.
EX_DATAERR = 65
EX_TEMPFAIL = 75


@mail.command("ingest")
@click.option(
    "--recipient",
    help="The envelope recipient, when the MTA passes it (e.g. Postfix's ${recipient}); "
    "otherwise the token is read from Delivered-To, X-Original-To, To and Cc.",
)
def mail_ingest(recipient: str | None):
    """Read one RFC 822 message from standard input and file it: a member's question, or quarantine."""
    from comments.ingestion.mail.pipeline import ingest_and_commit

    limit = current_app.config["MAIL_INTAKE_MAX_BYTES"]
    # Read a little past the limit: enough to keep an oversized message in quarantine (R63), while a
    # runaway stream is refused outright instead of filling the memory.
    hard_limit = limit * 4
    raw = sys.stdin.buffer.read(hard_limit + 1)
    if not raw:
        click.echo("mail ingest: standard input was empty; pipe one message into it.", err=True)
        sys.exit(EX_DATAERR)
    if len(raw) > hard_limit:
        click.echo(
            f"mail ingest: the message is over {hard_limit // (1024 * 1024)} MB and was not kept; "
            "ask the MTA to refuse messages this large (message_size_limit).",
            err=True,
        )
        sys.exit(EX_DATAERR)
    try:
        result = ingest_and_commit(raw, source="pipe", recipient=recipient)
    except Exception as error:  # the database is down or locked: the MTA must keep the message and retry
        click.echo(f"mail ingest: could not store the message ({type(error).__name__}: {error}); try again.", err=True)
        sys.exit(EX_TEMPFAIL)
    click.echo(_describe(result))


def _describe(result) -> str:
    message = result.message
    if result.duplicate:
        return f"duplicate of inbound message {message.id} ({message.status.value}); nothing new stored"
    if message.submission is not None:
        return f"accepted: receipt {message.submission.receipt_number} (inbound message {message.id})"
    return f"{message.status.value}: {message.reason} (inbound message {message.id})"


@mail.command("poll")
@click.option("--once", is_flag=True, help="Fetch what is waiting now and exit (for cron).")
@click.option(
    "--interval", default=60.0, show_default=True, type=click.FloatRange(min=1), help="Seconds between polls."
)
@click.option(
    "--batch", default=100, show_default=True, type=click.IntRange(min=1, max=1000), help="Messages per poll."
)
def mail_poll(once: bool, interval: float, batch: int):
    """Fetch new messages from the IMAP mailbox in MAIL_IMAP_* and move each to Processed or Quarantine."""
    import time

    from comments.ingestion.mail.imap import ImapError, ImapSettings, poll_mailbox
    from comments.ingestion.mail.pipeline import ingest_and_commit

    config = current_app.config
    if not config["MAIL_IMAP_USERNAME"] or not config["MAIL_IMAP_PASSWORD"]:
        raise click.UsageError("Set MAIL_IMAP_USERNAME and MAIL_IMAP_PASSWORD (and MAIL_IMAP_HOST, MAIL_IMAP_PORT).")
    if config["MAIL_IMAP_SECURITY"] not in ("tls", "starttls", "plain"):
        raise click.UsageError("MAIL_IMAP_SECURITY must be tls, starttls or plain (plain only for a local server).")
    settings = ImapSettings(
        host=config["MAIL_IMAP_HOST"],
        port=config["MAIL_IMAP_PORT"],
        username=config["MAIL_IMAP_USERNAME"],
        password=config["MAIL_IMAP_PASSWORD"],
        security=config["MAIL_IMAP_SECURITY"],
        ca_file=config["MAIL_IMAP_CA_FILE"],
        batch=batch,
    )

    def handle(raw: bytes) -> str:
        return ingest_and_commit(raw, source="imap").outcome

    while True:
        try:
            report = poll_mailbox(settings, handle, max_bytes=config["MAIL_INTAKE_MAX_BYTES"])
        except ImapError as error:
            if once:
                raise click.ClickException(str(error)) from error
            click.echo(f"mail poll: {error}; trying again in {interval} s", err=True)
        else:
            click.echo(
                f"fetched {report.fetched}: processed {report.processed}, quarantined {report.quarantined} "
                f"(oversized {report.oversized}), failed {report.failed}"
            )
        if once:
            return
        time.sleep(interval)


@mail.command("status")
def mail_status():
    """What the intake holds by status and reason; quarantined messages wait for the secretariat (R63)."""
    from sqlalchemy import func, select

    from comments.models import InboundMessage

    rows = db.session.execute(
        select(InboundMessage.status, InboundMessage.reason, func.count())
        .group_by(InboundMessage.status, InboundMessage.reason)
        .order_by(InboundMessage.status, InboundMessage.reason)
    ).all()
    if not rows:
        click.echo("no inbound messages")
    for status, reason, count in rows:
        click.echo(f"{status.value:<12} {reason or '-':<20} {count}")


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Say what would be deleted, and delete nothing.")
@with_appcontext
def purge_command(dry_run: bool):
    """Delete the contact data whose retention period has ended, as each consultation's notice promises.

    For every consultation whose results were published longer ago than its retention period: the
    submitters' name, e-mail and contact are emptied and the mail sent to them deleted, with one audit event
    per consultation. The opinions, their receipts and the audit trail stay. The worker does this daily.
    """
    from comments.domain.contact_data import delete_due_contact_data

    deletions = delete_due_contact_data(actor=CLI_ACTOR, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would delete" if dry_run else "deleted"
    for deletion in deletions:
        click.echo(
            f"consultation {deletion.consultation_id}: {verb} the contact data of {deletion.submitters} "
            f"submitter(s) and {deletion.mails} mail(s)"
        )
    if not deletions:
        click.echo("nothing is due: no consultation's retention period has ended")


@click.group(cls=AppGroup)
def keys():
    """The keys that seal contact data at rest (CONTACT_DATA_KEYS)."""


@keys.command("new")
@click.option("--id", "key_id", help="The key's id (letters, digits, - and _); random when not given.")
def keys_new(key_id: str | None):
    """Print a new key entry. Put it first in CONTACT_DATA_KEYS, keep the old ones after it, restart, then
    run `flask keys rotate`; after that the old keys may go."""
    from comments.crypto import ContactKeyError, new_key_entry

    try:
        click.echo(new_key_entry(key_id))
    except ContactKeyError as error:
        raise click.BadParameter(str(error), param_hint="--id") from error


@keys.command("rotate")
def keys_rotate():
    """Seal every value of contact data again under the first key of CONTACT_DATA_KEYS (and seal any value
    written before encryption); values already under it are left alone."""
    from comments.domain.contact_data import reseal_contact_data

    click.echo(
        f"sealed {reseal_contact_data()} value(s) again under key {current_app.extensions['contact_keys'].current}"
    )


@click.group(cls=AppGroup)
def numbers():
    """Individual numbers in what is stored."""


@numbers.command("scan")
def numbers_scan():
    """Say where stored text or files still hold an individual number (never the number), and which files
    no program can read; exit 1 when a number was found. Changes nothing: run it after an upgrade and from
    time to time, and replace a file that holds one by a redacted copy from its submission's page."""
    from comments.domain.number_scan import scan_stored_data
    from comments.storage import blob_store

    read_before_write()  # it only reads, for minutes perhaps: the web's writers must not wait for it
    report = scan_stored_data(blob_store())
    db.session.rollback()
    for finding in report.findings:
        click.echo(f"number: {finding.place} {finding.row}: {finding.numbers}")
    for finding in report.unreadable:
        click.echo(f"look by hand: {finding.place} {finding.row} (a picture, a scan or a file no program reads)")
    for finding in report.too_costly:
        click.echo(f"look by hand: {finding.place} {finding.row} (took too long or too much memory to read)")
    click.echo(
        f"read {report.rows} text(s) and {report.files} file(s): {len(report.findings)} place(s) hold a number, "
        f"{len(report.unreadable) + len(report.too_costly)} file(s) to look at by hand"
    )
    if report.findings:
        raise SystemExit(1)
