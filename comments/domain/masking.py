"""Individual numbers (個人番号) are masked irreversibly before anything is stored (R10-R15).

番号法第20条 forbids collecting or keeping another person's individual number outside the cases of
第19条, and a number replaced by a reversible token still counts as the number. So a detected number
is replaced by a fixed marker: no hash, no token, nothing from which it could be recovered.

How a number is found, whatever way a person wrote it:

* **Digits** are any decimal digit of any script (ASCII, full-width, Arabic-Indic, Devanagari,
  mathematical bold: ``unicodedata.decimal``), anything NFKC turns into one (circled and superscript
  digits), and the kanji numerals 〇 一 二 … 九 that a number written out vertically uses.
* **Runs** are digits written together. A run of more than 12 digits is never part of a number: a
  13-digit corporate number (法人番号) holds 12-digit stretches, and so do account numbers (R13).
* **Groups** are runs joined by a short gap of separators: white space of any kind (a line break
  too), zero-width and other invisible format characters, hyphens and dashes, dots, 中黒 (・) and
  slashes; at most three visible characters (`` - `` is three). A gap holding white space (or
  nothing visible) is a *soft* boundary: a number may start or end there. A gap of a hyphen, dot or
  slash alone is *hard*: digits joined that way belong to one longer identifier (a card number
  1234-6214-9832-0257, a branch number 6214-9832-0257-1) and are left alone.
* **A number** is a stretch of whole runs of one group, 12 digits in all, ending or starting only at
  the group's ends or at soft boundaries, whose 12th digit is the check digit (python-stdnum's
  ``stdnum.jp.in_``). Stretches that overlap are masked together, so a stray digit beside a number
  (``1 6214 9832 0257``) never leaves a part of it behind.

* **Machine-made hex** is left alone: digits inside a word of 16 or more ASCII hexadecimal characters
  holding a letter (a SHA-256 digest, a request id, a token) were not written by a person, and one
  digest in three hundred holds twelve digits in a row that pass the check.

About one 12-digit string in ten passes the check digit, so a run of unrelated digits is sometimes
masked: a few lost digits in a comment are the price of never keeping a number.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from stdnum.jp import cn as corporate_number
from stdnum.jp import in_ as individual_number

MASK = "[個人番号削除]"
DIGITS_IN_A_NUMBER = 12
KANJI_DIGITS = {char: str(value) for value, char in enumerate("〇一二三四五六七八九")}
# Visible characters people put between the groups of a number, besides white space.
_JOINERS = frozenset("-‐‑‒–—―−－ー﹣─━.．・･·/／\\＼")
# The visible characters a gap may hold at most (" - " is three).
_GAP_MAX_VISIBLE = 3
_GAP_MAX_LENGTH = 12


def my_number_check(value: str) -> bool:
    """Whether ``value`` is 12 digits whose last is the individual number's check digit."""
    return individual_number.is_valid(value)


def corporate_number_check(value: str) -> bool:
    """Whether ``value`` is a 13-digit corporate number (法人番号) with a valid check digit."""
    return corporate_number.is_valid(value)


@lru_cache(maxsize=4096)
def digit_value(char: str) -> str | None:
    """The ASCII digit ``char`` stands for, or None."""
    value = unicodedata.decimal(char, None)
    if value is not None:
        return str(value)
    if char in KANJI_DIGITS:
        return KANJI_DIGITS[char]
    normalised = unicodedata.normalize("NFKC", char)
    return normalised if len(normalised) == 1 and "0" <= normalised <= "9" else None


@lru_cache(maxsize=4096)
def _gap_char(char: str) -> str | None:
    """ "soft" for white space and invisible format characters, "hard" for a joiner, None otherwise."""
    if char.isspace() or unicodedata.category(char) == "Cf":
        return "soft"
    return "hard" if char in _JOINERS else None


def _gap(text: str, *, across_scripts: bool) -> str | None:
    """What a gap between two runs is: "soft", "hard", or None when it does not join them. Beside a kanji
    numeral it is soft, even empty (see ``_runs``)."""
    if not text:
        return "soft" if across_scripts else None
    if len(text) > _GAP_MAX_LENGTH:
        return None
    kinds = [_gap_char(char) for char in text]
    if None in kinds:
        return None
    visible = sum(1 for char in text if unicodedata.category(char) != "Cf")
    if visible > _GAP_MAX_VISIBLE:
        return None
    return "soft" if across_scripts or "soft" in kinds else "hard"


@dataclass(frozen=True)
class _Run:
    start: int
    end: int
    digits: str
    kanji: bool  # written in kanji numerals: a run of another script beside it is another word


def _runs(text: str) -> list[_Run]:
    """The runs of digits in ``text``. Each kanji numeral is a run of its own: kanji numerals also begin and
    end words (一つ, 統一), and no long identifier is written in them, so a number in kanji may touch them."""
    runs: list[_Run] = []
    start, digits, kanji = None, [], False
    for index, char in enumerate(text):
        value = digit_value(char)
        is_kanji = char in KANJI_DIGITS
        if start is not None and (value is None or is_kanji or is_kanji != kanji):
            runs.append(_Run(start, index, "".join(digits), kanji))
            start, digits = None, []
        if value is not None:
            if start is None:
                start, kanji = index, is_kanji
            digits.append(value)
    if start is not None:
        runs.append(_Run(start, len(text), "".join(digits), kanji))
    return runs


def _groups(text: str, runs: list[_Run]) -> list[tuple[list[_Run], list[str]]]:
    """Runs joined by gaps, with the kind of each gap; a run too long for a number stands alone, unused."""
    groups: list[tuple[list[_Run], list[str]]] = []
    current: list[_Run] = []
    kinds: list[str] = []
    for run in runs:
        if len(run.digits) > DIGITS_IN_A_NUMBER:
            if current:
                groups.append((current, kinds))
            current, kinds = [], []
            continue
        kind = None
        if current:
            kind = _gap(text[current[-1].end : run.start], across_scripts=current[-1].kanji or run.kanji)
        if current and kind is not None:
            current.append(run)
            kinds.append(kind)
        else:
            if current:
                groups.append((current, kinds))
            current, kinds = [run], []
    if current:
        groups.append((current, kinds))
    return groups


_HEX = frozenset("0123456789abcdefABCDEF")
_HEX_WORD_MIN = 16


def _inside_hex_word(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] lies in a word of at least 16 ASCII hex characters that holds a letter."""
    if any(char not in _HEX for char in text[start:end]):
        return False
    left, right = start, end
    while left > 0 and text[left - 1] in _HEX:
        left -= 1
    while right < len(text) and text[right] in _HEX:
        right += 1
    word = text[left:right]
    return len(word) >= _HEX_WORD_MIN and not word.isdigit()


# Characters that are never a digit (``digit_value`` is None for each: tests/unit/test_masking.py checks them
# all): ASCII but 0-9, the CJK punctuation but 〇, kana, and the CJK ideographs, where the kanji numerals
# 一 to 九 lie and are matched by the second alternative. Whatever else a text holds is asked ``digit_value``.
_MAYBE_DIGIT = re.compile(
    "[^\x00-\x2f\x3a-\x7f\u3001-\u3006\u3008-\u3020\u3041-\u30ff\u4e00-\u9fff]|[一二三四五六七八九]"
)


def _holds_digits(text: str, count: int) -> bool:
    """Whether ``text`` holds at least ``count`` digits. A number needs 12, and most texts hold far fewer:
    finding that out with one regular expression spares the character-by-character walk of ``_runs``."""
    found = 0
    for match in _MAYBE_DIGIT.finditer(text):
        if digit_value(match.group()) is not None:
            found += 1
            if found >= count:
                return True
    return False


def find_individual_numbers(text: str) -> list[tuple[int, int]]:
    """The spans (start, end) of ``text`` that hold an individual number, in order; overlapping ones merged."""
    if not text or not _holds_digits(text, DIGITS_IN_A_NUMBER):
        return []
    found: list[tuple[int, int]] = []
    for runs, kinds in _groups(text, _runs(text)):
        for first in range(len(runs)):
            if first > 0 and kinds[first - 1] != "soft":
                continue
            digits = ""
            for last in range(first, len(runs)):
                digits += runs[last].digits
                if len(digits) > DIGITS_IN_A_NUMBER:
                    break
                if len(digits) < DIGITS_IN_A_NUMBER:
                    continue
                if (
                    (last == len(runs) - 1 or kinds[last] == "soft")
                    and my_number_check(digits)
                    and not _inside_hex_word(text, runs[first].start, runs[last].end)
                ):
                    found.append((runs[first].start, runs[last].end))
                break
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def contains_individual_number(text: str) -> bool:
    """Whether the text holds an individual number (the citizen is warned before submitting, R15)."""
    return bool(find_individual_numbers(text))


def mask_individual_numbers(text: str) -> tuple[str, int]:
    """Replace every individual number in ``text`` with ``MASK``; return the new text and how many places."""
    spans = find_individual_numbers(text)
    if not spans:
        return text, 0
    parts, last = [], 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(MASK)
        last = end
    parts.append(text[last:])
    return "".join(parts), len(spans)


def masked(text: str) -> str:
    """``text`` with every individual number masked (for text shown or passed on, not counted)."""
    return mask_individual_numbers(text)[0]
