"""A character-level comparison of two texts (新旧対照), for Japanese text.

A Japanese paragraph is one long line with no spaces, so a line diff marks the whole paragraph changed and
a word diff finds no words: the comparison is of characters. ``char_diff`` gives the changes, and
``render_diff_html`` marks them with ``<del>`` and ``<ins>``, each beginning with a visually hidden word for
screen readers, so the change reads without colour or strike-through. Put the result in an element of
class ``preserve`` (static/style.css) so line breaks show.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

# SequenceMatcher's cost grows with the product of the two lengths (Japanese text repeats の、。 so often
# that the worst case is the usual one). Measured on the seed minutes: 8,000 × 8,000 characters take 0.1 s
# with a few edits and 0.25 s for unrelated texts; 20,000 × 20,000 take 1 to 2.3 s, and 2,000 × 300,000
# take 1.7 s. Above this product the texts are compared sentence by sentence first, and only the changed
# sentences character by character.
DIRECT_CELLS = 8_000 * 8_000

# A sentence ends at 。 or at a line break, and takes the line breaks after it (so blank lines are not
# sentences of their own); the comparison of long texts is by these units first.
_SENTENCES = re.compile(r"[^。\n]*(?:。|\n|$)\n*")

# A run of unchanged text this short between two changes, and no longer than either change, is shown as
# part of them: "審議会の答申" → "部会の報告" reads as one change, not as 審議→部, 会の, 答申→報告.
_SHORT_EQUAL = 2

Kind = Literal["equal", "delete", "insert"]


@dataclass(frozen=True)
class DiffOp:
    """One run of the comparison: text both share (``equal``), only the old has (``delete``) or only the
    new has (``insert``)."""

    kind: Kind
    text: str


def _char_runs(old: str, new: str) -> list[tuple[str, str, str]]:
    """The comparison as (kind, old text, new text) runs, kind "equal" or "change"."""
    runs = []
    # autojunk=False: with autojunk, any element that makes up more than 1% of a sequence of 200 or more is
    # ignored when looking for matches. In Japanese text の、は、。and を are each well over 1%, so a long
    # paragraph would lose its most common characters as anchors and come back as one large deletion and
    # insertion instead of the few characters that changed.
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        runs.append(("equal" if tag == "equal" else "change", old[i1:i2], new[j1:j2]))
    return runs


def _unit_runs(old: str, new: str) -> list[tuple[str, str, str]]:
    """As ``_char_runs``, for long texts: sentences first, then characters within each changed block of
    sentences unless both sides of it are still too long, when the block is shown replaced whole."""
    old_units = [unit for unit in _SENTENCES.findall(old) if unit]
    new_units = [unit for unit in _SENTENCES.findall(new) if unit]
    runs = []
    # autojunk left on here, unlike for characters: a sentence that makes up over 1% of the minutes (はい。,
    # 以上です。) is no use as an anchor, and comparing every copy of it with every other made 300,000
    # characters of minutes take 7 s instead of 0.02 s. It is still compared, only never matched first.
    matcher = difflib.SequenceMatcher(None, old_units, new_units)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old_text, new_text = "".join(old_units[i1:i2]), "".join(new_units[j1:j2])
        if tag == "equal":
            runs.append(("equal", old_text, new_text))
        elif tag == "replace" and len(old_text) * len(new_text) <= DIRECT_CELLS:
            runs.extend(_char_runs(old_text, new_text))
        else:
            runs.append(("change", old_text, new_text))
    return runs


def _merged(runs: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Neighbouring runs of one kind joined, and short unchanged runs between changes folded into them."""
    while True:
        merged: list[tuple[str, str, str]] = []
        folded = False
        for kind, old, new in runs:
            if not old and not new:
                continue
            if merged and merged[-1][0] == kind:
                _, old_before, new_before = merged.pop()
                merged.append((kind, old_before + old, new_before + new))
            elif (
                kind == "change"
                and len(merged) >= 2
                and merged[-2][0] == "change"
                and len(merged[-1][1]) <= min(_SHORT_EQUAL, max(map(len, merged[-2][1:])), max(len(old), len(new)))
            ):
                _, equal, _ = merged.pop()
                _, old_before, new_before = merged.pop()
                merged.append(("change", old_before + equal + old, new_before + equal + new))
                folded = True
            else:
                merged.append((kind, old, new))
        runs = merged
        if not folded:
            return runs


def char_diff(old: str, new: str) -> list[DiffOp]:
    """The changes from ``old`` to ``new``, character by character: runs of equal, deleted and inserted
    text in order, a deletion before the insertion that replaces it. Joining the equal and deleted runs
    gives ``old``; the equal and inserted runs give ``new``.

    Long texts (the product of their lengths over ``DIRECT_CELLS``) are compared sentence by sentence
    first (a sentence ends at 。 or a line break), then character by character within each changed run of
    sentences; a changed run still too long for that is shown deleted and inserted whole. So a comparison
    of two 300,000-character minutes takes a fraction of a second."""
    if old == new:
        return [DiffOp("equal", old)] if old else []
    runs = _unit_runs(old, new) if len(old) * len(new) > DIRECT_CELLS else _char_runs(old, new)
    ops = []
    for kind, old_text, new_text in _merged(runs):
        if kind == "equal":
            ops.append(DiffOp("equal", old_text))
            continue
        if old_text:
            ops.append(DiffOp("delete", old_text))
        if new_text:
            ops.append(DiffOp("insert", new_text))
    return ops


_TEMPLATES = {
    "delete": Markup('<del><span class="visually-hidden">{0}</span>{1}</del>'),
    "insert": Markup('<ins><span class="visually-hidden">{0}</span>{1}</ins>'),
}


def render_diff_html(ops: list[DiffOp]) -> Markup:
    """The comparison as HTML: equal text as it is, deletions in ``<del>``, insertions in ``<ins>``, each
    beginning with a visually hidden "deleted: " or "inserted: " for screen readers, which do not announce
    the elements themselves. Every text is escaped. Render within a request (the words are translated)."""
    prefixes = {"delete": _l("deleted: "), "insert": _l("inserted: ")}
    parts = []
    for op in ops:
        if op.kind == "equal":
            parts.append(escape(op.text))
        else:
            # str() first: a lazy string has __html__, so Markup would take a translation as safe HTML.
            parts.append(_TEMPLATES[op.kind].format(str(prefixes[op.kind]), op.text))
    return Markup("").join(parts)
