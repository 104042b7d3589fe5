"""Receipt numbers carry a check digit; fingerprints change with any byte (R50)."""

import hashlib

from comments.domain.receipts import (
    FingerprintedFile,
    compute_fingerprint,
    fingerprint_manifest,
    new_receipt_number,
    normalise_receipt_number,
)


def test_receipt_numbers_are_short_checked_and_varied():
    numbers = {new_receipt_number() for _ in range(500)}
    assert len(numbers) == 500
    for number in list(numbers)[:50]:
        assert len(number) == 13
        assert number[4] == "-"
        assert number[9] == "-"
        assert normalise_receipt_number(number) == number


def test_a_mistyped_digit_or_swap_is_caught():
    number = new_receipt_number()
    digits = number.replace("-", "")
    wrong = digits[:3] + str((int(digits[3]) + 1) % 10) + digits[4:]
    assert normalise_receipt_number(wrong) is None
    for i in range(len(digits) - 1):
        if digits[i] != digits[i + 1]:
            swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
            assert normalise_receipt_number(swapped) is None


def test_receipt_read_back_in_full_width_or_spaced():
    number = new_receipt_number()
    full_width = number.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    assert normalise_receipt_number(full_width) == number
    assert normalise_receipt_number(number.replace("-", " ")) == number
    assert normalise_receipt_number("") is None


def test_fingerprint_is_sha256_of_a_sha256sum_style_manifest():
    files = [FingerprintedFile("a.pdf", hashlib.sha256(b"pdf").hexdigest())]
    manifest = fingerprint_manifest("意見", files)
    assert manifest.splitlines()[0] == hashlib.sha256("意見".encode()).hexdigest() + "  comment.txt"
    assert compute_fingerprint("意見", files) == hashlib.sha256(manifest.encode()).hexdigest()
    assert compute_fingerprint("意見。", files) != compute_fingerprint("意見", files)
    assert compute_fingerprint("意見", []) != compute_fingerprint("意見", files)
