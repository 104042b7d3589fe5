"""Running the e-mail intake: one message in, committed, with its files cleaned up if the commit fails.

``flask mail ingest`` (an MTA pipe), ``flask mail poll`` (IMAP) and the benchmark all go through
``ingest_and_commit``; the rules themselves are in domain/mail_intake.py.
"""

from __future__ import annotations

from comments.domain.audit import Actor
from comments.domain.mail_intake import IngestResult, ingest_message
from comments.extensions import db
from comments.storage import blob_store
from comments.transactions import begin_write

INTAKE_ACTOR = Actor("mail-intake")


def ingest_and_commit(raw: bytes, *, source: str, recipient: str | None = None) -> IngestResult:
    """Ingest one message in its own transaction and commit it; roll back and remove new files on failure."""
    store = blob_store()
    begin_write()
    result = None
    try:
        result = ingest_message(raw, source=source, actor=INTAKE_ACTOR, blob_store=store, recipient=recipient)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for sha256 in result.created_blobs if result else ():
            store.discard(sha256)
        raise
    return result
