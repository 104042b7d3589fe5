"""Screens for daily work through HTTP: hit counts on the inbox, the item list and the queue; members land on
the portal; a member's question shows where it stands as the work moves; the 新旧対照 of response revisions
character by character; the site's icon. On SQLite and PostgreSQL alike."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from comments import clock
from comments.blueprints.staff import inbox as inbox_views
from comments.domain.audit import Actor
from comments.domain.inbox import InboxFilters, count_inbox
from comments.domain.paper import decide_late_submission
from comments.domain.responses import approve, response_for, save_draft, submit_for_review
from comments.domain.triage import ItemDraft, add_item, carry_over
from comments.extensions import db
from comments.models import Channel, ConsultationStatus, ItemKind, ResponseCategory, SubmitterKind
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import assign, make_consultation, make_items, make_submission, make_user
from tests.functional.auth_helpers import sign_in

ACTOR = Actor("test")


@pytest.fixture
def clerk(client):
    """A signed-in secretariat, the pages in English."""
    client.set_cookie("lang", "en")
    user = make_user(Role.secretariat)
    assert sign_in(client, user).status_code == 303
    return user


def page_of(client, url: str, **params) -> str:
    response = client.get(url, query_string=params) if params else client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def hit_count(html: str, element_id: str) -> str:
    match = re.search(rf'<p class="hit-count" id="{element_id}">([^<]*)</p>', html)
    assert match, f"no hit count #{element_id} on the page"
    return match.group(1).strip()


# --- Hit counts -----------------------------------------------------------------------------------------


def test_the_inbox_says_how_many_submissions_match_beyond_its_first_page(client, clerk):
    consultation = make_consultation()
    now = datetime.now(UTC)
    for number in range(53):
        body = "駐車場の暗号化について意見です。" if number % 2 else "委託先の監督について意見です。"
        channel = Channel.post if number % 3 == 0 else Channel.web
        make_submission(consultation, body=body, channel=channel, received_at=now - timedelta(minutes=number))
    make_submission(make_consultation(), body="駐車場の暗号化について意見です。")  # another consultation's
    url = f"/staff/consultations/{consultation.id}/inbox"

    page = page_of(client, url)
    assert hit_count(page, "inbox-count") == "53 matches"
    assert len(re.findall(r'<td class="receipt">', page)) == 50  # the page holds 50; the count is of all
    assert hit_count(page_of(client, url, channel="post"), "inbox-count") == "18 matches"

    token = csrf_token_from(page)
    searched = client.post(url, data={"csrf_token": token, "q": "暗号"})
    assert hit_count(page_of(client, searched.headers["Location"]), "inbox-count") == "26 matches"
    searched = client.post(url, data={"csrf_token": token, "q": "暗号", "channel": "post"})
    assert hit_count(page_of(client, searched.headers["Location"]), "inbox-count") == "9 matches"
    searched = client.post(url, data={"csrf_token": token, "q": "見つからない語句"})
    assert hit_count(page_of(client, searched.headers["Location"]), "inbox-count") == "0 matches"


def test_the_inbox_count_stops_at_its_limit_and_says_more_than(client, clerk, monkeypatch):
    consultation = make_consultation()
    for _number in range(4):
        make_submission(consultation, body="暗号化の方式について。")
    assert count_inbox(db.session, consultation, InboxFilters(), limit=2) == 3  # one past the limit, no more
    assert count_inbox(db.session, consultation, InboxFilters(query="暗号化"), limit=10) == 4
    assert count_inbox(db.session, consultation, InboxFilters(query="暗号化", late=True), limit=10) == 0
    monkeypatch.setattr(inbox_views, "COUNT_LIMIT", 2)
    page = page_of(client, f"/staff/consultations/{consultation.id}/inbox")
    assert hit_count(page, "inbox-count") == "More than 2 matches"


def test_a_search_count_past_the_walk_of_the_newest_rows_is_still_exact(client, clerk, monkeypatch):
    """On PostgreSQL a search is counted first in the newest search rows, then in more of them when their
    rate of matches promises more than the limit, else by the index. The count is the same on both databases."""
    from comments.domain import inbox as inbox_domain

    monkeypatch.setattr(inbox_domain, "SEARCH_WALK_ROWS", 2)
    monkeypatch.setattr(inbox_domain, "SEARCH_WALK_MAX_ROWS", 5)
    consultation = make_consultation()
    now = datetime.now(UTC)
    for number in range(6):
        body = "暗号化の方式について。" if number >= 4 else "委託先の監督について。"  # the two oldest match
        make_submission(consultation, body=body, received_at=now - timedelta(hours=number))
    assert count_inbox(db.session, consultation, InboxFilters(query="暗号化"), limit=10) == 2  # none of the newest
    assert count_inbox(db.session, consultation, InboxFilters(query="監督"), limit=10) == 4  # too few to walk on
    assert count_inbox(db.session, consultation, InboxFilters(query="監督"), limit=3) == 4  # the longer walk: > 3
    assert count_inbox(db.session, consultation, InboxFilters(query="監督"), limit=1) == 2  # the first walk: > 1


def test_the_item_list_and_the_queue_say_how_many_items_they_show(client, clerk):
    consultation = make_consultation(status=ConsultationStatus.responding)
    items = make_items(consultation, clerk, "一つ目の意見", "二つ目の意見", "三つ目の意見")
    department = make_user(Role.department_staff).department
    assign(items[:2], department)
    url = f"/staff/consultations/{consultation.id}/items"

    assert hit_count(page_of(client, url), "item-count") == "3 of 3 match"
    assert hit_count(page_of(client, url, department="none"), "item-count") == "1 of 3 matches"
    queue = page_of(client, "/staff/queue", department_id=str(department.id))
    assert hit_count(queue, "queue-count") == "2 matches"


# --- Members land on the portal -------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.member, Role.chair, Role.observer])
def test_the_committee_lands_on_the_portal_after_signing_in(client, role):
    response = sign_in(client, make_user(role))
    assert response.status_code == 303
    assert response.headers["Location"] == "/committee/"
    assert client.get("/committee/").status_code == 200


def test_staff_still_land_on_the_back_office(client):
    assert sign_in(client, make_user(Role.secretariat)).headers["Location"] == "/staff/"


# --- A member's question follows the work ----------------------------------------------------------------


def _question(consultation, member, body: str, *, late: bool = False):
    return make_submission(consultation, body=body, member_id=member.id, late=late, submitter_kind=SubmitterKind.member)


def _status(client, submission) -> str:
    page = page_of(client, f"/committee/questions/{submission.id}")
    match = re.search(r'<dd id="question-status">(.*?)</dd>', page, re.DOTALL)
    assert match
    return " ".join(match.group(1).split())


def _answer(target, *, drafter, approver, body: str):
    response = response_for(target)
    save_draft(response, body=body, category=ResponseCategory.answered, change_made="", author=drafter, actor=ACTOR)
    submit_for_review(response, actor=ACTOR)
    approve(response, approver=approver, reauthenticated_at=clock.now(), actor=ACTOR)
    return response


RECEIVED = "Received; the city's answer will appear here once approved"


def test_a_members_question_shows_its_real_status_as_the_answers_come(client):
    consultation = make_consultation(status=ConsultationStatus.responding)
    member = make_user(Role.member)
    clerk, drafter = make_user(Role.secretariat), make_user(Role.department_staff)
    client.set_cookie("lang", "en")
    sign_in(client, member)
    body = "（１）鍵は誰が管理しますか。（２）保存期間は何年ですか。"
    question = _question(consultation, member, body)
    assert _status(client, question) == RECEIVED

    first = add_item(question, ItemDraft(0, 14, ItemKind.question, "鍵の管理者"), created_by=clerk, actor=ACTOR)
    second = add_item(question, ItemDraft(14, len(body), ItemKind.question, "保存期間"), created_by=clerk, actor=ACTOR)
    assert _status(client, question) == "Being answered: 0 of 2 points answered so far"

    _answer(first, drafter=drafter, approver=clerk, body="情報政策課が管理します。")
    assert _status(client, question) == "Being answered: 1 of 2 points answered so far"
    carry_over(second, reason="国の回答を待つため", actor=ACTOR)
    assert _status(client, question) == "Answered; 1 point will be explained at a later meeting"

    _answer(second, drafter=drafter, approver=clerk, body="5年間保存します。")
    page = page_of(client, f"/committee/questions/{question.id}")
    assert _status(client, question) == "All points answered"
    assert RECEIVED not in page
    assert "情報政策課が管理します。" in page and "5年間保存します。" in page
    assert "All points answered" in page_of(client, "/committee/")  # the portal's list says the same

    consultation.results_published_at = clock.now()
    db.session.flush()
    page = page_of(client, f"/committee/questions/{question.id}")
    assert _status(client, question) == "Answered; published with the results"
    assert f'href="/consultations/{consultation.slug}/results"' in page


def test_a_draft_answer_does_not_count_as_an_answer(client):
    consultation = make_consultation(status=ConsultationStatus.responding)
    member = make_user(Role.member)
    clerk, drafter = make_user(Role.secretariat), make_user(Role.department_staff)
    client.set_cookie("lang", "en")
    sign_in(client, member)
    question = _question(consultation, member, "暗号化の方式を教えてください。")
    item = add_item(question, ItemDraft(0, 10, ItemKind.question, "暗号化の方式"), created_by=clerk, actor=ACTOR)
    save_draft(response_for(item), body="下書き", category=None, change_made="", author=drafter, actor=ACTOR)
    assert _status(client, question) == "Being answered: 0 of 1 point answered so far"


def test_a_grouped_item_is_answered_by_its_groups_response(client):
    from comments.domain.triage import group_items

    consultation = make_consultation(status=ConsultationStatus.responding)
    member = make_user(Role.member)
    clerk, drafter = make_user(Role.secretariat), make_user(Role.department_staff)
    client.set_cookie("lang", "en")
    sign_in(client, member)
    question = _question(consultation, member, "ログを毎月確認してください。")
    own = add_item(question, ItemDraft(0, 14, ItemKind.request, "ログの確認"), created_by=clerk, actor=ACTOR)
    [other] = make_items(consultation, clerk, "ログの確認頻度")
    group = group_items([own, other], gist="ログの定期的な確認", created_by=clerk, actor=ACTOR)
    _answer(group, drafter=drafter, approver=clerk, body="毎月確認します。")
    assert _status(client, question) == "All points answered"


def test_a_late_question_says_so_until_the_secretariat_decides(client):
    consultation = make_consultation(status=ConsultationStatus.responding)
    member = make_user(Role.member)
    clerk = make_user(Role.secretariat)
    client.set_cookie("lang", "en")
    sign_in(client, member)
    waiting, refused = (_question(consultation, member, "締切後の質問です。", late=True) for _ in range(2))
    assert "the secretariat will decide" in _status(client, waiting)
    decide_late_submission(waiting, included=True, reason="部会で扱うため", decider=clerk, actor=ACTOR)
    decide_late_submission(refused, included=False, reason="期限後のため", decider=clerk, actor=ACTOR)
    assert _status(client, waiting) == "Received after the deadline and included"
    assert _status(client, refused) == "Received after the deadline and not included"
    add_item(waiting, ItemDraft(0, 5, ItemKind.question, "締切後の質問"), created_by=clerk, actor=ACTOR)
    assert _status(client, waiting) == "Being answered: 0 of 1 point answered so far"


def test_the_staff_pages_say_what_was_decided_on_a_late_submission(client, clerk):
    consultation = make_consultation(status=ConsultationStatus.closed)
    included, excluded = (make_submission(consultation, body="締切後の意見です。", late=True) for _ in range(2))
    on_time = make_submission(consultation, body="期間内の意見です。")

    def arrival(url: str) -> str:
        match = re.search(r'<dd id="late-state">(.*?)</dd>', page_of(client, url), re.DOTALL)
        assert match, url
        return " ".join(match.group(1).split())

    pages = ("/staff/submissions/{}", "/staff/submissions/{}/triage")
    for url in pages:
        assert arrival(url.format(included.id)) == "Late, waiting for a decision (not counted)"
        assert arrival(url.format(on_time.id)) == "On time"
    decide_late_submission(included, included=True, reason="郵便事情のため", decider=clerk, actor=ACTOR)
    decide_late_submission(excluded, included=False, reason="期限後のため", decider=clerk, actor=ACTOR)
    for url in pages:
        assert arrival(url.format(included.id)) == "Received after the deadline and included"
        assert arrival(url.format(excluded.id)) == "Received after the deadline and not included"


# --- 新旧対照 of response revisions ----------------------------------------------------------------------


def test_the_revisions_are_compared_character_by_character(client, clerk):
    consultation = make_consultation(status=ConsultationStatus.responding)
    [item] = make_items(consultation, clerk, "暗号化の方式を明記すべき")
    drafter = make_user(Role.department_staff)
    assign([item], drafter.department)
    response = response_for(item)
    old = "ご意見のとおり、暗号化の方式を評価書に記載します。鍵の管理者は記載しません。"
    new = "ご意見のとおり、暗号化の方式を評価書に記載します。鍵の管理者も記載します。"
    save_draft(response, body=old, category=None, change_made="", author=drafter, actor=ACTOR)
    save_draft(
        response,
        body=new,
        category=ResponseCategory.reflected,
        change_made="III-3に追記",
        author=drafter,
        actor=ACTOR,
    )

    page = page_of(client, f"/staff/items/{item.id}/response", diff="1,2")
    diff = re.search(r'<div class="preserve diff" id="diff"[^>]*>(.*?)</div>', page, re.DOTALL).group(1)
    # Only the characters that changed are marked, each with a word for screen readers; the rest is plain.
    assert diff == (
        "ご意見のとおり、暗号化の方式を評価書に記載します。鍵の管理者"
        '<del><span class="visually-hidden">deleted: </span>は</del>'
        '<ins><span class="visually-hidden">inserted: </span>も</ins>'
        "記載しま"
        '<del><span class="visually-hidden">deleted: </span>せん</del>'
        '<ins><span class="visually-hidden">inserted: </span>す</ins>'
        "。"
    )
    assert '<ins><span class="visually-hidden">inserted: </span>III-3に追記</ins>' in page
    category = re.search(r'<dd class="diff" id="diff-category">(.*?)</dd>', page, re.DOTALL).group(1)
    assert "not chosen yet</del>" in category and "Reflected in the assessment" in category.split("<ins>")[1]
    assert "struck through" in page  # the page says how changes are shown, not by colour alone

    same = page_of(client, f"/staff/items/{item.id}/response", diff="2,2")
    assert "The text of the two revisions is the same." in same and 'id="diff"' not in same


def test_a_bad_comparison_is_refused_with_a_message(client, clerk):
    consultation = make_consultation(status=ConsultationStatus.responding)
    [item] = make_items(consultation, clerk, "意見")
    drafter = make_user(Role.department_staff)
    assign([item], drafter.department)
    save_draft(response_for(item), body="案", category=None, change_made="", author=drafter, actor=ACTOR)
    page = page_of(client, f"/staff/items/{item.id}/response", diff="1,9")
    assert "Choose two revisions of this response to compare." in page and 'id="diff"' not in page


# --- The site's icon ---------------------------------------------------------------------------------------


def test_the_site_icon_is_served_and_named_by_every_page(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    icon = response.get_data()
    assert icon[:4] == b"\x00\x00\x01\x00" and 0 < len(icon) < 4096  # an ICO file, small
    assert client.get("/static/favicon.ico").get_data() == icon
    assert '<link rel="icon" href="/static/favicon.ico"' in client.get("/").get_data(as_text=True)
