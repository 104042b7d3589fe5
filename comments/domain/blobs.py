"""Which blobs the records refer to: what `flask blobs gc` keeps, what `flask blobs verify` reads, and what
a file replaced by a redacted copy waits for before its bytes are destroyed.

Every column that holds the SHA-256 of some bytes is named here once, in one of two lists:

- ``KEPT_COLUMNS``: the row keeps those bytes in the blob store (comments/storage.py) and hands them out;
  an attachment only until a redacted copy replaces it (comments/domain/redactions.py), whose row keeps
  the digest of what arrived as evidence once its bytes are destroyed.
- ``DIGEST_ONLY_COLUMNS``: the digest is evidence of bytes that are not, or soon no longer, kept: the
  e-mail as it came before its individual numbers were masked (never stored), and the bytes a redacted
  copy replaced (deleted once nothing keeps them).

tests/unit/test_blob_references.py fails when a model has a column named like a digest that is in
neither list, so a new kind of file cannot be forgotten by the collector (which would delete it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import exists, or_, select, union

from comments import clock
from comments.extensions import db
from comments.models import Attachment, BlobDestruction, InboundMessage, Material, MeetingPaper, RedactedCopy
from comments.storage import BlobStore

KEPT_COLUMNS = (
    Attachment.sha256,
    RedactedCopy.sha256,
    Material.sha256,
    InboundMessage.raw_sha256,
    MeetingPaper.sha256,
)
DIGEST_ONLY_COLUMNS = (InboundMessage.original_sha256, BlobDestruction.sha256)
SHA256_COLUMNS = KEPT_COLUMNS + DIGEST_ONLY_COLUMNS
# `flask blobs gc` removes no blob written or stored again more recently than this, whatever it is asked:
# a request may have stored it and not committed yet (see REFRESH_AFTER in comments/storage.py).
MIN_GC_AGE = timedelta(hours=1)


def referenced_digests() -> set[str]:
    """Every SHA-256 any row holds, in any of ``SHA256_COLUMNS``: the blobs the collector never removes.

    The digest-only ones are in it too: bytes a redacted copy replaced are destroyed, with an audit event,
    by ``redactions.destroy_replaced`` alone, never collected silently.
    """
    selects = [select(column.label("sha256")).where(column.is_not(None)) for column in SHA256_COLUMNS]
    return set(db.session.scalars(union(*selects)))


def _keeping(column):
    """The rows of ``column``'s model that keep their blob, as (row id, sha256): every one but an attachment
    a redacted copy replaced."""
    model = column.class_
    query = select(model.id, column).where(column.is_not(None))
    if model is Attachment:
        query = query.outerjoin(RedactedCopy, RedactedCopy.attachment_id == Attachment.id).where(
            RedactedCopy.id.is_(None)
        )
    return query


def is_kept(sha256: str) -> bool:
    """Whether a row still keeps these bytes (``KEPT_COLUMNS``): until then, they must not be destroyed."""
    kept = (exists(_keeping(column).where(column == sha256)) for column in KEPT_COLUMNS)
    return bool(db.session.scalar(select(or_(*kept))))


def kept_blobs() -> dict[str, list[str]]:
    """Each blob that must be in the store, with the rows keeping it ("attachments 12"), by SHA-256."""
    kept: dict[str, list[str]] = {}
    for column in KEPT_COLUMNS:
        table = column.class_.__tablename__
        for row_id, sha256 in db.session.execute(_keeping(column).order_by(column.class_.id)):
            kept.setdefault(sha256, []).append(f"{table} {row_id}")
    return kept


@dataclass
class Collection:
    """What ``collect_garbage`` did: blobs kept because a row refers to them or because they are young."""

    referenced: int = 0
    young: int = 0
    removed: int = 0
    removed_bytes: int = 0


def collect_garbage(store: BlobStore, referenced: Iterable[str], *, older_than: timedelta) -> Collection:
    """Remove the stored blobs that are not in ``referenced`` and were last written ``older_than`` ago or more:
    what a request that rolled back left behind (comments/storage.py).

    ``referenced`` is ``referenced_digests()`` read before this call, so before the store is listed: a row
    committed after that points at a blob a request wrote or renewed (REFRESH_AFTER) after it was read,
    which is therefore young. Each blob's time is read again just before it is removed.
    """
    if older_than < MIN_GC_AGE:
        raise ValueError(f"older_than must be {MIN_GC_AGE} or more: a request may be about to refer to a newer blob")
    referenced = set(referenced)
    cutoff = clock.now() - older_than
    done = Collection()
    candidates = []
    for blob in store.list_blobs():
        if blob.sha256 in referenced:
            done.referenced += 1
        elif blob.modified > cutoff:
            done.young += 1
        else:
            candidates.append(blob.sha256)
    for sha256 in candidates:
        blob = store.stat(sha256)
        if blob is None:
            continue  # removed meanwhile (another collector)
        if blob.modified > cutoff:
            done.young += 1  # stored again meanwhile
            continue
        store.delete(sha256)
        done.removed += 1
        done.removed_bytes += blob.size
    return done


@dataclass
class Verification:
    """What ``verify_blobs`` found: how many blobs it read, and the missing and damaged ones with their rows."""

    read: int = 0
    missing: list[tuple[str, list[str]]] = field(default_factory=list)
    # (the SHA-256 it is kept under, the SHA-256 of what it holds, the rows keeping it)
    corrupt: list[tuple[str, str, list[str]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupt


def verify_blobs(store: BlobStore, kept: dict[str, list[str]]) -> Verification:
    """Read every blob of ``kept`` (``kept_blobs()``) to its end and check that its SHA-256 is its name."""
    found = Verification()
    for sha256, rows in sorted(kept.items()):
        try:
            handle = store.open(sha256)
        except FileNotFoundError:
            found.missing.append((sha256, rows))
            continue
        with handle:
            actual = hashlib.file_digest(handle, "sha256").hexdigest()
        found.read += 1
        if actual != sha256:
            found.corrupt.append((sha256, actual, rows))
    return found
