"""The key-in of post, fax and in-person submissions reached from the back office's home by keyboard, its check
page with the scan beside the keyed text, and the page that grants an account its roles: axe finds no
violation in Japanese or English, and the scan is drawn (not refused by the CSP, not broken)."""

from __future__ import annotations

import struct
import zlib

import pyotp
import pytest
from playwright.sync_api import expect

from comments import clock
from tests.browser.conftest import BROWSER_MARKS
from tests.browser.support import assert_accessible, ensure_staff_account

pytestmark = BROWSER_MARKS

LANGUAGES = ["ja", "en"]


def png(width: int = 40, height: int = 20) -> bytes:
    """A small grey PNG, as a fax scanned to a picture would be."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def signed_in_page(new_page, live_server, language: str, name: str):
    """A page signed in as a secretariat and administrator account of its own (a TOTP code works once)."""
    from comments.extensions import db
    from comments.models import User

    email, password = ensure_staff_account(live_server.app, f"{name}-{language}")
    with live_server.app.app_context():
        secret = db.session.execute(db.select(User.totp_secret).where(User.email == email)).scalar_one()
    page = new_page(language)
    page.goto("/auth/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.press("#password", "Enter")
    page.wait_for_url("**/auth/second-factor")
    page.fill("#code", pyotp.TOTP(secret).at(clock.now()))
    page.press("#code", "Enter")
    page.wait_for_url("**/staff/")
    return page


@pytest.mark.parametrize("language", LANGUAGES)
def test_key_in_from_the_home_page_and_check_beside_the_scan(new_page, live_server, language, tmp_path):
    page = signed_in_page(new_page, live_server, language, "key-in")
    link = page.locator("main a[href$='/intake']").first
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/intake")
    assert_accessible(page, language)

    scan = tmp_path / "fax.png"
    scan.write_bytes(png())
    page.locator("input[name=channel][value=fax]").check()
    page.fill("#body", "FAXで届いた意見です。")
    page.locator("#scans").set_input_files(scan)
    button = page.locator("main form button[type=submit]")
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    image = page.locator("#scans img")
    expect(image).to_be_visible()
    assert image.get_attribute("alt")
    assert page.evaluate("document.querySelector('#scans img').naturalWidth") == 40
    expect(page.locator("#keyed-text")).to_have_text("FAXで届いた意見です。")
    assert_accessible(page, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_roles_page_of_an_account(new_page, live_server, language):
    page = signed_in_page(new_page, live_server, language, "roles")
    page.goto("/admin/accounts")
    link = page.locator("main a[href$='/roles']").first
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#roles")).to_be_visible()
    assert_accessible(page, language)
