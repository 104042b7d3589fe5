"""The secretariat's path through the real pages, in headless Chromium (R01, R53, R54).

Sign in with the second factor, create a consultation, import its sections from pasted text, preview
and confirm them, attach the original PDF, publish, check the public page, extend the deadline, key in
a post submission and find it in the inbox. Every back-office page passed through is checked by axe.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from playwright.sync_api import expect

from tests.browser.conftest import BROWSER_MARKS
from tests.browser.support import RECEIPT_NUMBER, assert_accessible, sign_in_staff, write_pdf

pytestmark = BROWSER_MARKS

LANGUAGE = "ja"
DRAFT_TEXT = "I-1 基本情報\n事務の概要を記載する。\nIII-2 特定個人情報の入手\n本人から書面で入手する。\n"
EXTENSION_REASON = "システム障害のため延長します"
POSTED_OPINION = "郵送で届いた意見です。入手の方法を具体的に記載してください。"
SHOW_URL = re.compile(r".*/staff/consultations/(\d+)$")


def _sign_in(page, live_server) -> None:
    sign_in_staff(page, live_server.app, "path")
    assert_accessible(page, LANGUAGE)


def _submit(page, form_selector: str = "main form[method=post]") -> None:
    """Click the form's submit button and wait for the page the server answers with."""
    with page.expect_navigation():
        page.locator(f"{form_selector} button[type=submit]").click()


def test_secretariat_runs_a_consultation_in_the_browser(new_page, live_server, tmp_path):
    from comments import clock
    from comments.domain.deadlines import end_of_day

    today = clock.japan_today()
    opens_on = today + timedelta(days=7)
    closes_on = opens_on + timedelta(days=31)
    extended_to = closes_on + timedelta(days=10)
    slug = f"path-{uuid.uuid4().hex[:10]}"
    title = f"ブラウザ試験 全項目評価書（案） {slug}"

    page = new_page()
    _sign_in(page, live_server)

    # Create the consultation, sent from the keyboard (Enter on the focused submit button).
    page.goto("/staff/consultations")
    assert_accessible(page, LANGUAGE)
    page.goto("/staff/consultations/new")
    assert_accessible(page, LANGUAGE)
    page.fill("#title", title)
    page.fill("#slug", slug)
    page.fill("#affair", "ブラウザ試験事務")
    page.fill("#department", "健康保険課")
    page.fill("#opens_on", opens_on.isoformat())
    page.fill("#closes_on", closes_on.isoformat())
    page.locator("input[name=postal_rule][value=postmark]").check()
    button = page.locator("main form button[type=submit]")
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(SHOW_URL)
    consultation_id = int(SHOW_URL.match(page.url).group(1))
    expect(page.locator("h1")).to_have_text(title)
    assert_accessible(page, LANGUAGE)
    show = f"/staff/consultations/{consultation_id}"

    # Import: paste the text, preview (nothing saved yet), confirm.
    page.goto(f"{show}/import")
    assert_accessible(page, LANGUAGE)
    page.fill("#text", DRAFT_TEXT)
    _submit(page, "main form[enctype='multipart/form-data']")
    expect(page.locator("#preview-title")).to_be_visible()
    rows = page.locator("section[aria-labelledby=preview-title] table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").nth(1)).to_have_text("基本情報")
    expect(rows.nth(1).locator("td").nth(1)).to_have_text("特定個人情報の入手")
    assert_accessible(page, LANGUAGE)
    _submit(page, "section[aria-labelledby=preview-title] form")
    page.wait_for_url(f"**{show}")
    expect(page.locator("section.draft-section h3")).to_have_text(["I-1 基本情報", "III-2 特定個人情報の入手"])
    assert_accessible(page, LANGUAGE)

    # Attach the original PDF for everyone.
    page.goto(f"{show}/materials")
    assert_accessible(page, LANGUAGE)
    page.locator("#document").set_input_files(write_pdf(tmp_path, "gen-pon.pdf"))
    page.fill("#title", "評価書（案）原本")
    page.locator("input[name=kind][value=original]").check()
    page.locator("input[name=visibility][value=public]").check()
    _submit(page)
    expect(page.locator("main table tbody tr")).to_have_count(1)
    expect(page.locator("main table tbody tr td").first).to_have_text("評価書（案）原本")
    assert_accessible(page, LANGUAGE)

    # Publish.
    page.goto(show)
    _submit(page, "section[aria-labelledby=publish-title] form")
    page.wait_for_url(f"**{show}")
    expect(page.locator("#extend-title")).to_be_visible()
    assert_accessible(page, LANGUAGE)

    # The public page, in the same browser: the sections and the PDF.
    response = page.goto(f"/consultations/{slug}")
    assert response.status == 200
    expect(page.locator("section.draft-section h3")).to_have_text(["I-1 基本情報", "III-2 特定個人情報の入手"])
    expect(page.locator("section.draft-section .preserve")).to_have_text(
        ["事務の概要を記載する。", "本人から書面で入手する。"]
    )
    pdf_link = page.locator("section[aria-labelledby=materials-title] a[download]")
    expect(pdf_link).to_have_count(1)
    expect(pdf_link).to_have_text("評価書（案）原本")
    download = page.request.get(pdf_link.get_attribute("href"))
    assert download.status == 200 and download.body().startswith(b"%PDF")
    expect(page.locator("div.notice[role=note]")).to_have_count(0)

    # Extend the deadline; the public page shows the extension and its reason.
    page.goto(show)
    page.fill("#new_closes_on", extended_to.isoformat())
    page.fill("#reason", EXTENSION_REASON)
    _submit(page, "section[aria-labelledby=extend-title] form")
    page.wait_for_url(f"**{show}")
    expect(page.locator("#extensions-title")).to_be_visible()
    expect(page.locator("section[aria-labelledby=extensions-title] li")).to_contain_text(EXTENSION_REASON)
    assert_accessible(page, LANGUAGE)
    page.goto(f"/consultations/{slug}")
    notice = page.locator("div.notice[role=note]")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text(EXTENSION_REASON)
    deadline = page.locator("dl.period time").nth(1).get_attribute("datetime")
    assert datetime.fromisoformat(deadline) == end_of_day(extended_to), deadline

    # Key in a submission that came by post; the receipt number is shown.
    page.goto(f"{show}/intake")
    assert_accessible(page, LANGUAGE)
    page.locator("input[name=channel][value=post]").check()
    page.fill("#arrived_on", today.isoformat())
    page.locator("input[name=submitter_kind][value=citizen]").check()
    page.fill("#body", POSTED_OPINION)
    page.fill("#name", "郵便 花子")
    page.locator("#scans").set_input_files(write_pdf(tmp_path, "scan.pdf"))
    _submit(page)
    page.wait_for_url(re.compile(r".*/staff/intake/\d+$"))
    receipt_number = page.locator("#receipt-number").inner_text().strip()
    assert RECEIPT_NUMBER.match(receipt_number), receipt_number
    assert_accessible(page, LANGUAGE)

    # The inbox lists it by its receipt number.
    page.goto(f"{show}/inbox")
    row = page.locator("table.inbox tbody tr", has=page.locator("a", has_text=receipt_number))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(POSTED_OPINION[:10])
    assert_accessible(page, LANGUAGE)
