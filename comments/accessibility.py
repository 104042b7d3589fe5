"""The accessibility test results (試験結果) the policy page links to, read from the file the browser tests write.

The browser tests (tests/browser) run axe-core on every page they reach and check parts of the pages by
keyboard; with ``ACCESSIBILITY_RESULTS_WRITE=1`` (``make accessibility-results``) they write what they
checked to ``accessibility_results.json`` beside this module. The file is committed, so the page needs
nothing but the file at run time.

JIS X 8341-3:2016 is identical to WCAG 2.0 (ISO/IEC 40500:2012): its 38 success criteria of levels A and AA
are listed below with the titles of the JIS text. axe-core tags each rule with the criteria it tests
(``wcag143`` is 1.4.3); a criterion no rule tests is shown as not covered, because passing automated checks
never shows that a criterion is met: a person must still judge, say, whether a text alternative says what
the image says.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_babel import lazy_gettext as _l

RESULTS_FILE = Path(__file__).with_name("accessibility_results.json")
RESULTS_FORMAT = 1


@dataclass(frozen=True)
class Criterion:
    number: str
    level: str
    ja: str
    en: str


# JIS X 8341-3:2016 (= WCAG 2.0), levels A and AA, with the titles of the JIS text and of WCAG 2.0.
CRITERIA = (
    Criterion("1.1.1", "A", "非テキストコンテンツ", "Non-text Content"),
    Criterion("1.2.1", "A", "音声だけ及び映像だけ（収録済み）", "Audio-only and Video-only (Prerecorded)"),
    Criterion("1.2.2", "A", "キャプション（収録済み）", "Captions (Prerecorded)"),
    Criterion(
        "1.2.3",
        "A",
        "音声解説又はメディアに対する代替コンテンツ（収録済み）",
        "Audio Description or Media Alternative (Prerecorded)",
    ),
    Criterion("1.2.4", "AA", "キャプション（ライブ）", "Captions (Live)"),
    Criterion("1.2.5", "AA", "音声解説（収録済み）", "Audio Description (Prerecorded)"),
    Criterion("1.3.1", "A", "情報及び関係性", "Info and Relationships"),
    Criterion("1.3.2", "A", "意味のある順序", "Meaningful Sequence"),
    Criterion("1.3.3", "A", "感覚的な特徴", "Sensory Characteristics"),
    Criterion("1.4.1", "A", "色の使用", "Use of Color"),
    Criterion("1.4.2", "A", "音声の制御", "Audio Control"),
    Criterion("1.4.3", "AA", "コントラスト（最低限レベル）", "Contrast (Minimum)"),
    Criterion("1.4.4", "AA", "テキストのサイズ変更", "Resize text"),
    Criterion("1.4.5", "AA", "文字画像", "Images of Text"),
    Criterion("2.1.1", "A", "キーボード", "Keyboard"),
    Criterion("2.1.2", "A", "キーボードトラップなし", "No Keyboard Trap"),
    Criterion("2.2.1", "A", "タイミング調整可能", "Timing Adjustable"),
    Criterion("2.2.2", "A", "一時停止、停止及び非表示", "Pause, Stop, Hide"),
    Criterion("2.3.1", "A", "3回のせん（閃）光、又はしきい（閾）値以下", "Three Flashes or Below Threshold"),
    Criterion("2.4.1", "A", "ブロックスキップ", "Bypass Blocks"),
    Criterion("2.4.2", "A", "ページタイトル", "Page Titled"),
    Criterion("2.4.3", "A", "フォーカス順序", "Focus Order"),
    Criterion("2.4.4", "A", "リンクの目的（コンテキスト内）", "Link Purpose (In Context)"),
    Criterion("2.4.5", "AA", "複数の手段", "Multiple Ways"),
    Criterion("2.4.6", "AA", "見出し及びラベル", "Headings and Labels"),
    Criterion("2.4.7", "AA", "フォーカスの可視化", "Focus Visible"),
    Criterion("3.1.1", "A", "ページの言語", "Language of Page"),
    Criterion("3.1.2", "AA", "一部分の言語", "Language of Parts"),
    Criterion("3.2.1", "A", "フォーカス時", "On Focus"),
    Criterion("3.2.2", "A", "入力時", "On Input"),
    Criterion("3.2.3", "AA", "一貫したナビゲーション", "Consistent Navigation"),
    Criterion("3.2.4", "AA", "一貫した識別性", "Consistent Identification"),
    Criterion("3.3.1", "A", "エラーの特定", "Error Identification"),
    Criterion("3.3.2", "A", "ラベル又は説明", "Labels or Instructions"),
    Criterion("3.3.3", "AA", "エラー修正の提案", "Error Suggestion"),
    Criterion("3.3.4", "AA", "エラー回避（法的，金融及びデータ）", "Error Prevention (Legal, Financial, Data)"),
    Criterion("4.1.1", "A", "構文解析", "Parsing"),
    Criterion("4.1.2", "A", "名前（name）・役割（role）及び値（value）", "Name, Role, Value"),
)
CRITERION_NUMBERS = frozenset(criterion.number for criterion in CRITERIA)

# The keyboard checks the browser tests make, by the name they record, and the criteria they bear on.
KEYBOARD_CHECKS = {
    "skip-link": (
        ("2.1.1", "2.4.1"),
        _l("The first Tab reaches the link to the main content, and Enter moves the focus there."),
    ),
    "keyboard-submit": (
        ("2.1.1",),
        _l("The form is sent from the keyboard alone (Enter on the focused send button)."),
    ),
}

# Who a page is for, by the blueprint that answers it.
AUDIENCES = {
    "public": _l("Pages for the public"),
    "auth": _l("Sign-in and account pages"),
    "committee": _l("Pages for committee members"),
    "staff": _l("Back-office pages for city staff"),
    "admin": _l("Administration pages"),
}
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}

# What the automated tests found for a criterion, worst first.
STATUS_LABELS = {
    "violations": _l("Problems found"),
    "needs_review": _l("To be checked by a person (the tool could not decide)"),
    "passed": _l("No problem found by the automated test"),
    "inapplicable": _l("Not applicable (no such content on the pages tested)"),
    "not_covered": _l("Not covered by the automated test"),
}

_CRITERION_TAG = re.compile(r"^wcag(\d)(\d)(\d+)$")


def criterion_of(tag: str) -> str | None:
    """The success criterion number an axe-core tag names (``wcag1410`` is 1.4.10), or None."""
    match = _CRITERION_TAG.match(tag)
    return ".".join(match.groups()) if match else None


@dataclass(frozen=True)
class CriterionResult:
    criterion: Criterion
    status: str
    rules: tuple[str, ...]
    keyboard: tuple[str, ...]

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


def criterion_results(results: dict) -> list[CriterionResult]:
    """For each criterion of JIS X 8341-3:2016 level AA, what the automated tests found.

    A criterion is "passed" when a keyboard check bears on it or at least one of its rules found content to
    check on some page, and none found a violation; "inapplicable" when its rules found nothing to check
    anywhere, "needs_review" when axe-core could not decide on some element, and "not_covered" when neither
    a rule nor a keyboard check tests it.
    """
    answers = []
    for criterion in CRITERIA:
        rules = {
            rule_id: rule
            for rule_id, rule in results["rules"].items()
            if criterion.number in {criterion_of(tag) for tag in rule["tags"]}
        }
        keyboard = tuple(name for name, (numbers, _text) in KEYBOARD_CHECKS.items() if criterion.number in numbers)
        if any(rule["violations"] for rule in rules.values()):
            status = "violations"
        elif any(rule["incomplete"] for rule in rules.values()):
            status = "needs_review"
        elif keyboard or any(rule["passed"] for rule in rules.values()):
            status = "passed"  # the keyboard checks passed, or the run would not have been recorded
        elif rules:
            status = "inapplicable"
        else:
            status = "not_covered"
        answers.append(CriterionResult(criterion, status, tuple(sorted(rules)), keyboard))
    return answers


def later_criteria(results: dict) -> list[str]:
    """The criteria of WCAG 2.1 and 2.2 (beyond JIS X 8341-3:2016) that some rule run also tests, in order."""
    numbers = {
        number
        for rule in results["rules"].values()
        for number in map(criterion_of, rule["tags"])
        if number and number not in CRITERION_NUMBERS
    }
    return sorted(numbers, key=lambda number: tuple(int(part) for part in number.split(".")))


@dataclass(frozen=True)
class Summary:
    pages: int
    checks: int
    violations: int
    languages: tuple[str, ...]
    viewports: tuple[str, ...]
    keyboard: dict[str, int]  # check name: how many kinds of page it was made on


def summarise(results: dict) -> Summary:
    """The totals the results page opens with."""
    pages = results["pages"]
    return Summary(
        pages=len(pages),
        checks=sum(page["checks"] for page in pages),
        violations=sum(page["violations"] for page in pages),
        languages=tuple(
            language for language in LANGUAGE_NAMES if any(language in page["languages"] for page in pages)
        ),
        viewports=tuple(sorted({viewport for page in pages for viewport in page["viewports"]})),
        keyboard={name: sum(name in page["keyboard"] for page in pages) for name in KEYBOARD_CHECKS},
    )


def load_results(path: Path = RESULTS_FILE) -> dict:
    """The committed results, with ``tested_on`` as a date; a file of another format is refused."""
    results = json.loads(path.read_text(encoding="utf-8"))
    if results.get("format") != RESULTS_FORMAT:
        raise ValueError(f"{path} is not in results format {RESULTS_FORMAT}")
    return {**results, "tested_on": date.fromisoformat(results["tested_on"])}
