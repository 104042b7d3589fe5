"""Post, fax and in-person submissions keyed in by staff; late ones wait for a recorded decision (R53)."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import select

from comments.domain.deadlines import end_of_day, start_of_day
from comments.extensions import db
from comments.models import AuditEvent, Channel, LateDecision, PostalRule, Submission, TranscriptionCheck
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import make_consultation, make_user
from tests.functional.auth_helpers import sign_in
from tests.functional.helpers import PDF


def period_2015(**values):
    return make_consultation(
        opens_at=start_of_day(date(2015, 6, 22)), closes_at=end_of_day(date(2015, 7, 21)), **values
    )


def enter(client, consultation, **fields):
    url = f"/staff/consultations/{consultation.id}/intake"
    data = {
        "csrf_token": csrf_token_from(client.get(url).get_data(as_text=True)),
        "channel": "post",
        "arrived_on": "2015-07-21",
        "submitter_kind": "citizen",
        "body": "郵送された意見です。",
        "name": "郵便 太郎",
        "scans": [(io.BytesIO(PDF), "scan.pdf")],
    }
    data.update(fields)
    return client.post(url, data=data, content_type="multipart/form-data")


def stored(response) -> Submission:
    submission_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    return db.session.get(Submission, submission_id)


def test_post_in_time_is_stored_with_who_keyed_it_and_its_scan(client):
    clerk = make_user(Role.secretariat)
    sign_in(client, clerk)
    consultation = period_2015()
    response = enter(client, consultation)
    assert response.status_code == 303
    submission = stored(response)
    assert submission.channel == Channel.post and not submission.late
    assert submission.entered_by_id == clerk.id and submission.arrived_on == date(2015, 7, 21)
    assert [a.filename for a in submission.attachments] == ["scan.pdf"]
    assert submission.submitter.name == "郵便 太郎"
    page = client.get(response.headers["Location"])
    assert submission.receipt_number in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"


def test_arrival_rule_makes_a_day_late_post_late_and_postmark_rule_keeps_it(client):
    sign_in(client, make_user(Role.secretariat))
    arrival = period_2015(postal_rule=PostalRule.arrival)
    late = stored(enter(client, arrival, arrived_on="2015-07-22", postmarked_on="2015-07-21"))
    assert late.late
    postmark = period_2015(postal_rule=PostalRule.postmark)
    in_time = stored(enter(client, postmark, arrived_on="2015-07-23", postmarked_on="2015-07-21"))
    assert not in_time.late
    fax = stored(enter(client, postmark, channel="fax", arrived_on="2015-07-22"))
    assert fax.late, "the postmark rule is for post only"


def test_late_submission_waits_for_a_decision_with_a_reason(client):
    sign_in(client, make_user(Role.secretariat))
    consultation = period_2015()
    submission = stored(enter(client, consultation, arrived_on="2015-07-25"))
    page = client.get(f"/staff/intake/{submission.id}").get_data(as_text=True)
    token = csrf_token_from(page)
    refused = client.post(f"/staff/intake/{submission.id}/late-decision", data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 303
    assert db.session.execute(select(LateDecision).where(LateDecision.submission_id == submission.id)).first() is None
    client.post(
        f"/staff/intake/{submission.id}/late-decision",
        data={"csrf_token": token, "included": "y", "reason": "郵便事故による遅延と確認したため"},
    )
    decision = db.session.execute(select(LateDecision).where(LateDecision.submission_id == submission.id)).scalar_one()
    assert decision.included and decision.reason == "郵便事故による遅延と確認したため"
    actions = {event.action for event in db.session.execute(select(AuditEvent)).scalars()}
    assert "submission.late_decided" in actions


def test_a_second_person_checks_the_transcription(app, client):
    keyer = make_user(Role.secretariat)
    sign_in(client, keyer)
    submission = stored(enter(client, period_2015()))
    token = csrf_token_from(client.get(f"/staff/intake/{submission.id}").get_data(as_text=True))
    client.post(f"/staff/intake/{submission.id}/check", data={"csrf_token": token})
    own_check = select(TranscriptionCheck).where(TranscriptionCheck.submission_id == submission.id)
    assert db.session.execute(own_check).first() is None, "the person who keyed it cannot check it"
    checker_client = app.test_client()
    checker = make_user(Role.secretariat)
    sign_in(checker_client, checker)
    token = csrf_token_from(checker_client.get(f"/staff/intake/{submission.id}").get_data(as_text=True))
    checker_client.post(f"/staff/intake/{submission.id}/check", data={"csrf_token": token})
    check = db.session.execute(
        select(TranscriptionCheck).where(TranscriptionCheck.submission_id == submission.id)
    ).scalar_one()
    assert check.checked_by_id == checker.id


def test_bad_intake_input_gets_specific_messages_and_stores_nothing(client):
    sign_in(client, make_user(Role.secretariat))
    consultation = period_2015()
    before = db.session.execute(select(Submission.id)).all()
    response = enter(client, consultation, body="", arrived_on="21/07/2015", scans=[(io.BytesIO(b"MZ"), "x.exe")])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'href="#body"' in html and 'href="#arrived_on"' in html and "PDF, DOCX, TXT, PNG, JPEG" in html
    assert db.session.execute(select(Submission.id)).all() == before


def test_department_staff_and_members_cannot_key_in(app):
    consultation = period_2015()
    for role in (Role.department_staff, Role.member):
        client = app.test_client()
        sign_in(client, make_user(role))
        assert client.get(f"/staff/consultations/{consultation.id}/intake").status_code == 403
