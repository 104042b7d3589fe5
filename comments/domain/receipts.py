"""Receipt numbers (受付番号) and the fingerprint that lets a citizen prove what they sent (R50).

A receipt number is ten random digits and a Damm check digit (python-stdnum), written 4-4-3:
digits read unambiguously over the telephone in Japanese, where letters do not, and the Damm
algorithm catches every single wrong digit and every swap of two neighbours. Random rather than
sequential, so a number tells nothing about how many others were received and cannot be guessed.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from stdnum import damm

RECEIPT_DIGITS = 10


def new_receipt_number() -> str:
    """A fresh receipt number, formatted ``1234-5678-901``; uniqueness is the database's to enforce."""
    base = "".join(secrets.choice("0123456789") for _ in range(RECEIPT_DIGITS))
    return format_receipt_number(base + damm.calc_check_digit(base))


def format_receipt_number(digits: str) -> str:
    return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"


def normalise_receipt_number(value: str) -> str | None:
    """The canonical form of a receipt number as somebody typed it, or None when it cannot be one."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", value or "") if ch.isdigit())
    if len(digits) != RECEIPT_DIGITS + 1 or not damm.is_valid(digits):
        return None
    return format_receipt_number(digits)


@dataclass(frozen=True)
class FingerprintedFile:
    filename: str
    sha256: str


def fingerprint_manifest(text: str, files: Iterable[FingerprintedFile]) -> str:
    """The canonical text the fingerprint is computed over, shown on the receipt.

    One line for the comment text (SHA-256 of its UTF-8 bytes) and one per attachment in order, in
    the format of ``sha256sum``, so anyone can recompute it with common tools.
    """
    lines = [f"{hashlib.sha256(text.encode('utf-8')).hexdigest()}  comment.txt"]
    lines += [f"{f.sha256}  {f.filename}" for f in files]
    return "\n".join(lines) + "\n"


def compute_fingerprint(text: str, files: Iterable[FingerprintedFile]) -> str:
    """SHA-256 (hex) of ``fingerprint_manifest``."""
    return hashlib.sha256(fingerprint_manifest(text, files).encode("utf-8")).hexdigest()
