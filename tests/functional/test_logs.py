"""Logs carry no personal data (R16, R44): a failed insert logs neither the comment nor the name, and no
record of any logger keeps an individual number or an unescaped line break."""

from __future__ import annotations

import logging

import pytest

from comments.domain import intake
from comments.logs import clean_exception_text
from tests.factories import make_consultation
from tests.functional.helpers import post_comment

COMMENT = "委託先の監督について意見します。山田花子"
NAME = "山田花子"


def test_a_failed_insert_logs_neither_the_comment_nor_the_name(client, monkeypatch, caplog):
    consultation = make_consultation()
    # No fingerprint: the submissions row breaks a NOT NULL constraint, and PostgreSQL's message quotes
    # the whole failing row ("Failing row contains (…)") unless it is cleaned.
    monkeypatch.setattr(intake, "compute_fingerprint", lambda *_args: None)
    with caplog.at_level(logging.INFO):
        response = post_comment(client, consultation, body=COMMENT, name=NAME, contact="千葉市中央区1-1")
    assert response.status_code == 500
    logged = caplog.text
    assert "IntegrityError" in logged  # the error itself is on record
    assert "委託先の監督" not in logged
    assert NAME not in logged
    assert "千葉市中央区" not in logged


def test_every_record_has_its_numbers_masked_and_its_line_breaks_escaped(caplog):
    with caplog.at_level(logging.INFO):
        logging.getLogger("comments.test").info("search for %s\nFORGED 200 OK", "6214 9832 0257")
    [record] = [record for record in caplog.records if record.name == "comments.test"]
    assert record.getMessage() == "search for [個人番号削除]\\nFORGED 200 OK"
    assert "\n" not in caplog.text.strip()


def test_a_drivers_quote_of_the_row_is_left_out_of_a_traceback():
    text = (
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in <module>\n'
        "sqlalchemy.exc.IntegrityError: (psycopg.errors.NotNullViolation) null value in column\n"
        "DETAIL:  Failing row contains (1, 山田花子, 621498320257).\n"
        "[parameters: ('山田花子',)]\n"
        "[SQL: INSERT INTO submitters (name) VALUES (%(name)s)]"
    )
    cleaned = clean_exception_text(text)
    assert "山田花子" not in cleaned and "621498320257" not in cleaned
    assert "IntegrityError" in cleaned and "[SQL: INSERT INTO submitters" in cleaned


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("proxy-1f2e.3", True), ("621498320257", False), ("a b<script>", False), ("x" * 65, False), ("", False)],
)
def test_a_request_id_from_a_header_is_kept_only_when_it_is_a_plain_token(client, sent, kept):
    response = client.get("/", headers={"X-Request-Id": sent})
    returned = response.headers["X-Request-Id"]
    assert (returned == sent) is kept
    assert len(returned) <= 64 and "621498320257" not in returned
