"""The text of meeting minutes with withheld passages: reading, writing back, the published copy, Word files.

No app is needed: outside a request the messages read in English, the message ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from comments.domain import DomainError
from comments.domain.minutes_text import (
    MAX_SOURCE_CHARS,
    MinutesMarkupError,
    MinutesText,
    Segment,
    Turn,
    from_docx_paragraphs,
    parse,
    public_rendering,
    source_from_docx,
    to_source,
    withheld_passages,
)
from tests.document_samples import docx_bytes, pdf_bytes

GROUNDS = ("personal", "corporate", "deliberation")
LABELS = {
    "personal": "第7条第2号（個人に関する情報）",
    "corporate": "第7条第3号（法人等に関する情報）",
    "deliberation": "第7条第5号（審議、検討等に関する情報）",
}
BLNS = json.loads((Path(__file__).parent.parent / "data" / "blns.json").read_text(encoding="utf-8"))
SEED = Path("/work/shared/seed/000_13a970744ed75f4f.txt")

MINUTES = """議事録

（金森市政情報室長）　本日は、ご出席いただきまして、誠にありがとうございます。

それでは、多賀谷部会長さん、よろしくお願いいたします。

(多賀谷部会長) ただいまから部会を開催します。［非開示：personal］藤谷委員は入院中のため［／非開示］欠席です。
"""


def label_for(key: str) -> str:
    return LABELS[key]


def errors_line(source: str, grounds=GROUNDS) -> int | None:
    with pytest.raises(MinutesMarkupError) as raised:
        parse(source, grounds)
    return raised.value.line


# --- Reading -------------------------------------------------------------------------------------------


def test_turns_speakers_and_preamble():
    minutes = parse(MINUTES, GROUNDS)
    assert [turn.speaker for turn in minutes.turns] == [None, "金森市政情報室長", "多賀谷部会長"]
    assert minutes.turns[0].paragraphs == [[Segment("議事録", None)]]
    assert minutes.turns[1].paragraphs == [
        [Segment("本日は、ご出席いただきまして、誠にありがとうございます。", None)],
        [Segment("それでは、多賀谷部会長さん、よろしくお願いいたします。", None)],
    ]
    assert minutes.turns[2].paragraphs == [
        [
            Segment("ただいまから部会を開催します。", None),
            Segment("藤谷委員は入院中のため", "personal"),
            Segment("欠席です。", None),
        ]
    ]


def test_one_paragraph_a_line_reads_as_blank_line_separated():
    assert parse(MINUTES.replace("\n\n", "\n"), GROUNDS) == parse(MINUTES, GROUNDS)
    assert parse(MINUTES.replace("\n", "\r\n"), GROUNDS) == parse(MINUTES, GROUNDS)


def test_minutes_without_preamble_or_text():
    assert parse("（委員）はい。", GROUNDS).turns == [Turn("委員", [[Segment("はい。", None)]])]
    assert parse("", GROUNDS) == MinutesText([])
    assert parse("\n \n\u3000\n", GROUNDS) == MinutesText([])


@pytest.mark.parametrize(
    ("line", "speaker"),
    [
        ("(金森市政情報室長) 本日は", "金森市政情報室長"),
        ("（多賀谷部会長）　それでは", "多賀谷部会長"),
        ("（委員長（山田太郎君））　ただいまから", "委員長（山田太郎君）"),
        ("\u3000（事務局）説明します", "事務局"),
        ("(健康保険課) はい。", "健康保険課"),
        # Not speakers: numbering, annotations, a parenthesis alone, stage directions.
        ("(1) 部会委員", None),
        ("（ア）福祉システム", None),
        ("（ⅱ）次の事項", None),
        ("（十二）その他", None),
        ("（仮称）市民会館", None),
        ("(健康保険課)", None),
        ("（「異議なし」と呼ぶ者あり）はい", None),
        ("（拍手）", None),
        ("（" + "長" * 41 + "）発言", None),
    ],
)
def test_what_begins_a_turn(line, speaker):
    turns = parse("前文\n" + line, GROUNDS).turns
    assert (turns[-1].speaker if len(turns) == 2 else None) == speaker


def test_the_seed_minutes_read_and_round_trip():
    if not SEED.exists():
        pytest.skip("the shared seed minutes are not on this machine")
    minutes = parse(SEED.read_text(encoding="utf-8"), GROUNDS)
    speakers = {turn.speaker for turn in minutes.turns}
    assert {"金森市政情報室長", "多賀谷部会長", "健康保険課"} <= speakers
    assert "1" not in speakers
    assert parse(to_source(minutes), GROUNDS) == minutes


@pytest.mark.parametrize(
    "marked",
    [
        "［非開示：personal］山田花子［／非開示］",
        "[非開示:personal]山田花子[/非開示]",
        "[withheld:personal]山田花子[/withheld]",
        "［非開示:personal]山田花子[／非開示］",  # widths mixed within a marker
        "［ 非開示 ： personal ］山田花子［ ／ 非開示 ］",  # spaces, half- and full-width
        "［非開示：ｐｅｒｓｏｎａｌ］山田花子［／非開示］",  # a full-width key
        "[WITHHELD:Personal]山田花子[/Withheld]",
        "﹇非開示﹕personal﹈山田花子﹇／非開示﹈",  # small form variants: NFKC "[", ":" and "]"
        "[⾮開⽰:personal]山田花子[/⾮開⽰]",  # Kangxi radicals whose NFKC is 非 and 示
        "［非開示：personal］山田花子[/withheld]",  # any closing marker ends any passage
    ],
)
def test_every_width_and_language_of_marker(marked):
    minutes = parse(f"（委員）申請者は{marked}です。", GROUNDS)
    assert minutes.turns[0].paragraphs == [
        [Segment("申請者は", None), Segment("山田花子", "personal"), Segment("です。", None)]
    ]


def test_the_passage_text_is_never_normalised():
    passage = "ﾔﾏﾀﾞ　㈱髙橋商店 ＡＢＣ①"
    minutes = parse(f"（委員）［非開示：corporate］{passage}［／非開示］", GROUNDS)
    assert withheld_passages(minutes) == [(passage, "corporate")]


def test_a_passage_over_several_paragraphs_of_one_turn():
    source = "（委員）前半、［非開示：deliberation］検討中の案は\n\n　まだ公表できない。\n\n詳細は後日。［／非開示］以上です。\n\n次の段落。"
    minutes = parse(source, GROUNDS)
    assert minutes.turns == [
        Turn(
            "委員",
            [
                [Segment("前半、", None), Segment("検討中の案は", "deliberation")],
                [Segment("\u3000まだ公表できない。", "deliberation")],
                [Segment("詳細は後日。", "deliberation"), Segment("以上です。", None)],
                [Segment("次の段落。", None)],
            ],
        )
    ]


def test_a_line_of_markers_alone_leaves_no_paragraph():
    minutes = parse("（委員）［非開示：personal］\n山田\n［／非開示］", GROUNDS)
    assert minutes.turns == [Turn("委員", [[Segment("山田", "personal")]])]
    assert parse(to_source(minutes), GROUNDS) == minutes


# --- Errors, each with its line --------------------------------------------------------------------------


def test_unknown_ground_names_the_known_ones():
    with pytest.raises(MinutesMarkupError) as raised:
        parse("前文\n（委員）［非開示：secret］x［／非開示］", GROUNDS)
    assert raised.value.line == 2
    assert isinstance(raised.value, DomainError)
    message = str(raised.value.message)
    assert "secret" in message
    assert "corporate, deliberation, personal" in message
    assert "2" in message


def test_no_grounds_set_up():
    assert errors_line("a\nb［非開示：personal］x［／非開示］", ()) == 2


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("a\n\n（委員）［非開示：personal］山田は\n\n欠席", 3),  # never ended
        ("（委員）山田［／非開示］", 1),  # ended, never begun
        ("a\n［非開示：personal］x［非開示：corporate］y［／非開示］［／非開示］", 2),  # nested
        ("a\n［非開示：personal］x\n\n［非開示：personal］y［／非開示］", 4),  # nested over lines
        ("a\n\nb［非開示：personal］［／非開示］", 3),  # empty
        ("a\n［非開示：personal］\u3000 \n\n［／非開示］", 2),  # blank: no visible character
        ("（委員）［非開示：personal］x\n\n（部会長）y［／非開示］", 3),  # runs into the next turn
        ("a\n\n（［非開示：personal］山田［／非開示］委員）発言", 3),  # a speaker's name withheld
        ("a\n［非開示］x［／非開示］", 2),  # no ground
        ("a\n［非開示：］x［／非開示］", 2),  # an empty ground
        ("a\nb\n［非開示：personal x［／非開示］", 3),  # not closed by a bracket
        ("［／非開示 x", 1),
        ("[withheld personal]x[/withheld]", 1),
    ],
)
def test_errors_name_their_line(source, line):
    assert errors_line(source) == line


def test_error_messages_say_what_to_do():
    cases = {
        "［非開示：personal］x": "［／非開示］",
        "x［／非開示］": "［非開示：KEY］",
        "［非開示：personal］x［非開示：personal］y": "nested",
        "［非開示：personal］［／非開示］": "empty",
        "（委員）［非開示：personal］x\n（部会長）y［／非開示］": "next speaker",
        "［非開示］x": "KEY is one of corporate, deliberation, personal",
    }
    for source, expected in cases.items():
        with pytest.raises(MinutesMarkupError) as raised:
            parse(source, GROUNDS)
        assert expected in str(raised.value.message), source


def test_a_mistyped_marker_quotes_itself():
    with pytest.raises(MinutesMarkupError) as raised:
        parse("［非開示 personal］x", GROUNDS)
    assert "“［非開示 personal］”" in str(raised.value.message)


def test_too_long_source_is_refused():
    assert parse("あ" * MAX_SOURCE_CHARS, GROUNDS).turns[0].speaker is None
    with pytest.raises(MinutesMarkupError) as raised:
        parse("あ" * (MAX_SOURCE_CHARS + 1), GROUNDS)
    assert raised.value.line is None
    assert "300,000" in str(raised.value.message)


# --- Writing back and the published copy ---------------------------------------------------------------


def test_round_trip_is_canonical():
    source = "前文\n(委員) a[withheld:personal]b\n\nc[/withheld]d"
    minutes = parse(source, GROUNDS)
    canonical = "前文\n\n（委員）a［非開示：personal］b［／非開示］\n\n［非開示：personal］c［／非開示］d"
    assert to_source(minutes) == canonical
    assert parse(to_source(minutes), GROUNDS) == minutes


def test_public_rendering_replaces_passages_with_their_labels():
    public = public_rendering(parse(MINUTES, GROUNDS), label_for)
    assert public.turns[2].paragraphs == [
        [Segment("ただいまから部会を開催します。〔非開示：第7条第2号（個人に関する情報）〕欠席です。", None)]
    ]
    assert withheld_passages(public) == []
    assert "入院" not in to_source(public)
    assert parse(to_source(public), GROUNDS) == public


def test_public_rendering_of_a_passage_over_paragraphs():
    minutes = parse("（委員）a［非開示：personal］秘密の\n\n続き［／非開示］b", GROUNDS)
    public = public_rendering(minutes, label_for)
    marker = "〔非開示：第7条第2号（個人に関する情報）〕"
    assert public.turns == [Turn("委員", [[Segment("a" + marker, None)], [Segment(marker + "b", None)]])]
    assert parse(to_source(public), GROUNDS) == public


def _single_line(text: str) -> bool:
    return len(text.splitlines()) == 1 and "\n" not in text and "\r" not in text and bool(text.strip())


NAUGHTY_PASSAGES = [text for text in BLNS if _single_line(text)]


def test_naughty_strings_survive_as_passages_and_never_leak():
    assert len(NAUGHTY_PASSAGES) > 400
    before, after = "（委員）発言の前。", "発言の後。"
    for text in NAUGHTY_PASSAGES:
        source = f"{before}［非開示：personal］{text}［／非開示］{after}"
        minutes = parse(source, GROUNDS)
        assert withheld_passages(minutes) == [(text, "personal")], text
        assert parse(to_source(minutes), GROUNDS) == minutes
        public = public_rendering(minutes, label_for)
        published = to_source(public)
        assert published == f"{before}〔非開示：{LABELS['personal']}〕{after}"
        # Structural: the published text is made of nothing but the text around and the label.
        chance = before + after + LABELS["personal"] + "〔非開示：〕"
        assert text not in published or text in chance, text


def test_naughty_strings_survive_as_plain_text():
    for text in BLNS:
        minutes = parse(text, GROUNDS)
        assert parse(to_source(minutes), GROUNDS) == minutes, text
        assert withheld_passages(minutes) == []


def test_every_passage_of_long_minutes_is_gone_from_the_public_copy():
    turns = []
    for number in range(200):
        secret = f"秘匿{number:03d}号の内容"
        turns.append(f"（委員{number}）発言{number}。［非開示：corporate］{secret}［／非開示］続き。")
    minutes = parse("\n\n".join(turns), GROUNDS)
    published = to_source(public_rendering(minutes, label_for))
    passages = withheld_passages(minutes)
    assert len(passages) == 200
    assert [text for text, _ in passages if text in published] == []
    assert "秘匿" not in published


# --- Word files ------------------------------------------------------------------------------------------


def test_docx_paragraphs_keep_turns():
    source = from_docx_paragraphs(
        [
            "第3回部会議事録",
            "",
            "○委員長　ただいまから部会を開催します。",
            "続いて議事に入ります。",
            "○委員長（山田太郎君）それでは、事務局から。",
            "◯山田委員 質問します。\n二点あります。",
            "（事務局）　お答えします。",
            "○議事日程",
        ]
    )
    assert source == (
        "第3回部会議事録\n\n（委員長）ただいまから部会を開催します。\n\n続いて議事に入ります。\n\n"
        "（委員長（山田太郎君））それでは、事務局から。\n\n（山田委員）質問します。\n\n二点あります。\n\n"
        "（事務局）　お答えします。\n\n○議事日程"
    )
    speakers = [turn.speaker for turn in parse(source, GROUNDS).turns]
    assert speakers == [None, "委員長", "委員長（山田太郎君）", "山田委員", "事務局"]


def test_source_from_a_word_file_built_here():
    def build(document):
        document.add_heading("第3回 特定個人情報保護評価部会議事録", level=1)
        document.add_paragraph("○部会長　ただいまから開催します。")
        document.add_paragraph("（金森市政情報室長）　申請者は［非開示：personal］山田花子［／非開示］さんです。")
        document.add_paragraph("")
        document.add_paragraph("以上です。")

    source = source_from_docx(docx_bytes(build))
    minutes = parse(source, GROUNDS)
    assert [turn.speaker for turn in minutes.turns] == [None, "部会長", "金森市政情報室長"]
    assert withheld_passages(minutes) == [("山田花子", "personal")]
    assert minutes.turns[2].paragraphs[-1] == [Segment("以上です。", None)]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        "（委員）テキストファイルです。".encode(),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,  # an old Word .doc (OLE2)
        b"PK\x03\x04 not really a zip",
    ],
    ids=["empty", "text", "doc", "broken-zip"],
)
def test_a_file_that_is_not_docx_is_refused(data):
    with pytest.raises(DomainError) as raised:
        source_from_docx(data)
    assert ".docx" in str(raised.value.message)


def test_a_pdf_is_refused():
    with pytest.raises(DomainError):
        source_from_docx(pdf_bytes([["議事録"]]))


def test_a_too_long_word_file_is_refused():
    def build(document):
        for _ in range(31):
            document.add_paragraph("あ" * 10_000)

    with pytest.raises(MinutesMarkupError):
        source_from_docx(docx_bytes(build))
