"""Approval an office of any size can use (R25-R27): an approver of one department (所属長) or of the whole city
approves what others drafted and drafts nothing. An office with a single secretariat account has the
secretariat's own responses approved by the department's approver, granted the role on the accounts page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from comments.domain.responses import response_for
from comments.extensions import db
from comments.models import AuditEvent, Department, ResponseState, User
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import DEFAULT_PASSWORD, assign, make_consultation, make_items, make_user
from tests.functional.auth_helpers import sign_in


def client_for(app, user):
    client = app.test_client()
    client.set_cookie("lang", "en")  # the assertions read the English words
    assert sign_in(client, user).status_code == 303
    return client


def post(client, url, data, *, page):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def response_url(item) -> str:
    return f"/staff/items/{item.id}/response"


def state_of(item):
    db.session.expire_all()
    response = response_for(item)
    return response.state, response.approved_by_id


@pytest.fixture
def health_insurance():
    department = Department(name="健康保険課")
    db.session.add(department)
    db.session.flush()
    return department


@pytest.fixture
def item(health_insurance):
    """An item assigned to 健康保険課, made by the office's one secretariat account (returned with it)."""
    clerk = make_user(Role.secretariat)
    [made] = make_items(make_consultation(), clerk, "再委託先の安全管理", text="再委託先の安全管理を明記すべきです。")
    assign([made], health_insurance)
    return clerk, made


def test_the_one_secretariat_drafts_and_the_departments_approver_approves(app, health_insurance, item):
    clerk, opinion = item
    url = response_url(opinion)

    # An administrator makes the head of 健康保険課 its approver, on the accounts page.
    head = make_user(Role.department_staff)
    admin = client_for(app, make_user(Role.administrator))
    listing = admin.get("/admin/accounts").get_data(as_text=True)
    assert f"/admin/accounts/{head.id}/roles" in listing
    granted = post(
        admin,
        f"/admin/accounts/{head.id}/roles",
        {"roles": [Role.department_approver.value], "department_id": str(health_insurance.id)},
        page=f"/admin/accounts/{head.id}/roles",
    )
    assert granted.status_code == 303
    db.session.expire_all()
    head = db.session.get(User, head.id)
    assert (head.roles, head.department_id) == ({Role.department_approver}, health_insurance.id)
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.roles_changed")).first()

    # The secretariat drafts, edits and sends the response for review, then may not approve its own words.
    secretariat = client_for(app, clerk)
    assert post(secretariat, url, {"body": "第一稿", "category": "answered"}, page=url).status_code == 303
    assert post(secretariat, url, {"body": "第二稿", "category": "answered"}, page=url).status_code == 303
    assert post(secretariat, f"{url}/review", {}, page=url).status_code == 303
    own = post(secretariat, f"{url}/approve", {"password": DEFAULT_PASSWORD}, page=url)
    assert own.status_code == 422
    assert "someone who wrote none of it must approve it" in own.get_data(as_text=True)

    # The department's approver finds it in the queue, reads it, cannot edit it, and approves it.
    approver = client_for(app, head)
    assert approver.get("/staff/").status_code == 200
    queue = approver.get("/staff/queue", query_string={"state": "in_review"}).get_data(as_text=True)
    assert url in queue
    page = approver.get(url).get_data(as_text=True)
    assert "第二稿" in page and "Approve the response" in page
    assert "Save the response" not in page
    assert approver.post(url, data={"csrf_token": csrf_token_from(page), "body": "改変"}).status_code == 403
    wrong = post(approver, f"{url}/approve", {"password": "not-my-password-at-all"}, page=url)
    assert wrong.status_code == 422
    assert state_of(opinion) == (ResponseState.in_review, None)
    right = post(approver, f"{url}/approve", {"password": DEFAULT_PASSWORD}, page=url)
    assert right.status_code == 303
    assert state_of(opinion) == (ResponseState.approved, head.id)


def test_another_departments_approver_neither_sees_nor_approves(app, item):
    clerk, opinion = item
    url = response_url(opinion)
    secretariat = client_for(app, clerk)
    post(secretariat, url, {"body": "回答", "category": "answered"}, page=url)
    post(secretariat, f"{url}/review", {}, page=url)
    stranger = client_for(app, make_user(Role.department_approver))  # the approver of another department
    assert stranger.get(url).status_code == 404
    token = csrf_token_from(stranger.get("/auth/account").get_data(as_text=True))
    refused = stranger.post(f"{url}/approve", data={"csrf_token": token, "password": DEFAULT_PASSWORD})
    assert refused.status_code == 404
    assert url not in stranger.get("/staff/queue").get_data(as_text=True)
    assert state_of(opinion) == (ResponseState.in_review, None)


def test_the_citys_approver_approves_for_every_department_and_drafts_for_none(app, item):
    clerk, opinion = item
    url = response_url(opinion)
    secretariat = client_for(app, clerk)
    post(secretariat, url, {"body": "回答", "category": "answered"}, page=url)
    post(secretariat, f"{url}/review", {}, page=url)
    city_approver = make_user(Role.city_approver)
    approver = client_for(app, city_approver)
    page = approver.get(url).get_data(as_text=True)
    assert "Save the response" not in page and "Send for review" not in page
    assert post(approver, f"{url}/approve", {"password": DEFAULT_PASSWORD}, page=url).status_code == 303
    assert state_of(opinion) == (ResponseState.approved, city_approver.id)


def test_a_departments_approver_needs_its_department_and_nobody_changes_their_own_roles(app, item):
    admin_user = make_user(Role.administrator)
    someone = make_user(Role.secretariat)
    admin = client_for(app, admin_user)
    url = f"/admin/accounts/{someone.id}/roles"
    refused = post(admin, url, {"roles": [Role.department_approver.value], "department_id": ""}, page=url)
    assert refused.status_code == 422
    assert "belong to a department" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, someone.id).roles == {Role.secretariat}
    assert admin.get(f"/admin/accounts/{admin_user.id}/roles").status_code == 404
