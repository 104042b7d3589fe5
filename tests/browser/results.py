"""What the browser tests checked, kept for the accessibility results page (試験結果).

``assert_accessible`` and the keyboard checks report every page here; with ``ACCESSIBILITY_RESULTS_WRITE=1``
a run of the whole folder that passes writes the summary to ``comments/accessibility_results.json``
(``make accessibility-results``), which is committed and read by ``comments.accessibility``. Pages are
grouped by the route they answer (``/staff/meetings/<int:meeting_id>``) and the status they answered with,
so the file names the kinds of page tested, not the rows of one demo database.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map

from comments import clock
from comments.accessibility import RESULTS_FILE, RESULTS_FORMAT

WRITE_VARIABLE = "ACCESSIBILITY_RESULTS_WRITE"
# The HTTP status of the page shown, from the Navigation Timing entry (Chromium 109 and later).
STATUS_SCRIPT = "performance.getEntriesByType('navigation')[0]?.responseStatus || 0"


def writing_requested() -> bool:
    return os.environ.get(WRITE_VARIABLE) == "1"


@dataclass
class PageRecord:
    url: str
    endpoint: str
    status: int
    path: str
    titles: dict[str, str] = field(default_factory=dict)
    languages: set[str] = field(default_factory=set)
    viewports: set[str] = field(default_factory=set)
    checks: int = 0
    violations: int = 0
    rules_passed: set[str] = field(default_factory=set)
    rules_incomplete: set[str] = field(default_factory=set)
    keyboard: set[str] = field(default_factory=set)

    def as_json(self) -> dict:
        return {
            "url": self.url,
            "endpoint": self.endpoint,
            "status": self.status,
            "audience": self.endpoint.split(".", 1)[0] if "." in self.endpoint else "public",
            "path": self.path,
            "titles": dict(sorted(self.titles.items())),
            "languages": sorted(self.languages),
            "viewports": sorted(self.viewports),
            "checks": self.checks,
            "violations": self.violations,
            "rules_passed": sorted(self.rules_passed),
            "rules_incomplete": sorted(self.rules_incomplete),
            "keyboard": sorted(self.keyboard),
        }


class ResultsRecorder:
    """Collects every axe run and keyboard check of the session, by page kind."""

    def __init__(self) -> None:
        self.url_map: Map | None = None
        self.pages: dict[tuple[str, int], PageRecord] = {}
        self.rules: dict[str, dict] = {}
        self.tools: dict[str, str] = {}

    def _page(self, page) -> PageRecord:
        path = urlsplit(page.url).path
        status = int(page.evaluate(STATUS_SCRIPT))
        url, endpoint = path, ""
        if self.url_map is not None:
            adapter = self.url_map.bind("localhost")
            # A page shown at a form's address after it was sent (a 422) is answered by a POST-only route.
            for method in ("GET", "POST"):
                try:
                    rule, _arguments = adapter.match(path, method=method, return_rule=True)
                except HTTPException:
                    continue  # a path no route answers (the 404 page) stays recorded by its path
                url, endpoint = rule.rule, rule.endpoint
                break
        key = (url, status)
        if key not in self.pages:
            self.pages[key] = PageRecord(url=url, endpoint=endpoint, status=status, path=path)
        return self.pages[key]

    def record_axe(self, page, language: str, response: dict) -> None:
        record = self._page(page)
        record.titles.setdefault(language, page.title())
        record.languages.add(language)
        size = page.viewport_size
        record.viewports.add(f"{size['width']}x{size['height']}" if size else "window")
        record.checks += 1
        record.violations += len(response["violations"])
        record.rules_passed.update(rule["id"] for rule in response["passes"])
        record.rules_incomplete.update(rule["id"] for rule in response["incomplete"])
        for outcome in ("passes", "inapplicable", "incomplete", "violations"):
            for rule in response[outcome]:
                counts = self.rules.setdefault(
                    rule["id"],
                    {"tags": sorted(rule["tags"]), "passed": 0, "inapplicable": 0, "incomplete": 0, "violations": 0},
                )
                counts[{"passes": "passed"}.get(outcome, outcome)] += 1
        self.tools.setdefault("axe_core", response["testEngine"]["version"])
        self.tools.setdefault("browser", f"Chromium {page.context.browser.version}")
        self.tools.setdefault("playwright", version("playwright"))

    def record_keyboard(self, page, check: str) -> None:
        record = self._page(page)
        language = page.locator("html").get_attribute("lang") or ""
        record.titles.setdefault(language, page.title())
        record.languages.add(language)
        record.keyboard.add(check)

    def summary(self) -> dict:
        return {
            "format": RESULTS_FORMAT,
            "tested_on": clock.japan_today().isoformat(),
            "standard": "JIS X 8341-3:2016",
            "level": "AA",
            "tools": dict(sorted(self.tools.items())),
            "pages": [record.as_json() for _key, record in sorted(self.pages.items())],
            "rules": dict(sorted(self.rules.items())),
        }

    def write(self, path: Path = RESULTS_FILE) -> None:
        text = json.dumps(self.summary(), ensure_ascii=False, indent=1)
        path.write_text(text + "\n", encoding="utf-8")


RECORDER = ResultsRecorder()
