"""The secretariat's triage pages through HTTP: splitting a submission into items, the items list with its
filters, same-purport groups (confirmed and suggested), assignment and carrying over."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from html import unescape
from types import SimpleNamespace

import pytest

from comments import clock
from comments.domain import similarity
from comments.domain.audit import Actor
from comments.domain.paper import decide_late_submission
from comments.domain.responses import response_for, save_draft
from comments.domain.triage import ItemDraft, add_item
from comments.extensions import db
from comments.models import Department, Item, ItemKind, NonOpinionSpan
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import make_consultation, make_items, make_submission, make_user
from tests.functional.auth_helpers import sign_in

TEXT = "事務局 御中\n\n（１）委託先の数を教えてください。\n（２）再委託の有無を明記すべきです。\n\n以上"
ACTOR = Actor("test")
FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.DOTALL)


@dataclass
class PartForm:
    action: str
    start: int
    end: int
    html: str


def part_forms(html: str, kind: str) -> list[PartForm]:
    """The forms of the untriaged parts, in page order: kind "items" (make an item) or "not-opinion"."""
    forms = []
    for action, body in FORM.findall(html):
        if action.endswith(f"/{kind}"):
            start = re.search(r'name="start" type="hidden" value="(\d+)"', body).group(1)
            end = re.search(r'name="end" type="hidden" value="(\d+)"', body).group(1)
            forms.append(PartForm(action, int(start), int(end), body))
    return forms


def today():
    return clock.japan_today()


@pytest.fixture
def clerk(client):
    """A signed-in secretariat, in English."""
    client.set_cookie("lang", "en")
    user = make_user(Role.secretariat)
    assert sign_in(client, user).status_code == 303
    return user


@pytest.fixture
def suggested(monkeypatch):
    """A stand-in for domain/similarity.suggest_groups: records its calls, returns what the test sets."""
    calls, results = [], []

    def suggest_groups(pairs, *, threshold):
        calls.append((list(pairs), threshold))
        return list(results)

    monkeypatch.setattr(similarity, "suggest_groups", suggest_groups)
    return SimpleNamespace(calls=calls, results=results)


def items_url(consultation) -> str:
    return f"/staff/consultations/{consultation.id}/items"


# --- Splitting a submission ------------------------------------------------------------------------------


def test_a_submission_is_split_through_the_page_until_fully_triaged(client, clerk):
    consultation = make_consultation()
    submission = make_submission(consultation, body=TEXT)
    url = f"/staff/submissions/{submission.id}/triage"

    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    items, marks = part_forms(page, "items"), part_forms(page, "not-opinion")
    assert [TEXT[form.start : form.end] for form in items] == [
        "事務局 御中",
        "（１）委託先の数を教えてください。",
        "（２）再委託の有無を明記すべきです。",
        "以上",
    ]
    assert [(form.start, form.end) for form in marks] == [(form.start, form.end) for form in items]
    # The guesses: a question, an opinion; the addressee and the closing pre-ticked as not an opinion.
    assert '<option selected value="question">' in items[1].html
    assert '<option selected value="opinion">' in items[2].html
    assert [" checked " in form.html or "checked>" in form.html for form in marks] == [True, False, False, True]
    assert "（１）委託先の数を教えてください。</textarea>" in items[1].html  # the gist, pre-filled
    assert "Not fully triaged: 1 part is neither" in page  # the whole text, so far

    token = csrf_token_from(page)
    for form, gist in ((items[1], "委託先の数"), (items[2], "再委託の有無の明記")):
        kind = "question" if form is items[1] else "opinion"
        data = {"csrf_token": token, "start": form.start, "end": form.end, "kind": kind, "gist": gist, "section": 0}
        assert client.post(form.action, data=data).status_code == 303
    for form, note in ((marks[0], "宛名"), (marks[3], "結び")):
        data = {"csrf_token": token, "start": form.start, "end": form.end, "confirm": "y", "note": note}
        assert client.post(form.action, data=data).status_code == 303

    page = client.get(url).get_data(as_text=True)
    assert "Fully triaged" in page
    assert part_forms(page, "items") == []
    assert "Part 2: item 1" in page and "Part 3: item 2" in page and "Part 4: not an opinion" in page
    assert db.session.get(type(submission), submission.id).body == TEXT

    listing = client.get(items_url(consultation)).get_data(as_text=True)
    assert re.search(r'<label for="item-\d+">1</label>.*委託先の数', listing, re.DOTALL)
    assert re.search(r'<label for="item-\d+">2</label>.*再委託の有無の明記', listing, re.DOTALL)
    assert "1 of 1 submissions fully triaged." in listing


def test_the_triage_page_never_shows_who_sent_the_submission(client, clerk):
    submission = make_submission(make_consultation(), body=TEXT)
    for url in (f"/staff/submissions/{submission.id}/triage", items_url(submission.consultation)):
        page = client.get(url).get_data(as_text=True)
        assert "山田花子" not in page
        assert "hanako@example.jp" not in page
        assert "千葉市中央区" not in page


def test_a_part_is_joined_with_the_next_one_by_a_link_and_nothing_is_stored(client, clerk):
    submission = make_submission(make_consultation(), body=TEXT)
    url = f"/staff/submissions/{submission.id}/triage"
    page = client.get(url).get_data(as_text=True)
    join = unescape(re.search(r'<a href="([^"]+)">Join part 2 with the next part', page).group(1))
    assert join == f"{url}?join=1"
    joined = client.get(join).get_data(as_text=True)
    forms = part_forms(joined, "items")
    assert [TEXT[form.start : form.end] for form in forms] == [
        "事務局 御中",
        "（１）委託先の数を教えてください。\n（２）再委託の有無を明記すべきです。",
        "以上",
    ]
    assert "Undo the joins" in joined
    assert db.session.query(Item).filter_by(submission_id=submission.id).count() == 0

    data = {
        "csrf_token": csrf_token_from(joined),
        "start": forms[1].start,
        "end": forms[1].end,
        "kind": "opinion",
        "gist": "委託について",
        "section": 0,
        "joins": "1",
    }
    response = client.post(forms[1].action, data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{url}?join=1")
    # Next to an item there is nothing to join with: the item is not a proposed part any more.
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Part 2: item 1" in after
    assert "with the next part" not in after


SENTENCES = "ご意見です。マイナンバーの管理を徹底すべきです。委託先の監督も強化してください。"


def test_a_part_is_split_after_a_sentence_by_a_link_and_the_split_survives_the_post(client, clerk):
    submission = make_submission(make_consultation(), body=SENTENCES)
    url = f"/staff/submissions/{submission.id}/triage"
    page = client.get(url).get_data(as_text=True)
    assert [(form.start, form.end) for form in part_forms(page, "items")] == [(0, len(SENTENCES))]
    links = re.findall(r'<a href="([^"]+)">Split part 1 after the sentence “([^”]+)”</a>', page)
    assert [name for _, name in links] == ["ご意見です。", "マイナンバーの管理を徹底すべきです。"]
    second_end = SENTENCES.index("委託先")
    assert unescape(links[1][0]) == f"{url}?split={second_end}"
    assert "委託先の監督も強化してください。”" not in page  # no split after the last sentence

    split = client.get(unescape(links[1][0]))
    assert split.status_code == 200
    page = split.get_data(as_text=True)
    forms = part_forms(page, "items")
    assert [SENTENCES[form.start : form.end] for form in forms] == [
        "ご意見です。マイナンバーの管理を徹底すべきです。",
        "委託先の監督も強化してください。",
    ]
    assert f'name="splits" type="hidden" value="{second_end}"' in forms[1].html
    assert "Undo the splits and joins" in page
    # The first part can still be split after its first sentence, keeping the split already made.
    [(more, name)] = re.findall(r'<a href="([^"]+)">Split part 1 after the sentence “([^”]+)”</a>', page)
    assert name == "ご意見です。"
    assert unescape(more) == f"{url}?split=6&split={second_end}"
    # Joining the first part with the next one drops the split.
    join = re.search(r'<a href="([^"]+)">Join part 1 with the next part', page).group(1)
    assert unescape(join) == url

    data = {
        "csrf_token": csrf_token_from(page),
        "start": forms[1].start,
        "end": forms[1].end,
        "kind": "request",
        "gist": "委託先の監督の強化",
        "section": 0,
        "joins": "",
        "splits": str(second_end),
    }
    response = client.post(forms[1].action, data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{url}?split={second_end}")
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Part 2: item 1" in after
    [left] = part_forms(after, "items")
    assert SENTENCES[left.start : left.end] == "ご意見です。マイナンバーの管理を徹底すべきです。"
    assert "Part 1: not triaged yet" in after
    assert db.session.query(Item).filter_by(submission_id=submission.id).count() == 1


def test_a_refused_post_keeps_the_splits(client, clerk):
    submission = make_submission(make_consultation(), body=SENTENCES)
    cut = SENTENCES.index("マイナンバー")
    page = client.get(f"/staff/submissions/{submission.id}/triage?split={cut}").get_data(as_text=True)
    first, _ = part_forms(page, "items")
    data = {"csrf_token": csrf_token_from(page), "start": first.start, "end": first.end, "kind": "opinion"}
    refused = client.post(first.action, data={**data, "gist": " ", "splits": str(cut)})
    assert refused.status_code == 422
    assert len(part_forms(refused.get_data(as_text=True), "items")) == 2
    bad = client.post(first.action, data={**data, "gist": "g", "splits": "x1"})
    assert bad.status_code == 422
    assert db.session.query(Item).filter_by(submission_id=submission.id).count() == 0


@pytest.mark.parametrize(
    "query", ["split=abc", "split=99999", "split=-3", "split=0", "split=１", f"split={'9' * 5000}", "split="]
)
def test_a_bogus_split_is_ignored(client, clerk, query):
    submission = make_submission(make_consultation(), body=SENTENCES)
    response = client.get(f"/staff/submissions/{submission.id}/triage?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert [(form.start, form.end) for form in part_forms(page, "items")] == [(0, len(SENTENCES))]
    assert "Undo the splits" not in page


def test_a_split_in_blanks_or_inside_an_item_changes_nothing_it_should_not(client, clerk):
    body = "一つ目の意見です。　二つ目の意見です。"
    submission = make_submission(make_consultation(), body=body)
    url = f"/staff/submissions/{submission.id}/triage"
    page = client.get(url).get_data(as_text=True)
    [(link, _)] = re.findall(r'<a href="([^"]+)">Split part 1 after the sentence “([^”]+)”</a>', page)
    assert unescape(link) == f"{url}?split={body.index('二つ目')}"  # the blank stays with the first sentence
    in_blank = client.get(f"{url}?split={body.index('　')}").get_data(as_text=True)
    assert [body[form.start : form.end] for form in part_forms(in_blank, "items")] == [
        "一つ目の意見です。",
        "二つ目の意見です。",
    ]
    add_item(submission, ItemDraft(0, len(body), ItemKind.opinion, "意見"), created_by=clerk, actor=ACTOR)
    inside_item = client.get(f"{url}?split=5").get_data(as_text=True)
    assert "Part 1: item 1" in inside_item
    assert part_forms(inside_item, "items") == []


def test_a_long_part_pre_fills_at_most_500_characters_of_gist(client, clerk):
    body = "あ" * 600
    submission = make_submission(make_consultation(), body=body)
    page = client.get(f"/staff/submissions/{submission.id}/triage").get_data(as_text=True)
    [form] = part_forms(page, "items")
    assert (form.start, form.end) == (0, 600)
    assert re.search(r">\s*(あ+)</textarea>", form.html).group(1) == "あ" * 500


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (0, len(TEXT) + 5, "not inside the submission"),
        (-1, 3, "not inside the submission"),
        (8, 8, "not inside the submission"),
        (9, 15, "overlaps"),
    ],
)
def test_wrong_offsets_are_refused_with_a_message(client, clerk, start, end, message):
    consultation = make_consultation()
    submission = make_submission(consultation, body=TEXT)
    first = TEXT.index("（１）")
    add_item(submission, ItemDraft(first, first + 10, ItemKind.question, "委託先"), created_by=clerk, actor=ACTOR)
    url = f"/staff/submissions/{submission.id}"
    token = csrf_token_from(client.get(f"{url}/triage").get_data(as_text=True))
    item = client.post(
        f"{url}/items",
        data={"csrf_token": token, "start": start, "end": end, "kind": "opinion", "gist": "要旨", "section": 0},
    )
    assert item.status_code == 422
    assert message in item.get_data(as_text=True)
    mark = client.post(f"{url}/not-opinion", data={"csrf_token": token, "start": start, "end": end, "confirm": "y"})
    assert mark.status_code == 422
    assert message in mark.get_data(as_text=True)
    assert db.session.query(Item).filter_by(submission_id=submission.id).count() == 1
    assert db.session.query(NonOpinionSpan).filter_by(submission_id=submission.id).count() == 0


def test_a_malformed_post_is_refused_with_a_message_not_an_error(client, clerk):
    submission = make_submission(make_consultation(), body=TEXT)
    url = f"/staff/submissions/{submission.id}"
    page = client.get(f"{url}/triage").get_data(as_text=True)
    token = csrf_token_from(page)
    [first, *_] = part_forms(page, "items")
    cases = [
        (
            f"{url}/items",
            {"start": "x", "end": "3", "kind": "opinion", "gist": "要旨", "section": 0},
            "Start of the part",
        ),
        (f"{url}/items", {"start": first.start, "end": first.end, "kind": "opinion", "gist": " "}, "Write the gist"),
        (f"{url}/items", {"start": first.start, "end": first.end, "kind": "x", "gist": "g", "section": 0}, "Kind"),
        (f"{url}/items", {"start": 0, "end": 3, "kind": "opinion", "gist": "g", "section": 99999}, "Section"),
        (f"{url}/not-opinion", {"start": first.start, "end": first.end}, "Tick the box"),
    ]
    for action, data, message in cases:
        response = client.post(action, data={"csrf_token": token, **data})
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data


def test_a_section_of_another_consultation_is_refused(client, clerk):
    submission = make_submission(make_consultation(), body=TEXT)
    other = make_consultation()
    url = f"/staff/submissions/{submission.id}"
    token = csrf_token_from(client.get(f"{url}/triage").get_data(as_text=True))
    data = {"start": 0, "end": 6, "kind": "opinion", "gist": "g", "section": other.sections[0].id}
    response = client.post(f"{url}/items", data={"csrf_token": token, **data})
    assert response.status_code == 422


# --- The items list ---------------------------------------------------------------------------------------


def test_two_items_are_grouped_from_the_list_and_the_count_shows(client, clerk):
    consultation = make_consultation()
    first, second, third = make_items(consultation, clerk, "安全管理を徹底すべき", "安全管理の徹底を", "別の意見")
    page = client.get(items_url(consultation)).get_data(as_text=True)
    token = csrf_token_from(page)
    url = f"/staff/consultations/{consultation.id}/groups"

    refused = client.post(url, data={"csrf_token": token, "items": [first.id], "gist": "一件"})
    assert refused.status_code == 422
    assert "Choose at least two items" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert first.group_id is None
    assert f'value="{first.id}" form="selection" checked' in refused.get_data(as_text=True)
    assert client.post(url, data={"csrf_token": token, "gist": "まとめ"}).status_code == 422
    assert client.post(url, data={"csrf_token": token, "items": [first.id, second.id]}).status_code == 422

    response = client.post(url, data={"csrf_token": token, "items": [first.id, second.id], "gist": "安全管理の徹底"})
    assert response.status_code == 303
    listing = client.get(items_url(consultation)).get_data(as_text=True)
    assert listing.count('<span class="meta group-count">(group of 2 items)</span>') == 2
    assert "安全管理の徹底</span>" in listing
    db.session.expire_all()
    assert first.group_id == second.group_id is not None
    assert third.group_id is None
    assert db.session.query(Item).filter_by(consultation_id=consultation.id).count() == 3  # nothing dropped


def test_items_of_another_consultation_cannot_be_chosen(client, clerk):
    consultation, other = make_consultation(), make_consultation()
    [mine] = make_items(consultation, clerk, "意見A")
    [theirs] = make_items(other, clerk, "意見B")
    token = csrf_token_from(client.get(items_url(consultation)).get_data(as_text=True))
    response = client.post(
        f"/staff/consultations/{consultation.id}/groups",
        data={"csrf_token": token, "items": [mine.id, theirs.id], "gist": "まとめ"},
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert theirs.group_id is None


def test_a_suggested_group_is_shown_pre_ticked_and_can_be_confirmed(client, clerk, suggested):
    consultation = make_consultation()
    first, second, third = make_items(consultation, clerk, "安全管理を徹底すべき", "安全管理を徹底すべきだ", "別")
    suggested.results.append(SimpleNamespace(item_ids=(second.id, first.id), score=0.93))
    page = client.get(items_url(consultation)).get_data(as_text=True)
    [(pairs, threshold)] = suggested.calls
    assert threshold == 0.8
    assert sorted(pairs) == sorted([(first.id, first.gist), (second.id, second.gist), (third.id, third.gist)])
    assert "Suggestion 1: items 1, 2 (similarity 93 %)" in page
    for item in (first, second):
        assert f'id="suggestion-1-item-{item.id}" name="items" value="{item.id}" checked' in page
    assert f'id="suggestion-1-item-{third.id}"' not in page

    [action] = [action for action, body in FORM.findall(page) if "Suggestion 1" in body]
    data = {"csrf_token": csrf_token_from(page), "items": [first.id, second.id], "gist": "安全管理の徹底"}
    assert client.post(action, data=data).status_code == 303
    db.session.expire_all()
    assert first.group_id == second.group_id is not None


def test_a_suggestion_from_the_real_similarity_module_is_shown(client, clerk):
    consultation = make_consultation()
    make_items(
        consultation, clerk, "マイナンバーの安全管理を徹底すべき", "マイナンバーの安全管理を徹底すべき", "全く別の話題"
    )
    page = client.get(items_url(consultation)).get_data(as_text=True)
    assert "Suggestion 1: items 1, 2" in page


def test_grouped_items_are_not_suggested_again(client, clerk, suggested):
    consultation = make_consultation()
    first, second = make_items(consultation, clerk, "同じ意見", "同じ意見")
    token = csrf_token_from(client.get(items_url(consultation)).get_data(as_text=True))
    client.post(
        f"/staff/consultations/{consultation.id}/groups",
        data={"csrf_token": token, "items": [first.id, second.id], "gist": "同じ意見"},
    )
    suggested.calls.clear()
    client.get(items_url(consultation))
    assert suggested.calls == []  # nothing left ungrouped to compare


def test_assigning_needs_a_day_not_in_the_past(client, clerk):
    consultation = make_consultation()
    first, second = make_items(consultation, clerk, "意見A", "意見B")
    department = Department(name="健康保険課（画面テスト）")
    db.session.add(department)
    db.session.flush()
    token = csrf_token_from(client.get(items_url(consultation)).get_data(as_text=True))
    url = f"/staff/consultations/{consultation.id}/assignments"
    data = {"csrf_token": token, "items": [first.id, second.id], "department_id": department.id}

    past = client.post(url, data={**data, "due_on": (today() - timedelta(days=3)).isoformat()})
    assert past.status_code == 422
    assert "The due date is in the past" in past.get_data(as_text=True)
    db.session.expire_all()
    assert first.department_id is None
    assert client.post(url, data={**data, "due_on": ""}).status_code == 422
    assert client.post(url, data={**data, "items": [], "due_on": "2099-01-01"}).status_code == 422
    assert client.post(url, data={**data, "department_id": 999999, "due_on": "2099-01-01"}).status_code == 422
    unchosen = client.post(url, data={**data, "department_id": 0, "due_on": "2099-01-01"})
    assert unchosen.status_code == 422
    assert "Choose the department." in unchosen.get_data(as_text=True)

    due = today() + timedelta(days=14)
    response = client.post(url, data={**data, "due_on": due.isoformat()})
    assert response.status_code == 303
    db.session.expire_all()
    assert {(item.department_id, item.due_on) for item in (first, second)} == {(department.id, due)}
    listing = client.get(items_url(consultation)).get_data(as_text=True)
    assert listing.count("健康保険課（画面テスト）</td>") == 2


def test_carrying_over_needs_a_reason(client, clerk):
    consultation = make_consultation()
    [item] = make_items(consultation, clerk, "国に照会中の意見")
    token = csrf_token_from(client.get(items_url(consultation)).get_data(as_text=True))
    url = f"/staff/items/{item.id}/carry-over"
    refused = client.post(url, data={"csrf_token": token, "reason": "  "})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Write why the item is carried over." in page
    assert f'aria-describedby="carry-{item.id}-reason-error"' in page
    assert "<details open>" in page
    db.session.expire_all()
    assert item.carried_over_reason is None

    assert client.post(url, data={"csrf_token": token, "reason": "国の回答待ち"}).status_code == 303
    db.session.expire_all()
    assert item.carried_over_reason == "国の回答待ち"
    assert "Yes: <span" in client.get(items_url(consultation)).get_data(as_text=True)


def test_the_list_is_filtered_by_response_department_overdue_and_carry_over(client, clerk):
    consultation = make_consultation()
    drafted, waiting, carried = make_items(consultation, clerk, "下書き中の意見", "未着手の意見", "持ち越す意見")
    department = Department(name="情報政策課（画面テスト）")
    db.session.add(department)
    db.session.flush()
    save_draft(response_for(drafted), body="回答案", category=None, change_made="", author=clerk, actor=ACTOR)
    for item in (drafted, waiting, carried):
        item.department_id = department.id
    waiting.due_on = today() - timedelta(days=2)  # set directly: the form refuses a day in the past
    carried.due_on = today() - timedelta(days=2)
    carried.carried_over_reason = "国の回答待ち"
    db.session.flush()

    def shown(**query) -> list[str]:
        page = client.get(items_url(consultation), query_string=query).get_data(as_text=True)
        return [gist for gist in ("下書き中の意見", "未着手の意見", "持ち越す意見") if f">{gist}</td>" in page]

    assert shown() == ["下書き中の意見", "未着手の意見", "持ち越す意見"]
    assert shown(state="drafting") == ["下書き中の意見"]
    assert shown(state="none") == ["未着手の意見", "持ち越す意見"]
    assert shown(department=str(department.id)) == ["下書き中の意見", "未着手の意見", "持ち越す意見"]
    assert shown(department="none") == []
    assert shown(overdue="yes") == ["未着手の意見"]  # carried over: not chased for this meeting
    assert shown(carried_over="yes") == ["持ち越す意見"]
    assert shown(carried_over="no", overdue="no") == ["下書き中の意見"]
    page = client.get(items_url(consultation), query_string={"state": "drafting"}).get_data(as_text=True)
    assert "Being drafted</a>" in page
    assert client.get(items_url(consultation), query_string={"state": "bogus"}).status_code == 200


def test_a_group_shows_its_own_response_state_on_every_member(client, clerk):
    from comments.domain.triage import group_items

    consultation = make_consultation()
    first, second = make_items(consultation, clerk, "意見A", "意見B")
    group = group_items([first, second], gist="まとめ", created_by=clerk, actor=ACTOR)
    save_draft(response_for(group), body="回答", category=None, change_made="", author=clerk, actor=ACTOR)
    page = client.get(items_url(consultation), query_string={"state": "drafting"}).get_data(as_text=True)
    assert page.count("Being drafted</a>") == 2


def test_late_submissions_count_only_once_included(client, clerk):
    consultation = make_consultation()
    make_submission(consultation, body="期間内の意見です。")
    waiting = make_submission(consultation, body="遅れた意見です。", late=True)
    included = make_submission(consultation, body="遅れたが含める意見です。", late=True)
    excluded = make_submission(consultation, body="遅れて除く意見です。", late=True)
    decide_late_submission(included, included=True, reason="郵便事故", decider=clerk, actor=ACTOR)
    decide_late_submission(excluded, included=False, reason="期間外", decider=clerk, actor=ACTOR)
    page = client.get(items_url(consultation)).get_data(as_text=True)
    assert "0 of 2 submissions fully triaged." in page
    waiting_section = page.split("Late, waiting for a decision")[1]
    assert f'/staff/submissions/{waiting.id}"' in waiting_section
    assert f"/staff/submissions/{included.id}/triage" in page
    assert f"/staff/submissions/{excluded.id}" not in page


# --- Who may see these pages ------------------------------------------------------------------------------


def test_department_staff_are_refused_every_triage_page(client):
    consultation = make_consultation()
    submission = make_submission(consultation, body=TEXT)
    clerk = make_user(Role.secretariat)
    [item] = make_items(consultation, clerk, "意見")
    assert sign_in(client, make_user(Role.department_staff)).status_code == 303
    token = csrf_token_from(client.get("/auth/account").get_data(as_text=True))
    for url in (items_url(consultation), f"/staff/submissions/{submission.id}/triage"):
        assert client.get(url).status_code == 403
    for url in (
        f"/staff/consultations/{consultation.id}/groups",
        f"/staff/consultations/{consultation.id}/assignments",
        f"/staff/items/{item.id}/carry-over",
        f"/staff/submissions/{submission.id}/items",
        f"/staff/submissions/{submission.id}/not-opinion",
    ):
        assert client.post(url, data={"csrf_token": token, "reason": "r", "start": 0, "end": 3}).status_code == 403
    assert db.session.query(Item).filter_by(consultation_id=consultation.id).count() == 1


def test_what_does_not_exist_is_not_found(client, clerk):
    assert client.get("/staff/consultations/999999/items").status_code == 404
    assert client.get("/staff/submissions/999999/triage").status_code == 404
    token = csrf_token_from(client.get("/auth/account").get_data(as_text=True))
    assert client.post("/staff/items/999999/carry-over", data={"csrf_token": token, "reason": "r"}).status_code == 404
