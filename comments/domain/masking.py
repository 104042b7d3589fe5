"""Individual numbers (個人番号) are masked irreversibly before anything is stored (R10-R15).

番号法第20条 forbids collecting or keeping another person's individual number outside the cases of
第19条, and a number replaced by a reversible token still counts as the number. So a detected number
is replaced by a fixed marker: no hash, no token, nothing from which it could be recovered.

The check digit comes from python-stdnum (``stdnum.jp.in_``), not from code of our own.
"""

from __future__ import annotations

import re
import unicodedata

from stdnum.jp import cn as corporate_number
from stdnum.jp import in_ as individual_number

MASK = "[個人番号削除]"

_DIGIT = "[0-9０-９]"
# Separators people put between the 4-4-4 groups: space, hyphens and dashes, the full-width space.
_SEPARATOR = "[ \\-‐‑‒–—―−－ー　]"
# Twelve digits written together or as 4-4-4 groups with one separator each, and not part of a longer
# run of digits (a 13-digit corporate number contains 12-digit runs, R13), nor of a longer grouped run.
_CANDIDATE = re.compile(
    rf"(?<!{_DIGIT})(?<!{_DIGIT}{_SEPARATOR})"
    rf"({_DIGIT}{{4}}{_SEPARATOR}?{_DIGIT}{{4}}{_SEPARATOR}?{_DIGIT}{{4}})"
    rf"(?!{_DIGIT})(?!{_SEPARATOR}{_DIGIT})"
)


def my_number_check(value: str) -> bool:
    """Whether ``value`` is 12 digits whose last is the individual number's check digit."""
    return individual_number.is_valid(value)


def corporate_number_check(value: str) -> bool:
    """Whether ``value`` is a 13-digit corporate number (法人番号) with a valid check digit."""
    return corporate_number.is_valid(value)


def _digits(candidate: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", candidate) if ch.isdigit())


def find_individual_numbers(text: str) -> list[re.Match]:
    """The spans of ``text`` that are individual numbers: the right shape and a valid check digit."""
    found = []
    for match in _CANDIDATE.finditer(text):
        digits = _digits(match.group(1))
        if len(digits) == 12 and my_number_check(digits):
            found.append(match)
    return found


def contains_individual_number(text: str) -> bool:
    """Whether the citizen should be warned before submitting (R15)."""
    return bool(find_individual_numbers(text))


def mask_individual_numbers(text: str) -> tuple[str, int]:
    """Replace every individual number in ``text`` with ``MASK``; return the new text and how many."""
    matches = find_individual_numbers(text)
    if not matches:
        return text, 0
    parts, last = [], 0
    for match in matches:
        parts.append(text[last : match.start(1)])
        parts.append(MASK)
        last = match.end(1)
    parts.append(text[last:])
    return "".join(parts), len(matches)
