"""A function run in a child process under limits (comments/sandbox.py): its plain result comes back, and a
child over its CPU time, its memory or the wall clock is stopped and reported as such (R40).

The functions the children run are defined here, at module level: a child imports them by name.
"""

from __future__ import annotations

import os
import time

import pytest

from comments.documents import mask_docx, pdf_every_text
from comments.domain.masking import MASK, find_individual_numbers
from comments.sandbox import ChildFailed, LimitExceeded, Limits, run_limited
from tests.document_samples import nested_forms_pdf, paragraph_flood_docx

MB = 1024 * 1024
# Generous where a limit is not the one under test, so that a busy machine cannot reach it first.
ROOMY = Limits(cpu_seconds=30, wall_seconds=60, memory_bytes=512 * MB)


def plain_values(number: int, text: str, data: bytes):
    return {"number": number * 2, "text": text.upper(), "data": data[::-1], "nested": [(None, True, 1.5)]}


def spin_forever():
    while True:
        pass


def allocate_forever():
    blocks = []
    while True:
        blocks.append(bytearray(MB))


def swallow_memory_error():
    """A reader that turns every failure into a result, as extract_text does."""
    try:
        allocate_forever()
    except MemoryError:
        return "could not read"


def sleep_forever():
    time.sleep(3600)


def raise_value_error():
    raise ValueError("the third page is damaged")


def return_an_object():
    return ValueError("an instance of a class is not plain data")


def exit_without_an_answer():
    os._exit(3)


def test_the_function_s_plain_result_comes_back():
    assert run_limited(plain_values, 21, "abc", b"\x00\x01", limits=ROOMY) == {
        "number": 42,
        "text": "ABC",
        "data": b"\x01\x00",
        "nested": [(None, True, 1.5)],
    }


def test_a_child_over_its_cpu_time_is_stopped():
    with pytest.raises(LimitExceeded) as exceeded:
        run_limited(spin_forever, limits=Limits(cpu_seconds=1, wall_seconds=60, memory_bytes=512 * MB))
    assert exceeded.value.limit == "cpu"


def test_a_child_over_its_memory_is_stopped():
    with pytest.raises(LimitExceeded) as exceeded:
        run_limited(allocate_forever, limits=Limits(cpu_seconds=30, wall_seconds=60, memory_bytes=64 * MB))
    assert exceeded.value.limit == "memory"


def test_a_child_that_ran_out_of_memory_is_reported_so_whatever_it_answers():
    with pytest.raises(LimitExceeded) as exceeded:
        run_limited(swallow_memory_error, limits=Limits(cpu_seconds=30, wall_seconds=60, memory_bytes=64 * MB))
    assert exceeded.value.limit == "memory"


def test_a_child_still_running_at_the_wall_clock_limit_is_killed():
    with pytest.raises(LimitExceeded) as exceeded:
        run_limited(sleep_forever, limits=Limits(cpu_seconds=30, wall_seconds=1, memory_bytes=512 * MB))
    assert exceeded.value.limit == "wall"


def test_an_exception_in_the_child_comes_back_as_its_type_and_traceback():
    with pytest.raises(ChildFailed) as failed:
        run_limited(raise_value_error, limits=ROOMY)
    assert "ValueError" in str(failed.value)
    assert "the third page is damaged" in str(failed.value)
    assert "raise_value_error" in str(failed.value)


def test_a_child_may_send_back_only_plain_data():
    with pytest.raises(ChildFailed, match="plain data"):
        run_limited(return_an_object, limits=ROOMY)


def test_a_child_that_ends_without_an_answer_is_a_failure_not_a_limit():
    with pytest.raises(ChildFailed, match="exit code 3"):
        run_limited(exit_without_an_answer, limits=ROOMY)


def test_the_nested_forms_pdf_is_stopped_at_the_cpu_limit():
    pdf = nested_forms_pdf()
    assert len(pdf) < 2000
    with pytest.raises(LimitExceeded) as exceeded:
        run_limited(pdf_every_text, pdf, limits=Limits(cpu_seconds=2, wall_seconds=60, memory_bytes=512 * MB))
    assert exceeded.value.limit == "cpu"


def test_the_paragraph_flood_docx_is_stopped_at_the_memory_limit():
    docx = paragraph_flood_docx()
    assert len(docx) < 200 * 1024
    with pytest.raises(LimitExceeded) as exceeded:
        run_limited(
            mask_docx,
            docx,
            find_individual_numbers,
            MASK,
            limits=Limits(cpu_seconds=30, wall_seconds=60, memory_bytes=256 * MB),
        )
    assert exceeded.value.limit == "memory"
