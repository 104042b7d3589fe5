"""The back office's response work in headless Chromium: triage, the queue, the response page with its diff,
templates, inquiries, progress, meetings and the printable packet, the results, and the public results.

The data are made on the live server's database with the domain functions (a consultation of its own per
run, so the session's other browser tests are not disturbed); then a secretariat account signs in with its
second factor and every page is checked by axe. A keyboard user saves a response with Tab and Enter.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BROWSER_MARKS
from tests.browser.support import assert_accessible, ensure_staff_account, sign_in_staff

pytestmark = BROWSER_MARKS

LANGUAGE = "ja"
DRAFTER_PASSWORD = "browser-test-drafter-passphrase"
FIRST_OPINION = "暗号化の方式を評価書に明記してください。鍵の管理者も書くべきです。"
GROUPED_OPINIONS = [
    "アクセスログを毎月確認してください。",
    "アクセスログの確認頻度を定めてください。",
]
CARRIED_OVER_QUESTION = "中間サーバーの運用主体を教えてください。"
UNTRIAGED = "いつもお世話になっております。委託先の監督方法を教えてください。再委託の有無も知りたいです。"
FIRST_REVISION = "ご意見のとおり、暗号化の方式を記載します。\n鍵の管理者は記載しません。"
SECOND_REVISION = "ご意見のとおり、暗号化の方式を記載します。\n鍵の管理者も第III-3項に記載します。"
KEYBOARD_RESPONSE = "次回の部会で運用主体を説明します。"
MAX_TABS = 80
APPROVER = "responses"  # the secretariat account that approves the responses and visits every page


@pytest.fixture(scope="module")
def story(live_server) -> dict:
    """A consultation in the responding phase, built with the domain functions and committed:

    item 1 (its own response, two revisions, approved, an inquiry answered publicly), items 2 and 3 (a
    same-purport group whose response is approved), item 4 (carried over, never answered), and a fourth
    submission left untriaged; all assigned to a department of their own; a meeting; the results published.
    """
    from sqlalchemy import select

    from comments import clock
    from comments.domain.accounts import create_user
    from comments.domain.audit import Actor
    from comments.domain.inquiries import record_answer, record_inquiry
    from comments.domain.meetings import create_meeting
    from comments.domain.paper import decide_late_submission
    from comments.domain.publication import prepare_results, publish_results
    from comments.domain.responses import add_template
    from comments.domain.triage import ItemDraft, add_item, assign_items, carry_over, group_items
    from comments.extensions import db
    from comments.models import (
        Consultation,
        ConsultationStatus,
        Department,
        ItemKind,
        ResponseCategory,
        Section,
        Submitter,
        User,
    )
    from comments.permissions import Role
    from tests.factories import make_submission, respond

    actor = Actor("test")
    run = uuid.uuid4().hex[:10]
    email, _password = ensure_staff_account(live_server.app, APPROVER)
    with live_server.app.app_context():
        clerk = db.session.execute(select(User).where(User.email == email)).scalar_one()
        today = clock.japan_today()
        department = Department(name=f"ブラウザ健康保険課-{run}")
        db.session.add(department)
        drafter = create_user(
            email=f"browser-drafter-{run}@example.jp",
            display_name="ブラウザ 起案者",
            password=DRAFTER_PASSWORD,
            roles={Role.department_staff},
            department=department,
            actor=actor,
        )
        now = datetime.now(UTC)
        consultation = Consultation(
            slug=f"responses-{run}",
            title=f"ブラウザ試験 回答の作成 {run}",
            affair="後期高齢者医療事務",
            department=department,
            status=ConsultationStatus.responding,
            opens_at=now - timedelta(days=40),
            closes_at=now - timedelta(days=5),
        )
        consultation.sections.append(Section(position=1, number="I-1", heading="基本情報", page=3, body="本文1"))
        consultation.sections.append(
            Section(position=2, number="III-3", heading="特定個人情報の使用", page=24, body="本文2")
        )
        db.session.add(consultation)
        db.session.flush()
        section_id = consultation.sections[1].id

        def submission(body: str, *, late: bool = False):
            person = Submitter(name="ブラウザ 花子", email="hanako-browser@example.jp", contact="千葉市中央区1-1")
            return make_submission(
                consultation, body=body, received_at=now - timedelta(days=3), submitter=person, late=late
            )

        first = submission(FIRST_OPINION)
        grouped = [submission(body) for body in GROUPED_OPINIONS]
        carried = submission(CARRIED_OVER_QUESTION)
        # Left untriaged for its triage page; it came late and was excluded, so the results can be published.
        untriaged = submission(UNTRIAGED, late=True)
        decide_late_submission(untriaged, included=False, reason="締切後の提出のため", decider=clerk, actor=actor)

        item = add_item(
            first,
            ItemDraft(0, len(FIRST_OPINION), ItemKind.opinion, "暗号化の方式と鍵の管理者を明記すべき", section_id),
            created_by=clerk,
            actor=actor,
        )
        members = [
            add_item(
                submission,
                ItemDraft(0, len(submission.body), ItemKind.request, f"アクセスログの確認（{number}）"),
                created_by=clerk,
                actor=actor,
            )
            for number, submission in enumerate(grouped, start=1)
        ]
        group = group_items(members, gist="アクセスログの定期的な確認を求める意見", created_by=clerk, actor=actor)
        question = add_item(
            carried,
            ItemDraft(0, len(CARRIED_OVER_QUESTION), ItemKind.question, "中間サーバーの運用主体を知りたい"),
            created_by=clerk,
            actor=actor,
        )
        assign_items([item, *members, question], department, due_on=today + timedelta(days=5), actor=actor)
        carry_over(question, reason="国の回答を待って次回の部会で説明する", actor=actor)

        # Item 1: two revisions by the department, then reviewed and approved by the secretariat.
        respond(item, author=drafter, until="drafting", body=FIRST_REVISION)
        respond(
            item,
            author=drafter,
            approver=clerk,
            body=SECOND_REVISION,
            category=ResponseCategory.reflected,
            change_made="第III-3項に暗号化の方式と鍵の管理者を追記",
        )
        respond(group, author=drafter, approver=clerk, body="アクセスログは月に一度確認し、その旨を記載します。")

        add_template(
            consultation,
            title="既に記載済み",
            body="ご指摘の点は評価書（案）に既に記載しています。",
            category=ResponseCategory.already_covered,
            actor=actor,
        )
        inquiry = record_inquiry(
            [item],
            body_name="総務省",
            question="暗号化の方式の記載の程度について伺います。",
            sent_on=today - timedelta(days=2),
            sent_how="電子メール",
            created_by=clerk,
            actor=actor,
        )
        record_answer(inquiry, answer="方式の名称まで記載すれば足ります。", answered_on=today, public=True, actor=actor)
        meeting_title = f"ブラウザ試験 第3回部会 {run}"
        meeting = create_meeting(meeting_title, today + timedelta(days=14), [consultation], actor=actor)
        consultation.status = ConsultationStatus.inspected  # the inspection is walked in test_run_consultation
        prepare_results(consultation, actor=actor)
        publish_results(consultation, confirmed=True, actor=actor)
        story = {
            "consultation_id": consultation.id,
            "slug": consultation.slug,
            "item_id": item.id,
            "group_item_id": members[0].id,
            "carried_item_id": question.id,
            "untriaged_submission_id": untriaged.id,
            "meeting_id": meeting.id,
            "meeting_title": meeting_title,
        }
        db.session.commit()
    return story


def _sign_in(page, live_server, name: str) -> None:
    """Sign in as the secretariat account ``name`` with its second factor.

    One account per test: a code is accepted once (replays are refused), and both tests may sign in
    within the same 30 seconds.
    """
    sign_in_staff(page, live_server.app, name)


def _visit(page, path: str) -> None:
    response = page.goto(path)
    assert response.status == 200, f"{path} answered {response.status}"


def test_response_pages_have_no_serious_violations(page, live_server, story):
    _sign_in(page, live_server, APPROVER)
    consultation = f"/staff/consultations/{story['consultation_id']}"

    _visit(page, f"{consultation}/items")
    expect(page.locator("main")).to_contain_text("暗号化の方式と鍵の管理者を明記すべき")
    assert_accessible(page, LANGUAGE)

    _visit(page, f"/staff/submissions/{story['untriaged_submission_id']}/triage")
    expect(page.locator("main")).to_contain_text("委託先の監督方法を教えてください。")
    assert_accessible(page, LANGUAGE)

    _visit(page, "/staff/queue")
    expect(page.locator("main")).to_contain_text("暗号化の方式と鍵の管理者を明記すべき")
    assert_accessible(page, LANGUAGE)

    _visit(page, f"/staff/items/{story['item_id']}/response?diff=1,2")
    expect(page.locator("#diff-title")).to_be_visible()
    # 新旧対照 by character: は→も and しません→します, with 第III-3項に inserted; the rest unmarked.
    expect(page.locator("#diff del").first).to_contain_text("は")
    expect(page.locator("#diff ins").first).to_contain_text("も")
    expect(page.locator("#diff")).to_contain_text("ご意見のとおり、暗号化の方式を記載します。")
    assert_accessible(page, LANGUAGE)

    _visit(page, f"/staff/items/{story['group_item_id']}/response")
    expect(page.locator("#group-gist")).to_have_text("アクセスログの定期的な確認を求める意見")
    assert_accessible(page, LANGUAGE)

    _visit(page, f"{consultation}/templates")
    expect(page.locator("main")).to_contain_text("既に記載済み")
    assert_accessible(page, LANGUAGE)

    _visit(page, f"{consultation}/inquiries")
    expect(page.locator("main")).to_contain_text("総務省")
    assert_accessible(page, LANGUAGE)

    _visit(page, f"{consultation}/progress")
    assert_accessible(page, LANGUAGE)

    _visit(page, "/staff/meetings")
    expect(page.locator("main")).to_contain_text(story["meeting_title"])
    assert_accessible(page, LANGUAGE)

    _visit(page, f"/staff/meetings/{story['meeting_id']}")
    assert_accessible(page, LANGUAGE)

    # The print page has a stylesheet of its own (static/print-packet.css) and no site header.
    _visit(page, f"/staff/meetings/{story['meeting_id']}/packet")
    expect(page.locator("link[rel=stylesheet]")).to_have_attribute("href", "/static/print-packet.css")
    expect(page.locator("main")).to_contain_text("方式の名称まで記載すれば足ります。")  # the public answer
    assert_accessible(page, LANGUAGE)

    _visit(page, f"{consultation}/results")
    assert_accessible(page, LANGUAGE)

    _visit(page, f"/consultations/{story['slug']}/results")
    main = page.locator("main")
    expect(main).to_contain_text("アクセスログは月に一度確認し、その旨を記載します。")
    expect(main).not_to_contain_text("ブラウザ 花子")  # never a submitter's name (R05)
    assert_accessible(page, LANGUAGE)


def _tab_to(page, locator) -> int:
    """Press Tab until ``locator`` has the focus; how many presses it took (fails after MAX_TABS)."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return presses
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached {locator}")


def test_keyboard_user_saves_a_response_revision(page, live_server, story):
    _sign_in(page, live_server, "responses-keyboard")
    _visit(page, f"/staff/items/{story['carried_item_id']}/response")
    expect(page.locator("#carried-over")).to_be_visible()
    form = page.locator("main form[action$='/response']")
    text_area = form.locator("textarea#body")
    save = form.locator("button[type=submit]")

    _tab_to(page, text_area)
    page.keyboard.insert_text(KEYBOARD_RESPONSE)
    _tab_to(page, save)  # on past the category and the change made
    with page.expect_navigation():
        page.keyboard.press("Enter")

    page.wait_for_url(f"**/staff/items/{story['carried_item_id']}/response")
    expect(page.locator("#response-body")).to_have_text(KEYBOARD_RESPONSE)
    rows = page.locator("section[aria-labelledby=revisions-title] table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("th")).to_have_text("1")
    assert_accessible(page, LANGUAGE)
