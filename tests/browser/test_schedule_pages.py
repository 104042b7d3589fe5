"""The schedule's pages in headless Chromium, in Japanese and English, with axe and the keyboard: the
secretariat's schedule page (a step refused, then saved, by keyboard alone), the list of the steps past their
planned date, and the public page of the consultation with its public steps."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from comments.dates import calendar_day
from tests.browser.conftest import BROWSER_MARKS
from tests.browser.support import assert_accessible, sign_in_staff

pytestmark = BROWSER_MARKS

LANGUAGES = ["ja", "en"]
# The step each language's run edits, so that the two runs do not depend on each other's order.
EDITED_STEP = {"ja": "council_report", "en": "submission"}
SECRET_NOTE = "委員の日程を内々に調整中"


def _plan_demo_schedule(app, slug: str) -> int:
    """The demo consultation's schedule as the secretariat would have planned it; returns its id."""
    from sqlalchemy import select

    from comments.domain.audit import Actor
    from comments.domain.schedule import step_of, update_step
    from comments.extensions import db
    from comments.models import Consultation, StepKind, StepState

    with app.app_context():
        consultation = db.session.execute(select(Consultation).where(Consultation.slug == slug)).scalar_one()
        pre_inspection = step_of(consultation, StepKind.pre_inspection)
        if pre_inspection.planned_on is None:
            plans = {
                StepKind.pre_inspection: {
                    "planned_on": date(2015, 7, 8),
                    "done_on": date(2015, 7, 8),
                    "state": StepState.done,
                    "note": SECRET_NOTE,
                },
                StepKind.inspection: {"planned_on": date(2015, 8, 6)},
                StepKind.publication: {"planned_on": date(2015, 10, 30), "public": False},  # slipped, internal
            }
            for kind, values in plans.items():
                step = step_of(consultation, kind)
                current = {
                    "planned_on": None,
                    "done_on": None,
                    "state": step.state,
                    "public": True,
                    "note": "",
                    "meeting": None,
                }
                update_step(step, actor=Actor("test"), **{**current, **values})
            db.session.commit()
        return consultation.id


def _sign_in(page, live_server, account: str) -> None:
    """Sign in as the secretariat account ``account`` (one per test: a second-factor code works only once)."""
    sign_in_staff(page, live_server.app, f"schedule-{account}")


def _tab_to_submit(page, form) -> list[str]:
    """Press Tab from the form's first field until its submit button has the focus; the ids focused on the way
    (a date input takes several: Chromium moves through its year, month and day)."""
    seen = []
    for _ in range(24):
        if page.evaluate("document.activeElement.type") == "submit" and form.locator("button:focus").count():
            return seen
        seen.append(page.evaluate("document.activeElement.id"))
        page.keyboard.press("Tab")
    raise AssertionError(f"the submit button was never reached by Tab; focused: {seen}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_secretariat_edits_a_step_by_keyboard(new_page, live_server, demo_slug, language):
    consultation_id = _plan_demo_schedule(live_server.app, demo_slug)
    kind = EDITED_STEP[language]
    page = new_page(language)
    _sign_in(page, live_server, f"edit-{language}")
    page.goto(f"/staff/consultations/{consultation_id}")
    assert_accessible(page, language)
    expect(page.locator("#schedule-table")).to_be_visible()
    link = page.locator(f"a[href='/staff/consultations/{consultation_id}/schedule']").first
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_accessible(page, language)
    # The comment period moves with the consultation: no state to choose, a link to the action instead.
    expect(page.locator("#comment_period-state")).to_have_count(0)
    expect(page.locator("#step-comment_period a[href$='#close-title']")).to_be_visible()

    # Done without the day it was done: refused, with the error summary and the field marked.
    form = page.locator(f"#step-{kind} form")
    page.locator(f"#{kind}-state").focus()
    page.keyboard.press("End")  # the last state: done
    expect(page.locator(f"#{kind}-state")).to_have_value("done")
    page.locator(f"#{kind}-planned_on").focus()
    seen = _tab_to_submit(page, form)
    for field in ("planned_on", "done_on", "state", "meeting", "public", "note"):
        assert f"{kind}-{field}" in seen, seen
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator(f"a[href='#{kind}-done_on']")).to_be_visible()
    expect(page.locator(f"#{kind}-done_on")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, language)

    # The day entered, saved by keyboard: the table shows it.
    page.locator(f"#{kind}-done_on").fill("2015-08-27")
    page.locator(f"#step-{kind} button[type=submit]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("[role=status]")).to_be_visible()
    day = calendar_day(date(2015, 8, 27), locale=language)
    expect(page.locator(f"#schedule-table tr[data-step='{kind}']")).to_contain_text(day)
    assert_accessible(page, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_list_of_slipped_steps_leads_to_the_schedule(new_page, live_server, demo_slug, language):
    consultation_id = _plan_demo_schedule(live_server.app, demo_slug)
    page = new_page(language)
    _sign_in(page, live_server, f"slipped-{language}")
    page.locator("a[href='/staff/schedule/slipped']").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert_accessible(page, language)
    link = page.locator(f"#slipped-steps a[href$='/consultations/{consultation_id}/schedule#step-publication']")
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/schedule#step-publication$"))
    assert_accessible(page, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_public_page_shows_the_public_steps(new_page, live_server, demo_slug, language):
    _plan_demo_schedule(live_server.app, demo_slug)
    page = new_page(language)
    page.goto(f"/consultations/{demo_slug}")
    assert_accessible(page, language)
    table = page.locator("#schedule-table")
    expect(table.locator("tr[data-step='pre_inspection']")).to_contain_text(
        calendar_day(date(2015, 7, 8), locale=language)
    )
    expect(table.locator("tr[data-step='publication']")).to_have_count(0)  # kept internal
    expect(page.locator("main")).not_to_contain_text(SECRET_NOTE)
    # By keyboard: the first Tab reaches the skip link, which takes the focus to the page's content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
