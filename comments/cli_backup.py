"""`flask backup` and `flask restore`: the database and the kept files, in one folder (comments/backup.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from comments.backup import BackupError, make_backup, restore_backup
from comments.storage import blob_store


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(folder: Path):
    """Back up the database and every file the records keep into FOLDER (new or empty): a PostgreSQL dump
    (or a SQLite copy), the files, and manifest.json, written last. Restore with `flask restore FOLDER`."""
    try:
        summary = make_backup(folder, blob_store(), progress=click.echo)
    except BackupError as error:
        if not error.wrote:
            raise click.ClickException(str(error)) from None
        raise click.ClickException(f"{error}. The backup in {folder} is incomplete: delete it.") from None
    audit = (
        "no audit events yet" if summary.audit_seq is None else f"audit trail sealed up to event {summary.audit_seq}"
    )
    click.echo(
        f"backed up into {summary.folder}: {summary.database_file}, {summary.blobs} files "
        f"({_megabytes(summary.blob_bytes)}), {audit}, manifest.json"
    )
    click.echo("CONTACT_DATA_KEYS are not in it: keep them apart, the copy's contact data needs them")


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore_command(folder: Path):
    """Restore the backup in FOLDER into the EMPTY database DATABASE_URL names and the configured blob store.
    Then run `flask db upgrade` (a backup of an older version), `flask audit verify` and `flask blobs verify`."""
    try:
        summary = restore_backup(folder, blob_store(), progress=click.echo)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"restored {summary.database_file} (schema {summary.schema_revision}) and "
        f"{summary.blobs_written + summary.blobs_present} files ({summary.blobs_written} written, "
        f"{summary.blobs_present} already there)"
    )
    click.echo("now check the copy: flask db upgrade && flask audit verify && flask blobs verify")
