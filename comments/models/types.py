"""Column types shared by the models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum, Text
from sqlalchemy.types import TypeDecorator

from comments.crypto import is_sealed, key_ring


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC instant on every database.

    SQLite has no time zone type, so values are stored as naive UTC and given back aware; a naive
    value handed in is refused, because guessing its zone is how deadlines go wrong (R51).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_class: type[enum.Enum], name: str):
    """An enum stored as a string with a named CHECK constraint, the same on SQLite and PostgreSQL."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class SealedText(TypeDecorator):
    """Contact data, encrypted at rest (R46): sealed with the app's contact keys when written, opened when
    read (comments/crypto.py). ``column`` ("table.column") binds each value to its column.

    Never compare such a column in SQL: every sealing draws a new nonce, so equal values differ.
    """

    impl = Text
    cache_ok = True

    def __init__(self, column: str):
        super().__init__()
        self.column = column

    def process_bind_param(self, value: str | None, dialect):
        if not value or is_sealed(value):
            return value
        return key_ring(dialect).seal(value, self.column)

    def process_result_value(self, value: str | None, dialect):
        if not value:
            return value
        return key_ring(dialect).unseal(value, self.column)
