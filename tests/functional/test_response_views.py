"""The response workflow through its pages: the departments' queue, drafting with revisions and diffs,
review, approval by someone else with the password typed again, and templates applied in bulk (R25-R27)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from comments.domain.audit import Actor
from comments.domain.responses import approve, response_for, save_draft, submit_for_review
from comments.domain.triage import carry_over, group_items
from comments.extensions import db
from comments.models import AuditEvent, Response, ResponseCategory, ResponseState, ReviewComment
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import DEFAULT_PASSWORD, assign, make_consultation, make_items, make_user
from tests.functional.auth_helpers import sign_in

ACTOR = Actor("test")
TEXT = "事務局 御中\n（１）再委託先の安全管理を明記すべきです。\n以上"
OPINION = "（１）再委託先の安全管理を明記すべきです。"


def client_for(app, user):
    client = app.test_client()
    client.set_cookie("lang", "en")  # the assertions read the English words
    assert sign_in(client, user).status_code == 303
    return client


def colleague_of(user):
    """Another department-staff account of the same department."""
    other = make_user(Role.department_staff)
    other.department_id = user.department_id
    db.session.flush()
    return other


def assigned_items(count, *, clerk, department=None, consultation=None):
    """``count`` items of one consultation, each from its own submission, assigned to ``department``."""
    items = make_items(
        consultation or make_consultation(), clerk, *["再委託先の安全管理"] * count, text=TEXT, part=OPINION
    )
    if department is not None:
        assign(items, department)
    return items


def post(client, url, data, *, page=None):
    """POST ``data`` with a CSRF token taken from ``page`` (the URL itself by default)."""
    token = csrf_token_from(client.get(page or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def assert_unique_ids(html: str) -> None:
    """Labels, error links and aria-describedby point at ids, so each must name one element."""
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


def response_url(item) -> str:
    return f"/staff/items/{item.id}/response"


def fresh_response(item) -> Response:
    db.session.expire_all()
    return response_for(item)


@pytest.fixture
def clerk():
    return make_user(Role.secretariat)


@pytest.fixture
def drafter():
    return make_user(Role.department_staff)


def test_a_drafter_saves_twice_compares_and_sends_for_review_but_cannot_approve(app, clerk, drafter):
    [item] = assigned_items(1, clerk=clerk, department=drafter.department)
    client = client_for(app, drafter)

    page = client.get(response_url(item))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert OPINION in html
    assert "事務局 御中" not in html  # only the span the item covers
    assert "山田花子" not in html  # never the submitter's personal data
    assert "No response yet" in html

    first = post(client, response_url(item), {"body": "第一稿\n共通の一文"})
    assert first.status_code == 303
    second = post(
        client, response_url(item), {"body": "第二稿\n共通の一文\n追記", "category": ResponseCategory.answered.value}
    )
    assert second.status_code == 303
    response = fresh_response(item)
    assert [revision.number for revision in response.revisions] == [1, 2]
    assert response.state == ResponseState.drafting

    html = client.get(response_url(item), query_string={"diff": "1,2"}).get_data(as_text=True)
    assert "Changes from revision 1 to revision 2" in html
    assert_unique_ids(html)
    # 新旧対照 by character: 一 deleted and 二 inserted where they stand, the new last line inserted.
    deleted = '<del><span class="visually-hidden">deleted: </span>一</del>'
    inserted = '<ins><span class="visually-hidden">inserted: </span>二</ins>'
    assert f"第{deleted}{inserted}稿\n共通の一文" in html
    assert '<ins><span class="visually-hidden">inserted: </span>\n追記</ins>' in html
    assert drafter.display_name in html  # the author of each revision
    # The compare form sends diff twice; both forms of the parameter give the same diff.
    same = client.get(f"{response_url(item)}?diff=1&diff=2").get_data(as_text=True)
    assert "\n追記</ins>" in same
    assert "Choose two revisions" in client.get(f"{response_url(item)}?diff=1,9").get_data(as_text=True)

    sent = post(client, f"{response_url(item)}/review", {}, page=response_url(item))
    assert sent.status_code == 303
    assert fresh_response(item).state == ResponseState.in_review

    # Department staff hold no approval permission: the drafter is refused outright (R25).
    refused = post(client, f"{response_url(item)}/approve", {"password": DEFAULT_PASSWORD}, page=response_url(item))
    assert refused.status_code == 403
    assert fresh_response(item).state == ResponseState.in_review


def test_a_response_without_text_or_category_is_refused_with_the_reason(app, clerk, drafter):
    [item] = assigned_items(1, clerk=clerk, department=drafter.department)
    client = client_for(app, drafter)
    empty = post(client, response_url(item), {"body": "  "})
    assert empty.status_code == 422
    assert "Write the response." in empty.get_data(as_text=True)
    reflected = post(client, response_url(item), {"body": "反映します", "category": "reflected"})
    assert reflected.status_code == 422
    assert "Say what was changed in the draft" in reflected.get_data(as_text=True)
    assert post(client, response_url(item), {"body": "回答案"}).status_code == 303
    no_category = post(client, f"{response_url(item)}/review", {}, page=response_url(item))
    assert no_category.status_code == 422
    assert "Choose the category of the response" in no_category.get_data(as_text=True)


def test_approval_needs_another_person_and_the_password_again(app, clerk, drafter):
    [item] = assigned_items(1, clerk=clerk, department=drafter.department)
    author = make_user(Role.secretariat)
    author_client = client_for(app, author)
    saved = post(author_client, response_url(item), {"body": "市の考え方", "category": "not_reflected"})
    assert saved.status_code == 303
    assert post(author_client, f"{response_url(item)}/review", {}, page=response_url(item)).status_code == 303
    approve_url = f"{response_url(item)}/approve"

    # The last author may approve in general, but not this response (R25): a refusal on the form.
    own = post(author_client, approve_url, {"password": DEFAULT_PASSWORD}, page=response_url(item))
    assert own.status_code == 422
    assert "someone who wrote none of it must approve it" in own.get_data(as_text=True)

    approver_client = client_for(app, clerk)
    wrong = post(approver_client, approve_url, {"password": "not-my-password-at-all"}, page=response_url(item))
    assert wrong.status_code == 422
    assert "Enter your password again to approve" in wrong.get_data(as_text=True)
    assert_unique_ids(wrong.get_data(as_text=True))
    # The wrong password stays on record like a failed sign-in (R43), though the approval is refused.
    failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed")).all()
    assert [event.object_id for event in failed] == [str(clerk.id)]
    blank = post(approver_client, approve_url, {"password": ""}, page=response_url(item))
    assert blank.status_code == 422
    assert fresh_response(item).state == ResponseState.in_review

    right = post(approver_client, approve_url, {"password": DEFAULT_PASSWORD}, page=response_url(item))
    assert right.status_code == 303
    response = fresh_response(item)
    assert (response.state, response.approved_by_id) == (ResponseState.approved, clerk.id)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "response.approved", AuditEvent.object_id == str(response.id))
    ).all()
    assert [event.actor for event in events] == [f"user:{clerk.id}"]
    html = approver_client.get(response_url(item)).get_data(as_text=True)
    assert "Approved" in html
    assert clerk.display_name in html

    # An edit after approval sends the response back to drafting.
    drafter_client = client_for(app, drafter)
    assert post(drafter_client, response_url(item), {"body": "修正した考え方"}).status_code == 303
    response = fresh_response(item)
    assert (response.state, response.approved_by_id) == (ResponseState.drafting, None)
    assert "Being drafted" in drafter_client.get(response_url(item)).get_data(as_text=True)


def test_a_reviewers_comment_is_shown_with_its_author(app, clerk, drafter):
    [item] = assigned_items(1, clerk=clerk, department=drafter.department)
    save_draft(
        response_for(item), body="案", category=ResponseCategory.answered, change_made="", author=drafter, actor=ACTOR
    )
    submit_for_review(response_for(item), actor=ACTOR)
    reviewer = client_for(app, clerk)
    assert (
        post(
            reviewer,
            f"{response_url(item)}/comments",
            {"remark": "根拠条文を追記してください"},
            page=response_url(item),
        ).status_code
        == 303
    )
    assert post(reviewer, f"{response_url(item)}/comments", {"remark": " "}, page=response_url(item)).status_code == 422
    db.session.expire_all()
    assert db.session.scalars(select(ReviewComment.body)).all() == ["根拠条文を追記してください"]
    html = client_for(app, drafter).get(response_url(item)).get_data(as_text=True)
    assert "根拠条文を追記してください" in html
    assert clerk.display_name in html


def test_another_departments_staff_never_open_the_item(app, clerk, drafter):
    [item] = assigned_items(1, clerk=clerk, department=drafter.department)
    outsider = client_for(app, make_user(Role.department_staff))
    assert outsider.get(response_url(item)).status_code == 404
    token = csrf_token_from(outsider.get("/auth/account").get_data(as_text=True))
    assert outsider.post(response_url(item), data={"csrf_token": token, "body": "横取り"}).status_code == 404
    assert outsider.post(f"{response_url(item)}/review", data={"csrf_token": token}).status_code == 404
    assert outsider.post(f"{response_url(item)}/comments", data={"csrf_token": token, "remark": "x"}).status_code == 404
    assert outsider.get(f"/staff/consultations/{item.consultation_id}/templates").status_code == 404
    assert client_for(app, colleague_of(drafter)).get(response_url(item)).status_code == 200
    secretariat = client_for(app, clerk)
    assert secretariat.get(response_url(item)).status_code == 200
    assert secretariat.get("/staff/items/999999999/response").status_code == 404


def queue_numbers(html: str) -> set[int]:
    return {int(number) for number in re.findall(r"/staff/items/\d+/response\">Item (\d+)</a>", html)}


def test_the_queue_shows_the_departments_own_items_and_filters_them(app, clerk, drafter):
    consultation = make_consultation()
    mine = assigned_items(4, clerk=clerk, department=drafter.department, consultation=consultation)
    outsider = make_user(Role.department_staff)
    theirs = assigned_items(2, clerk=clerk, department=outsider.department, consultation=consultation)
    unassigned = assigned_items(1, clerk=clerk, consultation=consultation)
    # Item 1 is overdue (set directly: assigning refuses a past day), item 2 is being drafted, item 3 approved.
    mine[0].due_on = (datetime.now(UTC) - timedelta(days=3)).date()
    mine[1].due_on = (datetime.now(UTC) + timedelta(days=3)).date()
    save_draft(response_for(mine[1]), body="案", category=None, change_made="", author=drafter, actor=ACTOR)
    done = response_for(mine[2])
    save_draft(done, body="案", category=ResponseCategory.answered, change_made="", author=drafter, actor=ACTOR)
    submit_for_review(done, actor=ACTOR)
    approve(done, approver=clerk, reauthenticated_at=datetime.now(UTC), actor=ACTOR)
    mine[2].due_on = (datetime.now(UTC) - timedelta(days=5)).date()  # past due, but answered: not overdue
    db.session.flush()
    numbers = {item: item.number for item in [*mine, *theirs, *unassigned]}

    client = client_for(app, drafter)
    html = client.get("/staff/queue").get_data(as_text=True)
    assert queue_numbers(html) == {numbers[item] for item in mine}
    # Soonest due first.
    order = [int(n) for n in re.findall(r"/staff/items/\d+/response\">Item (\d+)</a>", html)]
    assert order[:3] == [numbers[mine[2]], numbers[mine[0]], numbers[mine[1]]]
    # A department filter in the address changes nothing for department staff (R26).
    theirs_department = str(outsider.department_id)
    assert queue_numbers(client.get(f"/staff/queue?department_id={theirs_department}").get_data(as_text=True)) == {
        numbers[item] for item in mine
    }

    def shown(**args):
        return queue_numbers(client.get("/staff/queue", query_string=args).get_data(as_text=True))

    assert shown(state="none") == {numbers[mine[0]], numbers[mine[3]]}
    assert shown(state="drafting") == {numbers[mine[1]]}
    assert shown(state="approved") == {numbers[mine[2]]}
    assert shown(state="in_review") == set()
    assert shown(due="overdue") == {numbers[mine[0]]}
    assert shown(due="due_soon") == {numbers[mine[1]]}
    assert client.get("/staff/queue?state=bogus").status_code == 200

    secretariat = client_for(app, clerk)
    everything = queue_numbers(secretariat.get("/staff/queue").get_data(as_text=True))
    assert {numbers[item] for item in [*mine, *theirs]} <= everything
    assert numbers[unassigned[0]] not in everything
    filtered = secretariat.get("/staff/queue", query_string={"department_id": theirs_department})
    assert queue_numbers(filtered.get_data(as_text=True)) == {numbers[item] for item in theirs}


def test_a_carried_over_item_says_so(app, clerk, drafter):
    [item] = assigned_items(1, clerk=clerk, department=drafter.department)
    carry_over(item, reason="国の回答待ち", actor=ACTOR)
    html = client_for(app, drafter).get(response_url(item)).get_data(as_text=True)
    assert "To be explained at a later meeting" in html
    assert "国の回答待ち" in html


def test_a_template_applied_to_three_items_leaves_the_approved_one_alone(app, clerk, drafter):
    items = assigned_items(3, clerk=clerk, department=drafter.department)
    elsewhere = assigned_items(1, clerk=clerk, department=make_user(Role.department_staff).department)[0]
    approved = response_for(items[2])
    save_draft(approved, body="個別回答", category=ResponseCategory.answered, change_made="", author=clerk, actor=ACTOR)
    submit_for_review(approved, actor=ACTOR)
    approve(approved, approver=make_user(Role.secretariat), reauthenticated_at=datetime.now(UTC), actor=ACTOR)
    url = f"/staff/consultations/{items[0].consultation_id}/templates"
    client = client_for(app, drafter)

    added = post(
        client,
        url,
        {"title": "既に記載", "body": "ご指摘の点は評価書III-2に記載しています。", "category": "already_covered"},
    )
    assert added.status_code == 303
    html = client.get(url).get_data(as_text=True)
    assert "既に記載" in html
    assert "Approved" in html  # each item's response state is listed
    assert_unique_ids(html)
    template_id = re.search(r'name="template_id"[^>]* type="radio" value="(\d+)"', html).group(1)
    offered = set(re.findall(r'name="item_ids" type="checkbox" value="(\d+)"', html))
    assert offered == {str(item.id) for item in items}  # never another department's item

    sneaky = post(client, f"{url}/apply", {"template_id": template_id, "item_ids": [str(elsewhere.id)]}, page=url)
    assert sneaky.status_code == 422

    report = post(
        client, f"{url}/apply", {"template_id": template_id, "item_ids": [str(i.id) for i in items]}, page=url
    )
    html = report.get_data(as_text=True)
    assert report.status_code == 200
    assert "2 applied, 1 left alone." in html
    assert html.count("<td>Applied</td>") == 2
    assert html.count("<td>Left alone</td>") == 1
    assert "already approved" in html
    db.session.expire_all()
    assert response_for(items[0]).body == "ご指摘の点は評価書III-2に記載しています。"
    assert response_for(items[0]).category == ResponseCategory.already_covered
    assert response_for(items[2]).body == "個別回答"


def test_a_grouped_items_page_edits_the_groups_response(app, clerk, drafter):
    items = assigned_items(2, clerk=clerk, department=drafter.department)
    group = group_items(items, gist="再委託先の安全管理を求める意見", created_by=clerk, actor=ACTOR)
    client = client_for(app, drafter)
    html = client.get(response_url(items[0])).get_data(as_text=True)
    assert "再委託先の安全管理を求める意見" in html
    assert "Same-purport group (2 items)" in html
    assert_unique_ids(html)
    assert f"Item {items[1].number}" in html

    assert post(client, response_url(items[0]), {"body": "まとめて回答します。"}).status_code == 303
    db.session.expire_all()
    response = db.session.scalars(select(Response).where(Response.group_id == group.id)).one()
    assert response.body == "まとめて回答します。"
    assert db.session.scalars(select(Response).where(Response.item_id.in_([i.id for i in items]))).all() == []
    assert "まとめて回答します。" in client.get(response_url(items[1])).get_data(as_text=True)


def test_an_author_of_any_revision_cannot_approve_even_after_someone_saves_the_same_words(app, clerk, drafter):
    """Issue 11, item 5: secretariat wrote revision 2, department staff saved the same text again (a trailing
    space, stripped) as revision 3, and the first author approved their own words."""
    [item] = assigned_items(1, clerk=clerk, department=drafter.department)
    drafter_client, clerk_client = client_for(app, drafter), client_for(app, clerk)
    first = {"body": "第一案", "category": "not_reflected"}
    assert post(drafter_client, response_url(item), first).status_code == 303
    second = {"body": "事務局が直した考え方", "category": "not_reflected"}
    assert post(clerk_client, response_url(item), second).status_code == 303

    resaved = post(drafter_client, response_url(item), {**second, "body": second["body"] + " "})
    assert resaved.status_code == 422, "the same words again make no revision"
    assert "no new version was saved" in resaved.get_data(as_text=True)
    assert len(fresh_response(item).revisions) == 2 and fresh_response(item).last_author_id == clerk.id

    # Even with a real change by the drafter on top, the clerk wrote a version: never the approver.
    assert post(drafter_client, response_url(item), {**second, "body": "部局が直した考え方"}).status_code == 303
    assert post(drafter_client, f"{response_url(item)}/review", {}, page=response_url(item)).status_code == 303
    own = post(clerk_client, f"{response_url(item)}/approve", {"password": DEFAULT_PASSWORD}, page=response_url(item))
    assert own.status_code == 422
    assert "someone who wrote none of it must approve it" in own.get_data(as_text=True)
    assert fresh_response(item).state == ResponseState.in_review

    other = make_user(Role.secretariat)
    approved = post(
        client_for(app, other), f"{response_url(item)}/approve", {"password": DEFAULT_PASSWORD}, page=response_url(item)
    )
    assert approved.status_code == 303
    assert fresh_response(item).approved_by_id == other.id
