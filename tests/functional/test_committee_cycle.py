"""Issue 14's "done when": the seed's cycle through the pages, as the secretariat, the chair, the members and a
citizen go through it, on the server's clock of 2015.

The factories make only the accounts, the consultation and its submissions and items; everything of the
committee's cycle is done by posting the real forms. In the seed's order (①-⑨):

* 2015-06-25  the 3rd sub-committee meeting (事前点検) made with its agenda, a public paper and a non-public one
  (the ministry's answer on the intermediate server); the notice sent; the pre-inspection planned.
* 2015-07-09  attendance (one member absent); the pre-inspection done; the absent member finds the papers and
  the deadline on the portal; the minutes of the 3rd meeting drafted with a withheld passage and circulated.
* 2015-07-15  the absent member's question and a citizen's opinion; a member present comments on the minutes.
* 2015-07-22  the consultation closed (the comment period's step done); the minutes revised; the 4th, 5th and
  council meetings made; the council report planned for the council.
* 2015-07-23  the chair finalises the minutes, the secretariat publishes them: nothing withheld is public.
* 2015-08-06  the 4th meeting (第三者点検): its packet, the committee's opinions, one answered, one carried.
* 2015-08-20  the report to the council drafted and edited.
* 2015-08-27  the chair approves it (its step done) and it is exported; after the council adjourns, the 5th
  meeting closes the carried opinion with its answer.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import docx
from sqlalchemy import select

from comments.dates import calendar_day
from comments.domain.schedule import step_of
from comments.extensions import db
from comments.models import (
    Attendance,
    Channel,
    CommitteeOpinion,
    ConsultationStatus,
    CouncilReport,
    CouncilReportState,
    Inquiry,
    Meeting,
    MeetingBody,
    MeetingPaper,
    Minutes,
    MinutesComment,
    MinutesState,
    Notification,
    OpinionState,
    StepKind,
    StepState,
    Submission,
    SubmitterKind,
)
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import make_consultation, make_items, make_user
from tests.functional.auth_helpers import sign_in
from tests.functional.helpers import post_comment

JST = ZoneInfo("Asia/Tokyo")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

PLACE = "千葉中央コミュニティセンター2階 市政情報室"
CONFIDENTIAL_ANSWER = "中間サーバー・プラットフォームの暗号化方式の詳細は非公開とする（総務省回答）"
QUESTION = "（藤谷委員）中間サーバーとの連携で、副本の保存期間はどのように定められていますか。"
CITIZEN_OPINION = "後期高齢者医療の特定個人情報について、委託先の監督を徹底してください。"
WITHHELD = "障害発生時の連絡先は保守事業者の緊急窓口043-000-0000である"
MINUTES_V1 = (
    "（多賀谷部会長）それでは、第3回特定個人情報保護評価部会を開催します。\n"
    f"（金森市政情報室長）資料2について説明します。［非開示：7-2］{WITHHELD}［／非開示］とのことでした。\n"
    "（大島委員）承知しました。"
)
MEMBER_REMARK = "「説明します」は「御説明します」としてください。"
MINUTES_V2 = MINUTES_V1.replace("資料2について説明します", "資料2について御説明します")
PUBLIC_MARKER = "〔非開示：第7条第2号（個人に関する情報）〕"
OPINION_ANSWERED = "成りすましによる照会に対してのリスク対策を評価書に記載されたい。"
ANSWER_THERE = "本人確認の手順を評価書III-2に追記しました。"
OPINION_CARRIED = "アクセスログを定期的に監視する仕組みを示されたい。"
LATER_ANSWER = "月次でアクセスログを確認する仕組みとし、評価書に追記しました。"


def at(day: date, hour: int = 12) -> datetime:
    """``day`` at ``hour`` in Japan."""
    return datetime.combine(day, time(hour), tzinfo=JST)


def signed_in(app, user):
    """A browser of its own for ``user``, signed in through the real forms (a new one at each step of the
    clock: a session lasts 30 idle minutes, and a code is used once)."""
    browser = app.test_client()
    response = sign_in(browser, user)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return browser


def page(browser, url: str, status: int = 200) -> str:
    response = browser.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def post(browser, token_page: str, url: str, data: dict, *, prefix: str = "", multipart: bool = False):
    """POST ``data`` to ``url`` with the CSRF token read from ``token_page`` (under ``prefix`` when the form
    has one); the test's objects are read again afterwards."""
    token = csrf_token_from(page(browser, token_page))
    fields = {f"{prefix}csrf_token": token, **data}
    if multipart:
        response = browser.post(url, data=fields, content_type="multipart/form-data")
    else:
        response = browser.post(url, data=fields)
    db.session.expire_all()
    return response


def done(response, status: int = 303):
    """The response, after checking its status; a refusal shows its field errors in the assertion."""
    errors = re.findall(r'class="field-error"[^>]*>(.*?)</', response.get_data(as_text=True), re.S)
    assert response.status_code == status, (response.status_code, errors)
    return response


def notified(kind: str) -> set[int]:
    return set(db.session.scalars(select(Notification.user_id).where(Notification.kind == kind)))


def meeting_numbered(body: MeetingBody, number: int) -> Meeting:
    return db.session.scalars(select(Meeting).where(Meeting.body == body, Meeting.number == number)).one()


def create_meeting(browser, consultation, *, body: str, number: int, held_on: date, starts: str, ends: str):
    data = {
        "body": body,
        "number": str(number),
        "title": "",
        "held_on": held_on.isoformat(),
        "starts_at": starts,
        "ends_at": ends,
        "place": PLACE,
        "open_to_public": "yes" if body == "council" else "no",
    }
    if consultation is not None:
        data["consultations"] = [str(consultation.id)]
    done(post(browser, "/staff/meetings", "/staff/meetings", data))
    return meeting_numbered(MeetingBody(body), number)


def schedule_step(browser, consultation, kind: str, **fields):
    url = f"/staff/consultations/{consultation.id}/schedule"
    data = {f"{kind}-note": "", f"{kind}-public": "y"}
    data.update({f"{kind}-{name}": value for name, value in fields.items()})
    return done(post(browser, url, f"{url}/{kind}", data, prefix=f"{kind}-"))


def test_the_seeds_cycle_runs_through_the_pages(app, client, frozen_clock):
    frozen_clock.set(at(date(2015, 6, 20)))
    clerk = make_user(Role.secretariat)
    chair = make_user(Role.chair)
    present = make_user(Role.member)
    absent = make_user(Role.member)
    committee = {chair.id, present.id, absent.id}
    consultation = make_consultation(
        title="後期高齢者医療事務 全項目評価書（案）",
        affair="後期高齢者医療事務",
        opens_at=at(date(2015, 6, 22), 0),
        closes_at=at(date(2015, 7, 22), 0),  # until 24:00 on 21 July
    )
    items = make_items(consultation, clerk, "中間サーバーとの連携について", "委託先の監督について")

    # ① The 3rd meeting (事前点検), made by the secretariat ------------------------------------------------
    frozen_clock.set(at(date(2015, 6, 25)))
    staff = signed_in(app, clerk)
    third = create_meeting(
        staff, consultation, body="sub_committee", number=3, held_on=date(2015, 7, 8), starts="18:00", ends="19:20"
    )
    assert third.title == "第3回 特定個人情報保護評価部会"
    assert (third.starts_at, third.ends_at, third.place, third.open_to_public) == (time(18), time(19, 20), PLACE, False)
    agenda = f"/staff/meetings/{third.id}/agenda"
    done(
        post(
            staff,
            agenda,
            agenda,
            {"item-title": "後期高齢者医療事務の評価書の説明", "item-consultation": str(consultation.id)},
            prefix="item-",
        )
    )
    [agenda_item] = third.agenda_items
    assert agenda_item.consultation_id == consultation.id

    # The ministry's answer, recorded as a confidential answer to an inquiry.
    inquiries = f"/staff/consultations/{consultation.id}/inquiries"
    done(
        post(
            staff,
            inquiries,
            inquiries,
            {
                "body_name": "総務省",
                "question": "中間サーバーの暗号化方式について",
                "sent_on": "2015-06-01",
                "sent_how": "e-mail",
                "items": [str(items[0].id)],
            },
        )
    )
    inquiry_id = db.session.scalars(select(Inquiry.id).where(Inquiry.consultation_id == consultation.id)).one()
    done(
        post(
            staff,
            inquiries,
            f"/staff/inquiries/{inquiry_id}/answer",
            {f"answer-{inquiry_id}-answer": CONFIDENTIAL_ANSWER, f"answer-{inquiry_id}-answered_on": "2015-06-10"},
            prefix=f"answer-{inquiry_id}-",
        )
    )

    def paper(**fields):
        data = {
            "paper-source": "upload",
            "paper-label": "",
            "paper-title": "",
            "paper-agenda_item": str(agenda_item.id),
            "paper-visibility": "public",
            "paper-material": "",
            "paper-inquiry": "",
        }
        data.update(fields)
        return post(staff, agenda, f"/staff/meetings/{third.id}/papers", data, prefix="paper-", multipart=True)

    done(
        paper(
            **{
                "paper-title": "特定個人情報保護評価スケジュールについて",
                "paper-document": (io.BytesIO(PDF), "shiryou1.pdf"),
            }
        )
    )
    done(paper(**{"paper-source": "inquiry", "paper-inquiry": str(inquiry_id)}), 422)  # confidential as public
    done(paper(**{"paper-source": "inquiry", "paper-inquiry": str(inquiry_id), "paper-visibility": "committee"}))
    public_paper, secret_paper = db.session.scalars(
        select(MeetingPaper).where(MeetingPaper.meeting_id == third.id).order_by(MeetingPaper.position)
    ).all()
    assert (public_paper.label, public_paper.public, public_paper.agenda_item_id) == ("資料1", True, agenda_item.id)
    assert (secret_paper.label, secret_paper.public, secret_paper.inquiry_id) == ("資料2", False, inquiry_id)
    assert secret_paper.title == "総務省からの回答"
    papers_notices = db.session.scalars(select(Notification).where(Notification.kind == "meeting.papers_posted"))
    papers_notices = list(papers_notices)
    assert sorted(n.user_id for n in papers_notices) == sorted(committee), "each member once, not the clerk"
    assert {n.link for n in papers_notices} == {f"/committee/meetings/{third.id}"}

    show_third = f"/staff/meetings/{third.id}"
    done(post(staff, show_third, f"{show_third}/notice", {}))
    assert third.notice_sent_at is not None
    assert notified("meeting.notice") == committee

    schedule_step(
        staff, consultation, "pre_inspection", planned_on="2015-07-08", state="planned", meeting=str(third.id)
    )
    step = step_of(consultation, StepKind.pre_inspection)
    assert (step.planned_on, step.state, step.meeting_id) == (date(2015, 7, 8), StepState.planned, third.id)

    # The public meeting page: the agenda and the public paper, never the ministry's answer.
    public_page = page(client, f"/meetings/{third.id}")
    assert "特定個人情報保護評価スケジュールについて" in public_page and "18時00分～19時20分" in public_page
    assert "総務省からの回答" not in public_page and CONFIDENTIAL_ANSWER not in public_page
    assert client.get(f"/meetings/{third.id}/papers/{secret_paper.id}").status_code == 404

    # After the meeting: attendance with one member absent, the pre-inspection done -----------------------
    frozen_clock.set(at(date(2015, 7, 9)))
    staff = signed_in(app, clerk)
    attendance = f"/staff/meetings/{third.id}/attendance"
    rows = {}
    for user, state in ((chair, "present"), (present, "present"), (absent, "absent")):
        rows.update({f"state_{user.id}": state, f"briefed_on_{user.id}": "", f"note_{user.id}": ""})
    rows[f"briefed_on_{absent.id}"] = "2015-07-09"
    done(post(staff, attendance, attendance, rows))
    recorded = {row.user_id: row for row in db.session.scalars(select(Attendance))}
    assert {user_id: row.present for user_id, row in recorded.items()} == {
        chair.id: True,
        present.id: True,
        absent.id: False,
    }
    assert recorded[absent.id].briefed_on == date(2015, 7, 9)
    schedule_step(
        staff,
        consultation,
        "pre_inspection",
        planned_on="2015-07-08",
        done_on="2015-07-08",
        state="done",
        meeting=str(third.id),
    )
    step = step_of(consultation, StepKind.pre_inspection)
    assert (step.state, step.done_on) == (StepState.done, date(2015, 7, 8))
    assert calendar_day(date(2015, 7, 8), locale="ja") in page(
        staff, f"/staff/consultations/{consultation.id}/schedule"
    )

    # ② The absent member: the papers (the non-public one too) and the same deadline on the portal.
    away = signed_in(app, absent)
    home = page(away, "/committee/")
    assert f'id="absence-{third.id}"' in home
    assert calendar_day(date(2015, 7, 21), locale="ja") in home and "24時00分" in home
    portal_meeting = page(away, f"/committee/meetings/{third.id}")
    assert f'id="absence-{third.id}"' in portal_meeting
    assert "特定個人情報保護評価スケジュールについて" in portal_meeting and "総務省からの回答" in portal_meeting
    assert CONFIDENTIAL_ANSWER in page(away, f"/committee/meetings/{third.id}/papers/{secret_paper.id}")
    assert away.get(f"/committee/meetings/{third.id}/papers/{public_paper.id}").data == PDF

    # ⑤ (begun) The minutes of the 3rd meeting, drafted with a withheld passage and sent to those present.
    minutes_edit = f"/staff/meetings/{third.id}/minutes/edit"
    done(post(staff, minutes_edit, minutes_edit, {"source": MINUTES_V1, "note": "初稿"}))
    minutes = db.session.scalars(select(Minutes).where(Minutes.meeting_id == third.id)).one()
    assert minutes.state == MinutesState.drafting
    staff_minutes = f"/staff/meetings/{third.id}/minutes"
    assert WITHHELD in page(staff, staff_minutes)  # the committee's copy keeps the full text
    done(post(staff, staff_minutes, f"{staff_minutes}/circulate", {"deadline": "2015-07-16"}))
    assert (minutes.state, minutes.comment_deadline) == (MinutesState.circulating, date(2015, 7, 16))
    assert notified("minutes.circulated") == {chair.id, present.id}, "the members present, not the absent one"

    # The absent member's question and a citizen's opinion, before the deadline ---------------------------
    frozen_clock.set(at(date(2015, 7, 15)))
    away = signed_in(app, absent)
    portal_consultation = f"/committee/consultations/{consultation.id}"
    asked = done(
        post(
            away,
            portal_consultation,
            f"{portal_consultation}/questions",
            {"question-section_id": "", "question-body": QUESTION},
            prefix="question-",
        )
    )
    question = db.session.get(Submission, int(asked.headers["Location"].rstrip("/").rsplit("/", 1)[-1]))
    assert (question.member_id, question.submitter_kind, question.late) == (absent.id, SubmitterKind.member, False)
    staff = signed_in(app, clerk)
    inbox = page(staff, f"/staff/consultations/{consultation.id}/inbox")
    row = inbox[inbox.index(question.receipt_number) :].split("</tr>")[0]
    assert "部会委員" in row, "listed as a committee member's"
    assert QUESTION in page(staff, f"/staff/submissions/{question.id}")

    # ③ The comment period: a citizen's opinion through the public form.
    citizen = app.test_client()
    received = post_comment(citizen, consultation, body=CITIZEN_OPINION)
    assert received.status_code == 303, received.get_data(as_text=True)[:500]
    opinion = db.session.scalars(select(Submission).where(Submission.body == CITIZEN_OPINION)).one()
    assert (opinion.channel, opinion.submitter_kind, opinion.late) == (Channel.web, SubmitterKind.citizen, False)

    # ⑤ A member present comments on the draft in the portal.
    member = signed_in(app, present)
    portal_minutes = f"/committee/meetings/{third.id}/minutes"
    assert WITHHELD in page(member, portal_minutes)
    done(post(member, portal_minutes, f"{portal_minutes}/comments", {"body": MEMBER_REMARK}))
    [remark] = db.session.scalars(select(MinutesComment)).all()
    assert (remark.author_id, remark.body, remark.version.number) == (present.id, MEMBER_REMARK, 1)

    # ③ The period over: the consultation closed, its step done; the next meetings made --------------------
    frozen_clock.set(at(date(2015, 7, 22), 10))
    staff = signed_in(app, clerk)
    show_consultation = f"/staff/consultations/{consultation.id}"
    done(post(staff, show_consultation, f"{show_consultation}/close", {}))
    assert consultation.status == ConsultationStatus.closed
    step = step_of(consultation, StepKind.comment_period)
    assert (step.state, step.done_on) == (StepState.done, date(2015, 7, 21))
    assert calendar_day(date(2015, 7, 21), locale="ja") in page(
        staff, f"/staff/consultations/{consultation.id}/schedule"
    )
    # The absent member's note no longer offers the deadline as still to come.
    home = page(signed_in(app, absent), "/committee/")
    assert f"質問期限（{calendar_day(date(2015, 7, 21), weekday=True, locale='ja')}" in home
    assert "期限後のものとして扱います" in home

    # ⑤ The secretariat revises the minutes after the member's remark: a new version, compared.
    assert MEMBER_REMARK in page(staff, staff_minutes)
    done(post(staff, minutes_edit, minutes_edit, {"source": MINUTES_V2, "note": "委員の意見により修正"}))
    assert [version.number for version in minutes.versions] == [1, 2]
    comparison = page(staff, f"{staff_minutes}?old=1&new=2")
    diff = comparison.split('id="diff"')[1]
    assert "<ins>" in diff and "御" in diff.split("<ins>")[1].split("</ins>")[0]
    assert "委員の意見により修正" in comparison

    fourth = create_meeting(
        staff, consultation, body="sub_committee", number=4, held_on=date(2015, 8, 6), starts="18:00", ends="20:00"
    )
    council = create_meeting(
        staff, None, body="council", number=16, held_on=date(2015, 8, 27), starts="18:00", ends="19:00"
    )
    fifth = create_meeting(
        staff, consultation, body="sub_committee", number=5, held_on=date(2015, 8, 27), starts="19:15", ends="20:30"
    )
    assert council.title == "第16回 情報公開・個人情報保護審議会"
    schedule_step(
        staff, consultation, "council_report", planned_on="2015-08-27", state="planned", meeting=str(council.id)
    )

    # ⑤ The chair finalises the minutes in the portal; the secretariat publishes them --------------------
    frozen_clock.set(at(date(2015, 7, 23)))
    chairing = signed_in(app, chair)
    assert "御説明します" in page(chairing, portal_minutes)
    done(post(chairing, portal_minutes, f"{portal_minutes}/finalise", {}))
    assert (minutes.state, minutes.finalised_by_id) == (MinutesState.finalised, chair.id)
    staff = signed_in(app, clerk)
    done(post(staff, staff_minutes, f"{staff_minutes}/publish", {}))
    assert minutes.state == MinutesState.published

    public_minutes = page(client, f"/meetings/{third.id}/minutes")
    assert PUBLIC_MARKER in public_minutes and "御説明します" in public_minutes
    assert WITHHELD not in public_minutes and "043-000-0000" not in public_minutes
    download = client.get(f"/meetings/{third.id}/minutes.docx")
    assert download.status_code == 200 and download.headers["Content-Type"] == DOCX_TYPE
    word = "\n".join(paragraph.text for paragraph in docx.Document(io.BytesIO(download.data)).paragraphs)
    assert PUBLIC_MARKER in word and "（多賀谷部会長）" in word
    assert WITHHELD not in word and "043-000-0000" not in word
    for url in (f"/meetings/{third.id}", "/meetings"):
        shown = page(client, url)
        assert "総務省からの回答" not in shown and CONFIDENTIAL_ANSWER not in shown and WITHHELD not in shown
    assert f"/meetings/{third.id}/minutes" in page(client, f"/meetings/{third.id}"), "the minutes are linked"

    # ④ The 4th meeting (第三者点検): the packet, the committee's opinions --------------------------------
    frozen_clock.set(at(date(2015, 8, 6), 20))
    staff = signed_in(app, clerk)
    packet = page(staff, f"/staff/meetings/{fourth.id}/packet")
    assert consultation.title in packet and "委託先の監督について" in packet
    show_fourth = f"/staff/meetings/{fourth.id}"
    for body in (OPINION_ANSWERED, OPINION_CARRIED):
        done(
            post(staff, show_fourth, f"{show_fourth}/opinions", {"consultation_id": str(consultation.id), "body": body})
        )
    answered, carried = db.session.scalars(select(CommitteeOpinion).order_by(CommitteeOpinion.number)).all()
    done(
        post(
            staff,
            f"/staff/opinions/{answered.id}",
            f"/staff/opinions/{answered.id}/answer",
            {f"answer-{answered.id}-answer": ANSWER_THERE},
        )
    )
    done(
        post(
            staff,
            f"/staff/opinions/{carried.id}",
            f"/staff/opinions/{carried.id}/carry",
            {f"carry-{carried.id}-meeting_id": str(fifth.id)},
        )
    )
    assert (answered.state, answered.answered_meeting_id, answered.answer) == (
        OpinionState.answered,
        fourth.id,
        ANSWER_THERE,
    )
    assert (carried.state, carried.carried_to_meeting_id) == (OpinionState.carried, fifth.id)
    shown = page(staff, show_fourth)
    assert OPINION_ANSWERED in shown and ANSWER_THERE in shown and OPINION_CARRIED in shown
    assert "第5回 特定個人情報保護評価部会" in shown

    # ⑥ The report to the council, drafted and edited ---------------------------------------------------
    frozen_clock.set(at(date(2015, 8, 20)))
    staff = signed_in(app, clerk)
    report_page = f"/staff/consultations/{consultation.id}/council-report"
    assert report_page in page(staff, show_consultation)
    done(post(staff, report_page, f"{report_page}/draft", {}))
    report = db.session.scalars(select(CouncilReport)).one()
    assert (report.meeting_id, report.dated_on) == (council.id, date(2015, 8, 27)), "from the planned step"
    for expected in (
        consultation.title,
        OPINION_ANSWERED,
        ANSWER_THERE,
        OPINION_CARRIED,
        "第5回 特定個人情報保護評価部会",
    ):
        assert expected in report.body, expected
    assert CITIZEN_OPINION not in report.body  # counts, never a citizen's words or data
    title = "特定個人情報保護評価書（全項目評価書）の第三者点検について（報告）"
    body = report.body + "\n　以上のとおり報告します。"
    done(
        post(
            staff,
            report_page,
            report_page,
            {
                "title": title,
                "addressee": report.addressee,
                "dated_on": "2015-08-27",
                "meeting_id": str(council.id),
                "body": body,
            },
        )
    )
    assert (report.title, report.state) == (title, CouncilReportState.draft)
    assert report.body.endswith("以上のとおり報告します。")

    # ⑥ Approved by the chair in the portal on the council's day, and exported --------------------------
    frozen_clock.set(at(date(2015, 8, 27), 12))
    chairing = signed_in(app, chair)
    portal_report = f"/committee/consultations/{consultation.id}/council-report"
    assert title in page(chairing, portal_report)
    done(post(chairing, portal_report, f"{portal_report}/approve", {}))
    assert (report.state, report.approved_by_id) == (CouncilReportState.approved, chair.id)
    step = step_of(consultation, StepKind.council_report)
    assert (step.state, step.done_on, step.meeting_id) == (StepState.done, date(2015, 8, 27), council.id)
    staff = signed_in(app, clerk)
    exported = staff.get(f"{report_page}.docx")
    assert exported.status_code == 200 and exported.headers["Content-Type"] == DOCX_TYPE
    document = docx.Document(io.BytesIO(exported.data))
    texts = [paragraph.text for paragraph in document.paragraphs if paragraph.text.strip()]
    assert "平成27年8月27日" in texts and title in texts
    assert report.addressee in texts and report.addressee.startswith("千葉市情報公開・個人情報保護審議会")
    assert texts.index("平成27年8月27日") < texts.index(report.addressee) < texts.index(title)
    table = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert table[0] == ["番号", "主な意見", "市の回答"]
    assert table[1][1:] == [OPINION_ANSWERED, ANSWER_THERE]
    assert table[2][1] == OPINION_CARRIED and "第5回 特定個人情報保護評価部会" in table[2][2]

    # ⑦ After the council adjourns, the 5th meeting: the carried opinion in its packet, closed there ------
    frozen_clock.set(at(date(2015, 8, 27), 21))
    staff = signed_in(app, clerk)
    later_packet = page(staff, f"/staff/meetings/{fifth.id}/packet")
    assert OPINION_CARRIED in later_packet and OPINION_ANSWERED not in later_packet
    show_fifth = f"/staff/meetings/{fifth.id}"
    assert f'name="close-{carried.id}-answer"' in page(staff, show_fifth)
    done(
        post(
            staff,
            show_fifth,
            f"{show_fifth}/opinions/{carried.id}/close",
            {f"close-{carried.id}-answer": LATER_ANSWER},
        )
    )
    assert (carried.state, carried.answered_meeting_id, carried.answer) == (
        OpinionState.answered,
        fifth.id,
        LATER_ANSWER,
    )
    # No longer open anywhere: nothing to answer, carry or close, the packet holds the answer.
    still_open = select(CommitteeOpinion).where(CommitteeOpinion.state != OpinionState.answered)
    assert db.session.scalars(still_open).all() == []
    assert LATER_ANSWER in page(staff, f"/staff/meetings/{fifth.id}/packet")
    for url in (show_fourth, show_fifth, f"/staff/opinions/{carried.id}"):
        shown = page(staff, url)
        for form in ("close", "carry", "answer"):
            assert f'name="{form}-{carried.id}-' not in shown, (url, form)
    member = signed_in(app, present)
    assert LATER_ANSWER in page(member, f"/committee/meetings/{fifth.id}")

    # The notices made along the way went to the right people, and each is on their home page.
    assert notified("meeting.papers_posted") == committee
    assert notified("minutes.circulated") == {chair.id, present.id}
    assert clerk.id not in notified("meeting.papers_posted") | notified("minutes.circulated")
    assert "/auth/notifications" in page(member, "/committee/")
    listed = page(member, "/auth/notifications")
    assert f'href="/committee/meetings/{third.id}/minutes"' in listed  # the draft to comment on
    assert f'href="/committee/meetings/{third.id}"' in listed  # the papers and the notice
