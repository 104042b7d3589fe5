"""Individual numbers are found and masked irreversibly, however they are written (R10-R14); corporate
numbers and longer runs of digits are left alone (R13)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.jp import cn as corporate_number
from stdnum.jp import in_ as individual_number

from comments.domain.masking import (
    MASK,
    contains_individual_number,
    corporate_number_check,
    find_individual_numbers,
    mask_individual_numbers,
    my_number_check,
)

VALID = ("621498320257", "123456789018")
# Notations seen missed, and others a person might type: each {} is one of the valid numbers' groups.
NOTATIONS = [
    "{}{}{}",
    "{} {} {}",
    "{}-{}-{}",
    "{}.{}.{}",
    "{}・{}・{}",
    "{}/{}/{}",
    "{}\n{}\n{}",
    "{}  {}  {}",
    "{} - {} - {}",
    "{}\u200b{}\u200b{}",
    "{}\u3000{}\u3000{}",
    "{}－{}－{}",
]


def test_my_number_check_digit_vectors():
    assert my_number_check("621498320257") is True
    assert my_number_check("621498320258") is False
    assert my_number_check("123456789018") is True


def test_corporate_number_check_digit_vectors():
    assert corporate_number_check("5835678256246") is True
    assert corporate_number_check("2835678256246") is False
    assert corporate_number_check("7123456789012") is True


@pytest.mark.parametrize(
    "text",
    [
        "621498320257",
        "番号は621498320257です",
        "６２１４９８３２０２５７",
        "6214 9832 0257",
        "6214-9832-0257",
        "６２１４－９８３２－０２５７",
        "6214　9832　0257",
        "前\n6214-9832-0257\n後",
    ],
)
def test_masks_numbers_in_every_written_form(text):
    masked, count = mask_individual_numbers(text)
    assert count == 1
    assert MASK in masked
    digits = "".join(ch for ch in masked if ch.isdigit())
    assert "0257" not in digits
    assert "６２１４" not in masked


@pytest.mark.parametrize(
    "text",
    [
        "621498320258",  # wrong check digit
        "5835678256246",  # a 13-digit corporate number holds 12-digit runs (R13)
        "16214983202571",  # inside a longer run of digits
        "1234-6214-9832-0257",  # inside a longer grouped run, like a card number
        "6214-9832-0257-1",
        "62149832025",  # eleven digits
    ],
)
def test_leaves_what_is_not_an_individual_number(text):
    assert mask_individual_numbers(text) == (text, 0)
    assert not contains_individual_number(text)


def render(number: str, notation: str) -> str:
    return notation.format(number[:4], number[4:8], number[8:])


@pytest.mark.parametrize("number", VALID)
@pytest.mark.parametrize("notation", NOTATIONS)
@pytest.mark.parametrize(
    ("before", "after"), [("", ""), ("1 ", ""), ("", " 3月"), ("番号は", "です。"), ("1 ", " 3月")]
)
def test_every_notation_in_any_company_is_masked(number, notation, before, after):
    text = f"{before}{render(number, notation)}{after}"
    assert mask_individual_numbers(text) == (f"{before}{MASK}{after}", 1)


@pytest.mark.parametrize(
    "text",
    [
        "621498320257 123456789018",
        "6214 9832 0257 1234 5678 9018",
        "621498320257\n123456789018",
    ],
)
def test_two_numbers_side_by_side_are_both_masked(text):
    masked, count = mask_individual_numbers(text)
    assert count >= 1
    assert MASK in masked
    assert not any(char.isdigit() for char in masked)


@pytest.mark.parametrize(
    "text",
    [
        "6 2 1 4 9 8 3 2 0 2 5 7",
        "٦٢١٤٩٨٣٢٠٢٥٧",  # Arabic-Indic digits
        "𝟔𝟐𝟏𝟒𝟗𝟖𝟑𝟐𝟎𝟐𝟓𝟕",  # mathematical bold
        "६२१४९८३२०२५७",  # Devanagari
        "六二一四九八三二〇二五七",  # kanji numerals, as written vertically
        "⑥②①④⑨⑧③②⓪②⑤⑦",  # circled digits (NFKC)
        "６２１４ ９８３２ ０２５７",
    ],
)
def test_digits_of_every_script_are_digits(text):
    assert mask_individual_numbers(text) == (MASK, 1)


@pytest.mark.parametrize(
    "text",
    [
        "3368595748906",  # a 法人番号 whose last 12 digits happen to be a valid individual number
        "T3368595748906",  # the same as an invoice registration number
        "1234 3368595748906 5678",
    ],
)
def test_a_corporate_number_is_never_masked_even_when_its_tail_would_pass(text):
    assert corporate_number_check("3368595748906")
    assert my_number_check("368595748906")
    assert mask_individual_numbers(text) == (text, 0)


def test_masks_several_and_keeps_the_rest_exactly():
    text = "A:621498320257、B：123456789018。<b>&amp;"
    masked, count = mask_individual_numbers(text)
    assert count == 2
    assert masked == f"A:{MASK}、B：{MASK}。<b>&amp;"


# --- Properties: every rendered valid number is masked; corporate numbers and long runs never are -----------

DIGIT_SCRIPTS = [
    lambda d: str(d),
    lambda d: chr(0xFF10 + d),  # full-width
    lambda d: chr(0x0660 + d),  # Arabic-Indic
    lambda d: chr(0x06F0 + d),  # extended Arabic-Indic
    lambda d: chr(0x0966 + d),  # Devanagari
    lambda d: chr(0x1D7CE + d),  # mathematical bold
    lambda d: "〇一二三四五六七八九"[d],
]
SEPARATORS = [
    " ", "  ", "\u3000", "\n", "\r\n", "\t", "\u00a0", "-", "－", "ー", "‐", "−", "—", ".", "．", "・", "/",
    "／", " - ", " ・ ", "\u200b", "\u2060", "\ufeff", "\u200b\u200b", "- ",
]  # fmt: skip
# Japanese around the number; it has kanji numerals (一, 三) as Japanese does, but no other digits.
JAPANESE = st.text(alphabet="意見番号の住所氏名は一三年月日第です、。「」（）：私に記載すべき課長様 ", max_size=12)
SOFT = [" ", "\n", "\u3000", "  "]


@st.composite
def valid_numbers(draw) -> str:
    base = draw(st.text(alphabet="0123456789", min_size=11, max_size=11))
    return base + individual_number.calc_check_digit(base)


@st.composite
def groupings(draw) -> list[int]:
    """How the 12 digits are grouped: as people do (12, 4-4-4, 3-3-3-3, one by one) or any other way."""
    fixed = draw(st.sampled_from([[12], [4, 4, 4], [3, 3, 3, 3], [2] * 6, [1] * 12, None]))
    if fixed is not None:
        return fixed
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=11), max_size=11)))
    edges = [0, *cuts, 12]
    return [end - start for start, end in itertools.pairwise(edges)]


@st.composite
def rendered_numbers(draw) -> tuple[str, str, int, int]:
    """A valid number in a random notation inside Japanese text: (text, number, start, end of the number)."""
    number = draw(valid_numbers())
    groups, position, pieces = draw(groupings()), 0, []
    for index, size in enumerate(groups):
        if index:
            pieces.append(draw(st.sampled_from(SEPARATORS)))
        pieces.extend(draw(st.sampled_from(DIGIT_SCRIPTS))(int(digit)) for digit in number[position : position + size])
        position += size
    rendered = "".join(pieces)
    before = draw(JAPANESE)
    if draw(st.booleans()):  # a stray number before it, as in "1 6214 9832 0257"
        before += draw(st.sampled_from(["1", "12", "第3", "２"])) + draw(st.sampled_from(SOFT))
    after = draw(JAPANESE)
    if draw(st.booleans()):  # and one after, as in "6214 9832 0257 3月"
        after = draw(st.sampled_from(SOFT)) + draw(st.sampled_from(["3月", "1", "25日"])) + after
    return before + rendered + after, number, len(before), len(before) + len(rendered)


@settings(max_examples=1500, deadline=None, database=None)
@given(rendered_numbers())
def test_every_rendered_valid_number_is_masked(case):
    text, _number, start, end = case
    spans = find_individual_numbers(text)
    assert any(first <= start and end <= last for first, last in spans), (text, spans)
    masked, count = mask_individual_numbers(text)
    assert count >= 1
    assert text[start:end] not in masked


@st.composite
def digits_to_leave_alone(draw) -> str:
    """A 法人番号 (13 digits, check digit first) or a longer run of digits, in Japanese text without digits."""
    if draw(st.booleans()):
        base = draw(st.text(alphabet="0123456789", min_size=12, max_size=12))
        run = corporate_number.calc_check_digit(base) + base
    else:
        run = draw(st.text(alphabet="0123456789", min_size=13, max_size=24))
    script = draw(st.sampled_from(DIGIT_SCRIPTS[:6]))
    plain = st.text(alphabet="意見番号の住所氏名はです、。「」（）：私に記載すべき課長様T ", max_size=12)
    return draw(plain) + "".join(script(int(digit)) for digit in run) + draw(plain)


@settings(max_examples=1000, deadline=None, database=None)
@given(digits_to_leave_alone())
def test_corporate_numbers_and_longer_runs_are_never_touched(text):
    assert mask_individual_numbers(text) == (text, 0)


def test_a_number_in_kanji_numerals_is_masked_beside_words_that_begin_with_one():
    text = "番号は六二一四九八三二〇二五七一度だけ書きました"
    masked, count = mask_individual_numbers(text)
    assert count == 1
    assert masked.startswith(f"番号は{MASK}")
    assert "六二一四" not in masked


@st.composite
def machine_hex(draw) -> str:
    """A digest or id with a valid number's digits inside it: 16 or more hex characters, a letter among them."""
    number = draw(valid_numbers())
    before = draw(st.text(alphabet="0123456789abcdef", max_size=30))
    after = draw(st.text(alphabet="0123456789abcdef", max_size=30))
    letter = draw(st.sampled_from("abcdefABCDEF"))
    word = before + number + after
    word = (letter + word) if len(word) + 1 >= 16 else letter + word + "a" * (15 - len(word))
    return draw(st.sampled_from(["", "sha256 ", "id=", "「"])) + word + draw(st.sampled_from(["", " です", "」"]))


@settings(max_examples=500, deadline=None, database=None)
@given(machine_hex())
def test_a_digest_or_id_in_hex_is_never_touched(text):
    assert mask_individual_numbers(text) == (text, 0)


def test_a_number_beside_a_short_hex_word_or_latin_letters_is_masked():
    for text in ("No621498320257", "ID:621498320257", "abc621498320257", "mynumber621498320257x"):
        assert mask_individual_numbers(text)[1] == 1, text
    assert mask_individual_numbers("6214 9832 0257 deadbeefcafe0123")[1] == 1


def test_the_quick_count_of_digits_skips_no_digit():
    """find_individual_numbers first counts digits with one regular expression and walks the text only when
    there are 12: every character that expression passes over must be no digit, whatever its script."""
    from comments.domain.masking import _MAYBE_DIGIT, digit_value

    skipped = [chr(code) for code in range(0x30000) if not _MAYBE_DIGIT.match(chr(code))]
    assert len(skipped) > 20000  # the shortcut skips kana, kanji and ASCII
    assert [char for char in skipped if digit_value(char) is not None] == []


@pytest.mark.parametrize("digits_short_of_a_number", ["62149832025", "六二一四九八三二〇二五", "⑥②①④⑨⑧③②⓪②⑤"])
def test_a_text_with_fewer_than_twelve_digits_is_left_as_it_is_and_twelve_are_still_found(digits_short_of_a_number):
    text = "ご意見：" + digits_short_of_a_number + "。以上です。"
    assert mask_individual_numbers(text) == (text, 0)
    completed = text.replace(digits_short_of_a_number, digits_short_of_a_number + "七")
    assert mask_individual_numbers(completed)[1] == 1
