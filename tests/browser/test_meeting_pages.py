"""The meeting pages in headless Chromium, in Japanese and English, with axe and the keyboard: the
secretariat's meeting, details, agenda (an item moved down by keyboard), agenda item and attendance pages;
the member's portal home with the absent member's note and the portal meeting page; the public list of
meetings and the public meeting page, where the non-public paper is absent."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BROWSER_MARKS
from tests.browser.support import assert_accessible, sign_in_staff

pytestmark = BROWSER_MARKS

LANGUAGES = ["ja", "en"]
MEMBER_PASSWORD = "browser-meeting-member-passphrase"
MEETING_TITLE = "第5回 特定個人情報保護評価部会（ブラウザ）"
SECRET_PAPER = "中間サーバーに関する総務省回答（非公開）"
PUBLIC_PAPER = "全項目評価書（案）の概要"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _seed_meeting(app, slug: str, language: str) -> tuple[int, str]:
    """A meeting of the demo consultation with two agenda items, a public and a non-public paper, and a member
    who was absent (one member per language); returns the meeting's id and the member's e-mail."""
    from sqlalchemy import select

    from comments import clock
    from comments.domain.accounts import create_user
    from comments.domain.agenda import add_agenda_item
    from comments.domain.attendance import AttendanceEntry, record_attendance
    from comments.domain.audit import Actor
    from comments.domain.meetings import MeetingDetails, create_meeting
    from comments.domain.uploads import CheckedFile
    from comments.extensions import db
    from comments.models import Consultation, Meeting, MeetingPaper, User
    from comments.permissions import Role
    from comments.storage import blob_store

    actor = Actor("test")
    email = f"browser-meeting-member-{language}@example.jp"
    with app.app_context():
        member = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if member is None:
            member = create_user(
                email=email,
                display_name=f"ブラウザ 欠席委員 {language}",
                password=MEMBER_PASSWORD,
                roles={Role.member},
                actor=actor,
            )
        title = f"{MEETING_TITLE} {language}"
        meeting = db.session.execute(select(Meeting).where(Meeting.title == title)).scalar_one_or_none()
        if meeting is None:
            consultation = db.session.execute(select(Consultation).where(Consultation.slug == slug)).scalar_one()
            meeting = create_meeting(
                title,
                clock.japan_today() + timedelta(days=1),
                [consultation],
                actor=actor,
                details=MeetingDetails(
                    number=None,
                    starts_at=None,
                    place="千葉中央コミュニティセンター2階 市政情報室",
                    open_to_public=False,
                ),
            )
            item = add_agenda_item(meeting, "全項目評価書の第三者点検について", consultation, actor=actor)
            add_agenda_item(meeting, "その他", None, actor=actor)
            from comments.domain.meeting_papers import post_uploaded_paper

            for position, (paper_title, public) in enumerate([(PUBLIC_PAPER, True), (SECRET_PAPER, False)], start=1):
                post_uploaded_paper(
                    meeting,
                    CheckedFile(filename=f"shiryou{position}.pdf", content_type="application/pdf", data=PDF),
                    title=paper_title,
                    label=f"資料{position}",
                    public=public,
                    agenda_item=item,
                    actor=actor,
                    blob_store=blob_store(app),
                    link=f"/committee/meetings/{meeting.id}",
                )
            db.session.flush()
            record_attendance(
                meeting,
                [AttendanceEntry(user_id=member.id, present=False, briefed_on=meeting.held_on + timedelta(days=2))],
                actor=actor,
            )
            assert db.session.scalar(select(MeetingPaper.id).where(MeetingPaper.meeting_id == meeting.id))
        db.session.commit()
        return meeting.id, email


def _sign_in_staff(page, live_server, account: str) -> None:
    sign_in_staff(page, live_server.app, f"meetings-{account}")


def _press(page, locator) -> None:
    """Focus ``locator`` and press Enter, as a keyboard user does, waiting for the page that follows."""
    locator.focus()
    expect(locator).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_secretariat_manages_a_meeting_by_keyboard(new_page, live_server, demo_slug, language):
    meeting_id, _email = _seed_meeting(live_server.app, demo_slug, language)
    page = new_page(language)
    _sign_in_staff(page, live_server, language)

    page.goto("/staff/meetings")
    assert_accessible(page, language)
    _press(page, page.get_by_role("link", name=f"{MEETING_TITLE} {language}"))
    expect(page).to_have_url(re.compile(rf".*/staff/meetings/{meeting_id}$"))
    assert_accessible(page, language)

    _press(page, page.locator(f"a[href$='/staff/meetings/{meeting_id}/edit']"))
    assert_accessible(page, language)
    page.fill("#starts_at", "18:00")
    page.fill("#ends_at", "17:00")  # ends before it starts: refused, said so, by the field
    _press(page, page.locator("form[action$='/edit'] button[type=submit]"))
    expect(page.locator("#ends_at-error")).to_be_visible()
    assert_accessible(page, language)
    page.fill("#ends_at", "19:20")
    _press(page, page.locator("form[action$='/edit'] button[type=submit]"))
    expect(page.locator("#meeting-details")).to_contain_text(re.compile("18時00分～19時20分|18:00 to 19:20"))

    _press(page, page.locator(f"a[href$='/staff/meetings/{meeting_id}/agenda']"))
    assert_accessible(page, language)
    rows = page.locator("#agenda-items tbody th")
    expect(rows).to_have_text(["全項目評価書の第三者点検について", "その他"])
    _press(page, page.locator("#agenda-items tbody tr").first.locator("button", has_text=re.compile("Move down|下へ")))
    expect(rows).to_have_text(["その他", "全項目評価書の第三者点検について"])
    _press(page, page.locator("#agenda-items tbody tr").first.locator("button", has_text=re.compile("Move down|下へ")))
    expect(rows).to_have_text(["全項目評価書の第三者点検について", "その他"])
    expect(page.locator("#papers")).to_contain_text(SECRET_PAPER)

    _press(page, page.locator("#agenda-items tbody tr").first.locator("a"))
    assert_accessible(page, language)
    page.goto(f"/staff/meetings/{meeting_id}/attendance")
    assert_accessible(page, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_absent_member_and_the_public_see_the_meeting(new_page, live_server, demo_slug, language):
    meeting_id, email = _seed_meeting(live_server.app, demo_slug, language)
    page = new_page(language)
    page.goto("/auth/login")
    page.fill("#email", email)
    page.fill("#password", MEMBER_PASSWORD)
    page.press("#password", "Enter")
    page.goto("/committee/")
    note = page.locator(f"#absence-{meeting_id}")
    expect(note).to_be_visible()
    expect(note).to_contain_text(re.compile("日本時間|Japan time"))
    assert_accessible(page, language)
    _press(page, note.locator(f"a[href*='/committee/meetings/{meeting_id}']"))
    expect(page.locator("#agenda")).to_contain_text(SECRET_PAPER)
    expect(page.locator(f"#absence-{meeting_id}")).to_be_visible()
    assert_accessible(page, language)

    public = new_page(language)
    public.goto("/")
    _press(public, public.locator("footer a[href$='/meetings']"))
    assert_accessible(public, language)
    _press(public, public.get_by_role("link", name=f"{MEETING_TITLE} {language}"))
    expect(public.locator("#agenda")).to_contain_text(PUBLIC_PAPER)
    expect(public.locator("main")).not_to_contain_text(SECRET_PAPER)
    assert_accessible(public, language)
    link = public.get_by_role("link", name=re.compile(PUBLIC_PAPER))
    link.focus()
    expect(link).to_be_focused()
