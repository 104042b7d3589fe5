"""A person's notifications in headless Chromium, in Japanese and in English, by keyboard, with axe on every
page: the home page's list, the full list (a notice marked read with Tab and Enter), and the account page's
choice of a daily digest (a radio button chosen with the arrow keys, saved with Enter)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BROWSER_MARKS
from tests.browser.support import assert_accessible

pytestmark = BROWSER_MARKS

PASSWORD = "browser-test-notices-passphrase"
MAX_TABS = 60


def _member_with_notices(app, language: str) -> str:
    """A committee member on the live server's database with two unread notices (made once per language)."""
    from sqlalchemy import select

    from comments.domain.accounts import create_user
    from comments.domain.audit import Actor
    from comments.domain.notifications import notify
    from comments.extensions import db
    from comments.models import User
    from comments.permissions import Role

    email = f"browser-notices-{language}@example.jp"
    with app.app_context():
        if db.session.execute(select(User.id).where(User.email == email)).first() is None:
            user = create_user(
                email=email, display_name="ブラウザ 通知", password=PASSWORD, roles={Role.member}, actor=Actor("test")
            )
            db.session.flush()
            notify([user], "meeting.notice", params={"meeting": "第3回 特定個人情報保護評価部会"}, link="/committee/")
            notify(
                [user],
                "minutes.circulated",
                params={"meeting": "第3回 特定個人情報保護評価部会", "deadline": "2026-12-10"},
                link="/committee/",
            )
            db.session.commit()
    return email


def _sign_in(page, email: str) -> None:
    page.goto("/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")


def _tab_to(page, locator) -> int:
    """Press Tab until ``locator`` has the focus; how many presses it took (fails after MAX_TABS)."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return presses
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached {locator}")


@pytest.mark.parametrize("language", ["ja", "en"])
def test_notifications_list_and_digest_choice_by_keyboard(new_page, live_server, language):
    email = _member_with_notices(live_server.app, language)
    page = new_page(language)
    _sign_in(page, email)

    page.goto("/committee/")
    home = page.locator("section[aria-labelledby=home-notifications-title]")
    expect(home.locator("li")).to_have_count(2)
    assert_accessible(page, language)

    # From the navigation, whose link says how many are unread.
    nav_link = page.locator("nav.account-nav a[href='/auth/notifications']")
    expect(nav_link).to_contain_text("2")
    _tab_to(page, nav_link)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/auth/notifications")
    expect(page.locator("main table tbody tr")).to_have_count(2)
    assert_accessible(page, language)

    first_button = page.locator("main table form button[type=submit]").first
    _tab_to(page, first_button)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("main table form button[type=submit]")).to_have_count(1)
    expect(page.locator("[role=status]")).to_be_visible()
    assert_accessible(page, language)

    # The account page: choose the daily digest with the arrow keys, save with Enter.
    page.goto("/auth/account")
    assert_accessible(page, language)
    each = page.locator("input[name=delivery][value=each]")
    daily = page.locator("input[name=delivery][value=daily]")
    expect(each).to_be_checked()
    _tab_to(page, each)
    page.keyboard.press("ArrowDown")
    expect(daily).to_be_checked()
    save = page.locator("form[action$='/account/notifications'] button[type=submit]")
    _tab_to(page, save)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("input[name=delivery][value=daily]")).to_be_checked()
    expect(page.locator("[role=status]")).to_be_visible()
    assert_accessible(page, language)
