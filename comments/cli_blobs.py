"""`flask blobs`: the upkeep of the blob store (comments/storage.py, comments/domain/blobs.py)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from comments.extensions import db
from comments.storage import BlobStoreError, blob_store
from comments.transactions import read_before_write


@click.group(cls=AppGroup)
def blobs():
    """The kept files: remove those nothing refers to, check those that are referred to."""


@blobs.command("gc")
@click.option(
    "--older-than-hours",
    default=24,
    show_default=True,
    type=click.IntRange(min=1),
    help="Remove only blobs last written at least this many hours ago (1 or more: a request may be about to "
    "refer to a newer one).",
)
def blobs_gc(older_than_hours: int):
    """Remove the blobs no record refers to that were last written --older-than-hours ago or earlier: what
    requests that failed left behind (a failed request never deletes a blob: another may share it). Run it
    once a day; running it twice, or on two servers at once, does no harm."""
    from comments.domain.blobs import collect_garbage, referenced_digests

    store = blob_store()
    read_before_write()  # it only reads: the web's writers must not wait for it
    referenced = referenced_digests()
    db.session.rollback()
    try:
        done = collect_garbage(store, referenced, older_than=timedelta(hours=older_than_hours))
    except BlobStoreError as error:
        raise click.ClickException(f"the blob store ({store.describe()}) failed: {error}") from error
    click.echo(
        f"{store.describe()}: kept {done.referenced} referenced blob(s) and {done.young} unreferenced one(s) "
        f"younger than {older_than_hours} hour(s); removed {done.removed} unreferenced blob(s) "
        f"({done.removed_bytes} bytes)"
    )


@blobs.command("verify")
def blobs_verify():
    """Read every blob a record keeps and check that its SHA-256 is the one it is kept under; list the missing
    and damaged ones with the rows that keep them, and exit 1 if there is any. Changes nothing."""
    from comments.domain.blobs import kept_blobs, verify_blobs

    store = blob_store()
    read_before_write()
    kept = kept_blobs()
    db.session.rollback()
    try:
        found = verify_blobs(store, kept)
    except BlobStoreError as error:
        raise click.ClickException(f"the blob store ({store.describe()}) failed: {error}") from error
    for sha256, rows in found.missing:
        click.echo(f"missing: {sha256}, kept by {', '.join(rows)}")
    for sha256, actual, rows in found.corrupt:
        click.echo(f"damaged: {sha256} holds bytes whose SHA-256 is {actual}, kept by {', '.join(rows)}")
    click.echo(
        f"{store.describe()}: {len(kept)} blob(s) kept by the records, {found.read} read; "
        f"{len(found.missing)} missing, {len(found.corrupt)} damaged"
    )
    if not found.ok:
        raise SystemExit(1)
