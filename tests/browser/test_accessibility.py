"""axe-core on every public page in Japanese and English, and the skip link for keyboard users.

No axe violation of any impact is allowed (the policy page's target is JIS X 8341-3:2016 level AA); a failure
lists each violation with the selectors of the elements to fix. What these tests check is recorded for the
results page (tests/browser/results.py).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BROWSER_MARKS
from tests.browser.pages import STATIC_PAGES
from tests.browser.results import RECORDER
from tests.browser.support import RECEIPT_NUMBER, assert_accessible, fill_and_send, submit_with_keyboard, write_pdf

pytestmark = BROWSER_MARKS

LANGUAGES = ["ja", "en"]
PHONE = {"width": 390, "height": 844}
OPINION = "評価書（案）の第III-3項について、アクセスログの確認頻度を具体的に記載してください。"


def open_form(new_page, language: str, slug: str):
    page = new_page(language)
    response = page.goto(f"/consultations/{slug}/comment")
    assert response.status == 200
    return page


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(STATIC_PAGES))
def test_page_has_no_violations(new_page, demo_slug, name, language):
    page = new_page(language)
    response = page.goto(STATIC_PAGES[name].format(slug=demo_slug))
    assert response.status == (404 if name == "not-found" else 200)
    assert_accessible(page, language)


@pytest.mark.parametrize("name", list(STATIC_PAGES))
def test_page_on_a_phone_has_no_violations(new_page, demo_slug, name):
    """The same pages on a phone's screen, where the layout changes (one column, the menus wrapping)."""
    page = new_page("ja")
    page.set_viewport_size(PHONE)
    response = page.goto(STATIC_PAGES[name].format(slug=demo_slug))
    assert response.status == (404 if name == "not-found" else 200)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    assert_accessible(page, "ja")


@pytest.mark.parametrize("language", LANGUAGES)
def test_form_with_errors_has_no_violations(new_page, demo_slug, language):
    page = open_form(new_page, language, demo_slug)
    submit_with_keyboard(page)  # empty: no opinion, no consent
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#body")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#consent")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_receipt_has_no_violations(new_page, demo_slug, language, tmp_path):
    page = open_form(new_page, language, demo_slug)
    fill_and_send(page, OPINION, write_pdf(tmp_path))
    assert RECEIPT_NUMBER.match(page.locator("#receipt-number").inner_text().strip())
    assert_accessible(page, language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(STATIC_PAGES))
def test_first_tab_reaches_the_skip_link(new_page, demo_slug, name, language):
    page = new_page(language)
    page.goto(STATIC_PAGES[name].format(slug=demo_slug))
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "({cls: document.activeElement.className, href: document.activeElement.getAttribute('href')})"
    )
    assert focused == {"cls": "skip-link", "href": "#main"}
    expect(page.locator("a.skip-link")).to_be_in_viewport()  # visible once focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    RECORDER.record_keyboard(page, "skip-link")


@pytest.mark.parametrize("language", LANGUAGES)
def test_back_office_pages_have_no_violations(new_page, live_server, language):
    """The staff's pages too (JIS X 8341-3 covers the systems staff use): sign in with the second factor,
    then the back office home and the account list."""
    import pyotp

    from comments import clock
    from comments.extensions import db
    from comments.models import User

    with live_server.app.app_context():
        from tests.browser.support import ensure_staff_account

        email, password = ensure_staff_account(live_server.app, language)
        secret = db.session.execute(db.select(User.totp_secret).where(User.email == email)).scalar_one()
    page = new_page(language)
    page.goto("/auth/login")
    assert_accessible(page, language)
    page.fill("#email", email)
    page.fill("#password", password)
    page.press("#password", "Enter")
    page.wait_for_url("**/auth/second-factor")
    assert_accessible(page, language)
    page.fill("#code", pyotp.TOTP(secret).at(clock.now()))
    page.press("#code", "Enter")
    page.wait_for_url("**/staff/")
    assert_accessible(page, language)
    page.goto("/admin/accounts")
    assert_accessible(page, language)
    page.click("a[href='/admin/service-status']")  # reached by its link, as a keyboard user follows it
    page.wait_for_url("**/admin/service-status")
    assert_accessible(page, language)

    # Entering the password again before an export (R27), by keyboard alone, and the page that says it was wrong.
    page.goto("/auth/confirm-password")
    assert_accessible(page, language)
    page.fill("#password", "not-the-password-at-all")
    page.press("#password", "Enter")
    expect(page.locator("#password-error")).to_be_visible()
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, language)

    # The e-mail quarantine: its list and one waiting message with the release and reject forms.
    from email.message import EmailMessage
    from email.utils import make_msgid

    from comments.ingestion.mail.pipeline import ingest_and_commit

    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "stranger@example.com", "questions@example.jp", "質問"
    mail["Message-ID"] = make_msgid(domain="example.jp")
    mail.set_content("宛先の分からない質問です。")
    with live_server.app.app_context():
        message_id = ingest_and_commit(mail.as_bytes(), source="pipe").message.id
    page.goto("/staff/mail")
    assert_accessible(page, language)
    page.goto(f"/staff/mail/{message_id}")
    expect(page.locator("#message-status")).to_be_visible()
    assert_accessible(page, language)
