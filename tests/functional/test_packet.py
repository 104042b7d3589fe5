"""The inspection packet from the database: draft until every item is approved, final refused before
(R03), groups once with their count, public inquiry answers only, carried-over items apart, and no
submitter's name, address or e-mail in any format."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime

import pytest

from comments.domain.audit import Actor
from comments.domain.inquiries import record_answer, record_inquiry
from comments.domain.packet import PacketNotReadyError, build_packet
from comments.domain.responses import approve, response_for
from comments.domain.triage import ItemDraft, add_item, carry_over, group_items
from comments.exports.packet_csv import packet_csv
from comments.exports.packet_docx import packet_docx
from comments.extensions import db
from comments.models import ConsultationStatus, ItemKind
from comments.permissions import Role
from tests.factories import make_consultation, make_meeting, make_submission, make_user, respond

ACTOR = Actor("test")
PERSONAL = [
    "山田花子",
    "hanako@example.jp",
    "千葉市中央区1-1",
    "鈴木一郎",
    "ichiro.suzuki@example.net",
    "稲毛区穴川4-12-1",
]


def docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml"))


@pytest.fixture
def story(app):
    """A consultation with three citizens' opinions (two of the same purport), a member's question
    forwarded to the ministry, and one item carried over; names, addresses and e-mails on record."""
    clerk, drafter, approver = (
        make_user(Role.secretariat),
        make_user(Role.department_staff),
        make_user(Role.secretariat),
    )
    consultation = make_consultation(status=ConsultationStatus.closed)  # the final packet comes after the period
    texts = [
        "マイナンバーの安全管理を徹底すべきです。",
        "マイナンバーの安全管理を徹底すべきです！",
        "中間サーバーの暗号化方式を教えてください。",
        "委託先の監督について説明してください。",
    ]
    items = []
    for number, text in enumerate(texts):
        submission = make_submission(consultation, body=text)
        if number % 2:  # make_submission gave 山田花子 and her address; the others get another person
            submission.submitter.name, submission.submitter.email, submission.submitter.contact = PERSONAL[3:]
            db.session.flush()
        kind = ItemKind.question if "ください" in text else ItemKind.opinion
        items.append(add_item(submission, ItemDraft(0, len(text), kind, text), created_by=clerk, actor=ACTOR))
    group = group_items(items[:2], gist="安全管理の徹底を求める意見", created_by=clerk, actor=ACTOR)
    inquiry = record_inquiry(
        [items[2]],
        body_name="総務省",
        question="暗号化方式の照会",
        sent_on=date(2015, 8, 1),
        sent_how="メール",
        created_by=clerk,
        actor=ACTOR,
    )
    record_answer(inquiry, answer="公表可の回答です", answered_on=date(2015, 9, 1), public=True, actor=ACTOR)
    carry_over(items[3], reason="次回の部会で説明", actor=ACTOR)
    meeting = make_meeting(consultation)
    return {"meeting": meeting, "group": group, "items": items, "drafter": drafter, "approver": approver}


def test_the_packet_is_a_draft_until_every_item_is_approved_and_final_is_refused_before(app, story):
    with app.test_request_context():
        respond(story["group"], author=story["drafter"], approver=story["approver"])
        respond(story["items"][2], author=story["drafter"], until="in_review")
        packet = build_packet(story["meeting"], final=False, locale="ja", organisation="千葉市")
        assert packet.draft
        with pytest.raises(PacketNotReadyError) as refused:
            build_packet(story["meeting"], final=True, locale="ja", organisation="千葉市")
        assert refused.value.numbers == [3]
        approve(
            response_for(story["items"][2]),
            approver=story["approver"],
            reauthenticated_at=datetime.now(UTC),
            actor=ACTOR,
        )
        final = build_packet(story["meeting"], final=True, locale="ja", organisation="千葉市")
    assert not final.draft
    [part] = final.consultations
    assert [(row.number, row.group_count) for row in part.rows] == [("1, 2", 2), ("3", 1)]
    assert part.rows[0].gist == "安全管理の徹底を求める意見"
    assert part.rows[1].inquiries[0].answer == "公表可の回答です"
    assert [(row.number, reason) for row, reason in part.carried_over] == [("4", "次回の部会で説明")]
    assert {row.submitter_kind for row in part.rows} == {"市民"} or all(
        "市" in row.submitter_kind or row.submitter_kind for row in part.rows
    )


def test_a_confidential_answer_stays_out_of_the_packet(app, story):
    with app.test_request_context():
        inquiry = story["items"][2]
        from comments.models import Inquiry

        record = db.session.scalars(db.select(Inquiry)).one()
        record.answer_public = False
        db.session.flush()
        packet = build_packet(story["meeting"], final=False, locale="ja", organisation="千葉市")
    row = packet.consultations[0].rows[1]
    assert row.number == str(inquiry.number)
    assert row.inquiries[0].answer == ""
    assert "公表可の回答です" not in packet_csv(packet).decode("utf-8-sig")


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_no_personal_data_in_any_packet_format(app, story, locale):
    with app.test_request_context():
        respond(story["group"], author=story["drafter"], approver=story["approver"])
        respond(story["items"][2], author=story["drafter"], approver=story["approver"])
        packet = build_packet(story["meeting"], final=True, locale=locale, organisation="千葉市")
    formats = {"docx": docx_text(packet_docx(packet)), "csv": packet_csv(packet).decode("utf-8-sig")}
    for name, text in formats.items():
        for value in PERSONAL:
            assert value not in text, f"{value} leaked into the {name} packet"
    rows = list(csv.reader(io.StringIO(formats["csv"])))
    assert len(rows) > 3
