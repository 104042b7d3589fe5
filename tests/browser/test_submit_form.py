"""A citizen finds the demo consultation, reads it and sends an opinion with an attachment (R02, R50)."""

from __future__ import annotations

import re
import warnings
from datetime import datetime

from flask_babel import gettext
from playwright.sync_api import expect
from sqlalchemy import select

from comments.dates import japan_deadline
from comments.extensions import db
from comments.models import Consultation, Submission
from tests.browser.conftest import BROWSER_MARKS
from tests.browser.support import FINGERPRINT, RECEIPT_NUMBER, fill_and_send, write_pdf

pytestmark = BROWSER_MARKS

OPINION = (
    "委託先の監督について、年1回以上の実地確認を評価書に明記してください。\n再委託の承認基準も公表をお願いします。"
)


def japan_time_words(app) -> str:
    """日本時間 when the Japanese catalogue translates it (``make test`` compiles it first)."""
    with app.test_request_context("/"):
        translated = gettext("%(time)s (Japan time)", time="")
    if "日本時間" in translated:
        return "日本時間"
    warnings.warn(
        "the Japanese catalogue does not translate '(Japan time)': run `pybabel compile -d translations`; "
        "checking for 'Japan time' instead of 日本時間",
        stacklevel=2,
    )
    return "Japan time"


def japanese_deadline(app, instant: datetime) -> str:
    """The closing instant as the public notice writes it, by the service's own date helper (comments/dates.py):
    in the era calendar, midnight as 24時00分 of the day before."""
    with app.test_request_context("/"):
        return japan_deadline(instant, locale="ja")


def demo_consultation(app, slug: str) -> tuple[datetime, list[tuple[str, str]]]:
    with app.app_context():
        consultation = db.session.execute(select(Consultation).where(Consultation.slug == slug)).scalar_one()
        return consultation.closes_at, [(section.anchor, section.heading) for section in consultation.sections]


def test_citizen_sends_an_opinion_with_an_attachment(page, live_server, demo_slug, tmp_path):
    closes_at, sections = demo_consultation(live_server.app, demo_slug)

    # The list links to the demo consultation.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    link = page.locator(f"main a[href='/consultations/{demo_slug}']")
    expect(link).to_have_count(1)
    with page.expect_navigation():
        link.click()
    assert page.url == live_server(f"/consultations/{demo_slug}")

    # The closing instant, in Japan time and said to be so.
    closing = page.locator("main dl.period time").nth(1)
    assert datetime.fromisoformat(closing.get_attribute("datetime")) == closes_at
    expect(closing).to_contain_text(japanese_deadline(live_server.app, closes_at))
    expect(closing).to_contain_text(japan_time_words(live_server.app))

    # A table of contents whose links lead to the sections of the draft.
    toc_links = page.locator("main nav.toc ol > li > a")
    expect(toc_links).to_have_count(len(sections))
    for index, (anchor, heading) in enumerate(sections):
        expect(toc_links.nth(index)).to_have_attribute("href", f"#{anchor}")
        expect(toc_links.nth(index)).to_contain_text(heading)
        expect(page.locator(f"section#{anchor} h3")).to_contain_text(heading)
    toc_links.last.click()
    expect(page).to_have_url(re.compile(rf"#{sections[-1][0]}$"))

    # "Send your opinion" leads to the form.
    call_to_action = page.locator(f"main a.button[href='/consultations/{demo_slug}/comment']")
    expect(call_to_action).to_have_count(1)
    with page.expect_navigation():
        call_to_action.click()
    assert page.url == live_server(f"/consultations/{demo_slug}/comment")
    expect(page.locator("main form #body")).to_be_visible()

    attachment = write_pdf(tmp_path)
    fill_and_send(page, OPINION, attachment)

    # The receipt: number, the text as sent, the attachment and the fingerprint.
    expect(page).to_have_url(re.compile(r"/receipts/\d{4}-\d{4}-\d{3}$"))
    receipt_number = page.locator("#receipt-number").inner_text().strip()
    assert RECEIPT_NUMBER.match(receipt_number), receipt_number
    assert page.url.endswith(f"/receipts/{receipt_number}")
    fingerprint = page.locator("#fingerprint").inner_text().strip()
    assert FINGERPRINT.match(fingerprint), fingerprint
    assert page.locator("#comment-text").inner_text() == OPINION
    expect(page.locator("main .receipt-copy a[download]")).to_have_text(attachment.name)
    expect(page.locator("#print-button")).to_be_visible()  # print.js ran under the CSP
    assert page.csp_violations == []

    # It is stored, exactly as the receipt says.
    with live_server.app.app_context():
        submission = db.session.execute(
            select(Submission).where(Submission.receipt_number == receipt_number)
        ).scalar_one()
        assert submission.consultation.slug == demo_slug
        assert submission.body == OPINION
        assert submission.fingerprint == fingerprint
        assert submission.channel.value == "web"
        assert submission.submitter is not None
        assert submission.submitter.consented_at is not None
        assert [(a.filename, a.content_type, a.size) for a in submission.attachments] == [
            (attachment.name, "application/pdf", attachment.stat().st_size)
        ]
