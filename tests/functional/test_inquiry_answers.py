"""The answers to inquiries (照会) reach those who draft and approve with them, confidential ones included,
and no one else (R26): the staff and approver of the item's department read them on the item's response page
and on the inquiries page, without forms to change them; another department's staff see nothing of them.
The packet says that a confidential answer came ("Answered (not public)") without saying what it was."""

from __future__ import annotations

from datetime import date

import lxml.html
import pytest

from comments.domain.audit import Actor
from comments.domain.inquiries import record_answer, record_inquiry
from comments.domain.packet import build_packet
from comments.exports.packet_csv import packet_csv
from comments.extensions import db
from comments.models import Department
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import assign, make_consultation, make_items, make_meeting, make_user
from tests.functional.auth_helpers import sign_in

ACTOR = Actor("test")
CONFIDENTIAL = "非公開の回答：中間サーバーの方式はAES-256です。"
OTHER_DEPARTMENTS = "介護保険課の項目についての照会です。"


def client_for(app, user):
    client = app.test_client()
    client.set_cookie("lang", "en")  # the assertions read the English words
    assert sign_in(client, user).status_code == 303
    return client


@pytest.fixture
def story(app):
    """Two items of one consultation, one for 健康保険課 and one for 介護保険課; the ministry answered the first's
    inquiry in confidence, and the second's inquiry (to J-LIS) waits for its answer."""
    clerk = make_user(Role.secretariat)
    ours, theirs = Department(name="健康保険課"), Department(name="介護保険課")
    db.session.add_all([ours, theirs])
    db.session.flush()
    consultation = make_consultation()
    mine, other = make_items(consultation, clerk, "中間サーバーの暗号化方式", "委託先の監督")
    assign([mine], ours)
    assign([other], theirs)
    confidential = record_inquiry(
        [mine],
        body_name="総務省",
        question="中間サーバーの暗号化方式を照会します。",
        sent_on=date(2015, 8, 1),
        sent_how="メール",
        created_by=clerk,
        actor=ACTOR,
    )
    record_answer(confidential, answer=CONFIDENTIAL, answered_on=date(2015, 8, 20), public=False, actor=ACTOR)
    pending = record_inquiry(
        [other],
        body_name="J-LIS",
        question=OTHER_DEPARTMENTS,
        sent_on=date(2015, 8, 2),
        sent_how="メール",
        created_by=clerk,
        actor=ACTOR,
    )
    return {
        "clerk": clerk,
        "ours": ours,
        "consultation": consultation,
        "mine": mine,
        "confidential": confidential,
        "pending": pending,
    }


@pytest.mark.parametrize("role", [Role.department_staff, Role.department_approver])
def test_the_items_department_reads_the_confidential_answer_and_nothing_else(app, story, role):
    reader = client_for(app, make_user(role, department=story["ours"]))
    item_page = reader.get(f"/staff/items/{story['mine'].id}/response")
    assert item_page.status_code == 200
    html = item_page.get_data(as_text=True)
    assert CONFIDENTIAL in html and "総務省" in html
    assert "Confidential (非公開)" in html

    url = f"/staff/consultations/{story['consultation'].id}/inquiries"
    listing = reader.get(url)
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    [article] = lxml.html.fromstring(html).xpath(f'//article[@id="inquiry-{story["confidential"].id}"]')
    assert CONFIDENTIAL in article.text_content()
    assert OTHER_DEPARTMENTS not in html, "another department's inquiry"
    assert "<form" not in html.split("<main", 1)[-1], "reading only: the secretariat records inquiries"
    token = csrf_token_from(reader.get("/auth/account").get_data(as_text=True))
    refused = reader.post(f"/staff/inquiries/{story['confidential'].id}/answer", data={"csrf_token": token})
    assert refused.status_code == 403


def test_another_departments_staff_are_told_not_found(app, story):
    stranger = client_for(app, make_user(Role.department_staff))
    assert stranger.get(f"/staff/consultations/{story['consultation'].id}/inquiries").status_code == 404
    assert stranger.get(f"/staff/items/{story['mine'].id}/response").status_code == 404


def test_the_packet_shows_a_confidential_answer_as_answered_without_its_words(app, story):
    meeting = make_meeting(story["consultation"])
    with app.test_request_context():
        packet = build_packet(meeting, final=False, locale="en", organisation="千葉市")
    by_body = {inquiry.body_name: inquiry for row in packet.consultations[0].rows for inquiry in row.inquiries}
    assert by_body["総務省"].withheld and by_body["総務省"].answer == ""
    assert not by_body["J-LIS"].withheld
    text = packet_csv(packet).decode("utf-8-sig")
    assert CONFIDENTIAL not in text
    lines = [line for line in text.splitlines() if line]
    ministry = next(index for index, line in enumerate(lines) if "Inquiry to: 総務省" in line)
    assert "awaiting an answer" not in lines[ministry]
    assert "Answered (not public)" in text
    assert "Inquiry to: J-LIS (awaiting an answer)" in text

    clerk = client_for(app, story["clerk"])
    page = clerk.get(f"/staff/meetings/{meeting.id}/packet").get_data(as_text=True)
    assert "Answered (not public)" in page and CONFIDENTIAL not in page
    assert "総務省 (awaiting an answer)" not in page
