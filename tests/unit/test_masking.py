"""Individual numbers are found and masked irreversibly (R10-R14)."""

import pytest

from comments.domain.masking import (
    MASK,
    contains_individual_number,
    corporate_number_check,
    mask_individual_numbers,
    my_number_check,
)


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


def test_masks_several_and_keeps_the_rest_exactly():
    text = "A:621498320257、B：123456789018。<b>&amp;"
    masked, count = mask_individual_numbers(text)
    assert count == 2
    assert masked == f"A:{MASK}、B：{MASK}。<b>&amp;"
