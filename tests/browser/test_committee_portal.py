"""A committee member's path through the portal in headless Chromium, by keyboard, with axe on every page.

Sign in, open the demo consultation, type a question tied to a section and send it with Enter, see the
receipt; upload a question file (the DOCX fixture), check the text read from it, send it; find both
questions on the portal with their receipt numbers.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import BROWSER_MARKS
from tests.browser.support import RECEIPT_NUMBER, assert_accessible

pytestmark = BROWSER_MARKS

LANGUAGE = "ja"
MEMBER_PASSWORD = "browser-test-member-passphrase"
DOCX = Path(__file__).resolve().parents[1] / "data" / "documents" / "question-ja.docx"


def _ensure_member(app) -> str:
    from sqlalchemy import select

    from comments.domain.accounts import create_user
    from comments.domain.audit import Actor
    from comments.extensions import db
    from comments.models import User
    from comments.permissions import Role

    email = "browser-member@example.jp"
    with app.app_context():
        if db.session.execute(select(User.id).where(User.email == email)).first() is None:
            create_user(
                email=email,
                display_name="ブラウザ 委員",
                password=MEMBER_PASSWORD,
                roles={Role.member},
                actor=Actor("test"),
            )
            db.session.commit()
    return email


def _submit(page, form_selector: str) -> None:
    """Focus the form's submit button and press Enter, as a keyboard user does."""
    with page.expect_navigation():
        page.locator(f"{form_selector} button[type=submit]").press("Enter")


def test_member_sends_a_question_and_a_question_file_in_the_browser(new_page, live_server):
    email = _ensure_member(live_server.app)
    page = new_page()
    page.goto("/auth/login")
    page.fill("#email", email)
    page.fill("#password", MEMBER_PASSWORD)
    page.press("#password", "Enter")
    page.goto("/committee/")
    assert_accessible(page, LANGUAGE)

    page.get_by_role("link", name=re.compile("後期高齢者医療")).first.click()
    page.wait_for_url(re.compile(r".*/committee/consultations/\d+$"))
    assert_accessible(page, LANGUAGE)

    page.select_option("#question-section_id", index=2)
    page.fill("#question-body", "（１）委託先の監督方法を教えてください。")
    _submit(page, "form[action$='/questions']")
    receipt = page.locator("#receipt-number")
    expect(receipt).to_have_text(RECEIPT_NUMBER)
    first_receipt = receipt.inner_text()
    assert_accessible(page, LANGUAGE)

    page.goto("/committee/")
    page.get_by_role("link", name=re.compile("後期高齢者医療")).first.click()
    page.set_input_files("#file-document", str(DOCX))
    _submit(page, "form[action$='/question-file']")
    expect(page.locator("#body")).to_have_value(re.compile("暗号化の方式について質問します"))
    assert_accessible(page, LANGUAGE)
    _submit(page, "form[action$='/confirm']")
    expect(page.locator("#receipt-number")).to_have_text(RECEIPT_NUMBER)
    expect(page.locator("#question-text")).to_contain_text("鍵の管理は誰が行いますか")
    second_receipt = page.locator("#receipt-number").inner_text()

    page.goto("/committee/")
    table = page.locator("table")
    expect(table).to_contain_text(first_receipt)
    expect(table).to_contain_text(second_receipt)
    assert_accessible(page, LANGUAGE)
