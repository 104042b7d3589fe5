"""Contact data encrypted at rest (R46): AES-GCM from the ``cryptography`` package, under keys from the
environment, each value carrying the id of the key that sealed it so keys can be rotated.

``CONTACT_DATA_KEYS`` lists the keys as ``id:key`` pairs separated by commas, the key being 32 random bytes
in URL-safe base64 (``flask keys new`` prints one); the first seals what is written from now on, the others
still open what they sealed until ``flask keys rotate`` has sealed it again under the first. A sealed value
is ``enc1:<key id>:<nonce and ciphertext, URL-safe base64>``, bound to its column (the column's name is the
associated data, so a value copied into another column does not open). A database dump without the keys
shows none of it.

The empty string is kept as it is: it says only that nothing was given, and a purged row is empty.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app

PREFIX = "enc1"
EXTENSION_KEY = "contact_keys"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class ContactKeyError(RuntimeError):
    """A key is missing or malformed; the message says what to set."""


@dataclass(frozen=True)
class KeyRing:
    """The keys by id; ``current`` seals, every one opens what it sealed."""

    current: str
    keys: dict[str, AESGCM]

    @classmethod
    def parse(cls, setting: str) -> KeyRing:
        """Read ``CONTACT_DATA_KEYS`` (``id:key,id:key``); ContactKeyError saying what is wrong."""
        keys: dict[str, AESGCM] = {}
        order = []
        for entry in (part.strip() for part in (setting or "").split(",")):
            if not entry:
                continue
            key_id, _, encoded = entry.partition(":")
            if not _KEY_ID.match(key_id):
                raise ContactKeyError(f"CONTACT_DATA_KEYS: {key_id!r} is not a key id (letters, digits, - and _)")
            try:
                raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 32:
                raise ContactKeyError(f"CONTACT_DATA_KEYS: the key of {key_id!r} is not 32 bytes in URL-safe base64")
            keys[key_id] = AESGCM(raw)
            order.append(key_id)
        if not order:
            raise ContactKeyError("CONTACT_DATA_KEYS is not set: contact data is encrypted at rest (flask keys new)")
        return cls(order[0], keys)

    def seal(self, value: str, column: str) -> str:
        nonce = os.urandom(12)
        sealed = self.keys[self.current].encrypt(nonce, value.encode("utf-8"), column.encode("ascii"))
        return f"{PREFIX}:{self.current}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    def unseal(self, value: str, column: str) -> str:
        """The plain text of a sealed value; a value written before encryption comes back as it is."""
        if not is_sealed(value):
            return value
        _prefix, key_id, encoded = value.split(":", 2)
        key = self.keys.get(key_id)
        if key is None:
            raise ContactKeyError(f"contact data sealed under key {key_id!r}, which CONTACT_DATA_KEYS no longer lists")
        data = base64.urlsafe_b64decode(encoded)
        try:
            return key.decrypt(data[:12], data[12:], column.encode("ascii")).decode("utf-8")
        except InvalidTag as error:
            raise ContactKeyError(f"contact data in {column} does not open with key {key_id!r}") from error

    def sealed_under_current(self, value: str) -> bool:
        return not value or value.startswith(f"{PREFIX}:{self.current}:")


def is_sealed(value: str | None) -> bool:
    return bool(value) and value.startswith(f"{PREFIX}:")


def new_key_entry(key_id: str | None = None) -> str:
    """A fresh ``id:key`` entry for CONTACT_DATA_KEYS; ContactKeyError for an id the ring would refuse."""
    key_id = key_id or secrets.token_hex(4)
    if not _KEY_ID.match(key_id):
        raise ContactKeyError(f"{key_id!r} is not a key id: use 1 to 32 letters, digits, - and _")
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode('ascii').rstrip('=')}"


DIALECT_ATTRIBUTE = "comments_contact_keys"


def init_app(app: Flask) -> None:
    """Read the app's keys once (config.py refuses to start without them outside development), and hand
    them to the app's database engines too: a column type sees only the engine's dialect, and so finds the
    keys of the app whose database it writes, with or without an app context (a worker's thread, a test)."""
    from comments.extensions import db

    ring = KeyRing.parse(app.config["CONTACT_DATA_KEYS"])
    app.extensions[EXTENSION_KEY] = ring
    with app.app_context():
        for engine in db.engines.values():
            setattr(engine.dialect, DIALECT_ATTRIBUTE, ring)


def key_ring(dialect=None) -> KeyRing:
    """The keys of the engine behind ``dialect``, else of the current app."""
    ring = getattr(dialect, DIALECT_ATTRIBUTE, None)
    return ring if ring is not None else current_app.extensions[EXTENSION_KEY]
