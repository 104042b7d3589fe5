"""Flask commands. Each one calls domain/ and says plainly what it did or what was wrong."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from comments.domain.audit import Actor
from comments.domain.uploads import BlobStore
from comments.extensions import db

CLI_ACTOR = Actor("cli")


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(outbox)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Create the demo consultation (from the 2015 meeting in shared/seed/); running it again changes nothing."""
    from comments.demo.seed import seed_demo

    consultation, created = seed_demo(BlobStore(current_app.config["ATTACHMENT_STORAGE"]), CLI_ACTOR)
    db.session.commit()
    verb = "created" if created else "already present"
    click.echo(f"Demo consultation {verb}: /consultations/{consultation.slug}")


@click.group(cls=AppGroup)
def outbox():
    """The outbox of mail waiting to be sent."""


@outbox.command("send")
@click.option("--once", is_flag=True, help="Send what is due now and exit (for cron).")
@click.option(
    "--interval",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds between passes when running as a worker.",
)
@click.option(
    "--batch-size",
    default=50,
    show_default=True,
    type=click.IntRange(min=1, max=1000),
    help="Messages claimed per pass.",
)
def outbox_send(once: bool, interval: float, batch_size: int):
    """Send due outbox messages through Flask-Mail: a worker loop, or a single pass with --once."""
    from comments.mail.sender import run_worker, send_due_messages

    if once:
        report = send_due_messages(batch_size)
    else:
        click.echo(
            f"Outbox worker sending every {interval} s to {current_app.config['MAIL_SERVER']}:"
            f"{current_app.config['MAIL_PORT']}; Ctrl+C stops it."
        )
        try:
            report = run_worker(interval, batch_size=batch_size)
        except KeyboardInterrupt:
            return
    click.echo(f"sent {report.sent}, will retry {report.retried}, failed for good {report.failed}")
