"""Every page as its users reach it: on the full demo (the open consultation and the finished one with its
meetings, papers, minutes, opinions and report), the public and each demo account follow links from where they
start, in Japanese and English, and every page they reach answers without error and has no axe violation of
any impact. The pages each of them needs (tests/browser/pages.py) must be among those reached by links, not
only by URL.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser.conftest import BROWSER_MARKS, CHROMIUM_ARGS, TIMEOUT_MS, serve_live  # noqa: F401
from tests.browser.pages import MUST_REACH, WHO
from tests.browser.support import assert_accessible, open_live_page, sign_in_demo_account

pytestmark = BROWSER_MARKS

# Files, actions and the language switch (the test keeps one language) are not pages to crawl.
SKIP = re.compile(r"\.(docx|pdf|csv|xlsx|txt|zip|ico)$|/download|/files/|/materials/|/attachments/|/logout|^/language/")
MAX_PAGES = 400


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory):
    """A live server with the whole demo, and the demo accounts' secrets."""
    accounts = {}

    def seed(app):
        from comments.demo.accounts import seed_demo_accounts
        from comments.demo.finished import seed_finished_demo
        from comments.demo.seed import seed_demo
        from comments.domain.audit import Actor
        from comments.storage import blob_store

        seed_demo(blob_store(app), Actor("test"))
        accounts.update({account.email: account for account in seed_demo_accounts(Actor("test"))})
        seed_finished_demo(blob_store(app), Actor("test"))

    with serve_live(tmp_path_factory.mktemp("cycle"), "cycle", seed) as server:
        yield server, accounts


def _open(browser, server, language: str):
    return open_live_page(browser, server.url, language, TIMEOUT_MS)


_sign_in = sign_in_demo_account


def _crawl(page, context, server, start: str, language: str) -> set[str]:
    """Follow same-site links breadth first from ``start``; axe on every cycle page. Returns the paths seen."""
    seen: set[str] = set()
    queue = deque([start])
    while queue and len(seen) < MAX_PAGES:
        target = queue.popleft()
        path = urlsplit(target).path
        if target in seen or SKIP.search(path):
            continue
        seen.add(target)
        answer = context.request.get(target)
        assert answer.status < 400, f"{target} answered {answer.status} ({language})"
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        page.goto(target)
        assert_accessible(page, language)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            absolute = urljoin(server.url + target, href)
            parts = urlsplit(absolute)
            # Filters, sorting and paging (query strings) lead to the same pages again: one visit each.
            if parts.netloc != urlsplit(server.url).netloc or parts.path.startswith("/static/") or parts.query:
                continue
            queue.append(parts.path)
    return {urlsplit(target).path for target in seen}


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("who", WHO)
def test_every_page_is_reached_by_links_and_passes_axe(browser, full_demo, who, language):
    server, accounts = full_demo
    context, page = _open(browser, server, language)
    try:
        start = "/"
        if who != "public":
            _sign_in(page, accounts[who])
            start = urlsplit(page.url).path  # where signing in lands this account
        reached = _crawl(page, context, server, start, language)
    finally:
        context.close()
    missing = [pattern for pattern in MUST_REACH[who] if not any(re.match(pattern, path) for path in reached)]
    assert not missing, f"{who} reaches no page like {missing} by links from {start} ({language})"
