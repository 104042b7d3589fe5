"""On the whole demo of `flask seed-demo`, a newcomer clicks from a home page to a published result, an
inspection packet and a response awaiting approval, three clicks at most, and axe finds nothing on any page on
the way, in Japanese and in English."""

from __future__ import annotations

import pytest

from tests.browser.conftest import BROWSER_MARKS, TIMEOUT_MS, serve_live
from tests.browser.support import assert_accessible, open_live_page, sign_in_demo_account

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def whole_demo(tmp_path_factory):
    """A live server with everything `flask seed-demo` makes, and the demo accounts' secrets."""
    made = {}

    def seed(app):
        from comments.demo import seed_whole_demo
        from comments.domain.audit import Actor
        from comments.storage import blob_store

        demo = seed_whole_demo(blob_store(app), Actor("test"))
        made.update({account.email: account for account in demo.accounts})

    with serve_live(tmp_path_factory.mktemp("stages"), "stages", seed) as server:
        yield server, made


def _open(browser, server, language: str):
    return open_live_page(browser, server.url, language, TIMEOUT_MS)


_sign_in = sign_in_demo_account


def _click(page, href: str, language: str) -> None:
    """Click the link to ``href`` on the page (it must be there), then check the page reached."""
    page.locator(f'main a[href="{href}"]').first.click()
    page.wait_for_load_state()
    assert page.url.endswith(href), page.url
    assert_accessible(page, language)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_secretariat_clicks_from_home_to_each_stage(browser, whole_demo, language):
    from comments.demo.finished import FINISHED_SLUG
    from comments.demo.guide import awaiting_approval_item
    from comments.demo.stages import INSPECTED_SLUG, inspection_meeting_of
    from comments.extensions import db

    server, accounts = whole_demo
    with server.app.app_context():
        meeting_id = inspection_meeting_of(INSPECTED_SLUG).id
        item_id = awaiting_approval_item().id
        db.session.remove()
    context, page = _open(browser, server, language)
    try:
        _sign_in(page, accounts["jimukyoku@example.jp"])
        home = page.url
        assert home.endswith("/staff/")
        assert_accessible(page, language)
        for path in (
            [f"/consultations/{FINISHED_SLUG}/results"],
            ["/staff/meetings", f"/staff/meetings/{meeting_id}", f"/staff/meetings/{meeting_id}/packet"],
            ["/staff/queue?state=in_review", f"/staff/items/{item_id}/response"],
        ):
            page.goto(home)
            for href in path:
                _click(page, href, language)
    finally:
        context.close()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_public_clicks_from_home_to_the_published_results(browser, whole_demo, language):
    from comments.demo.finished import FINISHED_SLUG

    server, _accounts = whole_demo
    context, page = _open(browser, server, language)
    try:
        page.goto("/")
        assert_accessible(page, language)
        for href in (f"/consultations/{FINISHED_SLUG}", f"/consultations/{FINISHED_SLUG}/results"):
            _click(page, href, language)
    finally:
        context.close()
