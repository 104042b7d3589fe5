"""Contact data kept only as long as the notice promises, and sealed under the current key (R46).

The comment form tells a citizen that their name and contact details are deleted when the retention
period ends: each consultation keeps them ``contact_retention_days`` days after its results are published,
and the public notice shows the date. On that date ``delete_contact_data`` empties the submitters' name,
e-mail and contact and deletes the mail sent to them (their address is in it), writes one audit event for
the consultation, and marks the consultation; it never touches the submissions' text, their receipts or
the audit trail. The worker does this once a day; ``flask purge`` does it at once (``--dry-run`` says what
it would delete).

The values are sealed with AES-GCM (comments/crypto.py); ``reseal_contact_data`` seals again, under the
first key of CONTACT_DATA_KEYS, every value sealed under another key or written before encryption.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import delete, func, or_, select, update

from comments import clock
from comments.crypto import key_ring
from comments.domain.audit import Actor, record_event
from comments.extensions import db
from comments.models import Consultation, OutboxMessage, Submission, Submitter

# The sealed columns, by table: what ``reseal_contact_data`` walks.
SEALED_COLUMNS = {
    "submitters": ("name", "email", "contact"),
    "outbox_messages": ("to_address",),
}
RESEAL_BATCH = 500


@dataclass(frozen=True)
class Deletion:
    """What the deletion of one consultation's contact data removed (or would remove, in a dry run)."""

    consultation_id: int
    title: str
    submitters: int
    mails: int


def consultations_due(at=None) -> list[Consultation]:
    """Published consultations whose contact data's retention has ended at ``at`` (now) and is not deleted."""
    at = at or clock.now()
    candidates = db.session.scalars(
        select(Consultation)
        .where(Consultation.results_published_at.is_not(None), Consultation.contact_data_deleted_at.is_(None))
        .order_by(Consultation.results_published_at)
    )
    return [consultation for consultation in candidates if consultation.contact_data_deleted_on <= at]


def _of(consultation: Consultation):
    return select(Submission.id).where(Submission.consultation_id == consultation.id)


def delete_contact_data(consultation: Consultation, *, actor: Actor, dry_run: bool = False) -> Deletion:
    """Empty the submitters' contact data of ``consultation`` and delete the mail sent to them (see the
    module docstring); with ``dry_run``, only count what would go. The caller commits."""
    holding = or_(Submitter.name != "", Submitter.email != "", Submitter.contact != "")
    submitters = db.session.scalar(
        select(func.count()).select_from(Submitter).where(Submitter.submission_id.in_(_of(consultation)), holding)
    )
    mails = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.submission_id.in_(_of(consultation)))
    )
    deletion = Deletion(consultation.id, consultation.title, submitters, mails)
    if dry_run:
        return deletion
    db.session.execute(
        update(Submitter)
        .where(Submitter.submission_id.in_(_of(consultation)))
        .values(name="", email="", contact="")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.submission_id.in_(_of(consultation)))
        .execution_options(synchronize_session=False)
    )
    consultation.contact_data_deleted_at = clock.now()
    db.session.flush()
    record_event(
        actor,
        "consultation.contact_data_deleted",
        consultation,
        submitters=submitters,
        mails=mails,
        retention_days=consultation.contact_retention_days,
    )
    return deletion


def delete_due_contact_data(*, actor: Actor, dry_run: bool = False) -> list[Deletion]:
    """``delete_contact_data`` for every consultation that is due; the caller commits."""
    return [delete_contact_data(consultation, actor=actor, dry_run=dry_run) for consultation in consultations_due()]


def reseal_contact_data() -> int:
    """Seal again, under the current key, every sealed value that is not under it (or not sealed at all);
    return how many values changed. Commits after each batch of rows, so a long run holds no lock long."""
    ring = key_ring()
    changed = 0
    for table, columns in SEALED_COLUMNS.items():
        handle = sa.table(table, sa.column("id", sa.Integer), *(sa.column(name, sa.Text) for name in columns))
        last_id = 0
        while True:
            rows = db.session.execute(
                select(handle).where(handle.c.id > last_id).order_by(handle.c.id).limit(RESEAL_BATCH)
            ).all()
            if not rows:
                break
            for row in rows:
                values = {
                    name: ring.seal(ring.unseal(getattr(row, name), f"{table}.{name}"), f"{table}.{name}")
                    for name in columns
                    if not ring.sealed_under_current(getattr(row, name))
                }
                if values:
                    db.session.execute(handle.update().where(handle.c.id == row.id).values(**values))
                    changed += len(values)
            last_id = rows[-1].id
            db.session.commit()
    return changed
