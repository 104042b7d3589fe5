"""The bigram rule of Japanese search, and the query strings built from it."""

from __future__ import annotations

from comments.domain.search import _fts5_query, _phrase_patterns, _tsquery, query_phrases, search_terms


def test_text_becomes_overlapping_bigrams_per_run():
    assert search_terms("暗号化方式に意見。") == "暗号 号化 化方 方式 式に に意 意見"


def test_punctuation_and_spaces_split_runs_and_are_dropped():
    assert search_terms("意見、暗号 「鍵」") == "意見 暗号 鍵"


def test_single_character_runs_are_kept():
    assert search_terms("a・b") == "a b"


def test_full_width_letters_and_case_are_normalised():
    assert search_terms("ＰＤＦ") == search_terms("pdf") == "pd df"
    assert search_terms("ﾃﾞｰﾀ") == search_terms("データ")


def test_mixed_japanese_and_ascii_stay_one_run():
    assert search_terms("PDFファイル") == "pd df fフ ファ ァイ イル"


def test_empty_or_only_punctuation_gives_nothing():
    assert search_terms("") == ""
    assert query_phrases("、。！？ ") == []


def test_queries_are_phrases_joined_by_and():
    phrases = query_phrases("暗号化 意見")
    assert phrases == [["暗号", "号化"], ["意見"]]
    assert _fts5_query(phrases) == '"暗号 号化" AND "意見"'
    assert _tsquery(phrases) == "'暗号' & '号化' & '意見'"
    assert _phrase_patterns(phrases) == ["%暗号 号化%", "%意見%"]


def test_one_character_queries_are_prefix_searches():
    assert _fts5_query(query_phrases("鍵")) == '"鍵"*'
    assert _tsquery(query_phrases("鍵")) == "'鍵':*"
