"""The minutes of a meeting through the pages: drafted (typed or from a Word file) with a non-disclosed passage,
circulated to the members present, commented on by the deadline, revised, finalised by the chair and
published without the passage; who may see what; the markup refused with its line; the version comparison."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import docx
import pytest
from sqlalchemy import select

from comments import clock
from comments.dates import calendar_day
from comments.domain.audit import Actor
from comments.domain.minutes import finalise_minutes
from comments.extensions import db
from comments.models import (
    Attendance,
    AuditEvent,
    ConsultationStatus,
    Minutes,
    MinutesComment,
    MinutesState,
    MinutesVersion,
    Notification,
)
from comments.permissions import Role
from config import ConfigError, check_nondisclosure_grounds
from tests import factories
from tests.conftest import csrf_token_from
from tests.factories import make_consultation, make_meeting, make_user
from tests.functional.auth_helpers import sign_in, sign_out

SECRET = "山田様の御自宅住所は緑区一丁目"
SOURCE = (
    "（多賀谷部会長）それでは、第3回特定個人情報保護評価部会を開催します。\n"
    f"（金森市政情報室長）事務局から報告します。［非開示：7-2］{SECRET}［／非開示］とのことでした。\n"
)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def people():
    clerk = make_user(Role.secretariat)
    chair = make_user(Role.chair)
    present = make_user(Role.member)
    absent = make_user(Role.member)
    return {"clerk": clerk, "chair": chair, "present": present, "absent": absent}


@pytest.fixture
def meeting(people):
    consultation = make_consultation(status=ConsultationStatus.responding)
    meeting = make_meeting(consultation)
    db.session.add_all(
        [
            Attendance(meeting_id=meeting.id, user_id=people["chair"].id, present=True),
            Attendance(meeting_id=meeting.id, user_id=people["present"].id, present=True),
            Attendance(meeting_id=meeting.id, user_id=people["absent"].id, present=False),
        ]
    )
    db.session.flush()
    return meeting


def _post(client, page: str, action: str, data: dict | None = None, **kwargs):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **(data or {})}, **kwargs)


def _save(client, meeting, source: str, note: str = ""):
    edit = f"/staff/meetings/{meeting.id}/minutes/edit"
    return _post(client, edit, edit, {"source": source, "note": note})


def _minutes(meeting) -> Minutes | None:
    return db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting.id))


def _circulate(client, meeting, deadline: date):
    page = f"/staff/meetings/{meeting.id}/minutes"
    return _post(client, page, f"{page}/circulate", {"deadline": deadline.isoformat()})


def _comment(client, meeting, body: str):
    page = f"/committee/meetings/{meeting.id}/minutes"
    return _post(client, page, f"{page}/comments", {"body": body})


def _events(minutes, action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "minutes",
                AuditEvent.object_id == str(minutes.id),
                AuditEvent.action == action,
            )
        )
    )


def test_minutes_go_from_draft_to_published_without_the_withheld_passage(app, client, people, meeting):
    secretariat = app.test_client()  # signed in once: a second-factor code works only once
    sign_in(secretariat, people["clerk"])
    assert _save(secretariat, meeting, SOURCE, "初稿").status_code == 303
    minutes = _minutes(meeting)
    assert minutes.state == MinutesState.drafting
    page = secretariat.get(f"/staff/meetings/{meeting.id}/minutes").get_data(as_text=True)
    assert SECRET in page and "第7条第2号（個人に関する情報）" in page  # the committee's copy, marked

    deadline = clock.japan_today() + timedelta(days=7)
    assert _circulate(secretariat, meeting, deadline).status_code == 303
    db.session.refresh(minutes)
    assert minutes.state == MinutesState.circulating and minutes.comment_deadline == deadline
    notified = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "minutes.circulated")))
    assert notified == {people["chair"].id, people["present"].id}  # not the absent member, not the clerk
    notice = db.session.scalar(select(Notification).where(Notification.user_id == people["present"].id))
    assert notice.params == {"meeting": meeting.title, "deadline": deadline.isoformat()}

    sign_in(client, people["present"])
    assert f"/committee/meetings/{meeting.id}/minutes" in client.get("/committee/minutes").get_data(as_text=True)
    assert SECRET in client.get(f"/committee/meetings/{meeting.id}/minutes").get_data(as_text=True)
    assert _comment(client, meeting, "「報告します」は「御報告します」に。").status_code == 303
    assert db.session.scalar(select(MinutesComment.body)) == "「報告します」は「御報告します」に。"
    sign_out(client)

    assert "御報告します" in secretariat.get(f"/staff/meetings/{meeting.id}/minutes").get_data(as_text=True)
    revised = SOURCE.replace("報告します", "御報告します")
    assert _save(secretariat, meeting, revised, "委員の意見で修正").status_code == 303
    assert [v.number for v in db.session.scalars(select(MinutesVersion).order_by(MinutesVersion.number))] == [1, 2]

    sign_in(client, people["chair"])
    page = f"/committee/meetings/{meeting.id}/minutes"
    assert _post(client, page, f"{page}/finalise").status_code == 303
    db.session.refresh(minutes)
    assert minutes.state == MinutesState.finalised and minutes.finalised_by_id == people["chair"].id
    sign_out(client)

    assert client.get(f"/meetings/{meeting.id}/minutes").status_code == 404  # not yet published
    # Finalising froze the text.
    assert _save(secretariat, meeting, revised + "追記", "").status_code == 422
    staff_page = f"/staff/meetings/{meeting.id}/minutes"
    assert _post(secretariat, staff_page, f"{staff_page}/publish").status_code == 303
    db.session.refresh(minutes)
    assert minutes.state == MinutesState.published

    public = client.get(f"/meetings/{meeting.id}/minutes")
    assert public.status_code == 200
    text = public.get_data(as_text=True)
    assert "〔非開示：第7条第2号（個人に関する情報）〕" in text and "御報告します" in text
    assert SECRET not in text and "緑区" not in text
    download = client.get(f"/meetings/{meeting.id}/minutes.docx")
    assert download.headers["Content-Type"] == DOCX_TYPE
    word = "\n".join(p.text for p in docx.Document(io.BytesIO(download.data)).paragraphs)
    assert "〔非開示：第7条第2号（個人に関する情報）〕" in word and "（多賀谷部会長）" in word
    assert SECRET not in word

    for action in (
        "minutes.started",
        "minutes.version_saved",
        "minutes.circulated",
        "minutes.commented",
        "minutes.finalised",
        "minutes.published",
    ):
        assert _events(minutes, action), action


def test_department_staff_and_the_public_never_see_a_draft(client, people, meeting):
    sign_in(client, people["clerk"])
    _save(client, meeting, SOURCE)
    sign_out(client)
    assert client.get(f"/meetings/{meeting.id}/minutes").status_code == 404
    assert client.get(f"/meetings/{meeting.id}/minutes.docx").status_code == 404
    anonymous = client.get(f"/staff/meetings/{meeting.id}/minutes")
    assert anonymous.status_code in (302, 303) and "/auth/login" in anonymous.headers["Location"]

    staff = make_user(Role.department_staff)
    sign_in(client, staff)
    for path in (f"/staff/meetings/{meeting.id}/minutes", f"/staff/meetings/{meeting.id}/minutes/edit"):
        assert client.get(path).status_code == 403
    assert client.get(f"/committee/meetings/{meeting.id}/minutes").status_code == 403
    sign_out(client)

    # A member does not see the secretariat's draft before it is circulated.
    sign_in(client, people["present"])
    assert client.get(f"/committee/meetings/{meeting.id}/minutes").status_code == 404
    assert SECRET not in client.get("/committee/minutes").get_data(as_text=True)


def test_an_absent_member_reads_but_cannot_comment(client, people, meeting):
    sign_in(client, people["clerk"])
    _save(client, meeting, SOURCE)
    _circulate(client, meeting, clock.japan_today() + timedelta(days=3))
    sign_out(client)
    sign_in(client, people["absent"])
    page = client.get(f"/committee/meetings/{meeting.id}/minutes").get_data(as_text=True)
    assert 'id="comment-refused"' in page
    response = _comment(client, meeting, "意見です")
    assert response.status_code == 422
    assert db.session.scalar(select(MinutesComment.id)) is None


def test_comments_after_the_deadline_are_refused_with_a_clear_message(client, people, meeting, frozen_clock):
    frozen_clock.set(datetime(2015, 9, 10, 3, 0, tzinfo=UTC))  # noon in Japan
    sign_in(client, people["clerk"])
    _save(client, meeting, SOURCE)
    _circulate(client, meeting, date(2015, 9, 17))
    sign_out(client)
    frozen_clock.set(datetime(2015, 9, 17, 14, 59, tzinfo=UTC))  # 23:59 on the deadline, Japan time
    sign_in(client, people["present"])
    assert _comment(client, meeting, "締切直前の意見").status_code == 303
    frozen_clock.set(datetime(2015, 9, 17, 15, 0, tzinfo=UTC))  # 00:00 the next day
    page = f"/committee/meetings/{meeting.id}/minutes"
    assert 'id="comment-closed"' in client.get(page).get_data(as_text=True)
    # The form is no longer offered; a request made anyway is refused and says why.
    response = client.post(f"{page}/comments", data={"csrf_token": _token(client, page), "body": "遅れた意見"})
    assert response.status_code == 422
    assert calendar_day(date(2015, 9, 17), locale="ja") in response.get_data(as_text=True)
    assert db.session.scalar(select(MinutesComment.body).where(MinutesComment.body == "遅れた意見")) is None


def _token(client, page):
    return csrf_token_from(client.get("/auth/account").get_data(as_text=True))


def test_a_deadline_in_the_past_is_refused(client, people, meeting):
    sign_in(client, people["clerk"])
    _save(client, meeting, SOURCE)
    response = _circulate(client, meeting, clock.japan_today() - timedelta(days=1))
    assert response.status_code == 422
    assert _minutes(meeting).state == MinutesState.drafting
    assert db.session.scalar(select(Notification.id)) is None


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("（部会長）開会します。\n［非開示：7-2］閉じられない", 2),
        ("（部会長）開会します。\n\n（委員）［非開示：99］未知の根拠［／非開示］", 3),
        ("（部会長）［非開示：7-2］入れ子［非開示：7-3］内側［／非開示］［／非開示］", 1),
        ("（部会長）［非開示：7-2］［／非開示］空", 1),
        ("（部会長）［非開示：7-2］話が\n（委員）次の話者へ［／非開示］", 2),
        ("（部会長）［非開示 7-2］区切りがない［／非開示］", 1),
    ],
)
def test_markup_that_cannot_be_read_is_refused_with_its_line(client, people, meeting, source, line):
    sign_in(client, people["clerk"])
    response = _save(client, meeting, source)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    shown = page.split('id="source-line"')[1].split("</p>")[0]
    assert str(line) in shown.split("<code>")[0]  # the line's number ...
    assert shown.split("<code>")[1].startswith(source.split("\n")[line - 1][:8])  # ... and what it reads
    assert _minutes(meeting) is None  # nothing half-written


def test_hostile_text_is_kept_as_text_and_escaped(client, people, meeting):
    hostile = "（委員）<script>alert(1)</script> ' OR 1=1 -- ［非開示：7-2］<img src=x onerror=alert(2)>［／非開示］"
    sign_in(client, people["clerk"])
    assert _save(client, meeting, hostile).status_code == 303
    page = client.get(f"/staff/meetings/{meeting.id}/minutes").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    # Unknown version numbers in the comparison's query string: a clear 400, not a 500.
    for query in ("old=1&new=99", "old=abc&new=1", "old=&new="):
        assert client.get(f"/staff/meetings/{meeting.id}/minutes?{query}").status_code == 400
    assert client.get("/staff/meetings/999999/minutes").status_code == 404


def test_the_comparison_marks_the_characters_that_changed(client, people, meeting):
    sign_in(client, people["clerk"])
    _save(client, meeting, "（部会長）市民の意見を伺います。")
    _save(client, meeting, "（部会長）住民の意見を伺いました。", "語句の修正")
    page = client.get(f"/staff/meetings/{meeting.id}/minutes?old=1&new=2").get_data(as_text=True)
    diff = page.split('id="diff"')[1]
    assert "<del>" in diff and "<ins>" in diff
    assert diff.split("<del>")[1].split("</del>")[0].endswith("</span>市")  # one character, not the sentence
    assert diff.split("<ins>")[1].split("</ins>")[0].endswith("</span>住")
    assert "した" in diff.split("<ins>")[2].split("</ins>")[0]
    assert "語句の修正" in page
    # Saving the same text again makes no empty version.
    assert _save(client, meeting, "（部会長）住民の意見を伺いました。").status_code == 422
    assert len(_minutes(meeting).versions) == 2


def _word_file(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_word_file_is_read_into_the_box_with_the_speakers_turns_kept(client, people, meeting):
    data = _word_file(
        [
            "第3回特定個人情報保護評価部会　議事録",
            "○多賀谷部会長　それでは、開会します。",
            "（金森市政情報室長）事務局から説明します。",
            "続けて資料1について説明します。",
        ]
    )
    sign_in(client, people["clerk"])
    edit = f"/staff/meetings/{meeting.id}/minutes/edit"
    response = _post(
        client,
        edit,
        f"/staff/meetings/{meeting.id}/minutes/import",
        {"document": (io.BytesIO(data), "minutes.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "（多賀谷部会長）それでは、開会します。" in page
    assert "（金森市政情報室長）事務局から説明します。" in page
    assert 'id="imported"' in page
    assert _minutes(meeting) is None  # read into the box, not saved

    # Saving what was read keeps the two speakers' turns.
    source = page.split('id="source"')[1].split(">", 1)[1].split("</textarea>")[0]
    import html

    assert _save(client, meeting, html.unescape(source)).status_code == 303
    view = client.get(f"/staff/meetings/{meeting.id}/minutes").get_data(as_text=True)
    assert view.count('class="speaker"') == 2

    not_word = _post(
        client,
        edit,
        f"/staff/meetings/{meeting.id}/minutes/import",
        {"document": (io.BytesIO(b"%PDF-1.4 not a word file"), "minutes.docx")},
        content_type="multipart/form-data",
    )
    assert not_word.status_code == 422
    assert len(_minutes(meeting).versions) == 1


def test_only_a_circulated_draft_is_finalised_and_only_by_the_chair(people, meeting, app):
    from comments.domain.minutes import MinutesError, start_minutes

    token = factories.IN_FACTORY.set(True)  # the test's own database session, as a factory has
    with app.test_request_context():
        minutes = start_minutes(meeting, SOURCE, actor=Actor("test"))
        with pytest.raises(MinutesError):
            finalise_minutes(minutes, people["chair"], actor=Actor("test"))
        minutes.state = MinutesState.circulating
        with pytest.raises(MinutesError):
            finalise_minutes(minutes, people["present"], actor=Actor("test"))
        finalise_minutes(minutes, people["chair"], actor=Actor("test"))
        assert minutes.state == MinutesState.finalised
    factories.IN_FACTORY.reset(token)


def test_a_member_cannot_finalise_through_the_portal(client, people, meeting):
    sign_in(client, people["clerk"])
    _save(client, meeting, SOURCE)
    _circulate(client, meeting, clock.japan_today() + timedelta(days=3))
    sign_out(client)
    sign_in(client, people["present"])
    page = f"/committee/meetings/{meeting.id}/minutes"
    assert "/finalise" not in client.get(page).get_data(as_text=True)
    assert client.post(f"{page}/finalise", data={"csrf_token": _token(client, page)}).status_code == 403
    assert _minutes(meeting).state == MinutesState.circulating


def test_the_edit_page_lists_the_grounds_in_the_visitors_language(client, people, meeting):
    sign_in(client, people["clerk"])
    page = client.get(f"/staff/meetings/{meeting.id}/minutes/edit").get_data(as_text=True)
    assert "第7条第5号（審議・検討等に関する情報）" in page and "7-5" in page
    client.get(f"/language/en?next=/staff/meetings/{meeting.id}/minutes/edit")
    page = client.get(f"/staff/meetings/{meeting.id}/minutes/edit").get_data(as_text=True)
    assert "Article 7(5) (information on deliberation and examination)" in page


def test_when_no_attendance_is_recorded_every_committee_member_gets_the_draft(client, people):
    meeting = make_meeting(make_consultation(status=ConsultationStatus.responding), title="第2回")
    sign_in(client, people["clerk"])
    _save(client, meeting, SOURCE)
    assert _circulate(client, meeting, clock.japan_today() + timedelta(days=3)).status_code == 303
    notified = set(db.session.scalars(select(Notification.user_id)))
    assert {people["chair"].id, people["present"].id, people["absent"].id} <= notified
    assert people["clerk"].id not in notified


@pytest.mark.parametrize(
    "grounds",
    [
        "not json",
        "[]",
        '[{"key": "7 2", "ja": "第7条第2号", "en": "Article 7(2)"}]',
        '[{"key": "7-2", "ja": "", "en": "Article 7(2)"}]',
        '[{"key": "7-2", "ja": "〔x〕", "en": "Article 7(2)"}]',
        '[{"key": "a", "ja": "x", "en": "y"}, {"key": "Ａ", "ja": "x", "en": "y"}]',
        '[{"key": "a", "ja": "x"}]',
    ],
)
def test_grounds_that_cannot_be_used_stop_the_start_with_a_clear_error(grounds):
    with pytest.raises(ConfigError, match="NONDISCLOSURE_GROUNDS"):
        check_nondisclosure_grounds({"NONDISCLOSURE_GROUNDS": grounds})


def test_grounds_from_the_environment_are_read_in_their_order():
    settings = {"NONDISCLOSURE_GROUNDS": '[{"key": "b", "ja": "乙", "en": "B"}, {"key": "a", "ja": "甲", "en": "A"}]'}
    check_nondisclosure_grounds(settings)
    assert [ground["key"] for ground in settings["NONDISCLOSURE_GROUNDS"]] == ["b", "a"]


def test_the_minutes_pages_are_linked_from_the_meeting_page_and_the_portal(client, people, meeting):
    sign_in(client, people["clerk"])
    assert f"/staff/meetings/{meeting.id}/minutes" in client.get(f"/staff/meetings/{meeting.id}").get_data(as_text=True)
    sign_out(client)
    sign_in(client, people["present"])
    assert "/committee/minutes" in client.get("/committee/").get_data(as_text=True)


def test_the_minutes_states_have_words_of_their_own_that_change_no_other_enums(app):
    from flask_babel import force_locale

    from comments.labels import label
    from comments.models import ResponseState

    with app.test_request_context(), force_locale("en"):
        assert label(MinutesState.drafting) == "Being drafted by the secretariat"
        assert label(ResponseState.drafting) == "Being drafted"  # the same word "drafting", its own label
        assert label(MinutesState.published) == "Published"
        assert label(ConsultationStatus.published) == "Results published"
