"""The character-level comparison (新旧対照) of Japanese text, and its HTML."""

from __future__ import annotations

import itertools
import json
import random
import time
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Flask
from flask_babel import Babel

from comments.text_diff import DIRECT_CELLS, DiffOp, char_diff, render_diff_html

BLNS = json.loads((Path(__file__).parent.parent / "data" / "blns.json").read_text(encoding="utf-8"))
SENTENCES = (
    "本市では、特定個人情報保護評価の実施に当たり、市民の皆様から広くご意見を募集しました。",
    "いただいたご意見は、内容ごとに整理し、市の考え方を示した上で公表いたします。",
    "なお、個人に関する情報は、情報公開条例の規定に基づき、公表しておりません。",
    "今後とも、適正な個人情報の取扱いに努めてまいります。",
)


def paragraph(length: int, seed: int = 0) -> str:
    """A Japanese paragraph of exactly ``length`` characters, one long line, from shuffled sentences."""
    rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not a secret
    text = ""
    while len(text) < length:
        text += rng.choice(SENTENCES)
    return text[:length]


def old_side(ops: list[DiffOp]) -> str:
    return "".join(op.text for op in ops if op.kind != "insert")


def new_side(ops: list[DiffOp]) -> str:
    return "".join(op.text for op in ops if op.kind != "delete")


def test_one_character_changed_in_a_500_character_paragraph():
    old = paragraph(500)
    position = 321
    replacement = "町" if old[position] != "町" else "村"
    new = old[:position] + replacement + old[position + 1 :]
    assert char_diff(old, new) == [
        DiffOp("equal", old[:position]),
        DiffOp("delete", old[position]),
        DiffOp("insert", replacement),
        DiffOp("equal", old[position + 1 :]),
    ]


def test_one_character_inserted_and_one_deleted():
    old = paragraph(500, seed=1)
    assert char_diff(old, old[:100] + "、" + old[100:]) == [
        DiffOp("equal", old[:100]),
        DiffOp("insert", "、"),
        DiffOp("equal", old[100:]),
    ]
    assert char_diff(old, old[:250] + old[251:]) == [
        DiffOp("equal", old[:250]),
        DiffOp("delete", old[250]),
        DiffOp("equal", old[251:]),
    ]


def test_common_characters_still_anchor_the_comparison():
    """Without autojunk=False, の、。 (each over 1% of a long text) would be ignored as junk and a small
    change in a long paragraph would come back as most of the paragraph replaced."""
    old = paragraph(3000, seed=2)
    new = old.replace("ご意見", "ご提案", 1)
    changed = [op for op in char_diff(old, new) if op.kind != "equal"]
    assert changed == [DiffOp("delete", "意見"), DiffOp("insert", "提案")]


def test_a_short_common_run_between_changes_is_shown_as_part_of_them():
    assert char_diff("審議会の答申を受けて", "部会の報告を受けて") == [
        DiffOp("delete", "審議会の答申"),
        DiffOp("insert", "部会の報告"),
        DiffOp("equal", "を受けて"),
    ]
    # ...but never a run longer than the changes on either side.
    assert char_diff("あいうえお", "かいうけお") == [
        DiffOp("delete", "あ"),
        DiffOp("insert", "か"),
        DiffOp("equal", "いう"),
        DiffOp("delete", "え"),
        DiffOp("insert", "け"),
        DiffOp("equal", "お"),
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("", "", []),
        ("同じ", "同じ", [DiffOp("equal", "同じ")]),
        ("", "新規", [DiffOp("insert", "新規")]),
        ("削除", "", [DiffOp("delete", "削除")]),
        ("全く別", "異なる文", [DiffOp("delete", "全く別"), DiffOp("insert", "異なる文")]),
    ],
)
def test_edge_cases(old, new, expected):
    assert char_diff(old, new) == expected


def test_both_sides_rebuild_from_the_ops_for_naughty_strings():
    rng = random.Random(3)  # noqa: S311 -- reproducible pairs, not a secret
    for old in BLNS:
        new = rng.choice(BLNS)
        ops = char_diff(old, new)
        assert old_side(ops) == old
        assert new_side(ops) == new
        assert all(op.text for op in ops)
        assert all(a.kind != b.kind for a, b in itertools.pairwise(ops))


def long_minutes(characters: int) -> str:
    """Minutes of about ``characters`` characters, as they run: a different sentence in each turn, one
    paragraph a line with blank lines between, and the same short answers (はい。) over and over."""
    turns = []
    number = length = 0
    while length < characters:
        number += 1
        turns.append(f"（委員{number % 5}）第{number}号の件について、{SENTENCES[number % 4]}")
        turns.append("（事務局）はい。")
        length += len(turns[-2]) + len(turns[-1]) + 4
    return "\n\n".join(turns)


def test_long_texts_are_compared_sentence_first_and_stay_fast():
    old = long_minutes(300_000)
    assert len(old) * len(old) > DIRECT_CELLS
    new = old[:1000] + "追記" + old[1000:150_000] + old[150_010:]
    started = time.perf_counter()
    ops = char_diff(old, new)
    assert time.perf_counter() - started < 2
    assert old_side(ops) == old
    assert new_side(ops) == new
    assert DiffOp("insert", "追記") in ops
    assert [op for op in ops if op.kind == "delete"] == [DiffOp("delete", old[150_000:150_010])]


def test_a_long_text_changed_everywhere_stays_correct_and_fast():
    old = long_minutes(100_000)
    new = old.replace("。", "、")
    started = time.perf_counter()
    ops = char_diff(old, new)
    assert time.perf_counter() - started < 5
    assert old_side(ops) == old
    assert new_side(ops) == new


def test_unrelated_long_texts_stay_fast():
    rng = random.Random(4)  # noqa: S311 -- a fixed shuffle, not a secret
    old = paragraph(30_000, seed=5)
    new = "".join(rng.sample(old, len(old)))
    started = time.perf_counter()
    ops = char_diff(old, new)
    assert time.perf_counter() - started < 5
    assert old_side(ops) == old
    assert new_side(ops) == new


# --- HTML ------------------------------------------------------------------------------------------------


def test_html_marks_deletions_and_insertions_for_screen_readers():
    html = render_diff_html(char_diff("市の考え方を示す", "市の考え方を公表する"))
    assert str(html) == (
        '市の考え方を<del><span class="visually-hidden">deleted: </span>示す</del>'
        '<ins><span class="visually-hidden">inserted: </span>公表する</ins>'
    )


def test_html_escapes_every_text():
    html = str(render_diff_html(char_diff("旧の文 & 'a'", '<script>alert("新")</script> & "a"')))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;新&#34;)&lt;/script&gt;</ins>" in html
    assert " &amp; " in html
    assert "&#39;a&#39;</del>" in html
    # Markup shared by both sides is escaped too, even when the change cuts through it.
    html = str(render_diff_html(char_diff("<b>旧</b>", "<i>新</i>")))
    assert "<b>" not in html
    assert "<i>" not in html
    assert html.startswith("&lt;")
    tags = {fragment.split(">", 1)[0].split(" ", 1)[0] for fragment in html.split("<")[1:]}
    assert tags <= {"del", "/del", "ins", "/ins", "span", "/span"}


def test_html_of_naughty_strings_has_only_our_tags():
    for text in BLNS:
        html = str(render_diff_html(char_diff("前の文", text)))
        tags = {fragment.split(">", 1)[0].split(" ", 1)[0] for fragment in html.split("<")[1:]}
        assert tags <= {"del", "/del", "ins", "/ins", "span", "/span"}, text


def test_html_words_are_translated_when_rendered(tmp_path):
    """The hidden words are looked up at render time, in the reader's language; a translator's text is
    escaped like any other."""
    catalog = Catalog(locale="ja")
    catalog.add("deleted: ", "削除：")
    catalog.add("inserted: ", "<追加>：")
    (tmp_path / "ja" / "LC_MESSAGES").mkdir(parents=True)
    with (tmp_path / "ja" / "LC_MESSAGES" / "messages.mo").open("wb") as file:
        write_mo(file, catalog)
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(tmp_path), locale_selector=lambda: "ja")
    ops = [DiffOp("delete", "旧"), DiffOp("insert", "新")]
    with app.test_request_context():
        html = str(render_diff_html(ops))
    assert html == (
        '<del><span class="visually-hidden">削除：</span>旧</del>'
        '<ins><span class="visually-hidden">&lt;追加&gt;：</span>新</ins>'
    )
