"""Limits that hold (R22, R57), in one process: what a citizen and a staff member see over a limit, that a
limited opinion or reset keeps its usual answer, and that a limit reached is logged without an address.
tests/integration/test_throttles.py runs the same limits under gunicorn's four workers on the real Redis."""

from __future__ import annotations

import itertools
import logging
import re

import pytest
from sqlalchemy import func, select

from comments import create_app
from comments.extensions import db
from comments.models import AuditEvent, OutboxMessage, Submission
from comments.permissions import Role
from config import TestingConfig
from tests.conftest import csrf_token_from
from tests.factories import DEFAULT_PASSWORD, assign, make_consultation, make_items, make_user, respond
from tests.functional.auth_helpers import sign_in
from tests.functional.helpers import post_comment

# Documentation addresses (RFC 5737), one per test, so no test sees another's per-address counter.
_addresses = (f"198.51.100.{number}" for number in itertools.count(1))


def client_from(app, address: str | None = None, *, lang: str | None = None):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address or next(_addresses)
    if lang:
        client.set_cookie("lang", lang)
    return client


def stored(consultation) -> int:
    return db.session.scalar(select(func.count()).where(Submission.consultation_id == consultation.id))


def mails_to(address: str) -> int:
    return sum(1 for row in db.session.scalars(select(OutboxMessage)) if row.to_address == address)


def test_an_opinion_within_the_limit_is_answered_without_rate_limit_headers(app):
    """Each X-RateLimit-* header costs the limiter's store more round trips on every opinion; only a
    refusal says when to come back (the test below)."""
    consultation = make_consultation()
    accepted = post_comment(client_from(app), consultation, body="意見です。")
    assert accepted.status_code == 303
    names = [name.lower() for name, _value in accepted.headers]
    assert [name for name in names if name.startswith(("x-ratelimit", "retry-after"))] == []


def test_the_comment_form_over_its_limit_comes_back_filled_and_says_when(app, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "PUBLIC_FORM_POSTS_PER_ADDRESS_PER_HOUR", 2)
    consultation = make_consultation()
    client = client_from(app)
    for number in range(2):
        assert post_comment(client, consultation, body=f"意見{number}です。").status_code == 303
    with caplog.at_level(logging.WARNING, logger="comments.throttles"):
        refused = post_comment(
            client, consultation, body="三つ目の意見です。", name="山田花子", email="hanako@example.jp"
        )

    assert refused.status_code == 429
    assert stored(consultation) == 2, "nothing is stored over the limit"
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= 3600
    html = refused.get_data(as_text=True)
    # The form again, filled with what was typed, and a fresh token to send it with.
    assert "三つ目の意見です。</textarea>" in html
    assert 'value="山田花子"' in html and 'value="hanako@example.jp"' in html
    assert csrf_token_from(html)
    # When to try again, as the city writes a time (Japanese by default: 令和8年12月3日（木）14時05分以降), and in minutes.
    assert re.search(r"(\d+|元)年\d{1,2}月\d{1,2}日（.）\d{1,2}時\d{2}分以降", html)
    minutes = int(re.search(r"約(\d+)分後", html).group(1))
    assert minutes == -(-wait // 60), "the page and Retry-After name the same moment"
    # The alert names the limit, never the address or what was typed.
    reached = [record.getMessage() for record in caplog.records if "limit reached" in record.getMessage()]
    assert reached and "public.submit_comment" in reached[0]
    assert "198.51.100." not in caplog.text and "hanako" not in caplog.text

    # Once the limit is reached it holds for the form, not for reading the pages.
    assert client.get(f"/consultations/{consultation.slug}").status_code == 200


def test_the_limit_page_speaks_english_when_chosen(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_FORM_POSTS_PER_ADDRESS_PER_HOUR", 1)
    consultation = make_consultation()
    client = client_from(app, lang="en")
    assert post_comment(client, consultation).status_code == 303
    refused = post_comment(client, consultation, body="Second opinion.")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "Too many opinions were sent from your connection" in html
    assert re.search(r"Try again after \w{3} \d{1,2} \w+ \d{4}, \d{2}:\d{2}", html) or re.search(
        r"send it again after \w{3} \d{1,2} \w+ \d{4}, \d{2}:\d{2}", html
    ), "the time to try again, as the English pages write one"
    assert "Second opinion.</textarea>" in html


def test_the_limit_counts_per_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_FORM_POSTS_PER_ADDRESS_PER_HOUR", 1)
    consultation = make_consultation()
    assert post_comment(client_from(app), consultation).status_code == 303
    assert post_comment(client_from(app), consultation).status_code == 303, "another address has its own count"


def forwarded_for(client, address: str):
    client.environ_base["HTTP_X_FORWARDED_FOR"] = address
    return client


def test_a_forwarded_address_counts_only_behind_a_proxy(app, database_url, tmp_path, monkeypatch):
    """A client may write X-Forwarded-For itself: it is read only when PROXY_FIX_X_FOR says a proxy sets it."""
    monkeypatch.setitem(app.config, "PUBLIC_FORM_POSTS_PER_ADDRESS_PER_HOUR", 1)
    consultation = make_consultation()
    direct = client_from(app)
    assert post_comment(forwarded_for(direct, "203.0.113.1"), consultation).status_code == 303
    assert post_comment(forwarded_for(direct, "203.0.113.2"), consultation).status_code == 429

    proxied = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        INSTANCE_PATH=tmp_path,
        ATTACHMENT_STORAGE=tmp_path / "attachments",
        PROXY_FIX_X_FOR=1,
        PUBLIC_FORM_POSTS_PER_ADDRESS_PER_HOUR=1,
    )
    proxy = client_from(proxied, "127.0.0.1")
    for citizen in ("203.0.113.3", "203.0.113.4"):
        assert post_comment(forwarded_for(proxy, citizen), consultation).status_code == 303
    assert post_comment(forwarded_for(proxy, "203.0.113.3"), consultation).status_code == 429


def test_receipt_mails_to_one_address_are_capped_and_the_opinion_is_kept(app, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "RECEIPT_MAILS_PER_RECIPIENT_PER_DAY", 2)
    consultation = make_consultation()
    victim = "someone-else@example.jp"
    receipts = []
    with caplog.at_level(logging.WARNING, logger="comments.throttles"):
        for number in range(3):
            client = client_from(app, lang="en")  # three senders, one address typed by all
            sent = post_comment(client, consultation, body=f"意見{number}です。", email=victim)
            assert sent.status_code == 303, "the opinion is stored whatever the mail limit"
            receipts.append(client.get(sent.headers["Location"]).get_data(as_text=True))

    assert stored(consultation) == 3
    assert mails_to(victim) == 2
    assert "No receipt e-mail was sent" not in receipts[0]
    assert "No receipt e-mail was sent" in receipts[2]
    assert "Receipt number" in receipts[2]
    withheld = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "submission.receipt_mail_withheld"))
    assert len(withheld.all()) == 1
    assert "limit reached: receipt-mail" in caplog.text
    assert "someone-else" not in caplog.text

    other = client_from(app)
    assert post_comment(other, consultation, email="another@example.jp").status_code == 303
    assert mails_to("another@example.jp") == 1, "each address has its own count"


def test_reset_links_to_one_account_are_capped_behind_the_same_answer(app, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAILS_PER_ACCOUNT_PER_HOUR", 2)
    member = make_user(Role.member)
    client = client_from(app, lang="en")
    answers = []
    for _ in range(4):
        page = client.get("/auth/password-reset").get_data(as_text=True)
        response = client.post(
            "/auth/password-reset", data={"csrf_token": csrf_token_from(page), "email": member.email}
        )
        answers.append((response.status_code, response.headers["Location"]))
        assert "If the address has an account" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert len(set(answers)) == 1, "the same answer over the limit as under it"
    assert mails_to(member.email) == 2


@pytest.fixture
def response_in_review():
    clerk = make_user(Role.secretariat)
    drafter = make_user(Role.department_staff)
    [item] = make_items(make_consultation(), clerk, "再委託先の安全管理")
    assign([item], drafter.department)
    respond(item, author=drafter, until="in_review")
    return item


def approve(client, item, password: str):
    page = f"/staff/items/{item.id}/response"
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(f"{page}/approve", data={"csrf_token": token, "password": password})


def test_wrong_approval_passwords_count_with_failed_sign_ins(app, monkeypatch, response_in_review):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR", 3)
    approver = make_user(Role.secretariat)
    client = client_from(app, lang="en")
    assert sign_in(client, approver).status_code == 303
    assert sign_in(client_from(app), approver, password="a-wrong-password-1").status_code == 401

    for attempt in range(2):
        assert approve(client, response_in_review, f"wrong-password-{attempt}").status_code == 422
    blocked = approve(client, response_in_review, DEFAULT_PASSWORD)
    assert blocked.status_code == 429, "three wrong passwords in all: even the right one waits"
    assert 0 < int(blocked.headers["Retry-After"]) <= 3600
    assert "Try again after" in blocked.get_data(as_text=True)
    assert sign_in(client_from(app), approver).status_code == 429, "and so does signing in elsewhere"
    assert sign_in(client_from(app), make_user(Role.secretariat)).status_code == 303, "others are unaffected"


def test_a_refusal_for_another_reason_does_not_count(app, monkeypatch, response_in_review):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR", 1)
    approver = make_user(Role.secretariat)
    client = client_from(app)
    assert sign_in(client, approver).status_code == 303
    for _ in range(2):
        page = f"/staff/items/{response_in_review.id}/response"
        token = csrf_token_from(client.get(page).get_data(as_text=True))
        assert client.post(f"{page}/approve", data={"csrf_token": token, "password": ""}).status_code == 422
    assert approve(client, response_in_review, DEFAULT_PASSWORD).status_code == 303


def test_an_unreachable_store_never_refuses_an_opinion_or_its_receipt(app, database_url, tmp_path, caplog):
    """Redis down: each worker counts in its own memory (and says so) rather than failing the citizen."""
    unreachable = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        INSTANCE_PATH=tmp_path,
        ATTACHMENT_STORAGE=tmp_path / "attachments",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1",  # nothing listens there
        PUBLIC_FORM_POSTS_PER_ADDRESS_PER_HOUR=5,
    )
    consultation = make_consultation()
    with caplog.at_level(logging.WARNING):
        sent = post_comment(client_from(unreachable), consultation, email="citizen@example.jp")
    assert sent.status_code == 303
    assert stored(consultation) == 1 and mails_to("citizen@example.jp") == 1
    assert "falling back to in-memory storage" in caplog.text
