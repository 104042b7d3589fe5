"""Screens for daily work in headless Chromium: the back office uses the screen's width at 1280 px, its tables
keep their columns and scroll sideways on a phone instead of being crushed, the triage page is one compact
block a part, radio buttons stay beside their labels at 390 px, and axe finds nothing on these pages.

The data are made on the live server's database with the domain functions and the test factories (a
consultation of its own per run, so the session's other browser tests are not disturbed).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BROWSER_MARKS
from tests.browser.support import assert_accessible, ensure_staff_account, sign_in_staff

pytestmark = BROWSER_MARKS

FOUR_PARTS = (
    "市長様\n\n"
    "1. 暗号化の方式を評価書に明記してください。鍵の管理者も書くべきです。\n\n"
    "2. アクセスログを毎月確認してください。確認の結果は公表すべきです。\n\n"
    "以上、よろしくお願いします。山田"
)
OLD_RESPONSE = "ご意見のとおり、暗号化の方式を記載します。鍵の管理者は記載しません。"
NEW_RESPONSE = "ご意見のとおり、暗号化の方式を評価書に記載します。鍵の管理者も記載します。"
WIDE, PHONE = "screens-wide", "screens-phone"


@pytest.fixture(scope="module")
def story(live_server) -> dict:
    """A consultation being answered, with 13 submissions of several channels (one of four parts left
    untriaged), an unassigned item, an item with two revisions of its response; and an open consultation."""
    from sqlalchemy import select

    from comments.domain.audit import Actor
    from comments.domain.departments import department_named
    from comments.domain.triage import ItemDraft, add_item, assign_items
    from comments.extensions import db
    from comments.models import Channel, ConsultationStatus, ItemKind, User
    from comments.permissions import Role
    from tests import factories

    actor = Actor("test")
    run = uuid.uuid4().hex[:10]
    ensure_staff_account(live_server.app, PHONE)
    email, _password = ensure_staff_account(live_server.app, WIDE)
    with live_server.app.app_context():
        clerk = db.session.execute(select(User).where(User.email == email)).scalar_one()
        now = datetime.now(UTC)
        consultation = factories.make_consultation(
            slug=f"screens-{run}",
            title=f"ブラウザ試験 業務画面 {run}",
            status=ConsultationStatus.responding,
            opens_at=now - timedelta(days=40),
            closes_at=now - timedelta(days=5),
        )
        channels = [Channel.web, Channel.email, Channel.post, Channel.fax]
        submissions = [
            factories.make_submission(
                consultation,
                body=f"委託先の監督方法を教えてください。再委託の有無も知りたいです。（{number}）",
                channel=channels[number % 4],
                received_at=now - timedelta(days=6, hours=number),
            )
            for number in range(12)
        ]
        four = factories.make_submission(consultation, body=FOUR_PARTS, received_at=now - timedelta(days=7))
        unassigned = add_item(
            submissions[0], ItemDraft(0, 17, ItemKind.question, "委託先の監督方法"), created_by=clerk, actor=actor
        )
        answered = add_item(
            submissions[1], ItemDraft(0, 17, ItemKind.question, "再委託の有無"), created_by=clerk, actor=actor
        )
        department = department_named(f"ブラウザ情報政策課-{run}")
        drafter = factories.make_user(Role.department_staff, department=department)
        assign_items([answered], department, due_on=now.date() + timedelta(days=5), actor=actor)
        factories.respond(answered, author=drafter, until="drafting", body=OLD_RESPONSE, category=None)
        factories.respond(answered, author=drafter, until="drafting", body=NEW_RESPONSE)
        open_consultation = factories.make_consultation(slug=f"screens-open-{run}", title=f"ブラウザ試験 募集中 {run}")
        story = {
            "consultation_id": consultation.id,
            "four_parts_id": four.id,
            "unassigned_item_id": unassigned.id,
            "answered_item_id": answered.id,
            "open_slug": open_consultation.slug,
        }
        db.session.commit()
    return story


def _visit(page, path: str) -> None:
    response = page.goto(path)
    assert response.status == 200, f"{path} answered {response.status}"


def _lines(page, selector: str) -> int:
    """How many lines the text of the first element ``selector`` finds takes on the screen."""
    return page.locator(selector).first.evaluate(
        """element => {
            const range = document.createRange();
            range.selectNodeContents(element);
            return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size;
        }"""
    )


def _width(page, selector: str) -> float:
    return page.locator(selector).first.evaluate("element => element.getBoundingClientRect().width")


def test_the_back_office_uses_the_width_of_a_1280_px_screen(new_page, live_server, story):
    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_staff(page, live_server.app, WIDE)
    consultation = f"/staff/consultations/{story['consultation_id']}"

    _visit(page, f"{consultation}/inbox")
    assert _width(page, "table.inbox") > 1000
    assert _lines(page, "table.inbox td.receipt a") == 1  # the receipt number on one line, not three
    expect(page.locator("#inbox-count")).to_contain_text("13")
    assert_accessible(page, "ja")

    _visit(page, f"{consultation}/items")
    # The department column of an unassigned item (未割当て) on one line, not one character a line.
    assert _lines(page, f"#item-row-{story['unassigned_item_id']} td.nowrap >> nth=1") == 1
    assert_accessible(page, "ja")

    _visit(page, f"/staff/submissions/{story['four_parts_id']}/triage")
    parts = page.locator("section.triage-part.untriaged")
    expect(parts).to_have_count(4)
    # The text on the left, what can be done with it on the right, in one block a part.
    for index in range(4):
        text_box = parts.nth(index).locator(".part-text").bounding_box()
        form_box = parts.nth(index).locator(".part-actions").bounding_box()
        assert form_box["x"] >= text_box["x"] + text_box["width"]
        assert abs(form_box["y"] - text_box["y"]) < 5
    # The first part looks like a greeting: its "not an opinion" form is open; the others' are folded.
    expect(parts.nth(0).locator("details:has(form) >> nth=0")).to_have_attribute("open", "")
    expect(parts.nth(1).locator(".part-actions details")).not_to_have_attribute("open", "")
    assert page.evaluate("document.documentElement.scrollHeight") < 3200  # 4,931 px before, for four parts
    assert_accessible(page, "ja")

    _visit(page, f"/staff/items/{story['answered_item_id']}/response?diff=1,2")
    expect(page.locator("#diff del").first).to_have_css("text-decoration-line", "line-through")
    expect(page.locator("#diff ins").first).to_have_css("text-decoration-line", "underline")
    assert_accessible(page, "ja")

    _visit(page, f"/language/en?next={consultation}/inbox")
    expect(page.locator("#inbox-count")).to_have_text("13 matches")
    assert_accessible(page, "en")


def test_on_a_phone_tables_scroll_and_radio_buttons_sit_beside_their_labels(new_page, live_server, story):
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_staff(page, live_server.app, PHONE)

    _visit(page, f"/staff/consultations/{story['consultation_id']}/inbox")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page itself never scrolls sideways
    region = page.locator(".table-scroll").first
    assert region.evaluate("element => element.scrollWidth > element.clientWidth")  # the table scrolls instead
    assert _lines(page, "table.inbox td.receipt a") == 1
    region.focus()  # a keyboard user scrolls it with the arrow keys
    page.keyboard.press("ArrowRight")
    page.wait_for_function("element => element.scrollLeft > 0", arg=region.element_handle())
    assert_accessible(page, "ja")

    _visit(page, f"/consultations/{story['open_slug']}/comment")
    radios = page.locator("input[type=radio]")
    assert radios.count() >= 2
    for index in range(radios.count()):
        radio = radios.nth(index)
        label = page.locator(f"label[for='{radio.get_attribute('id')}']")
        radio_box, label_box = radio.bounding_box(), label.bounding_box()
        assert label_box["x"] >= radio_box["x"] + radio_box["width"], "the label stands beside its radio button"
        assert label_box["y"] < radio_box["y"] + radio_box["height"], "not on a line below it"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "ja")
