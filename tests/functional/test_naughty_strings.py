"""Every string of the Big List of Naughty Strings goes through every text field of the form.

Each is stored exactly (but for the documented normalisation: line ends to LF, control characters
dropped, one-line fields on one line, individual numbers masked), shown inert, and never causes a 500.
tests/data/blns.json is a copy of shared/testdata/blns.json (MIT, see blns.LICENSE).
"""

from __future__ import annotations

import io
import json
import unicodedata
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select

from comments.domain.masking import mask_individual_numbers
from comments.extensions import db
from comments.models import Submission
from comments.text import clean_line, clean_text
from tests.conftest import csrf_token_from
from tests.factories import make_consultation
from tests.functional.helpers import form_url

NAUGHTY = json.loads((Path(__file__).resolve().parents[1] / "data" / "blns.json").read_text(encoding="utf-8"))
# The strings a database may refuse or store differently (NUL and other control characters, format
# characters, characters beyond the Basic Multilingual Plane): these go through on PostgreSQL too; the
# whole list, which exercises the form and not the database, goes through on the SQLite pass.
DATABASE_SENSITIVE = [
    naughty
    for naughty in NAUGHTY
    if any(ord(char) > 0xFFFF or unicodedata.category(char) in ("Cc", "Cf", "Co", "Cn") for char in naughty)
]


def test_the_list_is_the_full_one():
    assert len(NAUGHTY) > 500


@pytest.mark.database_independent
def test_every_naughty_string_in_every_text_field(client):
    assert_every_text_field_keeps(client, NAUGHTY)


def test_the_strings_a_database_may_refuse_are_kept_in_every_text_field(client):
    assert len(DATABASE_SENSITIVE) >= 30
    assert_every_text_field_keeps(client, DATABASE_SENSITIVE)


def assert_every_text_field_keeps(client, strings: list[str]) -> None:
    """Each string as the text, the name and the contact: stored exactly (after the documented
    normalisation) and shown escaped, or refused with 422 when nothing of the text is left."""
    consultation = make_consultation()
    url = form_url(consultation)
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    failures = []
    for index, naughty in enumerate(strings):
        fields = {
            "csrf_token": token,
            "body": naughty,
            "name": naughty[:100],
            "contact": naughty,
            "submitter_kind": "citizen",
            "consent": "y",
            "number_acknowledged": "1",
        }
        response = client.post(url, data=fields, content_type="multipart/form-data")
        expected_body, _ = mask_individual_numbers(clean_text(naughty))
        if not expected_body.strip():
            if response.status_code != 422:
                failures.append((index, "empty text must be refused with 422", response.status_code))
            continue
        if response.status_code != 303:
            failures.append((index, "not accepted", response.status_code))
            continue
        receipt = response.headers["Location"].rsplit("/", 1)[-1]
        submission = db.session.execute(select(Submission).where(Submission.receipt_number == receipt)).scalar_one()
        if submission.body != expected_body:
            failures.append((index, "body not stored exactly", submission.body))
        if submission.submitter.name != mask_individual_numbers(clean_line(naughty[:100]))[0]:
            failures.append((index, "name not stored exactly", submission.submitter.name))
        if submission.submitter.contact != mask_individual_numbers(clean_text(naughty))[0]:
            failures.append((index, "contact not stored exactly", submission.submitter.contact))
        page = client.get(response.headers["Location"])
        html = page.get_data(as_text=True)
        if page.status_code != 200 or str(escape(expected_body)) not in html:
            failures.append((index, "receipt does not show the text escaped", page.status_code))
    assert failures == []


@pytest.mark.database_independent
def test_naughty_strings_as_file_names_are_kept_as_safe_metadata(client):
    consultation = make_consultation()
    url = form_url(consultation)
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    for naughty in NAUGHTY:
        # As browsers do, quotes and line breaks in a file name are percent-encoded in the part header.
        filename = naughty.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A") + ".txt"
        response = client.post(
            url,
            data={
                "csrf_token": token,
                "body": "添付あり",
                "submitter_kind": "citizen",
                "consent": "y",
                "attachments": [(io.BytesIO(b"same content"), filename)],
            },
            content_type="multipart/form-data",
        )
        assert response.status_code in (303, 422), (naughty, response.status_code)
        if response.status_code == 303:
            submission = db.session.execute(
                select(Submission).where(Submission.receipt_number == response.headers["Location"].rsplit("/", 1)[-1])
            ).scalar_one()
            [attachment] = submission.attachments
            assert "/" not in attachment.filename and "\x00" not in attachment.filename
            assert "\n" not in attachment.filename and len(attachment.filename) <= 200


@pytest.mark.database_independent
@pytest.mark.parametrize("chunk", range(4))
def test_naughty_strings_as_email_address_never_break_the_form(client, chunk):
    consultation = make_consultation()
    url = form_url(consultation)
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    for naughty in NAUGHTY[chunk::4]:
        response = client.post(
            url,
            data={"csrf_token": token, "body": "意見", "email": naughty, "submitter_kind": "citizen", "consent": "y"},
            content_type="multipart/form-data",
        )
        assert response.status_code in (303, 422), (naughty, response.status_code)
        if response.status_code == 422:
            assert 'id="error-summary"' in response.get_data(as_text=True)
