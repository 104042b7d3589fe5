"""The committee's main opinions (主な意見) through the pages: recorded at the inspection meeting, answered there or
carried to a named later meeting, listed in that meeting's packet in every format (前回からの継続事項) and
closed there; carrying to an earlier meeting is refused; only the secretariat records, members read."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, time

import pytest
from sqlalchemy import select

from comments.domain.audit import Actor
from comments.domain.opinions import OpinionError, carry_opinion, record_opinion
from comments.domain.packet import build_packet, packet_labels
from comments.exports.packet import PACKET_FORMATS
from comments.extensions import db
from comments.models import AuditEvent, CommitteeOpinion, ConsultationStatus, OpinionState
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import make_consultation, make_meeting, make_user
from tests.functional.auth_helpers import sign_in
from tests.functional.helpers import xlsx_rows

ACTOR = Actor("test")
OPINION_ANSWERED = (
    "どのようなリスク分析を行った結果、このような記載例に至ったか、バックデータを国に示していただきたい。"
)
OPINION_CARRIED = "アクセスログを定期的に監視する仕組みを評価書に記載すべきである。"
LATER_ANSWER = "情報関係の課と協議し、月次でアクセスログを確認する仕組みを評価書に追記しました。"


@pytest.fixture
def cycle():
    """The inspection (第4回) of a consultation, an earlier meeting (第3回) and the next one (第5回)."""
    consultation = make_consultation(status=ConsultationStatus.responding, title="後期高齢者医療事務 全項目評価書")
    other = make_consultation(status=ConsultationStatus.closed, title="国民年金事務 全項目評価書")
    third = make_meeting(consultation, title="第3回 特定個人情報保護評価部会", held_on=date(2015, 6, 22))
    fourth = make_meeting(consultation, title="第4回 特定個人情報保護評価部会", held_on=date(2015, 8, 6))
    fifth = make_meeting(other, title="第5回 特定個人情報保護評価部会", held_on=date(2015, 8, 27))
    return {"consultation": consultation, "third": third, "fourth": fourth, "fifth": fifth}


@pytest.fixture
def clerk_client(client):
    sign_in(client, make_user(Role.secretariat))
    return client


def post(client, page_url: str, url: str, data: dict):
    """POST with the CSRF token of ``page_url``; the test's objects are read again afterwards."""
    token = csrf_token_from(client.get(page_url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, **data})
    db.session.expire_all()
    return response


def record(client, meeting, consultation, body: str):
    return post(
        client,
        f"/staff/meetings/{meeting.id}",
        f"/staff/meetings/{meeting.id}/opinions",
        {"consultation_id": str(consultation.id), "body": body},
    )


def actions() -> list[str]:
    return [
        event.action
        for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("opinion.%")).order_by(AuditEvent.id)
        )
    ]


def packet_texts(app, meeting) -> dict[str, str]:
    """The meeting's packet in every format, as text: the print page, the Word file's XML, the CSV, the
    Excel file's cells."""
    texts = {}
    with app.test_request_context():
        packet = build_packet(meeting, final=False, locale="ja", organisation="千葉市")
        built = {name: packet_format.build(packet) for name, packet_format in PACKET_FORMATS.items()}
    for name, data in built.items():
        if name == "docx":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                texts[name] = archive.read("word/document.xml").decode("utf-8")
        elif name == "xlsx":
            texts[name] = "\n".join("\t".join(row) for row in xlsx_rows(data))
        else:
            texts[name] = data.decode("utf-8")
    return texts


def test_an_opinion_is_recorded_answered_carried_and_closed_at_the_later_meeting(app, clerk_client, cycle):
    fourth, fifth, consultation = cycle["fourth"], cycle["fifth"], cycle["consultation"]
    assert record(clerk_client, fourth, consultation, OPINION_ANSWERED).status_code == 303
    response = record(clerk_client, fourth, consultation, OPINION_CARRIED)
    assert response.status_code == 303
    first, second = db.session.scalars(select(CommitteeOpinion).order_by(CommitteeOpinion.number)).all()
    assert (first.number, second.number) == (1, 2)
    assert first.state == second.state == OpinionState.open

    # Answered at its own meeting.
    response = post(
        clerk_client,
        f"/staff/opinions/{first.id}",
        f"/staff/opinions/{first.id}/answer",
        {f"answer-{first.id}-answer": "国に照会し、回答を得ました。"},
    )
    assert response.status_code == 303
    assert first.state == OpinionState.answered
    assert first.answered_meeting_id == fourth.id

    # Carried to the next meeting, named.
    response = post(
        clerk_client,
        f"/staff/opinions/{second.id}",
        f"/staff/opinions/{second.id}/carry",
        {f"carry-{second.id}-meeting_id": str(fifth.id)},
    )
    assert response.status_code == 303
    assert second.state == OpinionState.carried
    assert second.carried_to_meeting_id == fifth.id

    page = clerk_client.get(f"/staff/meetings/{fourth.id}").get_data(as_text=True)
    assert OPINION_ANSWERED in page and OPINION_CARRIED in page
    assert "第5回 特定個人情報保護評価部会" in page  # where the carried one will be answered
    later_page = clerk_client.get(f"/staff/meetings/{fifth.id}").get_data(as_text=True)
    assert OPINION_CARRIED in later_page
    assert OPINION_ANSWERED not in later_page
    assert f'name="close-{second.id}-answer"' in later_page

    # The later meeting's packet lists it in every format, waiting for its answer; the earlier one's does not.
    with app.app_context():
        labels = packet_labels("ja")
    pending = labels["answer_pending"]
    for name, text in packet_texts(app, fifth).items():
        # The page and the Word file under their heading; the CSV and the Excel file mark each row.
        table = name in ("csv", "xlsx")
        assert labels["carried_in_mark" if table else "carried_in_heading"] in text, name
        assert OPINION_CARRIED in text, name
        # The page and the Word file say the answer is due here; the tables leave the answer cell empty.
        assert (pending in text) == (not table), name
    for name, text in packet_texts(app, fourth).items():
        assert OPINION_CARRIED not in text, name
    rows = list(csv.reader(io.StringIO(packet_texts(app, fifth)["csv"].lstrip("\ufeff"))))
    carried_rows = [row for row in rows if OPINION_CARRIED in row]
    assert len(carried_rows) == 1
    assert "第4回 特定個人情報保護評価部会" in " ".join(carried_rows[0])  # where it was raised

    # The packet pages themselves, through HTTP.
    assert OPINION_CARRIED in clerk_client.get(f"/staff/meetings/{fifth.id}/packet").get_data(as_text=True)
    download = clerk_client.get(f"/staff/meetings/{fifth.id}/packet.csv")
    assert OPINION_CARRIED in download.get_data(as_text=True)

    # Closed at the meeting it was carried to.
    response = post(
        clerk_client,
        f"/staff/meetings/{fifth.id}",
        f"/staff/meetings/{fifth.id}/opinions/{second.id}/close",
        {f"close-{second.id}-answer": LATER_ANSWER},
    )
    assert response.status_code == 303
    assert second.state == OpinionState.answered
    assert second.answered_meeting_id == fifth.id
    assert second.answer == LATER_ANSWER
    for name, text in packet_texts(app, fifth).items():
        assert LATER_ANSWER in text, name
        assert pending not in text, name
    later_page = clerk_client.get(f"/staff/meetings/{fifth.id}").get_data(as_text=True)
    assert LATER_ANSWER in later_page
    assert f'name="close-{second.id}-answer"' not in later_page  # nothing left to close
    assert actions() == [
        "opinion.recorded",
        "opinion.recorded",
        "opinion.answered",
        "opinion.carried",
        "opinion.closed",
    ]


def test_carrying_to_an_earlier_meeting_or_the_same_one_is_refused_with_a_reason(app, clerk_client, cycle):
    opinion = record_opinion(cycle["fourth"], cycle["consultation"], OPINION_CARRIED, actor=ACTOR)
    url = f"/staff/opinions/{opinion.id}/carry"
    for value in (str(cycle["third"].id), str(cycle["fourth"].id)):
        response = post(clerk_client, f"/staff/opinions/{opinion.id}", url, {f"carry-{opinion.id}-meeting_id": value})
        assert response.status_code == 422
        assert "error-summary" in response.get_data(as_text=True)
    refused = post(
        clerk_client, f"/staff/opinions/{opinion.id}", url, {f"carry-{opinion.id}-meeting_id": str(cycle["third"].id)}
    ).get_data(as_text=True)
    assert "第3回 特定個人情報保護評価部会" in refused  # the message names the meeting refused
    # Hostile values: not a number, an id no integer column holds, a meeting that does not exist.
    for value in ("abc", "99999999999999999999", "424242", ""):
        response = post(clerk_client, f"/staff/opinions/{opinion.id}", url, {f"carry-{opinion.id}-meeting_id": value})
        assert response.status_code == 422, value
    assert opinion.state == OpinionState.open
    assert opinion.carried_to_meeting_id is None
    assert actions() == ["opinion.recorded"]


def test_a_meeting_on_the_same_day_counts_as_later_only_when_it_starts_later(app, cycle):
    fourth = cycle["fourth"]
    same_day = make_meeting(cycle["consultation"], title="第4回（続会）", held_on=fourth.held_on)
    opinion = record_opinion(fourth, cycle["consultation"], OPINION_CARRIED, actor=ACTOR)
    with pytest.raises(OpinionError):
        carry_opinion(opinion, same_day, actor=ACTOR)  # no start times: not known to be later
    fourth.starts_at, same_day.starts_at = time(18, 0), time(19, 30)
    carry_opinion(opinion, same_day, actor=ACTOR)
    assert opinion.carried_to_meeting_id == same_day.id


def test_a_carried_opinion_may_be_carried_on_and_then_leaves_the_earlier_packet(app, clerk_client, cycle):
    opinion = record_opinion(cycle["fourth"], cycle["consultation"], OPINION_CARRIED, actor=ACTOR)
    carry_opinion(opinion, cycle["fifth"], actor=ACTOR)
    sixth = make_meeting(cycle["consultation"], title="第6回 特定個人情報保護評価部会", held_on=date(2015, 10, 1))
    with pytest.raises(OpinionError):
        carry_opinion(opinion, cycle["fourth"], actor=ACTOR)  # before the meeting it now stands at
    carry_opinion(opinion, sixth, actor=ACTOR)
    assert OPINION_CARRIED not in packet_texts(app, cycle["fifth"])["csv"]
    assert OPINION_CARRIED in packet_texts(app, sixth)["csv"]
    # Closing it at the meeting it is no longer carried to is refused, and nothing changes.
    response = post(
        clerk_client,
        f"/staff/meetings/{cycle['fifth'].id}",
        f"/staff/meetings/{cycle['fifth'].id}/opinions/{opinion.id}/close",
        {f"close-{opinion.id}-answer": LATER_ANSWER},
    )
    assert response.status_code == 422
    assert opinion.state == OpinionState.carried
    assert opinion.answer == ""


def test_an_opinion_needs_text_and_a_consultation_of_the_meeting(app, clerk_client, cycle):
    fourth = cycle["fourth"]
    stranger = make_consultation(status=ConsultationStatus.closed)
    assert record(clerk_client, fourth, cycle["consultation"], "   ").status_code == 422
    assert record(clerk_client, fourth, stranger, OPINION_CARRIED).status_code == 422
    response = post(
        clerk_client,
        f"/staff/meetings/{fourth.id}",
        f"/staff/meetings/{fourth.id}/opinions",
        {"consultation_id": "x' OR 1=1", "body": OPINION_CARRIED},
    )
    assert response.status_code == 422
    assert record(clerk_client, fourth, cycle["consultation"], "あ" * 4001).status_code == 422
    assert db.session.scalars(select(CommitteeOpinion)).all() == []
    # An answer that is only spaces is refused too.
    opinion = record_opinion(fourth, cycle["consultation"], OPINION_CARRIED, actor=ACTOR)
    response = post(
        clerk_client,
        f"/staff/opinions/{opinion.id}",
        f"/staff/opinions/{opinion.id}/answer",
        {f"answer-{opinion.id}-answer": "  "},
    )
    assert response.status_code == 422
    assert opinion.state == OpinionState.open


def test_the_states_have_their_own_words_beside_the_enums_that_share_them(app):
    from comments.labels import label
    from comments.models import CouncilReportState, ResponseCategory

    with app.test_request_context():
        # "open" and "draft" are ConsultationStatus's words too: neither label may replace the other.
        assert label(OpinionState.open) != label(ConsultationStatus.open)
        assert label(CouncilReportState.draft) != label(ConsultationStatus.draft)
        assert label(ConsultationStatus.open) == label(ConsultationStatus("open"))
        assert label(ResponseCategory.answered)  # still labelled


def test_only_the_secretariat_records_and_members_read_on_the_portal(app, client, cycle):
    fourth, fifth = cycle["fourth"], cycle["fifth"]
    opinion = record_opinion(fourth, cycle["consultation"], OPINION_CARRIED, actor=ACTOR)
    carry_opinion(opinion, fifth, actor=ACTOR)

    sign_in(client, make_user(Role.department_staff))
    assert client.get(f"/staff/meetings/{fourth.id}/opinions").status_code == 403
    assert client.get(f"/staff/opinions/{opinion.id}").status_code == 403

    member_client = app.test_client()
    sign_in(member_client, make_user(Role.member))
    assert member_client.get(f"/staff/opinions/{opinion.id}").status_code == 403
    token = csrf_token_from(member_client.get("/committee/").get_data(as_text=True))
    refused = member_client.post(
        f"/staff/meetings/{fifth.id}/opinions/{opinion.id}/close",
        data={"csrf_token": token, f"close-{opinion.id}-answer": LATER_ANSWER},
    )
    assert refused.status_code == 403
    assert opinion.state == OpinionState.carried
    # Read-only on the portal's meeting pages: the opinion, where it is carried, and no form.
    for meeting in (fourth, fifth):
        page = member_client.get(f"/committee/meetings/{meeting.id}").get_data(as_text=True)
        assert OPINION_CARRIED in page
        assert f"close-{opinion.id}-answer" not in page
