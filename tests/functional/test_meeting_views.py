"""Inquiries, the progress dashboard and the meeting packet pages, through HTTP:
R03 (no final packet while an item lacks approval), R07 (no submitter's personal data in any packet
format), R26 (department staff see only their consultations' progress and never the meeting pages)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime, timedelta

import docx
import lxml.html
import pytest
from flask import url_for
from sqlalchemy import select

from comments import clock
from comments.dates import calendar_day
from comments.domain.audit import Actor
from comments.domain.progress import ProgressState, approvals_by_day, counts_by_state
from comments.domain.responses import save_draft
from comments.domain.triage import ItemDraft, add_item, assign_items, carry_over, group_items
from comments.extensions import db
from comments.models import (
    AuditEvent,
    ConsultationStatus,
    Department,
    Inquiry,
    ItemKind,
    Meeting,
    Response,
)
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import make_consultation, make_items, make_meeting, make_submission, make_user, respond
from tests.functional.auth_helpers import sign_in

ACTOR = Actor("test")
PERSONAL = ["山田花子", "hanako@example.jp", "千葉市中央区1-1"]
GISTS = [
    "委託先の監督方法を明記すべき",
    "中間サーバーの暗号化方式を知りたい",
    "安全管理措置の徹底を求める（一）",
    "安全管理措置の徹底を求める（二）",
    "アクセスログの定期的な確認を求める",
]
GROUP_GIST = "安全管理措置の徹底を求める意見"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def clerk():
    return make_user(Role.secretariat)


@pytest.fixture
def staff_client(client, clerk):
    assert sign_in(client, clerk).status_code == 303
    return client


@pytest.fixture
def story(clerk):
    """A consultation with five items from 山田花子's submissions: items 3 and 4 a same-purport group,
    item 5 carried over; a drafter in a department and a second secretariat member to approve."""
    drafter = make_user(Role.department_staff)
    approver = make_user(Role.secretariat)
    consultation = make_consultation(status=ConsultationStatus.responding, department=drafter.department.name)
    items = [
        make_items(
            consultation,
            clerk,
            gist,
            text=f"{gist}。詳しくは以下の通りです。",
            kind=ItemKind.question if "知りたい" in gist else ItemKind.opinion,
        )[0]
        for gist in GISTS
    ]
    group = group_items(items[2:4], gist=GROUP_GIST, created_by=clerk, actor=ACTOR)
    carry_over(items[4], reason="次回の部会で説明する", actor=ACTOR)
    return {
        "consultation": consultation,
        "items": items,
        "group": group,
        "drafter": drafter,
        "approver": approver,
        "clerk": clerk,
    }


def answer(target, story, *, until: str = "approved") -> Response:
    """Take the response of ``target`` (an item or a group) through the workflow up to ``until``."""
    body = f"市の考え方：{getattr(target, 'gist', '')}について回答します。"
    return respond(target, author=story["drafter"], approver=story["approver"], until=until, body=body)


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The body rows of the table with ``table_id``, each as the text of its cells (th and td)."""
    [table] = lxml.html.fromstring(html).xpath(f'//table[@id="{table_id}"]')
    return [[cell.text_content().strip() for cell in row.xpath("./th|./td")] for row in table.xpath("./tbody/tr")]


def docx_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml"))


def docx_cell_texts(data: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(data))
    return [cell.text for table in document.tables for row in table.rows for cell in row.cells]


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def assert_no_personal_data(text: str, where: str) -> None:
    for value in PERSONAL:
        assert value not in text, f"{value} appears in {where}"


# --- Inquiries -------------------------------------------------------------------------------------


def test_an_inquiry_for_two_items_and_its_confidential_answer_are_listed(staff_client, story):
    consultation, items = story["consultation"], story["items"]
    url = f"/staff/consultations/{consultation.id}/inquiries"
    page = staff_client.get(url)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    token = csrf_token_from(page.get_data(as_text=True))
    sent = staff_client.post(
        url,
        data={
            "csrf_token": token,
            "body_name": "総務省",
            "question": "中間サーバーの暗号化方式について照会します。",
            "sent_on": "2015-08-01",
            "sent_how": "メール",
            "items": [str(items[0].id), str(items[1].id)],
        },
    )
    assert sent.status_code == 303
    inquiry = db.session.scalars(select(Inquiry).where(Inquiry.consultation_id == consultation.id)).one()
    assert sorted(item.number for item in inquiry.items) == [1, 2]

    answered = staff_client.post(
        f"/staff/inquiries/{inquiry.id}/answer",
        data={
            "csrf_token": token,
            f"answer-{inquiry.id}-answer": "非公開の回答：方式はAES-256です。",
            f"answer-{inquiry.id}-answered_on": "2015-09-01",
        },
    )
    assert answered.status_code == 303
    db.session.expire_all()
    inquiry = db.session.get(Inquiry, inquiry.id)
    assert inquiry.answer == "非公開の回答：方式はAES-256です。"
    assert inquiry.answered_on == date(2015, 9, 1)
    assert inquiry.answer_public is False

    html = staff_client.get(url).get_data(as_text=True)
    [article] = lxml.html.fromstring(html).xpath(f'//article[@id="inquiry-{inquiry.id}"]')
    text = article.text_content()
    sent = calendar_day(date(2015, 8, 1), locale="ja")
    for expected in ("総務省", "中間サーバーの暗号化方式について照会します。", sent, "メール"):
        assert expected in text
    assert "非公開の回答：方式はAES-256です。" in text
    assert "2015-09-01" in text
    assert article.xpath('.//dd[@class="answer-visibility"]')[0].get("data-public") == "false"
    numbers = article.xpath('.//dd[@class="inquiry-items"]')[0].text_content()
    assert "1" in numbers and "2" in numbers and "3" not in numbers
    assert_no_personal_data(html, "the inquiry page")


def test_an_inquiry_without_items_or_an_answer_before_the_question_is_refused(staff_client, story):
    consultation, items = story["consultation"], story["items"]
    url = f"/staff/consultations/{consultation.id}/inquiries"
    token = csrf_token_from(staff_client.get(url).get_data(as_text=True))
    fields = {
        "csrf_token": token,
        "body_name": "J-LIS",
        "question": "照会",
        "sent_on": "2015-08-01",
        "sent_how": "電話",
    }
    refused = staff_client.post(url, data=fields)
    assert refused.status_code == 422
    assert 'id="error-summary"' in refused.get_data(as_text=True)
    assert db.session.scalars(select(Inquiry).where(Inquiry.consultation_id == consultation.id)).first() is None

    other_consultation_item = add_item(
        make_submission(make_consultation(), body="別の案件の意見"),
        ItemDraft(0, 7, ItemKind.opinion, "別の案件"),
        created_by=story["clerk"],
        actor=ACTOR,
    )
    refused = staff_client.post(url, data={**fields, "items": [str(other_consultation_item.id)]})
    assert refused.status_code == 422

    assert staff_client.post(url, data={**fields, "items": [str(items[0].id)]}).status_code == 303
    inquiry = db.session.scalars(select(Inquiry).where(Inquiry.consultation_id == consultation.id)).one()
    early = staff_client.post(
        f"/staff/inquiries/{inquiry.id}/answer",
        data={
            "csrf_token": token,
            f"answer-{inquiry.id}-answer": "回答",
            f"answer-{inquiry.id}-answered_on": "2015-07-01",
            f"answer-{inquiry.id}-public": "y",
        },
    )
    assert early.status_code == 422
    assert f'id="answer-{inquiry.id}-answered_on-error"' in early.get_data(as_text=True)
    assert staff_client.post("/staff/inquiries/999999/answer", data={"csrf_token": token}).status_code == 404


# --- Progress --------------------------------------------------------------------------------------


def test_the_progress_page_counts_states_lists_overdue_items_and_charts_approvals(staff_client, app, story):
    consultation, items, group = story["consultation"], story["items"], story["group"]
    department = db.session.get(Department, story["drafter"].department_id)
    other = Department(name="情報政策課")
    db.session.add(other)
    db.session.flush()
    assign_items(items[:4], department, due_on=None, actor=ACTOR)
    assign_items([items[1]], other, due_on=None, actor=ACTOR)
    today = clock.japan_today()
    items[0].due_on = today - timedelta(days=3)  # overdue, no response yet
    items[1].due_on = today - timedelta(days=1)  # overdue, in review
    items[2].due_on = items[3].due_on = today - timedelta(days=2)  # past, but the group is approved
    db.session.flush()
    answer(items[1], story, until="in_review")
    group_response = answer(group, story)
    # Approvals on two Japan days either side of midnight JST (15:00 UTC).
    group_response.approved_at = datetime(2015, 9, 1, 14, 59, tzinfo=UTC)  # 23:59 on 1 September in Japan
    extra = answer(items[0], story)
    extra.approved_at = datetime(2015, 9, 1, 15, 30, tzinfo=UTC)  # 00:30 on 2 September in Japan
    db.session.flush()
    assert [(d.day, d.approved, d.cumulative) for d in approvals_by_day(consultation)] == [
        (date(2015, 9, 1), 1, 1),
        (date(2015, 9, 2), 1, 2),
    ]
    # Item 1 is approved now: take it back to drafting so that it is overdue again.
    save_draft(extra, body="書き直し", category=None, change_made="", author=story["drafter"], actor=ACTOR)
    expected = counts_by_state(consultation)
    assert expected.as_dict() == {
        ProgressState.not_started: 0,
        ProgressState.drafting: 1,
        ProgressState.in_review: 1,
        ProgressState.approved: 2,
        ProgressState.carried_over: 1,
    }

    page = staff_client.get(f"/staff/consultations/{consultation.id}/progress")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    tree = lxml.html.fromstring(html)
    shown = {
        row.get("data-state"): int(row.xpath("./td")[0].text_content())
        for row in tree.xpath('//table[@id="by-state"]/tbody/tr')
    }
    assert shown == {state.value: count for state, count in expected.as_dict().items()}

    overdue = table_rows(html, "overdue")
    assert [(row[0], row[1], row[2]) for row in overdue] == [
        ("1", department.name, calendar_day(today - timedelta(days=3), locale="ja")),
        ("2", "情報政策課", calendar_day(today - timedelta(days=1), locale="ja")),
    ]
    with app.test_request_context():
        expected_link = url_for("staff.show_response", item_id=items[0].id)
    assert tree.xpath(f'//table[@id="overdue"]//a[@href="{expected_link}"]')

    departments = table_rows(html, "by-department")
    assert {row[0]: row[-1] for row in departments[:2]} == {department.name: "3", "情報政策課": "1"}
    assert departments[-1][0] not in (department.name, "情報政策課")  # the items not assigned come last
    assert departments[-1][-1] == "1"

    # The chart and its table hold the domain's numbers: only the group's approval is left.
    chart_days = approvals_by_day(consultation)
    assert [(d.day, d.approved, d.cumulative) for d in chart_days] == [(date(2015, 9, 1), 1, 1)]
    assert table_rows(html, "approvals") == [[calendar_day(date(2015, 9, 1), locale="ja"), "1", "1"]]
    [svg] = tree.xpath("//svg")
    assert svg.get("role") == "img"
    labelled_by = svg.get("aria-labelledby").split()
    assert {element.tag for element in svg if element.get("id") in labelled_by} == {"title", "desc"}
    assert len(svg.xpath(".//circle")) == len(chart_days)
    assert "style=" not in html
    assert_no_personal_data(html, "the progress page")


def test_department_staff_see_the_progress_of_their_own_consultations_only(client, story):
    drafter = story["drafter"]
    assert sign_in(client, drafter).status_code == 303
    assert client.get(f"/staff/consultations/{story['consultation'].id}/progress").status_code == 200
    elsewhere = make_consultation(department="他の課")
    assert client.get(f"/staff/consultations/{elsewhere.id}/progress").status_code == 404
    assert client.get("/staff/consultations/999999/progress").status_code == 404


def test_department_staff_may_not_open_the_meeting_pages_nor_record_inquiries(client, story):
    meeting = make_meeting(story["consultation"])
    assert sign_in(client, story["drafter"]).status_code == 303
    for url in (
        "/staff/meetings",
        f"/staff/meetings/{meeting.id}",
        f"/staff/meetings/{meeting.id}/packet",
        f"/staff/meetings/{meeting.id}/packet.docx",
        f"/staff/meetings/{meeting.id}/packet.csv?final=1",
    ):
        assert client.get(url).status_code == 403, url
    # They read the inquiries that serve their department's items (tests/functional/test_inquiry_answers.py);
    # recording one is the secretariat's.
    client.set_cookie("lang", "en")
    inquiries = client.get(f"/staff/consultations/{story['consultation'].id}/inquiries")
    assert inquiries.status_code == 200
    assert "Record an inquiry" not in inquiries.get_data(as_text=True)
    token = csrf_token_from(client.get("/auth/account").get_data(as_text=True))
    refused = client.post(
        "/staff/meetings",
        data={"csrf_token": token, "title": "x", "held_on": "2015-09-03", "consultations": [story["consultation"].id]},
    )
    assert refused.status_code == 403
    recording = client.post(f"/staff/consultations/{story['consultation'].id}/inquiries", data={"csrf_token": token})
    assert recording.status_code == 403


# --- Meetings and the packet -----------------------------------------------------------------------


def test_a_meeting_is_created_with_a_consultation_and_drafts_are_not_offered(staff_client, story):
    consultation = story["consultation"]
    draft = make_consultation(status=ConsultationStatus.draft, title="下書きの評価書")
    page = staff_client.get("/staff/meetings")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert consultation.title in html
    assert "下書きの評価書" not in html
    token = csrf_token_from(html)
    refused = staff_client.post(
        "/staff/meetings",
        data={"csrf_token": token, "title": "第3回部会", "held_on": "2015-09-03", "consultations": [str(draft.id)]},
    )
    assert refused.status_code == 422
    created = staff_client.post(
        "/staff/meetings",
        data={
            "csrf_token": token,
            "title": "第3回 特定個人情報保護評価部会",
            "held_on": "2015-09-03",
            "consultations": [str(consultation.id)],
        },
    )
    assert created.status_code == 303
    meeting = db.session.scalars(select(Meeting).where(Meeting.title == "第3回 特定個人情報保護評価部会")).one()
    assert [c.id for c in meeting.consultations] == [consultation.id]
    assert meeting.held_on == date(2015, 9, 3)
    assert created.headers["Location"].endswith(f"/staff/meetings/{meeting.id}")
    assert db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "meeting.created", AuditEvent.object_id == str(meeting.id))
    ).one()

    listing = staff_client.get("/staff/meetings").get_data(as_text=True)
    [row] = table_rows(listing, "meetings")
    assert row[0] == "第3回 特定個人情報保護評価部会"
    assert row[1] == calendar_day(date(2015, 9, 3), weekday=True, locale="ja")
    assert consultation.title in row[2]
    shown = staff_client.get(f"/staff/meetings/{meeting.id}").get_data(as_text=True)
    assert consultation.title in shown
    assert 'id="packet-state"' in shown


def test_the_draft_packet_is_marked_and_the_final_one_refused_until_every_item_is_approved(staff_client, story):
    meeting = make_meeting(story["consultation"])
    answer(story["group"], story)  # items 3 and 4; item 5 is carried over; items 1 and 2 lack approval
    answer(story["items"][1], story, until="in_review")

    shown = staff_client.get(f"/staff/meetings/{meeting.id}").get_data(as_text=True)
    lacking = lxml.html.fromstring(shown).xpath('//*[@class="lacking-number"]')
    assert [cell.text_content().strip() for cell in lacking] == ["1", "2"]

    printed = staff_client.get(f"/staff/meetings/{meeting.id}/packet")
    assert printed.status_code == 200
    html = printed.get_data(as_text=True)
    tree = lxml.html.fromstring(html)
    assert [mark.text_content() for mark in tree.xpath('//*[@class="draft-mark"]')] == ["案"]
    assert "意見と市の考え方（案）" in tree.xpath("//h1")[0].text_content()
    assert "print-packet.css" in html
    assert GROUP_GIST in html and "同趣旨2件" in html
    assert "次回以降の部会で説明する意見" in html
    assert "style=" not in html
    assert_no_personal_data(html, "the print page")

    refused = staff_client.get(f"/staff/meetings/{meeting.id}/packet.docx?final=1")
    assert refused.status_code == 409
    numbers = lxml.html.fromstring(refused.get_data(as_text=True)).xpath('//*[@class="lacking-number"]')
    assert [cell.text_content().strip() for cell in numbers] == ["1", "2"]

    draft = staff_client.get(f"/staff/meetings/{meeting.id}/packet.docx")
    assert draft.status_code == 200
    assert draft.headers["Content-Type"] == DOCX_TYPE
    assert "案" in docx_xml(draft.data)


def test_the_final_packet_downloads_once_every_item_is_approved(staff_client, story):
    meeting = make_meeting(story["consultation"])
    answer(story["group"], story)
    for item in story["items"][:2]:
        answer(item, story)

    page = staff_client.get(f"/staff/meetings/{meeting.id}").get_data(as_text=True)
    assert "packet.docx?final=1" in page
    printed = staff_client.get(f"/staff/meetings/{meeting.id}/packet").get_data(as_text=True)
    assert lxml.html.fromstring(printed).xpath('//*[@class="draft-mark"]') == []
    assert_no_personal_data(printed, "the print page")

    final_docx = staff_client.get(f"/staff/meetings/{meeting.id}/packet.docx?final=1")
    assert final_docx.status_code == 200
    assert final_docx.headers["Content-Type"] == DOCX_TYPE
    assert final_docx.headers["Content-Disposition"].startswith("attachment;")
    assert final_docx.headers["Cache-Control"] == "no-store"
    cells = docx_cell_texts(final_docx.data)
    assert any(cell.startswith(GROUP_GIST) for cell in cells)  # then 同趣旨2件 in the same cell
    assert GISTS[0] in cells
    assert_no_personal_data(docx_xml(final_docx.data), "the Word file")

    final_csv = staff_client.get(f"/staff/meetings/{meeting.id}/packet.csv?final=1")
    assert final_csv.status_code == 200
    assert final_csv.headers["Content-Type"].startswith("text/csv")
    assert final_csv.headers["Content-Disposition"].startswith("attachment;")
    rows = csv_rows(final_csv.data)
    assert rows[0][0] == "案件"  # no draft row first
    assert any(GROUP_GIST in row for row in rows)
    assert_no_personal_data(final_csv.data.decode("utf-8-sig"), "the CSV file")

    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "packet.exported", AuditEvent.object_id == str(meeting.id))
        .order_by(AuditEvent.id)
    ).all()
    assert [(event.detail["format"], event.detail["final"]) for event in events] == [
        ("print", False),
        ("docx", True),
        ("csv", True),
    ]
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).final_packet_at is not None


def test_the_packet_follows_the_viewers_language(staff_client, story):
    meeting = make_meeting(story["consultation"])
    staff_client.set_cookie("lang", "en")
    rows = csv_rows(staff_client.get(f"/staff/meetings/{meeting.id}/packet.csv").data)
    assert rows[0][0] == "DRAFT"
    assert "Summary of the comment" in rows[1]
    printed = lxml.html.fromstring(staff_client.get(f"/staff/meetings/{meeting.id}/packet").get_data(as_text=True))
    assert printed.get("lang") == "en"
    assert [mark.text_content() for mark in printed.xpath('//*[@class="draft-mark"]')] == ["DRAFT"]
    assert staff_client.get(f"/staff/meetings/{meeting.id}/packet.pdf").status_code == 404
    assert staff_client.get("/staff/meetings/999999").status_code == 404
