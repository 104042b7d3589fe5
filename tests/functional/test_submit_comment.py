"""Submitting the public form: receipts, masking, files, CSRF, deadlines and bad input."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select

from comments.clock import JAPAN
from comments.dates import calendar_day
from comments.domain.audit import Actor
from comments.domain.intake import (
    PeriodClosedError,
    StaffEntry,
    SubmissionDraft,
    SubmissionInvalidError,
    accept_submission,
)
from comments.domain.masking import MASK
from comments.domain.receipts import normalise_receipt_number
from comments.extensions import db
from comments.models import (
    AuditEvent,
    Channel,
    Consultation,
    ConsultationStatus,
    OutboxMessage,
    Submission,
    SubmissionImmutableError,
    Submitter,
    SubmitterKind,
)
from comments.storage import blob_store
from tests.factories import make_consultation
from tests.functional.helpers import PDF, count_rows, form_url, post_comment

NUMBER = "6214-9832-0257"


def files_in(root) -> set:
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def test_accepted_comment_gets_a_receipt_and_everything_in_one_transaction(client, blob_root):
    consultation = make_consultation()
    section = consultation.sections[1]
    response = post_comment(
        client,
        consultation,
        body="暗号化の方式を明記してください。",
        section_id=str(section.id),
        name="千葉 花子",
        email="hanako@example.jp",
        contact="千葉市中央区千葉港1-1",
        files=[("意見書.pdf", PDF)],
    )
    assert response.status_code == 303
    receipt = response.headers["Location"].rsplit("/", 1)[-1]
    assert normalise_receipt_number(receipt) == receipt

    submission = db.session.execute(select(Submission).where(Submission.receipt_number == receipt)).scalar_one()
    assert submission.body == "暗号化の方式を明記してください。"
    assert submission.section_id == section.id
    assert submission.submitter_kind == SubmitterKind.citizen
    assert submission.submitter.name == "千葉 花子"
    assert submission.submitter.consented_at is not None
    [attachment] = submission.attachments
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (blob_root / attachment.sha256[:2] / attachment.sha256[2:4] / attachment.sha256).read_bytes() == PDF
    mail = db.session.execute(select(OutboxMessage).where(OutboxMessage.submission_id == submission.id)).scalar_one()
    assert mail.to_address == "hanako@example.jp"
    assert receipt in mail.body_text
    assert receipt in mail.subject
    assert "千葉 花子" not in mail.body_text
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "submission.accepted")).scalars().all()
    assert [e.object_id for e in event] == [str(submission.id)]

    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert receipt in html
    assert submission.fingerprint in html
    assert "暗号化の方式を明記してください。" in html
    copy = client.get(f"/receipts/{receipt}/copy.txt")
    assert copy.headers["Content-Disposition"].startswith("attachment")
    assert submission.fingerprint in copy.get_data(as_text=True)
    download = client.get(f"/receipts/{receipt}/attachments/1")
    assert download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_receipt_page_is_only_for_the_browser_that_submitted(app, client):
    consultation = make_consultation()
    response = post_comment(client, consultation, name="秘密の名前")
    location = response.headers["Location"]
    stranger = app.test_client()
    assert stranger.get(location).status_code == 404
    assert stranger.get(location + "/copy.txt").status_code == 404
    assert client.get("/receipts/not-a-number").status_code == 404


def test_fingerprint_recomputes_from_the_manifest(client):
    consultation = make_consultation()
    response = post_comment(client, consultation, body="本文", files=[("a.pdf", PDF)])
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    manifest = re.search(r'<pre class="manifest">(.*?)</pre>', html, re.S).group(1)
    fingerprint = re.search(r'id="fingerprint">([0-9a-f]{64})<', html).group(1)
    assert hashlib.sha256(manifest.encode()).hexdigest() == fingerprint
    assert hashlib.sha256("本文".encode()).hexdigest() in manifest


def test_individual_number_warns_first_then_is_masked_everywhere(client, caplog):
    caplog.set_level(logging.DEBUG)
    consultation = make_consultation()
    before = count_rows()
    warned = post_comment(client, consultation, body=f"私の番号は{NUMBER}です", email="a@example.jp")
    assert warned.status_code == 200
    html = warned.get_data(as_text=True)
    assert 'id="number-warning"' in html
    assert 'name="number_acknowledged" type="hidden" value="1"' in html
    assert count_rows() == before, "nothing is stored before the citizen has been told"

    response = post_comment(
        client,
        consultation,
        body=f"私の番号は{NUMBER}です",
        email="a@example.jp",
        contact="６２１４ ９８３２ ０２５７",
        number_acknowledged="1",
    )
    assert response.status_code == 303
    submission = db.session.execute(select(Submission).order_by(Submission.id.desc())).scalars().first()
    assert submission.body == f"私の番号は{MASK}です"
    assert submission.masked_numbers == 2
    assert submission.submitter.contact == MASK
    stored = [submission.body, submission.submitter.contact, submission.submitter.name]
    stored += [m.body_text + m.subject for m in db.session.execute(select(OutboxMessage)).scalars()]
    stored += [str(e.detail) for e in db.session.execute(select(AuditEvent)).scalars()]
    for text in stored:
        assert "0257" not in text
        assert "０２５７" not in text
    # R16: neither the number nor the comment text reaches the application log.
    for record in caplog.records:
        assert "0257" not in record.getMessage()
        assert "私の番号" not in record.getMessage()


def test_validation_failure_keeps_everything_typed(client):
    consultation = make_consultation()
    before = count_rows()
    response = post_comment(client, consultation, body="意見<b>太字</b>", name="山田", consent=None)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "意見&lt;b&gt;太字&lt;/b&gt;</textarea>" in html
    assert 'value="山田"' in html
    assert 'id="error-summary"' in html
    assert 'href="#consent"' in html
    assert count_rows() == before


def test_empty_and_overlong_text_get_clear_messages(app, client):
    consultation = make_consultation()
    assert post_comment(client, consultation, body="   ").status_code == 422
    limit = app.config["COMMENT_MAX_CHARS"]
    response = post_comment(client, consultation, body="あ" * (limit + 1))
    assert response.status_code == 422
    assert str(limit) in response.get_data(as_text=True)
    assert post_comment(client, consultation, body="あ" * limit).status_code == 303


def test_wrong_file_type_says_what_is_allowed_and_leaves_nothing(client, blob_root):
    consultation = make_consultation()
    before_rows, before_files = count_rows(), files_in(blob_root)
    response = post_comment(client, consultation, files=[("ok.pdf", PDF), ("evil.jpg.php", b"<?php ?>")])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "PDF, DOCX, TXT, PNG, JPEG" in html
    assert "evil.jpg.php" in html
    assert count_rows() == before_rows
    assert files_in(blob_root) == before_files


def test_too_many_files_refused(app, client):
    consultation = make_consultation()
    files = [(f"{i}.txt", f"file {i}".encode()) for i in range(app.config["ATTACHMENT_MAX_FILES"] + 1)]
    before = count_rows()
    assert post_comment(client, consultation, files=files).status_code == 422
    assert count_rows() == before


def test_oversized_body_gets_a_friendly_413(app, client, monkeypatch):
    consultation = make_consultation()
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    before = count_rows()
    response = post_comment(client, consultation, files=[("big.pdf", PDF + b" " * 8192)])
    assert response.status_code == 413
    assert "MB" in response.get_data(as_text=True)
    assert "<h1>" in response.get_data(as_text=True)
    assert count_rows() == before


def test_missing_csrf_token_is_400_and_keeps_the_text(client):
    consultation = make_consultation()
    before = count_rows()
    response = post_comment(client, consultation, csrf=False, body="長い時間をかけて書いた意見", name="佐藤")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "長い時間をかけて書いた意見</textarea>" in html
    assert 'value="佐藤"' in html
    assert 'name="csrf_token"' in html
    assert count_rows() == before


def test_the_token_of_a_form_shown_again_sends_the_opinion(client):
    """The form signs its token only when it is shown (an accepted opinion never shows it): the page shown
    again after a refused token, or after an error, carries a token that sends the opinion."""
    from tests.conftest import csrf_token_from

    consultation = make_consultation()
    refused = post_comment(client, consultation, csrf=False, body="書き直した意見")
    assert refused.status_code == 400
    token = csrf_token_from(refused.get_data(as_text=True))
    assert token
    invalid = post_comment(client, consultation, csrf=False, csrf_token=token, body="", consent=None)
    assert invalid.status_code == 422
    again = csrf_token_from(invalid.get_data(as_text=True))
    assert again
    sent = post_comment(client, consultation, csrf=False, csrf_token=again, body="書き直した意見")
    assert sent.status_code == 303, sent.get_data(as_text=True)[:2000]


def test_csrf_token_outlives_a_slow_writer(app):
    from comments.blueprints.public.forms import CommentForm

    with app.test_request_context():
        form = CommentForm(consultation=make_consultation())
        assert form.meta.csrf_time_limit >= timedelta(hours=app.config["PUBLIC_FORM_CSRF_HOURS"]) >= timedelta(hours=8)


def test_honeypot_filled_stores_nothing(client):
    consultation = make_consultation()
    before = count_rows()
    assert post_comment(client, consultation, website="http://spam.example").status_code == 400
    assert count_rows() == before


def test_unknown_section_is_refused(client):
    consultation = make_consultation()
    other = make_consultation()
    response = post_comment(client, consultation, section_id=str(other.sections[0].id))
    assert response.status_code == 422


def test_after_the_deadline_the_form_says_so_and_post_stores_nothing(client, frozen_clock):
    consultation = make_consultation()
    token_page = client.get(form_url(consultation))
    assert token_page.status_code == 200
    frozen_clock.set(consultation.closes_at)
    page = client.get(form_url(consultation))
    assert page.status_code == 200
    assert 'name="body"' not in page.get_data(as_text=True)
    before = count_rows()
    response = post_comment(client, consultation, csrf=False)
    # CSRF failure or not, a closed form answers with the closed page first.
    assert response.status_code == 403
    assert "<h1>" in response.get_data(as_text=True)
    assert count_rows() == before


def test_client_clock_does_not_matter(client, frozen_clock):
    consultation = make_consultation()
    frozen_clock.set(consultation.closes_at - timedelta(seconds=1))
    token = client.get(form_url(consultation))
    assert token.status_code == 200
    skewed = {"Date": (datetime.now(UTC) + timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")}
    response = post_comment(client, consultation)
    assert response.status_code == 303
    frozen_clock.set(consultation.closes_at + timedelta(seconds=1))
    client.environ_base.update({"HTTP_DATE": skewed["Date"]})
    assert post_comment(client, consultation, csrf=False).status_code == 403


def test_request_received_before_midnight_is_kept_when_commit_lands_after(client, clock_source):
    """R52: received at 23:59:59.9 on the last day, committed after midnight: accepted."""
    from comments import clock

    closes = datetime(2015, 7, 22, 0, 0, tzinfo=JAPAN)
    consultation = make_consultation(opens_at=closes - timedelta(days=30), closes_at=closes)
    after = closes + timedelta(seconds=2)
    # The GET for the token also takes an instant: give it one inside the period.
    instants = iter([closes - timedelta(seconds=5), closes - timedelta(milliseconds=100)])
    clock_source(lambda: next(instants, after))
    response = post_comment(client, consultation)
    assert response.status_code == 303
    submission = db.session.execute(select(Submission).order_by(Submission.id.desc())).scalars().first()
    assert submission.received_at == closes - timedelta(milliseconds=100)
    assert clock.now() > closes


def test_domain_refuses_after_the_instant_and_for_closed_status(app):
    consultation = make_consultation()
    draft = SubmissionDraft(body="x", submitter_kind=SubmitterKind.citizen, consented=True)
    store = blob_store(app)
    closes_at = consultation.closes_at

    def accept_at(instant):
        with app.test_request_context():
            accept_submission(
                db.session.get(Consultation, consultation.id),
                draft,
                received_at=instant,
                actor=Actor("t"),
                blob_store=store,
            )

    with pytest.raises(PeriodClosedError):
        accept_at(closes_at)
    consultation.status = ConsultationStatus.closed
    db.session.flush()
    with pytest.raises(PeriodClosedError):
        accept_at(closes_at - timedelta(hours=1))


def test_stored_submission_cannot_be_changed(client):
    consultation = make_consultation()
    post_comment(client, consultation, body="原文")
    submission = db.session.execute(select(Submission).order_by(Submission.id.desc())).scalars().first()
    submission.body = "改ざん"
    with pytest.raises(SubmissionImmutableError):
        db.session.flush()
    db.session.rollback()


def test_failed_commit_leaves_no_rows_and_its_file_for_the_collector(app, client, blob_root, monkeypatch):
    """A rollback never deletes a blob (another request may share it, tests/functional/test_blob_storage.py):
    the file stays, referred to by nothing, until `flask blobs gc` removes it a day later."""
    consultation = make_consultation()
    before_rows, before_files = count_rows(), files_in(blob_root)
    unique_pdf = PDF + b"% unique content for this test\n"

    def failing_commit():
        raise RuntimeError("database went away")

    token_page = client.get(form_url(consultation))
    assert token_page.status_code == 200
    monkeypatch.setattr(db.session, "commit", failing_commit)
    response = post_comment(client, consultation, files=[("x.pdf", unique_pdf)])
    monkeypatch.undo()
    assert response.status_code == 500
    assert "Traceback" not in response.get_data(as_text=True)
    sha256 = hashlib.sha256(unique_pdf).hexdigest()
    assert files_in(blob_root) - before_files == {blob_root / sha256[:2] / sha256[2:4] / sha256}
    assert count_rows() == before_rows


def test_name_required_when_the_consultation_asks(client):
    consultation = make_consultation(require_name=True, require_contact=True)
    response = post_comment(client, consultation, name="")
    assert response.status_code == 422
    response = post_comment(client, consultation, name="山田", email="", contact="")
    assert response.status_code == 422
    assert post_comment(client, consultation, name="山田", contact="043-000-0000").status_code == 303


def test_escaped_on_the_receipt(client):
    consultation = make_consultation()
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = post_comment(client, consultation, body=payload, name=payload)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert payload not in html
    assert str(escape(payload)) in html
    assert db.session.execute(select(Submitter).order_by(Submitter.id.desc())).scalars().first().name == payload


def test_a_file_without_a_name_is_refused_not_dropped(client):
    consultation = make_consultation()
    before = count_rows()
    response = post_comment(client, consultation, files=[("", PDF)])
    assert response.status_code == 422
    assert count_rows() == before


def test_deadline_at_midnight_reads_as_24_00_of_the_last_day(client):
    closes = datetime(2099, 7, 22, 0, 0, tzinfo=JAPAN)
    consultation = make_consultation(opens_at=datetime(2015, 6, 22, tzinfo=JAPAN), closes_at=closes)
    html = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    last_day = calendar_day(date(2099, 7, 21), weekday=True, locale="ja")
    assert last_day.endswith("日（火）")
    assert f"{last_day}24時00分（日本時間）" in html, "the public notice says the closing time is Japan time (R02)"


def test_a_receipt_number_already_taken_is_drawn_again(client, monkeypatch):
    from comments.domain import intake

    consultation = make_consultation()
    first = post_comment(client, consultation).headers["Location"].rsplit("/", 1)[-1]
    draws = iter([first, "1234-5678-906"])
    monkeypatch.setattr(intake, "new_receipt_number", lambda: next(draws))
    response = post_comment(client, consultation)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/receipts/1234-5678-906")


@pytest.mark.parametrize("address", ["日本語@example.jp", "たろう@example.jp", "taro＠example.jp"])
def test_an_address_no_mail_server_can_deliver_to_is_refused_on_the_form(client, address):
    """Issue 11, item 1: such an address was accepted and then stopped the worker. The service sends without
    SMTPUTF8, so the form refuses it with the other errors, saying what to write instead."""
    consultation = make_consultation()
    before = count_rows()
    client.set_cookie("lang", "en")
    response = post_comment(client, consultation, email=address)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter a valid e-mail address" in page or "half-width letters" in page
    assert count_rows() == before


def test_a_refused_address_is_explained_in_japanese(client):
    consultation = make_consultation()
    response = post_comment(client, consultation, email="日本語@example.jp")
    assert "半角" in response.get_data(as_text=True)


def test_a_domain_in_kana_is_mailed_to_in_its_ascii_form(client):
    consultation = make_consultation()
    response = post_comment(client, consultation, email="taro@例え.jp")
    assert response.status_code == 303
    (mail,) = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(1))
    assert mail.to_address == "taro@xn--r8jz45g.jp"


def test_every_channel_refuses_an_undeliverable_address(app):
    consultation = make_consultation()
    draft = SubmissionDraft(
        body="郵送の意見", submitter_kind=SubmitterKind.citizen, email="日本語@example.jp", channel=Channel.post
    )
    with app.app_context(), pytest.raises(SubmissionInvalidError) as refused:
        accept_submission(
            consultation,
            draft,
            received_at=datetime.now(UTC),
            actor=Actor("user:1"),
            blob_store=blob_store(),
            staff_entry=StaffEntry(entered_by_id=None, arrived_on=datetime.now(JAPAN).date()),
        )
    assert refused.value.field == "email"
