"""The committee's opinions and the report to the council in headless Chromium, in Japanese and English, with
axe and the keyboard: the secretariat records an opinion on the meeting's page, answers one, is refused a
carry without a meeting, closes a carried one at the later meeting and edits the report; the chair approves
the report in the portal; a member reads the opinions on the portal's meeting page. Every form is sent by
keyboard alone (focus the button, Enter), and the first Tab of every new page reaches the skip link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BROWSER_MARKS
from tests.browser.support import assert_accessible, sign_in_staff

pytestmark = BROWSER_MARKS

LANGUAGES = ["ja", "en"]
PASSWORD = "browser-opinion-report-passphrase"
CARRIED = "アクセスログを定期的に監視する仕組みを示されたい。"
OPEN = "成りすましによる照会に対してのリスク対策を記載されたい。"


def _seed(app, language: str) -> dict:
    """An inspected consultation, its inspection meeting with an open opinion and one carried to the next
    meeting, a drafted report, and a chair and a member (one set per language)."""
    from sqlalchemy import select

    from comments import clock
    from comments.domain.accounts import create_user
    from comments.domain.audit import Actor
    from comments.domain.council_report import draft_report
    from comments.domain.opinions import carry_opinion, record_opinion
    from comments.extensions import db
    from comments.models import Consultation, ConsultationStatus, Meeting, User
    from comments.permissions import Role
    from tests.factories import make_consultation

    actor = Actor("test")
    title = f"ブラウザ点検 全項目評価書 {language}"
    with app.app_context():
        accounts = {}
        for role in (Role.chair, Role.member):
            email = f"browser-opinions-{role.value}-{language}@example.jp"
            if db.session.execute(select(User.id).where(User.email == email)).first() is None:
                create_user(
                    email=email, display_name=f"ブラウザ {role.value}", password=PASSWORD, roles={role}, actor=actor
                )
            accounts[role.value] = email
        consultation = db.session.execute(select(Consultation).where(Consultation.title == title)).scalar_one_or_none()
        if consultation is None:
            consultation = make_consultation(
                title=title,
                status=ConsultationStatus.inspected,
                opens_at=clock.now() - timedelta(days=60),
                closes_at=clock.now() - timedelta(days=30),
            )
            today = clock.japan_today()
            inspection = Meeting(title=f"第4回 部会（ブラウザ {language}）", held_on=today - timedelta(days=10))
            later = Meeting(title=f"第5回 部会（ブラウザ {language}）", held_on=today + timedelta(days=5))
            inspection.consultations.append(consultation)
            later.consultations.append(consultation)
            db.session.add_all([inspection, later])
            db.session.flush()
            consultation.inspection_meeting_id = inspection.id
            record_opinion(inspection, consultation, OPEN, actor=actor)
            carried = record_opinion(inspection, consultation, CARRIED, actor=actor)
            carry_opinion(carried, later, actor=actor)
            draft_report(consultation, actor, organisation=app.config["ORGANISATION_NAME"])
            db.session.commit()
        inspection = db.session.execute(
            select(Meeting).where(Meeting.title == f"第4回 部会（ブラウザ {language}）")
        ).scalar_one()
        later = db.session.execute(
            select(Meeting).where(Meeting.title == f"第5回 部会（ブラウザ {language}）")
        ).scalar_one()
        from comments.models import CommitteeOpinion

        opinions = {
            opinion.body: opinion.id
            for opinion in db.session.scalars(
                select(CommitteeOpinion).where(CommitteeOpinion.meeting_id == inspection.id)
            )
        }
        return {
            "consultation": consultation.id,
            "inspection": inspection.id,
            "later": later.id,
            "open": opinions[OPEN],
            "carried": opinions[CARRIED],
            **accounts,
        }


def _first_tab_reaches_the_skip_link(page) -> None:
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"


def _send(page, form_selector: str) -> None:
    """Focus the form's submit button and press Enter, as a keyboard user does."""
    button = page.locator(f"{form_selector} button[type=submit]")
    button.focus()
    assert page.evaluate("document.activeElement.type") == "submit"
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _check(page, language: str) -> None:
    """axe, and the skip link first on Tab: for a page just opened (a page answering a form may move the focus
    to the fragment it names, from where Tab rightly goes on)."""
    assert_accessible(page, language)
    _first_tab_reaches_the_skip_link(page)


def _sign_in_staff(page, app, language: str) -> None:
    sign_in_staff(page, app, f"opinions-{language}")


def _sign_in_portal(page, email: str) -> None:
    page.goto("/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    page.goto("/committee/")
    expect(page.locator("h1")).to_be_visible()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_secretariat_pages_for_opinions_and_the_report(new_page, live_server, language):
    ids = _seed(live_server.app, language)
    page = new_page(language)
    _sign_in_staff(page, live_server.app, language)

    # The inspection meeting's page: the opinions, and a new one recorded by keyboard.
    page.goto(f"/staff/meetings/{ids['inspection']}")
    expect(page.locator("#opinions-title")).to_be_visible()
    _check(page, language)
    page.select_option("#consultation_id", str(ids["consultation"]))
    page.locator("#body").fill("委託先の監督方法を明記されたい。")
    _send(page, "form[action$='/opinions']")
    expect(page.locator("#opinions")).to_contain_text("委託先の監督方法を明記されたい。")
    assert_accessible(page, language)
    page.goto(f"/staff/meetings/{ids['inspection']}/opinions")
    _check(page, language)

    # One opinion's page: a carry refused without a meeting (the error summary), then answered by keyboard.
    page.goto(f"/staff/opinions/{ids['open']}")
    _check(page, language)
    _send(page, "form[action$='/carry']")
    expect(page.locator("#error-summary")).to_be_visible()
    assert_accessible(page, language)
    page.locator(f"#answer-{ids['open']}-answer").fill("本人確認の手順を評価書に追記しました。")
    _send(page, "form[action$='/answer']")
    expect(page.locator("#opinion-state")).not_to_be_empty()
    assert_accessible(page, language)

    # The later meeting: the carried opinion, closed there by keyboard.
    page.goto(f"/staff/meetings/{ids['later']}")
    expect(page.locator("#carried-in")).to_contain_text(CARRIED)
    _check(page, language)
    page.locator(f"#close-{ids['carried']}-answer").fill("月次で確認する仕組みとしました。")
    _send(page, f"form[action$='/opinions/{ids['carried']}/close']")
    expect(page.locator("#carried-in")).to_contain_text("月次で確認する仕組みとしました。")
    assert_accessible(page, language)

    # The report, reached from the consultation's page by its link, edited by keyboard.
    page.goto(f"/staff/consultations/{ids['consultation']}")
    page.click(f"a[href='/staff/consultations/{ids['consultation']}/council-report']")
    page.wait_for_url(f"**/staff/consultations/{ids['consultation']}/council-report")
    _check(page, language)
    title = page.locator("#title").input_value()
    page.locator("#title").fill("")
    _send(page, "form[action$='/council-report']")
    expect(page.locator("#error-summary")).to_be_visible()
    expect(page.locator("#title")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, language)
    page.locator("#title").fill(title)
    page.locator("#dated_on").fill("2015-08-27")
    _send(page, "form[action$='/council-report']")
    expect(page.locator("#report-state")).to_be_visible()
    assert_accessible(page, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_chair_approves_and_a_member_reads_in_the_portal(new_page, live_server, language):
    ids = _seed(live_server.app, language)
    member = new_page(language)
    _sign_in_portal(member, ids["member"])
    member.goto(f"/committee/meetings/{ids['inspection']}")
    expect(member.locator("#opinions")).to_contain_text(CARRIED)
    _check(member, language)
    member.goto(f"/committee/consultations/{ids['consultation']}/council-report")
    expect(member.locator("#read-only-note")).to_be_visible()
    _check(member, language)

    chair = new_page(language)
    _sign_in_portal(chair, ids["chair"])
    chair.click(f"a[href='/committee/consultations/{ids['consultation']}/council-report']")
    chair.wait_for_url(f"**/committee/consultations/{ids['consultation']}/council-report")
    _check(chair, language)
    _send(chair, "form[action$='/approve']")
    expect(chair.locator("form[action$='/approve']")).to_have_count(0)
    assert_accessible(chair, language)
