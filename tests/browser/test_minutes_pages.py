"""The minutes pages in headless Chromium, in Japanese and English, with axe and the keyboard: the secretariat's
minutes page and edit page (a markup error shown with its line, then a revision saved and compared), the
chair's portal page (a comment sent, the minutes finalised, all by keyboard), and the public minutes page
reached from the public meeting page, where the non-disclosed passage is absent."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BROWSER_MARKS
from tests.browser.support import assert_accessible, sign_in_staff

pytestmark = BROWSER_MARKS

LANGUAGES = ["ja", "en"]
CHAIR_PASSWORD = "browser-minutes-chair-passphrase"
MEETING_TITLE = "第3回 特定個人情報保護評価部会（議事録ブラウザ）"
SECRET = "委員の御自宅は緑区一丁目"
SOURCE = (
    "（多賀谷部会長）それでは、開会します。\n"
    f"（金森市政情報室長）事務局から報告します。［非開示：7-2］{SECRET}［／非開示］とのことでした。"
)


def _seed(app, slug: str, language: str) -> tuple[int, str]:
    """A meeting of the demo consultation whose minutes are out for comment, the chair recorded present."""
    from sqlalchemy import select

    from comments import clock
    from comments.domain.accounts import create_user
    from comments.domain.audit import Actor
    from comments.domain.minutes import circulate_minutes, start_minutes
    from comments.extensions import db
    from comments.models import Attendance, Consultation, Meeting, User
    from comments.permissions import Role

    actor = Actor("test")
    email = f"browser-minutes-chair-{language}@example.jp"
    title = f"{MEETING_TITLE} {language}"
    with app.test_request_context():
        chair = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if chair is None:
            chair = create_user(
                email=email,
                display_name=f"ブラウザ 部会長 {language}",
                password=CHAIR_PASSWORD,
                roles={Role.chair},
                actor=actor,
            )
        meeting = db.session.execute(select(Meeting).where(Meeting.title == title)).scalar_one_or_none()
        if meeting is None:
            consultation = db.session.execute(select(Consultation).where(Consultation.slug == slug)).scalar_one()
            meeting = Meeting(title=title, held_on=clock.japan_today() - timedelta(days=7))
            meeting.consultations.append(consultation)
            db.session.add(meeting)
            db.session.flush()
            db.session.add(Attendance(meeting_id=meeting.id, user_id=chair.id, present=True))
            db.session.flush()
            minutes = start_minutes(meeting, SOURCE, note="初稿", actor=actor)
            circulate_minutes(minutes, clock.japan_today() + timedelta(days=7), actor=actor)
        db.session.commit()
        return meeting.id, email


def _publish(app, meeting_id: int) -> None:
    from comments.domain.audit import Actor
    from comments.domain.minutes import minutes_of, publish_minutes
    from comments.extensions import db
    from comments.models import Meeting

    with app.test_request_context():
        publish_minutes(minutes_of(db.session.get(Meeting, meeting_id)), actor=Actor("test"))
        db.session.commit()


def _sign_in_staff(page, live_server, account: str) -> None:
    sign_in_staff(page, live_server.app, f"minutes-{account}")


def _press(page, locator) -> None:
    """Focus ``locator`` and press Enter, as a keyboard user does, waiting for the page that follows."""
    locator.focus()
    expect(locator).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_minutes_go_from_draft_to_the_public_page_by_keyboard(new_page, live_server, demo_slug, language):
    meeting_id, chair_email = _seed(live_server.app, demo_slug, language)

    staff = new_page(language)
    _sign_in_staff(staff, live_server, language)
    staff.goto(f"/staff/meetings/{meeting_id}")
    _press(staff, staff.locator(f"a[href$='/staff/meetings/{meeting_id}/minutes']"))
    expect(staff.locator("main")).to_contain_text(SECRET)  # the committee's copy, marked
    expect(staff.locator("mark.withheld")).to_contain_text(re.compile("第7条第2号|Article 7\\(2\\)"))
    assert_accessible(staff, language)

    _press(staff, staff.locator(f"a[href$='/staff/meetings/{meeting_id}/minutes/edit']").first)
    expect(staff.locator("#grounds")).to_contain_text("7-5")
    assert_accessible(staff, language)
    staff.fill("#source", SOURCE + "\n（委員Ａ）［非開示：7-2］閉じ忘れ")
    _press(staff, staff.locator("form[action$='/minutes/edit'] button[type=submit]"))
    expect(staff.locator("#source-error")).to_be_visible()
    expect(staff.locator("#source-line")).to_contain_text("閉じ忘れ")
    assert_accessible(staff, language)
    staff.fill("#source", SOURCE.replace("報告します", "御報告します"))
    staff.fill("#note", "語句の修正")
    _press(staff, staff.locator("form[action$='/minutes/edit'] button[type=submit]"))
    expect(staff.locator("#diff ins")).to_contain_text("御")
    assert_accessible(staff, language)

    chair = new_page(language)
    chair.goto("/auth/login")
    chair.fill("#email", chair_email)
    chair.fill("#password", CHAIR_PASSWORD)
    chair.press("#password", "Enter")
    chair.goto("/committee/")
    _press(chair, chair.locator("#minutes-link a"))
    assert_accessible(chair, language)
    _press(chair, chair.get_by_role("link", name=f"{MEETING_TITLE} {language}"))
    assert_accessible(chair, language)
    chair.fill("#body", "「御報告します」で結構です。")
    _press(chair, chair.locator("form[action$='/comments'] button[type=submit]"))
    expect(chair.locator("main")).to_contain_text("「御報告します」で結構です。")
    _press(chair, chair.locator("form[action$='/finalise'] button[type=submit]"))
    expect(chair.locator("#minutes-state")).to_contain_text(re.compile("部会長|chair"))
    assert_accessible(chair, language)

    _publish(live_server.app, meeting_id)
    public = new_page(language)
    public.goto(f"/meetings/{meeting_id}")
    _press(public, public.locator(f"#meeting-minutes a[href$='/meetings/{meeting_id}/minutes']"))
    expect(public.locator("main")).to_contain_text("〔非開示：第7条第2号（個人に関する情報）〕")
    expect(public.locator("main")).not_to_contain_text(SECRET)
    assert_accessible(public, language)
    download = public.locator(f"a[href$='/meetings/{meeting_id}/minutes.docx']")
    download.focus()
    expect(download).to_be_focused()
