"""The Excel files in headless Chromium: a clerk finds the download on the inbox, the items and the meeting's
page, follows it with the keyboard, and the file Chromium saves opens with openpyxl with the rows the page
lists and no personal data; axe finds nothing on those pages, in Japanese and English.

The data are made on the live server's database with the test factories (a consultation of its own per run).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.browser.conftest import BROWSER_MARKS
from tests.browser.support import assert_accessible, sign_in_staff

pytestmark = BROWSER_MARKS

NAME, EMAIL, ADDRESS = "山田花子", "hanako@example.jp", "千葉市中央区1-1"
BODY = f"{NAME}です。連絡先は{EMAIL}です。委託先の監督を強化すべきです。"
CLERK = "excel"


@pytest.fixture(scope="module")
def story(live_server) -> dict:
    """A closed consultation with one submission (its submitter's name, e-mail and address on record and in
    its text), an item made from it, and a meeting whose packet covers it."""
    from sqlalchemy import select

    from comments.domain.audit import Actor
    from comments.domain.triage import ItemDraft, add_item
    from comments.extensions import db
    from comments.models import ConsultationStatus, ItemKind, Submitter, User
    from tests import factories
    from tests.browser.support import ensure_staff_account

    run = uuid.uuid4().hex[:10]
    email, _password = ensure_staff_account(live_server.app, CLERK)
    with live_server.app.app_context():
        clerk = db.session.execute(select(User).where(User.email == email)).scalar_one()
        now = datetime.now(UTC)
        consultation = factories.make_consultation(
            slug=f"excel-{run}",
            title=f"ブラウザ試験 Excel {run}",
            status=ConsultationStatus.closed,
            opens_at=now - timedelta(days=40),
            closes_at=now - timedelta(days=5),
        )
        submission = factories.make_submission(
            consultation,
            body=BODY,
            received_at=now - timedelta(days=6),
            submitter=Submitter(name=NAME, email=EMAIL, contact=ADDRESS),
        )
        add_item(submission, ItemDraft(0, len(BODY), ItemKind.opinion, BODY), created_by=clerk, actor=Actor("test"))
        meeting = factories.make_meeting(consultation, title=f"第9回 部会 {run}")
        story = {
            "consultation_id": consultation.id,
            "meeting_id": meeting.id,
            "receipt_number": submission.receipt_number,
        }
        db.session.commit()
    return story


def _download_with_keyboard(page, selector: str, directory: Path) -> list[list]:
    """Focus the link, press Enter as a keyboard user does, and read the saved file's cells."""
    link = page.locator(selector)
    link.focus()
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = directory / download.suggested_filename
    download.save_as(path)
    sheet = load_workbook(path).active
    return [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]


def _assert_no_personal_data(rows: list[list]) -> None:
    text = "\n".join("\t".join(row) for row in rows)
    for value in (NAME, EMAIL, ADDRESS):
        assert value not in text


def test_a_clerk_downloads_the_inbox_the_items_and_the_packet_as_excel(new_page, live_server, story, tmp_path):
    page = new_page()
    sign_in_staff(page, live_server.app, CLERK)
    consultation = f"/staff/consultations/{story['consultation_id']}"

    page.goto(f"{consultation}/inbox")
    assert_accessible(page, "ja")
    rows = _download_with_keyboard(page, "a[href*='/inbox.xlsx']", tmp_path)
    assert story["receipt_number"] in [row[0] for row in rows]
    assert any("委託先の監督を強化すべきです。" in cell for row in rows for cell in row)
    _assert_no_personal_data(rows)
    # Signed in a moment ago, the clerk gets the file with personal data at once, marked so.
    rows = _download_with_keyboard(page, "a[href*='/inbox-with-personal-data.xlsx']", tmp_path)
    assert any(NAME in row for row in rows)

    page.goto(f"{consultation}/items")
    assert_accessible(page, "ja")
    rows = _download_with_keyboard(page, "a[href*='/items.xlsx']", tmp_path)
    assert any("委託先の監督を強化すべきです。" in cell for row in rows for cell in row)
    _assert_no_personal_data(rows)

    page.goto(f"/staff/meetings/{story['meeting_id']}")
    assert_accessible(page, "ja")
    rows = _download_with_keyboard(page, "a[href$='/packet.xlsx']", tmp_path)
    assert any("委託先の監督を強化すべきです。" in cell for row in rows for cell in row)

    page.goto(f"/language/en?next={consultation}/inbox")
    assert_accessible(page, "en")
    rows = _download_with_keyboard(page, "a[href*='/inbox.xlsx']", tmp_path)
    assert "Receipt number" in [row[0] for row in rows]
