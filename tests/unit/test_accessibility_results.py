"""The committed accessibility results file (comments/accessibility_results.json) is well-formed, comes from a
run that found no violation, and lists every page the browser tests must check; and the results page's reading
of it (comments/accessibility.py) maps axe-core's tags to the right success criteria.

The file is rewritten by ``make accessibility-results``; a partial run (one test file, say) would leave pages
out, and the check against tests/browser/pages.py fails until the whole folder is run again.
"""

from __future__ import annotations

import re
import tempfile

import jsonschema
import pytest

from comments import create_app
from comments.accessibility import (
    CRITERIA,
    KEYBOARD_CHECKS,
    RESULTS_FILE,
    criterion_of,
    criterion_results,
    later_criteria,
    load_results,
)
from comments.demo.seed import DEMO_SLUG
from config import TestingConfig
from tests.browser.pages import MUST_REACH, STATIC_PAGES

COUNT = {"type": "integer", "minimum": 0}
NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True}
SCHEMA = {
    "type": "object",
    "required": ["format", "tested_on", "standard", "level", "tools", "pages", "rules"],
    "additionalProperties": False,
    "properties": {
        "format": {"const": 1},
        "tested_on": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "standard": {"const": "JIS X 8341-3:2016"},
        "level": {"const": "AA"},
        "tools": {
            "type": "object",
            "required": ["axe_core", "browser", "playwright"],
            "properties": {
                "axe_core": {"type": "string", "pattern": r"^\d+\.\d+"},
                "browser": {"type": "string", "pattern": r"^Chromium \d+\."},
                "playwright": {"type": "string", "pattern": r"^\d+\.\d+"},
            },
        },
        "pages": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "url",
                    "endpoint",
                    "status",
                    "audience",
                    "path",
                    "titles",
                    "languages",
                    "viewports",
                    "checks",
                    "violations",
                    "rules_passed",
                    "rules_incomplete",
                    "keyboard",
                ],
                "properties": {
                    "url": {"type": "string", "pattern": "^/"},
                    "endpoint": {"type": "string"},
                    "status": {"type": "integer", "minimum": 200, "maximum": 599},
                    "audience": {"enum": ["public", "auth", "committee", "staff", "admin"]},
                    "path": {"type": "string", "pattern": "^/"},
                    "titles": {
                        "type": "object",
                        "minProperties": 1,
                        "propertyNames": {"enum": ["ja", "en"]},
                        "additionalProperties": {"type": "string", "minLength": 1},
                    },
                    "languages": {**NAMES, "items": {"enum": ["ja", "en"]}, "minItems": 1},
                    "viewports": {**NAMES, "items": {"type": "string", "pattern": r"^\d+x\d+$"}},
                    "checks": COUNT,
                    "violations": COUNT,
                    "rules_passed": NAMES,
                    "rules_incomplete": NAMES,
                    "keyboard": {**NAMES, "items": {"enum": list(KEYBOARD_CHECKS)}},
                },
            },
        },
        "rules": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["tags", "passed", "inapplicable", "incomplete", "violations"],
                "properties": {
                    "tags": NAMES,
                    "passed": COUNT,
                    "inapplicable": COUNT,
                    "incomplete": COUNT,
                    "violations": COUNT,
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def committed() -> dict:
    return load_results(RESULTS_FILE)


def test_the_committed_file_is_well_formed(committed):
    raw = {**committed, "tested_on": committed["tested_on"].isoformat()}
    jsonschema.validate(raw, SCHEMA)
    keys = [(page["url"], page["status"]) for page in committed["pages"]]
    assert len(keys) == len(set(keys)), "a page kind is listed twice"
    ran = set(committed["rules"])
    for page in committed["pages"]:
        assert set(page["rules_passed"]) | set(page["rules_incomplete"]) <= ran, page["url"]


def test_the_committed_run_found_no_violation_and_checked_every_page_with_axe(committed):
    assert [page["url"] for page in committed["pages"] if page["violations"]] == []
    assert [rule for rule, counts in committed["rules"].items() if counts["violations"]] == []
    assert [page["url"] for page in committed["pages"] if page["checks"] == 0] == []


def test_the_committed_file_lists_every_page_the_crawl_must_reach(committed):
    paths = [page["path"] for page in committed["pages"]]
    missing = {
        who: [pattern for pattern in patterns if not any(re.match(pattern, path) for path in paths)]
        for who, patterns in MUST_REACH.items()
    }
    assert {who: patterns for who, patterns in missing.items() if patterns} == {}


def test_the_committed_file_lists_every_page_opened_by_url(committed):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", INSTANCE_PATH=tempfile.mkdtemp())
    adapter = app.url_map.bind("localhost")
    listed = {(page["url"], page["status"]) for page in committed["pages"]}
    for name, path in STATIC_PAGES.items():
        rule, _arguments = adapter.match(path.format(slug=DEMO_SLUG), return_rule=True)
        assert (rule.rule, 404 if name == "not-found" else 200) in listed, name
    assert any("skip-link" in page["keyboard"] for page in committed["pages"])
    assert any("keyboard-submit" in page["keyboard"] for page in committed["pages"])


def test_tags_name_success_criteria():
    assert criterion_of("wcag111") == "1.1.1"
    assert criterion_of("wcag1410") == "1.4.10"
    assert criterion_of("wcag2aa") is None
    assert criterion_of("best-practice") is None
    assert len(CRITERIA) == 38  # JIS X 8341-3:2016 = WCAG 2.0: 25 at level A, 13 at AA
    assert sum(criterion.level == "A" for criterion in CRITERIA) == 25


def rule(tags: list[str], **counts) -> dict:
    return {"tags": tags, **{"passed": 0, "inapplicable": 0, "incomplete": 0, "violations": 0, **counts}}


def test_each_criterion_shows_what_its_rules_found():
    results = {
        "rules": {
            "image-alt": rule(["wcag2a", "wcag111"], inapplicable=4),
            "color-contrast": rule(["wcag2aa", "wcag143"], passed=3, incomplete=1),
            "document-title": rule(["wcag2a", "wcag242"], passed=4),
            "html-has-lang": rule(["wcag2a", "wcag311"], passed=3, violations=1),
            "target-size": rule(["wcag22aa", "wcag258"], passed=4),
            "region": rule(["best-practice"], passed=4),
        }
    }
    found = {result.criterion.number: result for result in criterion_results(results)}
    assert found["1.1.1"].status == "inapplicable"
    assert found["1.4.3"].status == "needs_review"
    assert found["2.4.2"].status == "passed"
    assert found["2.4.2"].rules == ("document-title",)
    assert found["3.1.1"].status == "violations"
    assert found["3.3.4"].status == "not_covered"
    assert found["2.4.1"].keyboard == ("skip-link",)
    assert later_criteria(results) == ["2.5.8"]
