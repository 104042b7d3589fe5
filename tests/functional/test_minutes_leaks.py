"""No non-disclosed passage of the minutes ever reaches a public page or file (issue 14, point 3).

Minutes are drafted with withheld passages that hold distinctive strings and naughty strings
(tests/data/blns.json), circulated, commented on, revised, finalised and published; then every public page
is read, anonymously and in both languages, by following every link from / within the site, and every file
those pages offer (Word files' text read back, PDFs' text extracted); the published minutes' page and Word
file are visited too, whether or not a link led there. No withheld passage may appear in any of them, nor in
the search index, the staff's search, the meeting's packet (an export) or any mail in the outbox.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import docx
import lxml.html
import openpyxl
import pypdf
import pytest
from markupsafe import escape
from sqlalchemy import select

from comments import clock
from comments.domain.audit import Actor
from comments.domain.minutes import (
    circulate_minutes,
    comment_on_minutes,
    finalise_minutes,
    publish_minutes,
    save_minutes_version,
    start_minutes,
)
from comments.domain.minutes_text import MinutesMarkupError, parse
from comments.domain.search import index_pending_submissions, match_submission_ids, search_terms
from comments.extensions import db
from comments.models import Attendance, ConsultationStatus, OutboxMessage, SubmissionSearch
from comments.permissions import Role
from tests import factories
from tests.factories import make_consultation, make_meeting, make_submission, make_user
from tests.functional.auth_helpers import sign_in

BLNS = json.loads((Path(__file__).resolve().parents[1] / "data" / "blns.json").read_text(encoding="utf-8"))
ACTOR = Actor("test")
GROUNDS = ["7-1", "7-2", "7-3", "7-5", "7-6"]
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_PAGES = 2_000
# Naughty strings this long are distinctive enough that finding one on a page means it leaked (a short one,
# "1" or "null", is on many pages for other reasons).
DISTINCTIVE_CHARS = 16


@contextlib.contextmanager
def _in_request(app):
    """A request context whose database session is the test's (as a factory's is)."""
    token = factories.IN_FACTORY.set(True)
    try:
        with app.test_request_context():
            yield
    finally:
        factories.IN_FACTORY.reset(token)


def _naughty_passages() -> list[str]:
    """Naughty strings that may stand inside a withheld passage on one line (each is tried alone)."""
    passages = []
    for index, naughty in enumerate(BLNS):
        if not naughty.strip() or "\n" in naughty or "\r" in naughty:
            continue
        passage = f"秘匿{index:03d}号：{naughty}：終"
        try:
            parse(f"（委員Ａ）［非開示：7-2］{passage}［／非開示］", GROUNDS)
        except MinutesMarkupError:
            continue  # a string that looks like a marker is refused at saving; it can never be published
        passages.append(passage)
    return passages


NAUGHTY = _naughty_passages()
DISTINCT = [
    "金森太郎の携帯番号は090-1234-5678",
    "中間サーバーの鍵はHSM-Σ9の中",
    "個人番号123456789018",
    "株式会社ＸＹＺの見積額は金三百万円",
]


def _source(passages: list[str], revised: bool = False) -> str:
    lines = [
        "（多賀谷部会長）それでは、第3回特定個人情報保護評価部会を開催します。",
        "（金森市政情報室長）事務局から報告します。",
    ]
    for number, passage in enumerate(passages):
        ground = GROUNDS[number % len(GROUNDS)]
        lines.append(f"（委員Ａ）質問{number}です。［非開示：{ground}］{passage}［／非開示］以上です。")
    # A passage over two paragraphs of one turn.
    lines.append(f"（委員Ｂ）［非開示：7-5］{DISTINCT[0]}")
    lines.append(f"{DISTINCT[1]}［／非開示］と考えます。")
    if revised:
        lines.append("（多賀谷部会長）以上で閉会します。")
    return "\n".join(lines)


def _withheld_needles() -> list[str]:
    needles = list(DISTINCT)
    for passage in NAUGHTY:
        needles.append(passage.split("：", 1)[0] + "：")  # 秘匿NNN号： is unique to the passage
        naughty = passage.split("：", 1)[1].rsplit("：", 1)[0]
        if len(naughty) >= DISTINCTIVE_CHARS:
            needles.append(naughty)
    return needles


def _leaks(text: str, needles: list[str]) -> list[str]:
    found = []
    for needle in needles:
        # As typed, and as HTML escapes it (Jinja's markupsafe and the standard library differ on quotes).
        for form in {needle, str(escape(needle)), html.escape(needle), html.escape(needle, quote=False)}:
            if form in text:
                found.append(needle)
                break
    return found


def _file_text(response) -> str | None:
    content_type = response.headers.get("Content-Type", "")
    data = response.data
    if content_type.startswith(XLSX_TYPE):
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(
            str(value) for sheet in workbook for row in sheet.iter_rows(values_only=True) for value in row if value
        )
    if content_type.startswith(DOCX_TYPE) or data[:2] == b"PK":
        try:
            document = docx.Document(io.BytesIO(data))
        except Exception:  # not a Word file after all: read its bytes below
            return data.decode("utf-8", "replace")
        parts = [paragraph.text for paragraph in document.paragraphs]
        for table in document.tables:
            parts.extend(cell.text for row in table.rows for cell in row.cells)
        for section in document.sections:
            parts.extend(paragraph.text for paragraph in section.header.paragraphs)
            parts.extend(paragraph.text for paragraph in section.footer.paragraphs)
        return "\n".join(parts) + data.decode("utf-8", "replace")
    if content_type.startswith("application/pdf") or data[:5] == b"%PDF-":
        try:
            return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(data)).pages)
        except Exception:
            return data.decode("latin-1")
    if content_type.startswith(("image/", "application/octet-stream")):  # the favicon, an attachment's bytes
        return data.decode("utf-8", "replace")
    return None


def _links(base: str, page: str) -> list[str]:
    try:
        tree = lxml.html.fromstring(page)
    except (lxml.etree.ParserError, ValueError):
        return []
    found = []
    for element, attribute, link, _position in tree.iterlinks():
        if element.tag not in ("a", "area", "form", "iframe", "img", "link", "source", "embed", "object"):
            continue
        if element.tag == "form" and (element.get("method") or "get").lower() != "get":
            continue
        if attribute not in ("href", "src", "action", "data"):
            continue
        found.append(urljoin(base, link))
    return found


def _crawl(client, seeds: list[str]) -> dict[str, str]:
    """Every page and file reachable from ``seeds`` within the site, as text, by path."""
    seen: dict[str, str] = {}
    queue = list(seeds)
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or parts.scheme not in ("", "http", "https"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path in seen or parts.path.startswith("/language/"):
            continue
        response = client.get(path)
        if response.status_code in (301, 302, 303, 307, 308):
            seen[path] = ""
            queue.append(urljoin(f"http://localhost{path}", response.headers["Location"]))
            continue
        text = _file_text(response)
        if text is None:
            text = response.get_data(as_text=True)
            if "html" in response.headers.get("Content-Type", ""):
                queue.extend(_links(f"http://localhost{path}", text))
        seen[path] = text
    return seen


@pytest.fixture
def published(app):
    clerk = make_user(Role.secretariat)
    chair = make_user(Role.chair)
    member = make_user(Role.member)
    consultation = make_consultation(status=ConsultationStatus.open)
    make_submission(consultation, body="中間サーバーについての意見です。")
    meeting = make_meeting(consultation, title="第3回 特定個人情報保護評価部会")
    db.session.add_all(
        [
            Attendance(meeting_id=meeting.id, user_id=chair.id, present=True),
            Attendance(meeting_id=meeting.id, user_id=member.id, present=True),
        ]
    )
    db.session.flush()
    passages = NAUGHTY + DISTINCT[2:]
    with _in_request(app):
        minutes = start_minutes(meeting, _source(passages), note="初稿", by=clerk, actor=ACTOR)
        circulate_minutes(minutes, clock.japan_today() + timedelta(days=7), link="/committee/minutes", actor=ACTOR)
        comment_on_minutes(minutes, member, f"「{DISTINCT[2]}」の部分は非開示で良いか。", actor=ACTOR)
        save_minutes_version(minutes, _source(passages, revised=True), note="閉会の発言を追加", by=clerk, actor=ACTOR)
        finalise_minutes(minutes, chair, actor=ACTOR)
        publish_minutes(minutes, actor=ACTOR)
    return {"meeting": meeting, "consultation": consultation, "clerk": clerk}


def test_the_naughty_strings_are_many_and_withheld():
    assert len(NAUGHTY) > 300  # the list still exercises the markup with most of blns.json


def test_no_withheld_passage_on_any_public_page_or_file(client, published):
    meeting = published["meeting"]
    needles = _withheld_needles()
    pages: dict[str, str] = {}
    reached_by_links = set()
    for language in ("ja", "en"):
        client.get(f"/language/{language}?next=/")
        crawled = _crawl(client, ["/"])
        reached_by_links.update(crawled)
        crawled.update(_crawl(client, [f"/meetings/{meeting.id}/minutes", f"/meetings/{meeting.id}/minutes.docx"]))
        for path, text in crawled.items():
            pages[f"{language}:{path}"] = text

    public_page = pages[f"ja:/meetings/{meeting.id}/minutes"]
    assert "〔非開示：第7条第2号（個人に関する情報）〕" in public_page  # the markers are there ...
    assert "以上で閉会します" in public_page  # ... and the final version's text
    assert "〔非開示：第7条第5号（審議・検討等に関する情報）〕" in pages[f"en:/meetings/{meeting.id}/minutes.docx"]
    assert len(pages) > 10
    leaks = {path: _leaks(text, needles) for path, text in pages.items()}
    assert {path: found for path, found in leaks.items() if found} == {}
    # The minutes are reachable from the home page by links, through the public meeting page.
    assert f"/meetings/{meeting.id}/minutes" in reached_by_links


def test_no_withheld_passage_in_the_search_index_the_packet_or_any_mail(client, published):
    index_pending_submissions()
    needles = _withheld_needles()
    terms = " ".join(db.session.scalars(select(SubmissionSearch.terms)))
    for needle in DISTINCT:
        assert search_terms(needle) not in terms
        assert db.session.execute(match_submission_ids(needle)).all() == []
    mails = "\n".join(f"{m.subject}\n{m.body_text}" for m in db.session.scalars(select(OutboxMessage)))
    assert mails  # the circulation notified the members
    assert _leaks(mails, needles) == []

    sign_in(client, published["clerk"])
    meeting = published["meeting"]
    # The check finds what it looks for: the committee's copy, for staff, holds every passage.
    committee_copy = client.get(f"/staff/meetings/{meeting.id}/minutes").get_data(as_text=True)
    assert sorted(_leaks(committee_copy, needles)) == sorted(needles)
    for path in (
        f"/staff/meetings/{meeting.id}/packet",
        f"/staff/meetings/{meeting.id}/packet.docx",
        f"/staff/meetings/{meeting.id}/packet.csv",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        text = _file_text(response) or response.get_data(as_text=True)
        assert _leaks(text, needles) == [], path
