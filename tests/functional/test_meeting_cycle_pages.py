"""Meetings as the committee holds them, through HTTP: details (body, number, times, place, open or closed),
the agenda, papers from an upload, a material and an inquiry's answer, public or not, attendance, the
absent member's note on the portal, the notifications, and hostile input refused with nothing written."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

from comments import clock
from comments.dates import calendar_day
from comments.extensions import db
from comments.models import (
    AgendaItem,
    Attendance,
    AuditEvent,
    ConsultationStatus,
    Inquiry,
    Material,
    MaterialKind,
    Meeting,
    MeetingBody,
    MeetingPaper,
    Notification,
)
from comments.permissions import Role
from comments.storage import blob_store
from tests.conftest import csrf_token_from
from tests.factories import make_consultation, make_meeting, make_user
from tests.functional.auth_helpers import sign_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CONFIDENTIAL_ANSWER = "中間サーバーの暗号化方式は非公開とする（総務省）"


def _future(days: int = 14) -> date:
    return clock.japan_today() + timedelta(days=days)


@pytest.fixture
def clerk():
    return make_user(Role.secretariat)


@pytest.fixture
def members():
    return {
        "chair": make_user(Role.chair),
        "member": make_user(Role.member),
        "observer": make_user(Role.observer),
    }


@pytest.fixture
def staff_client(client, clerk):
    assert sign_in(client, clerk).status_code == 303
    return client


def _token(client, url: str) -> str:
    return csrf_token_from(client.get(url).get_data(as_text=True))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _meeting_form(**overrides) -> dict:
    data = {
        "body": "sub_committee",
        "number": "3",
        "title": "",
        "held_on": _future().isoformat(),
        "starts_at": "18:00",
        "ends_at": "19:20",
        "place": "千葉中央コミュニティセンター2階 市政情報室",
        "open_to_public": "no",
    }
    data.update(overrides)
    return data


def _paper(client, meeting, **fields):
    data = {
        "paper-csrf_token": _token(client, f"/staff/meetings/{meeting.id}/agenda"),
        "paper-source": "upload",
        "paper-label": "",
        "paper-title": "",
        "paper-agenda_item": "",
        "paper-visibility": "public",
        "paper-material": "",
        "paper-inquiry": "",
    }
    data.update(fields)
    return client.post(f"/staff/meetings/{meeting.id}/papers", data=data, content_type="multipart/form-data")


def _agenda_item(client, meeting, title: str, consultation=None):
    return client.post(
        f"/staff/meetings/{meeting.id}/agenda",
        data={
            "item-csrf_token": _token(client, f"/staff/meetings/{meeting.id}/agenda"),
            "item-title": title,
            "item-consultation": str(consultation.id) if consultation else "",
        },
    )


def _inquiry(consultation, clerk, *, public: bool) -> Inquiry:
    inquiry = Inquiry(
        consultation_id=consultation.id,
        body_name="総務省",
        question="中間サーバーの暗号化方式について",
        sent_on=date(2015, 6, 1),
        sent_how="e-mail",
        answer=CONFIDENTIAL_ANSWER,
        answered_on=date(2015, 6, 10),
        answer_public=public,
        created_by_id=clerk.id,
    )
    db.session.add(inquiry)
    db.session.flush()
    return inquiry


def _material(app, consultation, *, public: bool) -> Material:
    sha256, _ = blob_store(app).put(PDF)
    material = Material(
        consultation_id=consultation.id,
        kind=MaterialKind.reference,
        title="評価書（案）の概要",
        filename="gaiyou.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256=sha256,
        public=public,
    )
    db.session.add(material)
    db.session.flush()
    return material


# --- Details -------------------------------------------------------------------------------------------


def test_a_meeting_is_created_with_its_details_and_its_title_made_from_the_number(staff_client, members):
    consultation = make_consultation()
    url = "/staff/meetings"
    created = staff_client.post(
        url, data={"csrf_token": _token(staff_client, url), "consultations": [str(consultation.id)], **_meeting_form()}
    )
    assert created.status_code == 303
    meeting = db.session.scalars(select(Meeting).where(Meeting.number == 3)).one()
    assert meeting.title == "第3回 特定個人情報保護評価部会"
    assert meeting.body == MeetingBody.sub_committee
    assert (meeting.starts_at, meeting.ends_at) == (time(18, 0), time(19, 20))
    assert meeting.place == "千葉中央コミュニティセンター2階 市政情報室"
    assert meeting.open_to_public is False
    [event] = _events("meeting.created")
    assert event.detail["starts_at"] == "18:00:00" and event.detail["consultations"] == [consultation.id]

    shown = staff_client.get(f"/staff/meetings/{meeting.id}").get_data(as_text=True)
    assert "18時00分～19時20分" in shown
    assert f"/staff/meetings/{meeting.id}/edit" in shown
    assert f"/staff/meetings/{meeting.id}/agenda" in shown
    assert f"/staff/meetings/{meeting.id}/attendance" in shown

    edit_url = f"/staff/meetings/{meeting.id}/edit"
    assert "千葉中央コミュニティセンター" in staff_client.get(edit_url).get_data(as_text=True)
    edited = staff_client.post(
        edit_url,
        data={
            "csrf_token": _token(staff_client, edit_url),
            "consultations": [str(consultation.id)],
            **_meeting_form(place="千葉市役所本庁舎", open_to_public="yes", title="第3回 部会（変更）"),
        },
    )
    assert edited.status_code == 303
    db.session.expire_all()
    assert (meeting.place, meeting.open_to_public, meeting.title) == ("千葉市役所本庁舎", True, "第3回 部会（変更）")
    assert _events("meeting.updated")


def test_a_council_meeting_may_have_no_consultation_but_a_sub_committee_meeting_may_not(staff_client):
    url = "/staff/meetings"
    refused = staff_client.post(url, data={"csrf_token": _token(staff_client, url), **_meeting_form()})
    assert refused.status_code == 422
    assert "Choose the consultations" in refused.get_data(as_text=True) or "点検する" in refused.get_data(as_text=True)
    assert _count(Meeting) == 0
    council = staff_client.post(
        url, data={"csrf_token": _token(staff_client, url), **_meeting_form(body="council", number="16")}
    )
    assert council.status_code == 303
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.title == "第16回 情報公開・個人情報保護審議会"
    assert meeting.consultations == []


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"starts_at": "25:00"}, "starts_at"),
        ({"ends_at": "7pm"}, "ends_at"),
        ({"starts_at": "19:20", "ends_at": "18:00"}, "ends_at"),
        ({"starts_at": "", "ends_at": "18:00"}, "starts_at"),
        ({"number": "0"}, "number"),
        ({"number": "", "title": ""}, "title"),
        ({"body": "parliament"}, "body"),
    ],
)
def test_bad_details_are_refused_and_nothing_is_written(staff_client, fields, error_field):
    consultation = make_consultation()
    url = "/staff/meetings"
    response = staff_client.post(
        url,
        data={
            "csrf_token": _token(staff_client, url),
            "consultations": [str(consultation.id)],
            **_meeting_form(**fields),
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{error_field}-error"' in html
    assert _count(Meeting) == 0


def test_a_second_meeting_with_the_same_number_is_refused(staff_client):
    consultation = make_consultation()
    url = "/staff/meetings"
    data = {"csrf_token": _token(staff_client, url), "consultations": [str(consultation.id)], **_meeting_form()}
    assert staff_client.post(url, data=data).status_code == 303
    again = staff_client.post(url, data=data)
    assert again.status_code == 422
    assert 'id="number-error"' in again.get_data(as_text=True)
    assert _count(Meeting) == 1


# --- Agenda --------------------------------------------------------------------------------------------


def test_agenda_items_are_added_moved_edited_and_removed_with_buttons(staff_client):
    consultation = make_consultation()
    meeting = make_meeting(consultation, held_on=_future())
    assert _agenda_item(staff_client, meeting, "全項目評価書の第三者点検について", consultation).status_code == 303
    assert _agenda_item(staff_client, meeting, "報告事項").status_code == 303
    assert _agenda_item(staff_client, meeting, "その他").status_code == 303
    assert _agenda_item(staff_client, meeting, "   ").status_code == 422

    def titles():
        db.session.expire_all()
        return [item.title for item in sorted(meeting.agenda_items, key=lambda item: item.position)]

    assert titles() == ["全項目評価書の第三者点検について", "報告事項", "その他"]
    last = next(item for item in meeting.agenda_items if item.title == "その他")
    agenda = f"/staff/meetings/{meeting.id}/agenda"
    page = staff_client.get(agenda).get_data(as_text=True)
    assert "Move up" in page or "上へ" in page
    moved = staff_client.post(f"{agenda}/{last.id}/move/up", data={"csrf_token": _token(staff_client, agenda)})
    assert moved.status_code == 303
    assert titles() == ["全項目評価書の第三者点検について", "その他", "報告事項"]
    assert (
        staff_client.post(
            f"{agenda}/{last.id}/move/sideways", data={"csrf_token": _token(staff_client, agenda)}
        ).status_code
        == 404
    )

    edit = f"{agenda}/{last.id}/edit"
    assert staff_client.get(edit).status_code == 200
    saved = staff_client.post(
        edit, data={"csrf_token": _token(staff_client, edit), "title": "その他（議事録の確定方法）", "consultation": ""}
    )
    assert saved.status_code == 303
    assert titles()[1] == "その他（議事録の確定方法）"

    first = next(item for item in meeting.agenda_items if item.consultation_id == consultation.id)
    posted = _paper(
        staff_client, meeting, **{"paper-agenda_item": str(first.id), "paper-document": (BytesIO(PDF), "shiryou1.pdf")}
    )
    assert posted.status_code == 303
    removed = staff_client.post(f"{agenda}/{first.id}/remove", data={"csrf_token": _token(staff_client, agenda)})
    assert removed.status_code == 303
    assert titles() == ["その他（議事録の確定方法）", "報告事項"]
    [paper] = db.session.scalars(select(MeetingPaper).where(MeetingPaper.meeting_id == meeting.id)).all()
    assert paper.agenda_item_id is None, "the paper of a removed item stays, for the whole meeting"
    assert {e.action for e in db.session.scalars(select(AuditEvent))} >= {
        "agenda_item.added",
        "agenda_item.moved",
        "agenda_item.updated",
        "agenda_item.removed",
    }


def test_an_item_of_another_meeting_cannot_be_edited_through_this_one(staff_client):
    consultation = make_consultation()
    mine = make_meeting(consultation, held_on=_future())
    other = make_meeting(consultation, title="第4回", held_on=_future(30))
    foreign = AgendaItem(meeting=other, position=1, title="他の会議の議事")
    db.session.add(foreign)
    db.session.flush()
    assert staff_client.get(f"/staff/meetings/{mine.id}/agenda/{foreign.id}/edit").status_code == 404


# --- Papers --------------------------------------------------------------------------------------------


def test_papers_come_from_an_upload_a_material_and_an_inquiry_and_the_members_are_told(
    app, staff_client, clerk, members
):
    consultation = make_consultation()
    meeting = make_meeting(consultation, held_on=_future())
    material = _material(app, consultation, public=False)
    inquiry = _inquiry(consultation, clerk, public=False)

    uploaded = _paper(
        staff_client, meeting, **{"paper-label": "資料1", "paper-document": (BytesIO(PDF + b"1"), "shiryou1.pdf")}
    )
    assert uploaded.status_code == 303
    public_from_committee_material = _paper(
        staff_client, meeting, **{"paper-source": "material", "paper-material": str(material.id)}
    )
    assert public_from_committee_material.status_code == 422
    reused = _paper(
        staff_client,
        meeting,
        **{"paper-source": "material", "paper-material": str(material.id), "paper-visibility": "committee"},
    )
    assert reused.status_code == 303
    confidential_as_public = _paper(
        staff_client, meeting, **{"paper-source": "inquiry", "paper-inquiry": str(inquiry.id)}
    )
    assert confidential_as_public.status_code == 422
    answer = _paper(
        staff_client,
        meeting,
        **{"paper-source": "inquiry", "paper-inquiry": str(inquiry.id), "paper-visibility": "committee"},
    )
    assert answer.status_code == 303

    papers = db.session.scalars(
        select(MeetingPaper).where(MeetingPaper.meeting_id == meeting.id).order_by(MeetingPaper.position)
    ).all()
    assert [(p.label, p.public) for p in papers] == [("資料1", True), ("資料2", False), ("資料3", False)]
    assert papers[1].sha256 == material.sha256 and papers[1].material_id == material.id, "reused, not copied"
    assert papers[2].inquiry_id == inquiry.id and papers[2].sha256 is None
    assert papers[2].title == "総務省からの回答"

    notices = db.session.scalars(select(Notification).where(Notification.kind == "meeting.papers_posted")).all()
    assert sorted(n.user_id for n in notices) == sorted(u.id for u in members.values()), "once a day per member"
    assert {n.link for n in notices} == {f"/committee/meetings/{meeting.id}"}
    assert {n.params["meeting"] for n in notices} == {meeting.title}
    assert len(_events("meeting_paper.posted")) == 3


def test_a_paper_for_another_meetings_agenda_item_is_refused(staff_client):
    consultation = make_consultation()
    mine = make_meeting(consultation, held_on=_future())
    other = make_meeting(consultation, title="第4回", held_on=_future(30))
    foreign = AgendaItem(meeting=other, position=1, title="他の会議の議事")
    db.session.add(foreign)
    db.session.flush()
    response = _paper(
        staff_client, mine, **{"paper-agenda_item": str(foreign.id), "paper-document": (BytesIO(PDF), "a.pdf")}
    )
    assert response.status_code == 422
    assert _count(MeetingPaper) == 0


@pytest.mark.parametrize(
    ("filename", "data", "words"),
    [
        ("forged.pdf", b"MZ\x90\x00 this is a program, not a PDF", "forged.pdf"),
        ("tool.exe", b"MZ\x90\x00", "tool.exe"),
        ("empty.pdf", b"", None),
    ],
)
def test_forged_or_empty_uploads_are_refused(staff_client, filename, data, words):
    meeting = make_meeting(make_consultation(), held_on=_future())
    response = _paper(staff_client, meeting, **{"paper-document": (BytesIO(data), filename)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="paper-document-error"' in html
    if words:
        assert words in html
    assert _count(MeetingPaper) == 0
    assert not _events("meeting_paper.posted")


def test_an_oversized_upload_is_refused(app, staff_client):
    meeting = make_meeting(make_consultation(), held_on=_future())
    limit = app.config["ATTACHMENT_MAX_BYTES"]
    big = PDF + b"0" * limit
    response = _paper(staff_client, meeting, **{"paper-document": (BytesIO(big), "big.pdf")})
    assert response.status_code in (413, 422)
    assert _count(MeetingPaper) == 0


def test_a_non_public_paper_never_reaches_the_public_nor_department_staff(app, client, clerk, members):
    consultation = make_consultation()
    meeting = make_meeting(consultation, held_on=_future())
    item = AgendaItem(meeting=meeting, position=1, title="全項目評価書の第三者点検について", consultation=consultation)
    db.session.add(item)
    public_sha, _ = blob_store(app).put(PDF + b"public")
    secret_sha, _ = blob_store(app).put(PDF + b"secret")
    inquiry = _inquiry(consultation, clerk, public=False)
    common = {"meeting": meeting, "filename": "x.pdf", "content_type": "application/pdf", "size": 10}
    public = MeetingPaper(
        position=1, label="資料1", title="公開の資料", public=True, sha256=public_sha, agenda_item=item, **common
    )
    secret = MeetingPaper(position=2, label="資料2", title="非公開の資料", public=False, sha256=secret_sha, **common)
    answer = MeetingPaper(
        meeting=meeting, position=3, label="資料3", title="総務省からの回答", public=False, inquiry=inquiry
    )
    db.session.add_all([public, secret, answer])
    db.session.flush()

    listing = client.get("/meetings").get_data(as_text=True)
    assert meeting.title in listing
    assert "/meetings" in client.get("/").get_data(as_text=True), "linked from the public pages"
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "公開の資料" in page and "全項目評価書の第三者点検について" in page
    assert "非公開の資料" not in page and "総務省からの回答" not in page and CONFIDENTIAL_ANSWER not in page
    assert client.get(f"/meetings/{meeting.id}/papers/{public.id}").status_code == 200
    for paper in (secret, answer):
        assert client.get(f"/meetings/{meeting.id}/papers/{paper.id}").status_code == 404

    department = make_user(Role.department_staff, department=consultation.department)
    assert sign_in(client, department).status_code == 303
    for paper in (secret, answer):
        assert client.get(f"/meetings/{meeting.id}/papers/{paper.id}").status_code == 404
        assert client.get(f"/staff/meetings/{meeting.id}/papers/{paper.id}").status_code == 403
        assert client.get(f"/committee/meetings/{meeting.id}/papers/{paper.id}").status_code == 403
    assert "非公開の資料" not in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert not _events("meeting_paper.downloaded")

    member_client = app.test_client()
    assert sign_in(member_client, members["member"]).status_code == 303
    portal = member_client.get(f"/committee/meetings/{meeting.id}").get_data(as_text=True)
    assert "非公開の資料" in portal and "総務省からの回答" in portal
    downloaded = member_client.get(f"/committee/meetings/{meeting.id}/papers/{secret.id}")
    assert downloaded.status_code == 200 and downloaded.data == PDF + b"secret"
    assert downloaded.headers["X-Content-Type-Options"] == "nosniff"
    shown = member_client.get(f"/committee/meetings/{meeting.id}/papers/{answer.id}")
    assert CONFIDENTIAL_ANSWER in shown.get_data(as_text=True)
    assert member_client.get(f"/committee/meetings/{meeting.id}/papers/{public.id}").status_code == 200
    read = _events("meeting_paper.downloaded")
    assert sorted(e.detail["paper_id"] for e in read) == sorted([secret.id, answer.id]), "non-public readings only"
    assert {e.actor for e in read} == {f"user:{members['member'].id}"}
    other = make_meeting(consultation, title="第4回", held_on=_future(30))
    assert member_client.get(f"/committee/meetings/{other.id}/papers/{secret.id}").status_code == 404


# --- Notice and attendance -----------------------------------------------------------------------------


def test_the_notice_is_sent_to_the_members_and_stamped(staff_client, members):
    meeting = make_meeting(make_consultation(), held_on=_future())
    show = f"/staff/meetings/{meeting.id}"
    sent = staff_client.post(f"{show}/notice", data={"csrf_token": _token(staff_client, show)})
    assert sent.status_code == 303
    db.session.expire_all()
    assert meeting.notice_sent_at is not None
    notices = db.session.scalars(select(Notification).where(Notification.kind == "meeting.notice")).all()
    assert sorted(n.user_id for n in notices) == sorted(u.id for u in members.values())
    assert {n.link for n in notices} == {f"/committee/meetings/{meeting.id}"}
    [event] = _events("meeting.notice_sent")
    assert event.detail["notified"] == 3

    held = make_meeting(make_consultation(), title="過去の会議", held_on=clock.japan_today() - timedelta(days=1))
    late = staff_client.post(f"/staff/meetings/{held.id}/notice", data={"csrf_token": _token(staff_client, show)})
    assert late.status_code == 303
    db.session.expire_all()
    assert held.notice_sent_at is None


def test_attendance_and_the_absent_members_note_with_the_same_deadline(app, staff_client, members):
    consultation = make_consultation(closes_at=datetime(2031, 7, 21, 15, 0, tzinfo=UTC))  # 2031-07-22 00:00 JST
    meeting = make_meeting(consultation, held_on=_future())
    url = f"/staff/meetings/{meeting.id}/attendance"
    chair, member, observer = members["chair"], members["member"], members["observer"]
    page = staff_client.get(url).get_data(as_text=True)
    assert chair.display_name in page and observer.display_name in page

    def post(**overrides):
        data = {"csrf_token": _token(staff_client, url)}
        for user in members.values():
            data[f"state_{user.id}"] = "present"
            data[f"briefed_on_{user.id}"] = ""
            data[f"note_{user.id}"] = ""
        data.update(overrides)
        return staff_client.post(url, data=data)

    wrong = post(**{f"briefed_on_{chair.id}": _future(15).isoformat()})
    assert wrong.status_code == 422, "a member present is not briefed"
    before = post(**{f"state_{member.id}": "absent", f"briefed_on_{member.id}": _future(-1).isoformat()})
    assert before.status_code == 422, "a briefing before the meeting"
    garbled = post(**{f"state_{member.id}": "absent", f"briefed_on_{member.id}": "昨日"})
    assert garbled.status_code == 422
    assert _count(Attendance) == 0
    saved = post(
        **{
            f"state_{member.id}": "absent",
            f"briefed_on_{member.id}": _future(16).isoformat(),
            f"state_{observer.id}": "",
        }
    )
    assert saved.status_code == 303, re.findall(
        r'class="field-error"[^>]*>(.*?)</p>', saved.get_data(as_text=True), re.S
    )
    rows = {row.user_id: row for row in db.session.scalars(select(Attendance))}
    assert rows[chair.id].present is True
    assert rows[member.id].present is False and rows[member.id].briefed_on == _future(16)
    assert observer.id not in rows, "not recorded"

    absent = app.test_client()
    assert sign_in(absent, member).status_code == 303
    home = absent.get("/committee/").get_data(as_text=True)
    assert f'id="absence-{meeting.id}"' in home
    assert calendar_day(date(2031, 7, 21), locale="ja") in home and "24時00分" in home, (
        "the consultation's own deadline"
    )
    assert f"/committee/consultations/{consultation.id}#ask-heading" in home
    assert f"/committee/meetings/{meeting.id}" in home
    portal_page = absent.get(f"/committee/meetings/{meeting.id}").get_data(as_text=True)
    assert f'id="absence-{meeting.id}"' in portal_page and calendar_day(date(2031, 7, 21), locale="ja") in portal_page

    present = app.test_client()
    assert sign_in(present, chair).status_code == 303
    assert f'id="absence-{meeting.id}"' not in present.get("/committee/").get_data(as_text=True)
    assert f"/committee/meetings/{meeting.id}" in present.get("/committee/").get_data(as_text=True)
    assert 'id="attendance-state"' in present.get(f"/committee/meetings/{meeting.id}").get_data(as_text=True)

    consultation.status = ConsultationStatus.published
    db.session.flush()
    assert f'id="absence-{meeting.id}"' not in absent.get("/committee/").get_data(as_text=True), (
        "no note once the questions are over"
    )


def test_a_department_staff_member_never_reaches_the_meeting_pages_of_staff_or_portal(client):
    meeting = make_meeting(make_consultation(), held_on=_future())
    department = make_user(Role.department_staff)
    assert sign_in(client, department).status_code == 303
    for url in (
        f"/staff/meetings/{meeting.id}/agenda",
        f"/staff/meetings/{meeting.id}/attendance",
        f"/staff/meetings/{meeting.id}/edit",
        f"/committee/meetings/{meeting.id}",
    ):
        assert client.get(url).status_code == 403, url


def test_the_public_meeting_page_shows_the_details_in_english_too(client):
    meeting = make_meeting(make_consultation(), held_on=date(2031, 6, 22))
    meeting.starts_at, meeting.ends_at, meeting.place = time(18, 0), time(19, 20), "市政情報室"
    db.session.flush()
    japanese = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "18時00分～19時20分" in japanese and calendar_day(date(2031, 6, 22), locale="ja") in japanese
    client.set_cookie("lang", "en")
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "18:00 to 19:20" in page and "22 June 2031" in page
    assert "市政情報室" in page
    assert "Open: the public may attend" in page
    assert client.get("/meetings/999999").status_code == 404
