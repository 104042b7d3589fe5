"""Small helpers shared by the browser tests."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyotp
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from comments.demo.pdf import build_demo_pdf
from tests.browser.results import RECORDER

RECEIPT_NUMBER = re.compile(r"^\d{4}-\d{4}-\d{3}$")
FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


def minimal_pdf() -> bytes:
    """A real, valid one-page PDF, made by the same builder as the demo's original."""
    return build_demo_pdf("意見書", ["暗号化の方式について意見を添付します。"])


def write_pdf(directory: Path, name: str = "iken.pdf") -> Path:
    path = directory / name
    path.write_bytes(minimal_pdf())
    return path


def submit_with_keyboard(page) -> None:
    """Send the form as a keyboard user does: focus the submit button and press Enter."""
    button = page.locator("main form button[type=submit]")
    button.focus()
    assert page.evaluate("document.activeElement.type") == "submit"
    RECORDER.record_keyboard(page, "keyboard-submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def fill_and_send(page, text: str, attachment: Path | None = None) -> None:
    """On the comment form: type the opinion, attach a file, agree to the notice and send."""
    page.locator("#body").fill(text)
    if attachment is not None:
        page.locator("#attachments").set_input_files(attachment)
    page.locator("#consent").check()
    submit_with_keyboard(page)


STAFF_PASSWORD = "browser-test-secretariat-passphrase"


def ensure_staff_account(app, name: str) -> tuple[str, str]:
    """A secretariat and administrator account on the live server's database, with its second factor."""
    from sqlalchemy import select

    from comments.domain.accounts import create_user, enable_totp, new_totp_secret
    from comments.domain.audit import Actor
    from comments.extensions import db
    from comments.models import User
    from comments.permissions import Role

    email = f"browser-clerk-{name}@example.jp"
    with app.app_context():
        if db.session.execute(select(User.id).where(User.email == email)).first() is None:
            user = create_user(
                email=email,
                display_name="ブラウザ 事務局",
                password=STAFF_PASSWORD,
                roles={Role.secretariat, Role.administrator},
                actor=Actor("test"),
            )
            enable_totp(user, new_totp_secret(), Actor("test"))
            db.session.commit()
    return email, STAFF_PASSWORD


def sign_in_staff(page, app, name: str) -> str:
    """Sign the account of ``ensure_staff_account(app, name)`` in through the login and second-factor
    pages, as a clerk does, and wait for the back office's home; returns its e-mail address."""
    import pyotp

    from comments import clock
    from comments.extensions import db
    from comments.models import User

    email, password = ensure_staff_account(app, name)
    with app.app_context():
        secret = db.session.execute(db.select(User.totp_secret).where(User.email == email)).scalar_one()
    page.goto("/auth/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.press("#password", "Enter")
    page.wait_for_url("**/auth/second-factor")
    page.fill("#code", pyotp.TOTP(secret).at(clock.now()))
    page.press("#code", "Enter")
    page.wait_for_url("**/staff/")
    return email


_axe = Axe()


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node.get('failureSummary', '').strip()}")
    return "\n".join(lines)


def assert_accessible(page, language: str) -> None:
    """No axe violation of any impact, the page in the expected language, nothing refused by the CSP.

    Every run is recorded for the accessibility results page (tests/browser/results.py)."""
    expect(page.locator("html")).to_have_attribute("lang", language)
    response = _axe.run(page).response
    RECORDER.record_axe(page, language, response)
    violations = response["violations"]
    assert not violations, f"axe found on {page.url} ({language}):\n{describe(violations)}"
    assert page.csp_violations == [], page.csp_violations


def open_live_page(browser, base_url: str, language: str, timeout_ms: int):
    """A new context and page on a live server in ``language``, noting every Content Security Policy refusal."""
    context = browser.new_context(base_url=base_url, locale="ja-JP")
    context.set_default_timeout(timeout_ms)
    context.add_cookies([{"name": "lang", "value": language, "url": base_url}])
    page = context.new_page()
    page.csp_violations = []
    page.on(
        "console",
        lambda message: page.csp_violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return context, page


def sign_in_demo_account(page, account) -> None:
    """Sign in with a demo account's password and, when it has one, its TOTP key."""
    page.goto("/auth/login")
    page.fill("#email", account.email)
    page.fill("#password", account.password)
    page.press("#password", "Enter")
    page.wait_for_load_state()
    # A code is accepted once: the same account signed in a moment ago (in this test or another) may have used
    # this step's, so the next step's (within the window the server allows) is tried after it.
    for later in (0, 30):
        if "/auth/second-factor" not in page.url:
            break
        page.fill("#code", pyotp.TOTP(account.totp_secret).at(time.time() + later))
        page.press("#code", "Enter")
        page.wait_for_load_state()
    assert "/auth/login" not in page.url and "/auth/second-factor" not in page.url, page.url
