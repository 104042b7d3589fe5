"""The report to the council through the pages: drafted from the consultation, the committee's opinions and the
city's answers and the comment results; edited by the secretariat; approved by the chair alone, which freezes
it and stamps the schedule's step; exported as a Word file in the city's layout; never a citizen's data."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from sqlalchemy import select

from comments.dates import calendar_day
from comments.domain.audit import Actor
from comments.domain.council_report import DEFAULT_TITLE
from comments.domain.opinions import answer_opinion, carry_opinion, close_opinion, record_opinion
from comments.domain.schedule import step_of
from comments.extensions import db
from comments.models import (
    AuditEvent,
    ConsultationStatus,
    CouncilReport,
    CouncilReportState,
    MeetingBody,
    Notification,
    StepKind,
    StepState,
)
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import SUBMITTER, make_consultation, make_items, make_meeting, make_user
from tests.functional.auth_helpers import sign_in

ACTOR = Actor("test")
OPINION_1 = "成りすましによる照会に対してのリスク対策が記載されていない。"
ANSWER_1 = "本人確認の手順を評価書III-2に追記しました。"
OPINION_2 = "アクセスログを定期的に監視する仕組みを示されたい。"
ANSWER_2 = "月次でアクセスログを確認する仕組みとし、評価書に追記しました。"
OPINION_3 = "クラウドサービスを利用する場合の番号法の罰則の適用関係を確認されたい。"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def story():
    """An inspected consultation with two citizens' opinions; at its inspection (第4回) the committee raised
    three opinions: one answered there, one carried to 第5回 and answered there, one carried and still open.
    The council (第16回審議会) meets on 2015-08-27."""
    clerk = make_user(Role.secretariat)
    consultation = make_consultation(
        status=ConsultationStatus.responding,
        title="後期高齢者医療事務 全項目評価書（案）",
        affair="後期高齢者医療事務",
        opens_at=datetime(2015, 6, 21, 15, 0, tzinfo=UTC),
        closes_at=datetime(2015, 7, 21, 15, 0, tzinfo=UTC),
    )
    make_items(consultation, clerk, "安全管理措置の徹底を求める", "委託先の監督について")
    fourth = make_meeting(consultation, title="第4回 特定個人情報保護評価部会", held_on=date(2015, 8, 6))
    fifth = make_meeting(consultation, title="第5回 特定個人情報保護評価部会", held_on=date(2015, 8, 20))
    council = make_meeting(consultation, title="第16回 情報公開・個人情報保護審議会", held_on=date(2015, 8, 27))
    council.body = MeetingBody.council
    consultation.status = ConsultationStatus.inspected
    consultation.inspection_meeting_id = fourth.id
    consultation.inspected_on = fourth.held_on
    consultation.inspection_outcome = "評価書（案）の記載内容に特段の問題は認められない。"
    first = record_opinion(fourth, consultation, OPINION_1, actor=ACTOR)
    answer_opinion(first, ANSWER_1, actor=ACTOR)
    second = record_opinion(fourth, consultation, OPINION_2, actor=ACTOR)
    carry_opinion(second, fifth, actor=ACTOR)
    close_opinion(second, fifth, ANSWER_2, actor=ACTOR)
    third = record_opinion(fourth, consultation, OPINION_3, actor=ACTOR)
    carry_opinion(third, fifth, actor=ACTOR)
    db.session.flush()
    return {"consultation": consultation, "council": council, "fifth": fifth, "third": third, "clerk": clerk}


def post(client, page_url: str, url: str, data: dict | None = None):
    token = csrf_token_from(client.get(page_url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, **(data or {})})
    db.session.expire_all()
    return response


def report_url(consultation, area: str = "staff") -> str:
    return f"/{area}/consultations/{consultation.id}/council-report"


def drafted(client, story) -> CouncilReport:
    consultation = story["consultation"]
    response = post(client, report_url(consultation), report_url(consultation) + "/draft")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return db.session.scalars(select(CouncilReport)).one()


def edit(client, consultation, **fields):
    report = db.session.scalars(select(CouncilReport)).one()
    data = {
        "title": report.title,
        "addressee": report.addressee,
        "dated_on": report.dated_on.isoformat() if report.dated_on else "",
        "meeting_id": str(report.meeting_id or ""),
        "body": report.body,
    }
    data.update(fields)
    return post(client, report_url(consultation), report_url(consultation), data)


def docx_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml"))


def test_the_draft_holds_the_consultation_the_opinions_the_answers_and_the_results(client, story):
    consultation = story["consultation"]
    sign_in(client, story["clerk"])
    assert report_url(consultation) in client.get(f"/staff/consultations/{consultation.id}").get_data(as_text=True)
    page = client.get(report_url(consultation))
    assert page.status_code == 200
    report = drafted(client, story)
    assert report.state == CouncilReportState.draft
    assert report.title == DEFAULT_TITLE
    assert report.addressee == "千葉市情報公開・個人情報保護審議会 会長 様"
    body = report.body
    for expected in (
        consultation.title,
        "後期高齢者医療事務",
        consultation.department_name,
        "平成27年6月22日から平成27年7月21日まで",  # the period, in Japan's calendar and time
        "意見の提出者は2人、提出された意見等は2件",
        "第4回 特定個人情報保護評価部会",
        "主な意見（1）",
        OPINION_1,
        ANSWER_1,
        OPINION_2,
        ANSWER_2,
        "第5回 特定個人情報保護評価部会において回答",  # the carried one with its later answer
        OPINION_3,
        "次回以降の部会（第5回 特定個人情報保護評価部会）において説明します",  # carried, not answered yet
        "評価書（案）の記載内容に特段の問題は認められない。",  # the committee's conclusion, as recorded
    ):
        assert expected in body, expected
    # No citizen's personal data: the report holds counts and the committee's and city's words only.
    for personal in SUBMITTER:
        assert personal not in body
    page = client.get(report_url(consultation)).get_data(as_text=True)
    assert OPINION_2 in page and ANSWER_2 in page
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("council_report.%"))).all()
    assert events == ["council_report.drafted"]


def test_the_chair_is_told_a_drafted_report_waits_for_approval_once(client, story):
    chair = make_user(Role.chair, email="chair-notice@example.jp")
    member = make_user(Role.member, email="member-notice@example.jp")
    sign_in(client, story["clerk"])
    report = drafted(client, story)
    consultation = story["consultation"]
    post(client, report_url(consultation), report_url(consultation) + "/draft")  # assembled again: no second notice
    notices = db.session.scalars(select(Notification).where(Notification.kind == "report.approval_waiting")).all()
    assert [notice.user_id for notice in notices] == [chair.id]
    assert member.id not in {notice.user_id for notice in notices}
    assert notices[0].link == report_url(consultation, "committee")
    assert notices[0].dedupe_key == f"council-report:{report.id}"


def test_the_secretariat_edits_the_draft_and_hostile_input_is_refused(client, story):
    consultation = story["consultation"]
    sign_in(client, story["clerk"])
    drafted(client, story)
    response = edit(
        client,
        consultation,
        title="特定個人情報保護評価書（全項目評価書）の第三者点検について（答申）",
        dated_on="2015-08-27",
        meeting_id=str(story["council"].id),
        body="　第三者点検の結果を報告します。\n　特段の問題は認められません。",
    )
    assert response.status_code == 303
    report = db.session.scalars(select(CouncilReport)).one()
    assert report.title.endswith("（答申）")
    assert report.dated_on == date(2015, 8, 27)
    assert report.meeting_id == story["council"].id
    assert report.body.startswith("　第三者点検の結果")
    for fields in (
        {"dated_on": "not-a-date"},
        {"meeting_id": "99999999999999999999"},
        {"meeting_id": "abc"},
        {"body": "   "},
        {"title": ""},
        {"addressee": "あ" * 201},
    ):
        assert edit(client, consultation, **fields).status_code == 422, fields
    db.session.refresh(report)
    assert report.dated_on == date(2015, 8, 27)
    assert report.body.startswith("　第三者点検の結果")
    edited = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "council_report.edited")).all()
    assert len(edited) == 1
    assert set(edited[0].detail["fields"]) == {"title", "dated_on", "meeting_id", "body"}


def test_the_chair_approves_which_freezes_the_report_and_stamps_the_step(app, client, story):
    consultation = story["consultation"]
    sign_in(client, story["clerk"])
    drafted(client, story)
    assert edit(client, consultation, dated_on="2015-08-27", meeting_id=str(story["council"].id)).status_code == 303

    chair_client = app.test_client()
    sign_in(chair_client, make_user(Role.chair))
    portal = chair_client.get(report_url(consultation, "committee")).get_data(as_text=True)
    assert "/council-report/approve" in portal
    assert "/committee/consultations/" in chair_client.get("/committee/").get_data(as_text=True)
    response = post(
        chair_client, report_url(consultation, "committee"), report_url(consultation, "committee") + "/approve"
    )
    assert response.status_code == 303
    report = db.session.scalars(select(CouncilReport)).one()
    assert report.state == CouncilReportState.approved
    assert report.approved_at is not None
    step = step_of(consultation, StepKind.council_report)
    assert step.state == StepState.done
    assert step.done_on == date(2015, 8, 27)
    assert step.meeting_id == story["council"].id

    # Frozen: no edit, no new draft, no second approval; the list stays as it stood at approval.
    assert edit(client, consultation, body="書き換え").status_code == 422
    assert post(client, report_url(consultation), report_url(consultation) + "/draft").status_code == 422
    db.session.refresh(report)
    assert report.body != "書き換え"
    close_opinion(story["third"], story["fifth"], "後日の回答", actor=ACTOR)
    db.session.flush()
    docx_bytes = client.get(report_url(consultation) + ".docx").data
    assert "後日の回答" not in docx_xml(docx_bytes)
    assert "/council-report/approve" not in chair_client.get(report_url(consultation, "committee")).get_data(
        as_text=True
    )


def test_no_one_but_the_chair_approves(app, client, story):
    consultation = story["consultation"]
    sign_in(client, story["clerk"])
    drafted(client, story)
    member_client = app.test_client()
    sign_in(member_client, make_user(Role.member))
    page = member_client.get(report_url(consultation, "committee"))
    assert page.status_code == 200
    assert OPINION_1 in page.get_data(as_text=True)
    assert "/council-report/approve" not in page.get_data(as_text=True)  # read-only for members
    approve = report_url(consultation, "committee") + "/approve"
    assert post(member_client, report_url(consultation, "committee"), approve).status_code == 403
    token = csrf_token_from(client.get(report_url(consultation)).get_data(as_text=True))
    assert client.post(approve, data={"csrf_token": token}).status_code == 403  # the secretariat neither
    db.session.expire_all()
    assert db.session.scalars(select(CouncilReport)).one().state == CouncilReportState.draft
    assert step_of(consultation, StepKind.council_report).state != StepState.done
    # Staff pages stay closed to members, and department staff never reach the report.
    assert member_client.get(report_url(consultation)).status_code == 403
    staff_client = app.test_client()
    sign_in(staff_client, make_user(Role.department_staff))
    assert staff_client.get(report_url(consultation)).status_code == 403
    # A consultation with no report yet has no report page on the portal.
    other = make_consultation(status=ConsultationStatus.closed)
    assert member_client.get(report_url(other, "committee")).status_code == 404


def test_the_word_file_has_the_city_layout_and_no_citizen_data(client, story):
    consultation = story["consultation"]
    sign_in(client, story["clerk"])
    drafted(client, story)
    assert edit(client, consultation, dated_on="2015-08-27").status_code == 303
    response = client.get(report_url(consultation) + ".docx")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == DOCX_TYPE
    assert response.headers["Content-Disposition"].startswith("attachment")
    document = docx.Document(io.BytesIO(response.data))
    paragraphs = [paragraph for paragraph in document.paragraphs if paragraph.text.strip()]
    texts = [paragraph.text for paragraph in paragraphs]
    dated = next(
        paragraph for paragraph in paragraphs if paragraph.text == calendar_day(date(2015, 8, 27), locale="ja")
    )
    assert dated.text == "平成27年8月27日"
    assert dated.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert "千葉市情報公開・個人情報保護審議会 会長 様" in texts
    heading = next(paragraph for paragraph in paragraphs if paragraph.text == DEFAULT_TITLE)
    assert heading.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert (
        texts.index("平成27年8月27日")
        < texts.index("千葉市情報公開・個人情報保護審議会 会長 様")
        < texts.index(DEFAULT_TITLE)
    )
    assert any("部会長" in text for text in texts)  # the sender, by title
    table = document.tables[0]
    assert [cell.text for cell in table.rows[0].cells] == ["番号", "主な意見", "市の回答"]
    rows = [[cell.text for cell in row.cells] for row in table.rows[1:]]
    assert [row[0] for row in rows] == ["主な意見（1）", "主な意見（2）", "主な意見（3）"]
    assert rows[0][1:] == [OPINION_1, ANSWER_1]
    assert rows[1][2].startswith(ANSWER_2)
    assert "案" in document.sections[0].header.paragraphs[0].text  # still a draft
    xml = docx_xml(response.data)
    for personal in SUBMITTER:
        assert personal not in xml
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "council_report.exported")).all()
    assert [event.detail["format"] for event in exported] == ["docx"]


def test_a_report_is_drafted_only_after_the_period_closed(client):
    consultation = make_consultation()  # still open for comment
    sign_in(client, make_user(Role.secretariat))
    response = post(client, report_url(consultation), report_url(consultation) + "/draft")
    assert response.status_code == 422
    assert db.session.scalars(select(CouncilReport)).all() == []
    assert client.get(report_url(consultation) + ".docx").status_code == 404
