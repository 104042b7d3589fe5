"""Same-purport suggestions at scale: 5,000 items through ``suggest_groups``, seconds and suggestions.

Run by hand, never by the tests:  .venv/bin/python bench/similarity_scale.py  (``--help`` for the knobs).

The target: 5,000 items of 30 to 200 characters suggested in under 2 seconds on the 2-core machine.
The items are built from the sentences of the seed minutes (shared/seed/*.txt), fixed by ``--seed``:

* ``--copies`` of them (40 % by default) are near-copies of ``--campaigns`` campaign texts, as an
  organised campaign sends them: each is its template after 0 to 3 small edits, drawn from a changed
  particle (が→は), a short sentence added before or after, 、 replaced or dropped, full- or half-width
  letters and digits, a space or line break inserted. The templates use sentences of their own.
* the rest are independent items of 1 to 3 seed sentences. The seed's sentences repeat, so some of
  these are duplicates of each other or share a long sentence: those groups are real too.

Building is not timed. It times ``suggest_groups`` ``--rounds`` times and prints each wall and CPU
time (the target is on the median wall time; nothing else should run meanwhile), the number
of suggestions and of items in them, and checks the campaigns against what was built: how many copies
landed in their campaign's largest suggestion, and how many suggestions mix two campaigns or a
campaign with independent items. ``--variants`` gives every copy one more changed character, so that
no two copies are equal: the hard case of a campaign of thousands of distinct texts (see the module
docstring of comments/domain/similarity.py). ``--all-pairs`` also compares every pair (about 20 s)
and reports whether the suggested groups are exactly the connected groups of all pairs at or above
the threshold, which shows what the blocking step misses.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_DIR))

from comments.domain.similarity import DEFAULT_THRESHOLD, normalise, suggest_groups  # noqa: E402

SEED_DIR = PROJECT_DIR.parent / "shared" / "seed"
PARTICLES = "がはをにもでと"
SPACES = (" ", "　", "\n")
COMMA_REPLACEMENTS = ("，", ",", " ", "")
FULL_WIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}
SHORTEST, LONGEST = 30, 200


def sentences_of(directory: Path) -> list[str]:
    """Distinct sentences of the seed minutes, 10 to 150 characters long, each ending in 。."""
    found: dict[str, None] = {}
    for path in sorted(directory.glob("*.txt")):
        for sentence in re.split(r"[。\n]", path.read_text(encoding="utf-8")):
            if 10 <= len(sentence.strip()) <= 150:
                found[sentence.strip() + "。"] = None
    if not found:
        sys.exit(f"no sentences in {directory}/*.txt")
    return list(found)


def compose(rng: random.Random, pool: list[str], shortest: int, longest: int) -> str:
    while True:
        text = "".join(rng.sample(pool, rng.randint(1, 3)))
        if shortest <= len(text) <= longest:
            return text


def small_edit(rng: random.Random, text: str, short_sentences: list[str]) -> str:
    kind = rng.choice(("particle", "sentence", "comma", "width", "space"))
    if kind == "particle":
        positions = [i for i, char in enumerate(text) if char in PARTICLES]
        if positions:
            i = rng.choice(positions)
            text = text[:i] + rng.choice([p for p in PARTICLES if p != text[i]]) + text[i + 1 :]
    elif kind == "sentence":
        added = rng.choice(short_sentences)
        if len(text) + len(added) <= LONGEST:
            text = text + added if rng.random() < 0.7 else added + text
    elif kind == "comma":
        text = text.replace("、", rng.choice(COMMA_REPLACEMENTS))
    elif kind == "width":
        text = unicodedata.normalize("NFKC", text) if rng.random() < 0.5 else text.translate(FULL_WIDTH)
    else:
        i = rng.randrange(len(text))
        text = text[:i] + rng.choice(SPACES) + text[i:]
    return text


def build(count: int, campaigns: int, copies: float, variants: bool, seed: int):
    """(items, campaign of each item id or None), items in shuffled id order."""
    rng = random.Random(seed)
    pool = sentences_of(SEED_DIR)
    rng.shuffle(pool)
    campaign_pool, pool = pool[: len(pool) // 3], pool[len(pool) // 3 :]
    short_sentences = [s for s in pool if len(s) <= 25]
    templates = [compose(rng, campaign_pool, 40, LONGEST - 20) for _ in range(campaigns)]
    texts: list[tuple[str, int | None]] = []
    for number in range(count):
        if number < count * copies:
            campaign = rng.randrange(campaigns)
            text = templates[campaign]
            for _ in range(rng.randint(0, 3)):
                text = small_edit(rng, text, short_sentences)
            if variants:
                i = rng.randrange(len(text))
                text = text[:i] + rng.choice(PARTICLES) + text[i + 1 :]
            texts.append((text, campaign))
        else:
            texts.append((compose(rng, pool, SHORTEST, LONGEST), None))
    rng.shuffle(texts)
    items = [(item_id, text) for item_id, (text, _campaign) in enumerate(texts, start=1)]
    truth = {item_id: campaign for item_id, (_text, campaign) in enumerate(texts, start=1)}
    return items, truth


def check_campaigns(suggestions, truth) -> tuple[int, int, int]:
    """(copies in their campaign's largest suggestion, all copies, suggestions mixing sources)."""
    best: dict[int, int] = defaultdict(int)
    mixed = 0
    for suggestion in suggestions:
        sources = Counter(truth[item_id] for item_id in suggestion.item_ids)
        if len(sources) > 1 and any(source is not None for source in sources):
            mixed += 1
        for source, size in sources.items():
            if source is not None:
                best[source] = max(best[source], size)
    return sum(best.values()), sum(source is not None for source in truth.values()), mixed


def all_pairs_groups(items, threshold: float) -> set[tuple[int, ...]]:
    """The connected groups of all pairs at or above ``threshold``, by comparing every pair."""
    from rapidfuzz import process
    from rapidfuzz.distance import Indel

    texts = [normalise(text) for _item_id, text in items]
    ids = [item_id for item_id, _text in items]
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, text in enumerate(texts):
        if not text:
            continue
        later = texts[i + 1 :]
        for _choice, _score, offset in process.extract(
            text, later, scorer=Indel.normalized_similarity, score_cutoff=threshold, limit=None
        ):
            if later[offset]:
                parent[find(i + 1 + offset)] = find(i)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(texts)):
        groups[find(i)].append(ids[i])
    return {tuple(sorted(group)) for group in groups.values() if len(group) > 1}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=5000, help="items to build (default 5000)")
    parser.add_argument("--campaigns", type=int, default=40, help="campaign texts copied (default 40)")
    parser.add_argument("--copies", type=float, default=0.4, help="share of items that are campaign copies")
    parser.add_argument("--variants", action="store_true", help="make every copy distinct (the hard case)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--rounds", type=int, default=3, help="times to run suggest_groups (default 3)")
    parser.add_argument("--seed", type=int, default=20261126, help="random seed of the generated items")
    parser.add_argument("--all-pairs", action="store_true", help="also compare every pair (slow) and diff")
    parser.add_argument("--target", type=float, default=2.0, help="seconds the median must stay under")
    args = parser.parse_args()

    items, truth = build(args.items, args.campaigns, args.copies, args.variants, args.seed)
    lengths = [len(text) for _item_id, text in items]
    distinct = len({normalise(text) for _item_id, text in items})
    print(f"{len(items)} items, {min(lengths)}-{max(lengths)} characters, {distinct} distinct after normalise")

    seconds = []
    suggestions = []
    for round_number in range(1, args.rounds + 1):
        started, cpu_started = time.perf_counter(), time.process_time()
        suggestions = suggest_groups(items, threshold=args.threshold)
        seconds.append(time.perf_counter() - started)
        # CPU time as well: on a shared machine wall time grows with whatever else runs, CPU time less.
        print(f"round {round_number}: {seconds[-1]:.3f} s wall, {time.process_time() - cpu_started:.3f} s CPU")
    in_suggestions = sum(len(s.item_ids) for s in suggestions)
    placed, copies, mixed = check_campaigns(suggestions, truth)
    print(
        f"suggestions: {len(suggestions)} holding {in_suggestions} items; largest {len(suggestions[0].item_ids) if suggestions else 0}"
    )
    print(f"campaign copies in their campaign's largest suggestion: {placed} of {copies}")
    print(f"suggestions mixing two campaigns or a campaign with other items: {mixed}")
    if args.all_pairs:
        started = time.perf_counter()
        exact = all_pairs_groups(items, args.threshold)
        found = {s.item_ids for s in suggestions}
        print(
            f"all pairs ({time.perf_counter() - started:.1f} s): {len(exact)} groups, "
            f"{len(exact - found)} of them not suggested as such, {len(found - exact)} suggestions not among them"
        )
    median = statistics.median(seconds)
    print(f"median {median:.3f} s, best {min(seconds):.3f} s (target under {args.target} s)")
    return 0 if median < args.target else 1


if __name__ == "__main__":
    sys.exit(main())
