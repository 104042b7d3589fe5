"""Proposed split points of a submission, the coverage check, and the kind and greeting guesses.

The promise that matters most is checked on any text: the proposed spans cover the text exactly, in
order, none empty, so a submission split as proposed is fully triaged.
"""

import json
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comments.domain.splitting import (
    Span,
    coverage_gaps,
    looks_like_greeting,
    propose_spans,
    spans_are_valid,
    suggest_kind,
)

BLNS = json.loads((Path(__file__).parent.parent / "data" / "blns.json").read_text(encoding="utf-8"))
# A second or two in all; no example database, so a run leaves nothing behind.
FUZZ = settings(max_examples=200, deadline=None, database=None)


def pieces(text: str) -> list[str]:
    return [text[span.start : span.end] for span in propose_spans(text)]


def markers(text: str) -> list[str]:
    return [span.marker for span in propose_spans(text)]


def assert_exact_cover(text: str) -> list[Span]:
    spans = propose_spans(text)
    if not text:
        assert spans == []
        return spans
    assert spans[0].start == 0
    assert spans[-1].end == len(text)
    for span, following in pairwise(spans):
        assert span.end == following.start
    for span in spans:
        assert span.start < span.end
        # A split never happens inside a line.
        assert span.start == 0 or text[span.start - 1] in "\r\n"
        assert text[span.start : span.end].lstrip().startswith(span.marker)
    tuples = [(span.start, span.end) for span in spans]
    assert spans_are_valid(len(text), tuples)
    assert coverage_gaps(text, tuples) == []
    return spans


# --- propose_spans: each marker style -------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("(1)", "(2)"),
        ("（1）", "（2）"),
        ("（１）", "（２）"),
        ("(１)", "(２)"),
        ("(9)", "(10)"),
        ("（一）", "（二）"),
        ("（十一）", "（十二）"),
        ("①", "②"),
        ("⑳", "㉑"),
        ("㉟", "㊿"),
        ("⑴", "⑵"),
        ("1.", "2."),
        ("1．", "2．"),
        ("１．", "２．"),
        ("1)", "2)"),
        ("１）", "２）"),
        ("1、", "2、"),
        ("99.", "１０．"),
        ("一、", "二、"),
        ("十、", "十一、"),
        ("一．", "二．"),
        ("ア.", "イ."),
        ("ア．", "イ．"),
        ("ア、", "イ、"),
        ("(ア)", "(イ)"),
        ("（ア）", "（イ）"),
        ("・", "・"),
        ("●", "●"),
        ("○", "○"),
        ("■", "■"),
        ("◆", "◆"),
    ],
)
def test_each_marker_style_splits_at_line_start(first, second):
    text = f"前置きです。\n{first} 暗号化について意見です。\n{second}アクセスログの監視を求めます。"
    assert pieces(text) == [
        "前置きです。\n",
        f"{first} 暗号化について意見です。\n",
        f"{second}アクセスログの監視を求めます。",
    ]
    assert markers(text) == ["", first, second]


@pytest.mark.parametrize("space", [" ", "　"])
def test_katakana_and_dai_followed_by_a_space_split_and_the_marker_leaves_out_the_space(space):
    text = f"第1{space}評価の概要\nア{space}福祉システム\n第２、リスク対策\n第三{space}その他"
    assert pieces(text) == [
        f"第1{space}評価の概要\n",
        f"ア{space}福祉システム\n",
        "第２、リスク対策\n",
        f"第三{space}その他",
    ]
    assert markers(text) == ["第1", "ア", "第２、", "第三"]


def test_a_marker_alone_on_its_line_splits():
    assert pieces("本文\n第1\n概要\nア\n項目") == ["本文\n", "第1\n概要\n", "ア\n項目"]


@pytest.mark.parametrize(
    "line",
    [
        "1.5倍の費用がかかる。",
        "1、000円の手数料について。",
        "10000.とは書かない。",
        "0. ゼロは番号ではない。",
        "(0) ゼロは番号ではない。",
        "（100）三桁は番号ではない。",
        "第3回の部会で説明された。",
        "第1条の規定による。",
        "アクセスログの監視について。",
        "ア」ではない。",
        "（健康保険課） 所管課の発言。",
        "（稲垣委員） 委員の発言。",
        "一方、評価書には記載がない。",
        "十分な説明がない。",
        "二、三の質問がある。",
        "※ 注記は区切らない。",
        "- ハイフンは区切らない。",
    ],
)
def test_lines_that_only_look_numbered_do_not_split(line):
    text = f"前の行です。\n{line}"
    if line == "二、三の質問がある。":
        # 二、 is a kanji numeral marker; "two or three" written this way is a known false split.
        assert pieces(text) == ["前の行です。\n", line]
    else:
        assert pieces(text) == [text]


def test_markers_in_the_middle_of_a_line_do_not_split():
    text = "意見は（１）暗号化、（２）監視、① 委託、ア．再委託、・その他、第1 概要 です。"
    assert pieces(text) == [text]
    assert markers(text) == [""]


def test_mixed_marker_styles_in_one_text():
    text = "第1 評価の概要\n1. 事務の内容\n（１）対象者\n①個人番号\nア．取得\n・本人から\n● 窓口で"
    assert markers(text) == ["第1", "1.", "（１）", "①", "ア．", "・", "●"]
    assert "".join(pieces(text)) == text


def test_nested_markers_both_split_and_indentation_stays_with_its_line():
    text = "（1）中間サーバーについて\n　ア　アクセスログ\n\tイ．監視の頻度\n  (ウ) 報告\n（2）委託について"
    assert pieces(text) == [
        "（1）中間サーバーについて\n",
        "　ア　アクセスログ\n",
        "\tイ．監視の頻度\n",
        "  (ウ) 報告\n",
        "（2）委託について",
    ]
    assert markers(text) == ["（1）", "ア", "イ．", "(ウ)", "（2）"]


def test_full_width_digits_and_full_width_space_indentation():
    text = "　（１２）　全角の番号\n　１２．　全角の番号\n\u3000\u3000⑫ 丸数字"
    assert markers(text) == ["（１２）", "１２．", "⑫"]


# --- propose_spans: paragraphs and whitespace -----------------------------------------------------


def test_blank_lines_split_paragraphs_and_stay_with_the_span_before():
    text = "一つ目の段落。\n続き。\n\n二つ目の段落。\n \n　\n\t\n三つ目。"
    assert pieces(text) == ["一つ目の段落。\n続き。\n\n", "二つ目の段落。\n \n　\n\t\n", "三つ目。"]
    assert markers(text) == ["", "", ""]


def test_a_marker_after_a_blank_line_opens_the_paragraph_with_its_marker():
    assert markers("前文。\n\n（１）意見。") == ["", "（１）"]


def test_leading_and_trailing_whitespace_belong_to_the_adjacent_span():
    text = "\n\n　（１）意見。\n（２）質問ですか。\n\n  \n"
    assert pieces(text) == ["\n\n　（１）意見。\n", "（２）質問ですか。\n\n  \n"]
    assert markers(text) == ["（１）", "（２）"]


def test_text_without_markers_or_blank_lines_is_one_span():
    text = "個人情報の保護について意見します。\n暗号化を徹底してほしい。"
    assert propose_spans(text) == [Span(0, len(text), "")]


def test_whitespace_only_and_empty_text():
    assert propose_spans("") == []
    assert propose_spans(" \n　\n") == [Span(0, 4, "")]


def test_crlf_text_keeps_original_offsets_and_crlf_is_not_a_blank_line():
    text = "前文。\r\n（１）意見。\r\n（２）質問ですか。\r\n\r\n別の段落。\r\n続き。\r末尾。"
    assert pieces(text) == [
        "前文。\r\n",
        "（１）意見。\r\n",
        "（２）質問ですか。\r\n\r\n",
        "別の段落。\r\n続き。\r末尾。",
    ]
    assert_exact_cover(text)


def test_lone_cr_line_breaks_also_start_lines():
    assert markers("前文。\r（１）意見。\r\r本文。") == ["", "（１）", ""]


def test_committee_members_numbered_questions_in_minutes_style():
    # In the wording of the 特定個人情報保護評価部会 minutes (第3回, 後期高齢者医療事務).
    text = (
        "（内山オブザーバー委員） 評価書について、何点か質問します。\n"
        "\n"
        "（１） 情報提供ネットワークシステムとの連携はしないということでしたが、そうなると、"
        "マイナポータルでも見られないということになるのですか。\n"
        "（２） 中間サーバーについて、ア　アクセスログは誰が確認するのですか。\n"
        "　ア　アクセスログを定期的に監視する仕組みは、各自治体で考えることになるのでしょうか。\n"
        "　イ　監視の結果を部会に報告する予定はありますか。\n"
        "（３） 国からの回答については、口頭での説明だけでなく、ペーパーに記載していただきたい。\n"
        "\n"
        "以上\n"
    )
    spans = assert_exact_cover(text)
    segments = [text[span.start : span.end] for span in spans]
    assert [span.marker for span in spans] == ["", "（１）", "（２）", "ア", "イ", "（３）", ""]
    assert [suggest_kind(segment) for segment in segments[1:6]] == [
        "question",
        "question",
        "question",
        "question",
        "request",
    ]
    assert [looks_like_greeting(segment) for segment in segments] == [False] * 6 + [True]


def test_citizens_letter_with_salutation_and_signature():
    text = (
        "千葉市市政情報室 御中\n"
        "\n"
        "いつもお世話になっております。\n"
        "\n"
        "1. 委託先の監督を徹底してほしい。\n"
        "2. 保存期間はどう決めたのでしょうか。\n"
        "3. 評価書は分かりやすいと思う。\n"
        "\n"
        "よろしくお願いいたします。\n"
        "山田 太郎\n"
    )
    segments = [text[span.start : span.end] for span in assert_exact_cover(text)]
    assert [looks_like_greeting(segment) for segment in segments] == [True, True, False, False, False, True]
    assert [suggest_kind(segment) for segment in segments[2:5]] == ["request", "question", "opinion"]


# --- spans_are_valid and coverage_gaps ------------------------------------------------------------


@pytest.mark.parametrize(
    ("spans", "valid"),
    [
        ([], True),
        ([(0, 10)], True),
        ([(0, 4), (4, 10)], True),
        ([(2, 4), (6, 8)], True),
        ([(0, 4), (3, 10)], False),
        ([(4, 10), (0, 4)], False),
        ([(0, 0)], False),
        ([(5, 3)], False),
        ([(-1, 3)], False),
        ([(0, 11)], False),
        ([(10, 11)], False),
    ],
)
def test_spans_are_valid(spans, valid):
    assert spans_are_valid(10, spans) is valid


def test_coverage_gaps_reports_uncovered_text_trimmed_of_whitespace():
    text = "挨拶。\n\n（１）意見。\n\n署名"
    assert coverage_gaps(text, [(0, 5), (5, 13), (13, 15)]) == []
    assert coverage_gaps(text, [(0, 5), (5, 12)]) == [(13, 15)]
    assert coverage_gaps(text, [(5, 13)]) == [(0, 3), (13, 15)]
    assert coverage_gaps(text, [(0, 5)]) == [(5, 15)]
    assert coverage_gaps(text, []) == [(0, 15)]


def test_coverage_gaps_ignores_whitespace_only_gaps():
    text = "意見。\n\n　\n質問ですか。 \n"
    assert coverage_gaps(text, [(0, 3), (7, 13)]) == []
    assert coverage_gaps(" \n\t　", []) == []
    assert coverage_gaps("", []) == []


def test_coverage_gaps_takes_spans_as_a_union():
    text = "abcdefghij"
    assert coverage_gaps(text, [(5, 10), (0, 3), (2, 6)]) == []
    assert coverage_gaps(text, [(4, 8), (0, 3), (-5, 1), (9, 20)]) == [(3, 4), (8, 9)]


# --- suggest_kind ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("segment", "kind"),
    [
        ("アクセスログは誰が確認するのか。", "question"),
        ("保存期間は何年ですか。", "question"),
        ("再委託は認められるのでしょうか", "question"),
        ("再委託は認められる？", "question"),
        ("Is it encrypted?  \n", "question"),
        ("監視の頻度を教えてください。", "question"),
        ("委託先の選定方法について伺いたい。", "question"),
        ("リスク対策の内容を説明されたい。", "question"),
        ("保存期間は何年ですか。\n\n以上\n", "question"),
        ("（１） 監視は誰が行うのですか」。", "question"),
        ("暗号化を徹底してください。", "request"),
        ("暗号化を徹底してほしい。", "request"),
        ("研修の充実を要望します。", "request"),
        ("記載の見直しを求める。", "request"),
        ("ご検討願います。", "request"),
        ("評価書に記載されたい。", "request"),
        ("ログの確認は誰がするのか教えてください。そして記載してください。", "request"),
        ("評価書は分かりやすいと思う。", "opinion"),
        ("リスクは明らか。", "opinion"),
        ("この点は確か。", "opinion"),
        ("よろしくお願いいたします。", "opinion"),
        ("", "opinion"),
    ],
)
def test_suggest_kind(segment, kind):
    assert suggest_kind(segment) == kind


# --- looks_like_greeting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "segment",
    [
        "千葉市市政情報室 御中\n",
        "千葉市長　様",
        "いつもお世話になっております。",
        "よろしくお願いいたします。\n\n",
        "以上",
        "以上です。\n",
        "山田 太郎",
        "千葉　花子\n",
        "ジョン・スミス",
        "John Smith",
        "よろしくお願いいたします。\n山田 太郎\n〒260-8722 千葉市中央区千葉港1-1\nTEL 043-245-5111\nyamada@example.jp",
        " \n　",
    ],
)
def test_greetings_and_signatures_are_recognised(segment):
    assert looks_like_greeting(segment)


@pytest.mark.parametrize(
    "segment",
    [
        "暗号化を徹底してほしい。",
        "いつもお世話になっております。評価書の暗号化について意見します。",
        "暗号化について",
        "山田太郎。",
        "委託先は誰ですか",
        "以上の理由から、記載の見直しを求める。",
        "千葉市長 様\n評価書の保存期間は何年ですか。",
        "よろしくお願いいたします。" * 10,
        "お世話になっております" + "。意見" * 20,
    ],
)
def test_opinions_are_not_greetings(segment):
    assert not looks_like_greeting(segment)


# --- properties -----------------------------------------------------------------------------------

MARKER_PIECES = [
    "(1)",
    "（１）",
    "（一）",
    "(ア)",
    "①",
    "㊿",
    "⑴",
    "1.",
    "１．",
    "1)",
    "１）",
    "1、",
    "99.",
    "1.5",
    "一、",
    "十一、",
    "ア．",
    "ア、",
    "ア",
    "第1",
    "第１、",
    "第3回",
    "・",
    "●",
    "○",
    "■",
    "◆",
]
TEXT_PIECES = [
    "意見",
    "です。",
    "ですか？",
    "\n",
    "\n",
    "\r\n",
    "\r",
    "\n\n",
    " ",
    "　",
    "\t",
    "あ",
    "漢字",
    "以上",
    "様",
    "\u2028",
    "\x0b",
]
BUILT_TEXT = st.lists(st.sampled_from(MARKER_PIECES + TEXT_PIECES), max_size=30).map("".join)


@FUZZ
@given(st.text())
def test_any_text_is_covered_exactly(text):
    assert_exact_cover(text)


@FUZZ
@given(BUILT_TEXT)
def test_text_built_from_markers_is_covered_exactly(text):
    for span in assert_exact_cover(text):
        segment = text[span.start : span.end]
        assert suggest_kind(segment) in {"opinion", "question", "request"}
        assert isinstance(looks_like_greeting(segment), bool)


@settings(FUZZ, max_examples=100)
@given(BUILT_TEXT, st.data())
def test_leaving_one_span_out_leaves_exactly_its_visible_text_uncovered(text, data):
    spans = propose_spans(text)
    if not spans:
        return
    left_out = data.draw(st.sampled_from(spans))
    rest = [(span.start, span.end) for span in spans if span != left_out]
    segment = text[left_out.start : left_out.end]
    if segment.strip():
        start = left_out.start + len(segment) - len(segment.lstrip())
        assert coverage_gaps(text, rest) == [(start, start + len(segment.strip()))]
    else:
        assert coverage_gaps(text, rest) == []


def test_naughty_strings_never_raise():
    for naughty in BLNS:
        for text in (naughty, f"（１）{naughty}\n\n・{naughty}\r\n{naughty}"):
            for span in assert_exact_cover(text):
                segment = text[span.start : span.end]
                assert suggest_kind(segment) in {"opinion", "question", "request"}, repr(text)
                assert isinstance(looks_like_greeting(segment), bool), repr(text)
