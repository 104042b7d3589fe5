"""Every column holding a digest of bytes is named in comments/domain/blobs.py, so `flask blobs gc` never
removes a file a new kind of record points to, and `flask blobs verify` checks it."""

from __future__ import annotations

import re

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from comments.domain.blobs import DIGEST_ONLY_COLUMNS, KEPT_COLUMNS, SHA256_COLUMNS
from comments.extensions import db

# A column named like one of these holds a digest: sha256, raw_sha256, thumbnail_digest, file_checksum...
DIGEST_NAME = re.compile(r"sha_?256|digest|checksum", re.IGNORECASE)


def digest_columns(mappers) -> set[tuple[str, str]]:
    """(table, attribute) of every mapped column named like a digest."""
    return {
        (mapper.local_table.name, attribute.key)
        for mapper in mappers
        for attribute in mapper.column_attrs
        if DIGEST_NAME.search(attribute.key) or any(DIGEST_NAME.search(column.name) for column in attribute.columns)
    }


def test_every_digest_column_of_the_models_is_kept_or_named_as_a_digest_only():
    named = {(column.class_.__tablename__, column.key) for column in SHA256_COLUMNS}
    unnamed = digest_columns(db.Model.registry.mappers) - named
    assert unnamed == set(), (
        "name these columns in comments/domain/blobs.py: KEPT_COLUMNS if the row keeps those bytes in the blob "
        "store (else `flask blobs gc` deletes them), DIGEST_ONLY_COLUMNS if no file is kept under the digest"
    )
    assert named <= digest_columns(db.Model.registry.mappers), "a column named there no longer exists"


def test_no_column_is_both_kept_and_a_digest_only():
    assert set(KEPT_COLUMNS).isdisjoint(DIGEST_ONLY_COLUMNS)


def test_the_check_sees_a_new_kind_of_file():
    class Base(DeclarativeBase):
        pass

    class Thumbnail(Base):
        __tablename__ = "thumbnails"
        id: Mapped[int] = mapped_column(primary_key=True)
        image_sha256: Mapped[str] = mapped_column(String(64))
        title: Mapped[str] = mapped_column(String(100))

    assert digest_columns(Base.registry.mappers) == {("thumbnails", "image_sha256")}
