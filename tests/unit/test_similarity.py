"""Suggested groups of items of the same purport (同趣旨): comparison, grouping, and its invariants."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comments.domain import similarity as similarity_module
from comments.domain.similarity import Suggestion, normalise, similarity, suggest_groups

BLNS = json.loads((Path(__file__).parent.parent / "data" / "blns.json").read_text(encoding="utf-8"))

OPPOSED = "マイナンバーを福祉の事務に使うことには反対です。情報が漏えいしたときの責任の所在が明らかではありません。"
SUBCONTRACT = "委託先の監督について質問します。再委託の有無と、その場合の監督方法を教えてください。"
ACCESS_LOG = "特定個人情報保護評価書について、アクセスログを定期的に確認する体制を明記してください。"
RETENTION = "転出した人の個人番号は速やかに削除してください。保存期間を評価書に書くべきです。"


def test_normalise_drops_punctuation_spaces_and_width():
    assert normalise("「マイナンバー、」") == normalise("マイナンバー") == "マイナンバー"
    assert normalise("ＰＤＦ　の 形式") == "pdfの形式"
    assert normalise("ﾃﾞｰﾀを\n削除\u200bする！") == "データを削除する"


def test_similarity_is_one_for_equal_texts_after_normalising():
    assert similarity(OPPOSED, OPPOSED) == 1.0
    assert similarity("マイナンバー、", "「マイナンバー」") == 1.0
    assert similarity("ＰＤＦで提出", "pdf で 提出。") == 1.0


def test_similarity_is_symmetric_and_low_for_unrelated_texts():
    assert similarity(OPPOSED, SUBCONTRACT) == similarity(SUBCONTRACT, OPPOSED)
    assert similarity(OPPOSED, SUBCONTRACT) < 0.3


def test_texts_without_letters_or_digits_are_only_equal_to_themselves():
    assert similarity("", "") == 1.0
    assert similarity("👍", "👍") == 1.0
    assert similarity("👍", "👎") == 0.0
    assert similarity("。", OPPOSED) == 0.0


def test_exact_duplicates_group_with_score_one():
    assert suggest_groups([(3, OPPOSED), (1, OPPOSED), (2, SUBCONTRACT)]) == [Suggestion((1, 3), 1.0)]


def test_punctuation_width_and_space_variants_group():
    variants = [
        (1, OPPOSED),
        (2, OPPOSED.replace("、", "").replace("。", ".")),
        (3, OPPOSED.replace("。", "。\n　")),
        (4, "「" + OPPOSED + "」"),
        (5, "ＰＤＦの" + OPPOSED),
        (6, "PDFの" + OPPOSED),
    ]
    [suggestion] = suggest_groups(variants)
    assert suggestion.item_ids == (1, 2, 3, 4, 5, 6)
    assert suggestion.score == similarity(OPPOSED, "PDFの" + OPPOSED)


def test_a_one_word_change_groups():
    changed = OPPOSED.replace("責任の所在", "責任の範囲")
    assert suggest_groups([(1, OPPOSED), (2, changed)]) == [Suggestion((1, 2), similarity(OPPOSED, changed))]
    assert 0.8 <= similarity(OPPOSED, changed) < 1.0


def test_a_changed_particle_and_an_added_sentence_group():
    particle = OPPOSED.replace("事務に", "事務で")
    added = OPPOSED + "再検討を求めます。"
    [suggestion] = suggest_groups([(1, OPPOSED), (2, particle), (3, added)])
    assert suggestion.item_ids == (1, 2, 3)


def test_unrelated_texts_do_not_group():
    assert suggest_groups([(1, OPPOSED), (2, SUBCONTRACT), (3, ACCESS_LOG), (4, RETENTION)]) == []


def test_a_chain_is_one_suggestion_scored_by_its_weakest_link():
    first = ACCESS_LOG
    second = first + "確認の頻度も示してください。"
    third = second + "結果は毎年公表すべきです。"
    assert similarity(first, third) < 0.8  # the two ends alone would not be linked
    [suggestion] = suggest_groups([(1, first), (2, second), (3, third)])
    assert suggestion.item_ids == (1, 2, 3)
    assert suggestion.score == min(similarity(first, second), similarity(second, third))


def test_a_higher_threshold_splits_what_a_lower_one_joins():
    changed = OPPOSED.replace("責任の所在", "責任の範囲")
    items = [(1, OPPOSED), (2, changed)]
    assert suggest_groups(items, threshold=0.99) == []
    assert suggest_groups(items, threshold=similarity(OPPOSED, changed)) != []


def test_largest_suggestion_comes_first_then_smallest_id():
    items = [(1, SUBCONTRACT), (2, SUBCONTRACT), (3, OPPOSED), (4, OPPOSED), (5, OPPOSED), (6, RETENTION)]
    items.append((7, RETENTION))
    assert [s.item_ids for s in suggest_groups(items)] == [(3, 4, 5), (1, 2), (6, 7)]


def _campaign(count: int, seed: int) -> list[tuple[int, str]]:
    """``count`` items: edited copies of four texts, as a campaign sends them, in shuffled id order."""
    rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not a secret
    templates = [OPPOSED, SUBCONTRACT, ACCESS_LOG, RETENTION]
    texts = []
    for _ in range(count):
        text = rng.choice(templates)
        for _ in range(rng.randint(0, 2)):
            i = rng.randrange(len(text))
            text = text[:i] + rng.choice("がはをにもで、 。") + text[i + 1 :]
        texts.append(text)
    ids = rng.sample(range(1, 10 * count), count)
    return list(zip(ids, texts, strict=True))


def test_same_items_in_another_order_give_the_same_suggestions():
    items = _campaign(120, seed=7)
    expected = suggest_groups(items)
    assert expected  # the campaign is found at all
    shuffled = items[:]
    random.Random(1).shuffle(shuffled)  # noqa: S311 -- a fixed shuffle, not a secret
    assert suggest_groups(shuffled) == expected
    assert suggest_groups(reversed(items)) == expected
    assert suggest_groups(iter(items)) == expected


def test_large_groups_keep_their_items_and_never_score_higher(monkeypatch):
    items = _campaign(400, seed=11)  # about 70 distinct variants per text, more than LARGE_GROUP
    batches = []
    compare_in_batches = similarity_module._first_matching_batch

    def counted(*args):
        batches.append(args[0])
        return compare_in_batches(*args)

    monkeypatch.setattr(similarity_module, "_first_matching_batch", counted)
    batched = suggest_groups(items)
    assert batches  # the batch path did run
    monkeypatch.setattr(similarity_module, "LARGE_GROUP", 10**9)
    exhaustive = suggest_groups(items)
    assert [s.item_ids for s in batched] == [s.item_ids for s in exhaustive]
    assert all(b.score <= e.score for b, e in zip(batched, exhaustive, strict=True))


@pytest.mark.parametrize(
    "items", [[], [(1, OPPOSED)], [(1, ""), (2, "")], [(1, "。"), (2, "、"), (3, "👍"), (4, "👍")]]
)
def test_nothing_to_group_gives_no_suggestions(items):
    assert suggest_groups(items) == []


def test_an_id_given_twice_is_refused():
    with pytest.raises(ValueError, match="given twice"):
        suggest_groups([(1, OPPOSED), (1, SUBCONTRACT)])


@pytest.mark.parametrize("threshold", [0, -0.1, 1.01])
def test_a_threshold_outside_zero_to_one_is_refused(threshold):
    with pytest.raises(ValueError, match="threshold"):
        suggest_groups([(1, OPPOSED)], threshold=threshold)


def test_naughty_strings_do_not_raise():
    items = list(enumerate(BLNS + [text + "。" for text in BLNS] + [OPPOSED + text for text in BLNS], start=1))
    _assert_valid(suggest_groups(items), items, threshold=0.8)
    for text in BLNS:
        assert 0.0 <= similarity(text, OPPOSED) <= 1.0
        assert similarity(text, text) == 1.0


def _assert_valid(suggestions: list[Suggestion], items, *, threshold: float) -> None:
    given_ids = {item_id for item_id, _text in items}
    seen: set[int] = set()
    for suggestion in suggestions:
        assert len(suggestion.item_ids) >= 2
        assert list(suggestion.item_ids) == sorted(set(suggestion.item_ids))
        assert set(suggestion.item_ids) <= given_ids
        assert seen.isdisjoint(suggestion.item_ids)
        seen.update(suggestion.item_ids)
        assert threshold <= suggestion.score <= 1.0
    assert [len(s.item_ids) for s in suggestions] == sorted((len(s.item_ids) for s in suggestions), reverse=True)


# Texts near each other (edits of a few sentences) as well as arbitrary Unicode, so groups do form.
_near_texts = st.builds(
    lambda base, cut, extra: base[:cut] + extra + base[cut:],
    st.sampled_from([OPPOSED, SUBCONTRACT, ACCESS_LOG, RETENTION]),
    st.integers(min_value=0, max_value=45),
    st.text(alphabet="がはをにもで、。 ＡAａ1１", max_size=4),
)
_items = st.lists(
    st.tuples(st.integers(min_value=-(10**6), max_value=10**6), st.one_of(_near_texts, st.text(max_size=60))),
    max_size=40,
    unique_by=lambda item: item[0],
)


@settings(max_examples=150, deadline=None)
@given(items=_items, threshold=st.floats(min_value=0.5, max_value=1.0), seed=st.randoms(use_true_random=False))
def test_suggestions_are_disjoint_groups_of_given_ids_whatever_the_input(items, threshold, seed):
    suggestions = suggest_groups(items, threshold=threshold)
    _assert_valid(suggestions, items, threshold=threshold)
    # Items equal after normalising are always suggested together.
    by_text: dict[str, set[int]] = {}
    for item_id, text in items:
        if normalise(text):
            by_text.setdefault(normalise(text), set()).add(item_id)
    for ids in by_text.values():
        if len(ids) > 1:
            assert any(ids <= set(s.item_ids) for s in suggestions)
    shuffled = items[:]
    seed.shuffle(shuffled)
    assert suggest_groups(shuffled, threshold=threshold) == suggestions
