"""Suggest groups of items that say the same thing (同趣旨の意見), for the secretariat to confirm.

After a comment period hundreds to thousands of items arrive, many of them near-copies of one campaign
text. Items of the same purport are answered once, so the service suggests groups; staff confirm or
change them, and every item stays an item whatever they decide. Pure: no database, no Flask.

How texts are compared. ``normalise`` first: NFKC (full-width ＰＤＦ is PDF, half-width ｶﾅ is カナ),
lower case, and only letters and digits kept (Unicode L* and N*, as ``search.py`` does), so punctuation,
symbols and spaces (P*, S*, Z*) go, and with them line breaks, zero-width spaces and combining marks
that NFKC did not compose. ``similarity`` is rapidfuzz's normalised Indel similarity of the two
normalised texts, ``2 * LCS / (len(a) + len(b))`` (its ``fuzz.ratio`` / 100): the share of characters
the two have in common, in order. Measured with bench/similarity_scale.py on 20,000 pairs of distinct
near-copies (a changed particle, an added sentence, changed punctuation, width or spaces): 3.4 % fell
below 0.8 by this measure, 22 % by the Jaccard index of their character bigrams, because an added
sentence or a changed character costs bigrams fast. Of 20,000 random pairs of other items, 24 reached
0.8 (11 by Jaccard): items built around the same sentence of the minutes.

Finding the pairs. Comparing all pairs is quadratic: 5,000 items are 12.5 million pairs, 17 s with
rapidfuzz on a quiet machine. Japanese has no spaces, so each normalised text is cut into overlapping
character bigrams, and a text is compared only with the texts that contain one of its
``RARE_SHINGLES`` rarest bigrams (rarest across the input), or whose own rarest bigrams it contains:
near-copies share almost all their bigrams, and a text with a sentence added contains every bigram of
the original. On the bench this finds exactly the groups that comparing all pairs finds, with 96,000
comparisons; with the 3 or 4 rarest bigrams one group came out different. Exact duplicates (after
``normalise``) are merged before anything is compared.

A campaign of thousands of texts that each differ a little would still cost millions of comparisons:
3 campaigns of about 1,300 distinct variants each took 15 s of CPU. So once a group holds
``LARGE_GROUP`` distinct texts, a new text is compared with its candidates in that group in batches of
``SAMPLE`` and stops at the first batch it matches, since joining needs one link (2.6 s for the same
input). Which items end up together does not change; only such a group's score is taken over the links
measured, so it can be lower than the best chain would give (0.80 to 0.84 there instead of 0.86 to
0.91), never higher.

Why not MinHash with LSH (datasketch): it pulls numpy and scipy (about 215 MB installed, 2 s to import
cold here), and hashing the 3,211 distinct texts of the bench took 2.6 s with its bulk API before a
single pair was compared, more than the whole budget. rapidfuzz is one 3 MB wheel (12 MB installed)
with no dependencies. Measured with bench/similarity_scale.py on the 2-core machine: 5,000 items in
0.6 to 0.9 s of CPU time (the target is 2 s).

Character similarity sees copying, not meaning: マイナンバーの利用範囲の拡大に賛成します and
...賛成しません are 0.93 alike. Hence suggestions, never decisions.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import Indel

DEFAULT_THRESHOLD = 0.8
# How many of a text's rarest bigrams find its candidates: 5 found every group that comparing all pairs
# found on the bench, 3 and 4 did not; more only adds comparisons.
RARE_SHINGLES = 5
# From this many distinct texts a group is compared with a new text a batch at a time (see the module
# docstring). Below it every candidate pair inside a group is measured, so its score is exact.
LARGE_GROUP = 64
SAMPLE = 16

# Anything but a letter or a digit (Python's \w is L*, N* and the underscore, which is punctuation).
_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Suggestion:
    """Items suggested as one group of the same purport."""

    item_ids: tuple[int, ...]  # two or more items, ascending
    # The weakest link: the lowest similarity on the strongest chain of links that holds the group
    # together, that is the highest threshold at which these items would still be one suggestion.
    # Two items of a chain A~B~C may be less alike than this (A and C); see the module docstring for
    # groups of more than LARGE_GROUP distinct texts.
    score: float


def normalise(text: str) -> str:
    """``text`` as compared: NFKC, lower case, letters and digits only (「マイナンバー、」 is マイナンバー)."""
    return _NOT_LETTER_OR_DIGIT.sub("", unicodedata.normalize("NFKC", text).lower())


def similarity(a: str, b: str) -> float:
    """How alike two texts are, 0..1, on their normalised forms: 1.0 for texts equal after ``normalise``.

    Texts with no letter or digit at all (blank, only punctuation or emoji) have nothing to compare:
    1.0 when identical, else 0.0.
    """
    left, right = normalise(a), normalise(b)
    if not left or not right:
        return 1.0 if a == b else 0.0
    return Indel.normalized_similarity(left, right)


def suggest_groups(items: Iterable[tuple[int, str]], *, threshold: float = DEFAULT_THRESHOLD) -> list[Suggestion]:
    """Clusters of items whose texts are exact or near duplicates, largest first; singletons are not returned.

    ``items`` are (item id, text) pairs with distinct ids. Two items are linked when their
    ``similarity`` is at least ``threshold``; a suggestion is a connected group of links (so A~B and
    B~C put A, B and C together), and its score is its weakest link. Items whose text has no letter or
    digit are never suggested. The result depends only on the pairs given, not on their order: ties
    in size are ordered by the smallest id. The method, and why, is in the module docstring; it is
    tuned for near-duplicates, thresholds well below 0.8 miss pairs that share little.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], not {threshold}")
    ids_by_text: dict[str, list[int]] = {}
    seen: set[int] = set()
    for item_id, text in sorted(items, key=lambda item: item[0]):
        if item_id in seen:
            raise ValueError(f"item id {item_id} given twice")
        seen.add(item_id)
        key = normalise(text)
        if key:
            ids_by_text.setdefault(key, []).append(item_id)
    texts = list(ids_by_text)  # distinct texts, in the order of their smallest id
    links = _find_links(texts, threshold)
    return _suggestions([ids_by_text[text] for text in texts], links)


def _shingles(text: str) -> set[str]:
    if len(text) < 2:
        return {text}
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _find_links(texts: list[str], threshold: float) -> list[tuple[float, int, int]]:
    """(similarity, earlier text, later text) for the candidate pairs at or above ``threshold``."""
    shingles = [_shingles(text) for text in texts]
    frequency: Counter[str] = Counter()
    for text_shingles in shingles:
        frequency.update(text_shingles)
    # Sorted by bigram first, so equally rare bigrams are taken in the same order in every run.
    rarest = [sorted(sorted(text_shingles), key=frequency.__getitem__)[:RARE_SHINGLES] for text_shingles in shingles]
    probed = set().union(*rarest)
    containing: dict[str, list[int]] = defaultdict(list)  # probed bigram -> earlier texts containing it
    rarest_of: dict[str, list[int]] = defaultdict(list)  # bigram -> earlier texts it is one of the rarest of
    groups = _Groups(len(texts), large_at=LARGE_GROUP)
    links: list[tuple[float, int, int]] = []
    for index, text in enumerate(texts):
        own_probed = shingles[index] & probed
        candidates: set[int] = set()
        for shingle in rarest[index]:
            candidates.update(containing.get(shingle, ()))
        for shingle in own_probed:
            candidates.update(rarest_of.get(shingle, ()))
        found: list[tuple[float, int]] = []
        for members in groups.large_member_sets():
            inside = candidates & members
            if len(inside) > SAMPLE:
                candidates -= inside
                found.extend(_first_matching_batch(text, sorted(inside), texts, threshold))
        if candidates:
            found.extend(_matches(text, sorted(candidates), texts, threshold))
        for score, other in found:
            links.append((score, other, index))
            groups.join(other, index, score)
        for shingle in own_probed:
            containing[shingle].append(index)
        for shingle in rarest[index]:
            rarest_of[shingle].append(index)
    return links


def _matches(text: str, others: list[int], texts: list[str], threshold: float) -> list[tuple[float, int]]:
    choices = [texts[other] for other in others]
    hits = process.extract(text, choices, scorer=Indel.normalized_similarity, score_cutoff=threshold, limit=None)
    return [(score, others[position]) for _choice, score, position in hits]


def _first_matching_batch(text: str, others: list[int], texts: list[str], threshold: float) -> list[tuple[float, int]]:
    for start in range(0, len(others), SAMPLE):
        found = _matches(text, others[start : start + SAMPLE], texts, threshold)
        if found:
            return found
    return []


def _suggestions(ids: list[list[int]], links: list[tuple[float, int, int]]) -> list[Suggestion]:
    """Join the strongest links first (Kruskal), so each group's last join is its weakest link."""
    groups = _Groups(len(ids))
    for score, earlier, later in sorted(links, key=lambda link: (-link[0], link[1], link[2])):
        groups.join(earlier, later, score)
    suggestions = []
    for root, members in groups.roots():
        item_ids = tuple(sorted(item_id for text in members for item_id in ids[text]))
        if len(item_ids) > 1:
            suggestions.append(Suggestion(item_ids, groups.weakest[root]))
    suggestions.sort(key=lambda suggestion: (-len(suggestion.item_ids), suggestion.item_ids))
    return suggestions


class _Groups:
    """Union-find over text indexes, with each group's members and its weakest joining link.

    With ``large_at``, also the member set of every group of at least that many texts, for the batch
    comparison of ``_find_links``.
    """

    def __init__(self, size: int, *, large_at: int | None = None) -> None:
        self.parent = list(range(size))
        self.members: list[list[int]] = [[index] for index in range(size)]
        self.weakest = [1.0] * size  # exact duplicates inside one text are 1.0 alike
        self.large_at = large_at
        self.large: dict[int, set[int]] = {}

    def find(self, index: int) -> int:
        parent = self.parent
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    def join(self, a: int, b: int, score: float) -> None:
        a, b = self.find(a), self.find(b)
        if a == b:
            return
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        moved = self.members[b]
        self.members[b] = []
        self.members[a].extend(moved)
        self.weakest[a] = min(self.weakest[a], self.weakest[b], score)
        if self.large_at is None:
            return
        self.large.pop(b, None)
        if a in self.large:
            self.large[a].update(moved)
        elif len(self.members[a]) >= self.large_at:
            self.large[a] = set(self.members[a])

    def large_member_sets(self) -> list[set[int]]:
        return list(self.large.values())

    def roots(self) -> Iterable[tuple[int, list[int]]]:
        """(root, member indexes) of every group, single texts included; only roots keep members."""
        return ((index, members) for index, members in enumerate(self.members) if members)
