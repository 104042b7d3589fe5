"""Notifications that keep the cycle moving (issue 14, point 6): each trigger makes the right rows for the
right people and for nobody else; single mails and the daily digest (once a day, after the configured hour in
Japan, safe to run twice and by two workers); the pages of one's own notices, marking them read, and the
choice of a daily digest on the account page."""

from __future__ import annotations

import contextlib
import re
import threading
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import delete, func, select

from comments import clock
from comments.dates import calendar_day
from comments.domain.audit import Actor, seal_events
from comments.domain.notifications import (
    KINDS,
    notifications_for,
    notify,
    notify_due_soon,
    notify_slipped_steps,
    render,
    send_digests,
)
from comments.domain.responses import response_for, save_draft, submit_for_review
from comments.domain.schedule import steps_of
from comments.domain.triage import assign_items, carry_over
from comments.extensions import db
from comments.ingestion.mail.pipeline import ingest_message
from comments.models import (
    AuditEvent,
    Department,
    InboundStatus,
    Notification,
    OutboxMessage,
    ResponseCategory,
    StepKind,
    StepState,
    User,
)
from comments.permissions import Role
from comments.storage import blob_store
from comments.worker import JOBS
from tests import dbutil, factories
from tests.conftest import csrf_token_from
from tests.factories import SUBMITTER, make_consultation, make_items, make_user, respond
from tests.functional.auth_helpers import sign_in

ACTOR = Actor("test")
JAPAN = clock.JAPAN


@contextlib.contextmanager
def in_app(app):
    """The application around domain calls (mail needs its settings and templates), with the test's own
    session, as the factories run."""
    token = factories.IN_FACTORY.set(True)
    try:
        with app.app_context():
            yield
    finally:
        factories.IN_FACTORY.reset(token)


def department(name: str) -> Department:
    row = Department(name=name)
    db.session.add(row)
    db.session.flush()
    return row


def notices_of(user: User, kind: str | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def mails_to(user: User) -> list[OutboxMessage]:
    """The outbox's mail to ``user``; addresses are sealed at rest, so compared once read."""
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    return [message for message in messages if message.to_address == user.email]


def japan(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JAPAN).astimezone(UTC)


@pytest.fixture
def clerk():
    return make_user(Role.secretariat)


# --- Items assigned ------------------------------------------------------------------------------------------


def test_assigning_items_tells_that_departments_staff_once_and_nobody_else(app, clerk):
    health = department("健康保険課（通知）")
    other = department("情報政策課（通知）")
    single = make_user(Role.department_staff, department=health)
    daily = make_user(Role.department_staff, department=health)
    daily.notify_daily = True
    gone = make_user(Role.department_staff, department=health)
    gone.active = False
    stranger = make_user(Role.department_staff, department=other)
    head = make_user(Role.department_approver, department=health)
    consultation = make_consultation()
    items = make_items(consultation, clerk, "意見A", "意見B", "意見C")
    with in_app(app):
        assign_items(items, health, due_on=clock.japan_today() + timedelta(days=14), actor=ACTOR)

    for person in (single, daily):
        [notice] = notices_of(person)
        assert notice.kind == "items.assigned"
        assert notice.params == {"count": 3, "consultation": consultation.title}
        assert notice.link == "/staff/queue"
    for person in (gone, stranger, head, clerk):
        assert notices_of(person) == []
    # One mail at once for the one who chose single mails; the digest keeps the other's.
    [mail] = mails_to(single)
    assert consultation.title in mail.subject
    assert "http://localhost/staff/queue" in mail.body_text
    assert notices_of(single)[0].mailed_at is not None
    assert mails_to(daily) == [] and notices_of(daily)[0].mailed_at is None
    # No citizen's personal data in the notice or the mail, though the items came from a citizen's text.
    for text in (mail.subject, mail.body_text, str(notices_of(single)[0].params)):
        assert not any(value in text for value in SUBMITTER)


def test_assigning_through_the_page_notifies_once_per_assignment(client, clerk):
    health = department("健康保険課（画面通知）")
    staff = make_user(Role.department_staff, department=health)
    consultation = make_consultation()
    first, second = make_items(consultation, clerk, "意見A", "意見B")
    assert sign_in(client, clerk).status_code == 303
    token = csrf_token_from(client.get(f"/staff/consultations/{consultation.id}/items").get_data(as_text=True))
    due = (clock.japan_today() + timedelta(days=10)).isoformat()
    url = f"/staff/consultations/{consultation.id}/assignments"
    data = {"csrf_token": token, "items": [first.id, second.id], "department_id": health.id, "due_on": due}
    assert client.post(url, data={**data, "due_on": "1999-01-01"}).status_code == 422
    assert notices_of(staff) == []  # a refused assignment tells nobody
    assert client.post(url, data=data).status_code == 303
    [notice] = notices_of(staff)
    assert notice.params["count"] == 2


# --- Responses waiting -------------------------------------------------------------------------------------


def test_a_response_sent_for_review_tells_who_may_approve_it_and_never_its_author(app, clerk):
    health = department("健康保険課（承認通知）")
    other = department("情報政策課（承認通知）")
    drafter = make_user(Role.department_staff, department=health)
    colleague = make_user(Role.department_staff, department=health)
    head = make_user(Role.department_approver, department=health)
    other_head = make_user(Role.department_approver, department=other)
    city = make_user(Role.city_approver)
    writing_clerk = make_user(Role.secretariat)
    consultation = make_consultation()
    [item] = make_items(consultation, clerk, "暗号化の方式を知りたい")
    with in_app(app):
        assign_items([item], health, due_on=None, actor=ACTOR)
        response = response_for(item)
        save_draft(response, body="第一稿", category=None, change_made="", author=writing_clerk, actor=ACTOR)
        save_draft(
            response, body="第二稿", category=ResponseCategory.answered, change_made="", author=drafter, actor=ACTOR
        )
        submit_for_review(response, actor=ACTOR)

    link = f"/staff/items/{item.id}/response"
    for person in (head, city):
        [notice] = notices_of(person, "response.approval_waiting")
        assert (notice.params, notice.link) == ({"number": item.number, "consultation": consultation.title}, link)
    [notice] = notices_of(clerk, "response.review_waiting")
    assert notice.link == link
    assert notices_of(clerk, "response.approval_waiting") == []
    for person in (drafter, writing_clerk, colleague, other_head):
        assert notices_of(person, "response.approval_waiting") + notices_of(person, "response.review_waiting") == []


def test_sending_the_same_revision_again_tells_nobody_twice(app, clerk):
    health = department("健康保険課（再送）")
    drafter = make_user(Role.department_staff, department=health)
    head = make_user(Role.department_approver, department=health)
    consultation = make_consultation()
    [item] = make_items(consultation, clerk, "意見")
    with in_app(app):
        assign_items([item], health, due_on=None, actor=ACTOR)
        response = respond(item, author=drafter, until="in_review")
        response.state = response.state.drafting  # sent back without a new revision (e.g. by hand)
        submit_for_review(response, actor=ACTOR)
        assert len(notices_of(head, "response.approval_waiting")) == 1
        save_draft(
            response,
            body="直した考え方",
            category=ResponseCategory.answered,
            change_made="",
            author=drafter,
            actor=ACTOR,
        )
        submit_for_review(response, actor=ACTOR)
    assert len(notices_of(head, "response.approval_waiting")) == 2  # a new revision is new work


# --- Mail quarantined ----------------------------------------------------------------------------------------


def stranger_mail(number: int) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"someone{number}@example.com"
    mail["To"] = "questions+not-a-token@intake.comments.localhost"
    mail["Subject"] = f"質問{number}"
    mail.set_content("本文です。")
    return mail.as_bytes()


def test_a_burst_of_quarantined_mail_gives_each_of_the_secretariat_one_unread_notice(app, clerk, frozen_clock):
    member = make_user(Role.member)
    staff = make_user(Role.department_staff)
    frozen_clock.set(japan(2026, 12, 3, 10))
    with in_app(app):
        for number in range(3):
            result = ingest_message(stranger_mail(number), source="pipe", actor=ACTOR, blob_store=blob_store())
            assert result.message.status == InboundStatus.quarantined
    [notice] = notices_of(clerk, "mail.quarantined")
    assert notice.params["count"] >= 1
    assert notice.link == "/staff/mail"
    assert notices_of(member) == [] and notices_of(staff) == []

    notice.read_at = clock.now()
    with in_app(app):
        ingest_message(stranger_mail(3), source="pipe", actor=ACTOR, blob_store=blob_store())
    assert len(notices_of(clerk, "mail.quarantined")) == 1  # once a day, even once read
    frozen_clock.set(japan(2026, 12, 4, 10))
    with in_app(app):
        ingest_message(stranger_mail(4), source="pipe", actor=ACTOR, blob_store=blob_store())
        ingest_message(stranger_mail(5), source="pipe", actor=ACTOR, blob_store=blob_store())
    assert len(notices_of(clerk, "mail.quarantined")) == 2  # the next day, one more


# --- Due dates near and steps slipped (worker jobs) -----------------------------------------------------------


def test_a_near_due_date_is_told_once_per_department_consultation_and_date(app, clerk, frozen_clock):
    health = department("健康保険課（期限）")
    staff = make_user(Role.department_staff, department=health)
    approver = make_user(Role.department_approver, department=health)
    stranger = make_user(Role.department_staff)
    consultation = make_consultation()
    today = clock.japan_today()
    soon, answered, carried, later = make_items(consultation, clerk, "近い", "承認済み", "持ち越し", "遠い")
    with in_app(app):
        assign_items([soon, answered, carried], health, due_on=today + timedelta(days=2), actor=ACTOR)
        assign_items([later], health, due_on=today + timedelta(days=20), actor=ACTOR)
        respond(answered, author=staff, approver=approver)
        carry_over(carried, reason="国の回答待ち", actor=ACTOR)
        assert notify_due_soon() == 1
        assert notify_due_soon() == 0  # safe to run again
    [notice] = notices_of(staff, "items.due_soon")
    assert notice.params == {
        "count": 1,
        "consultation": consultation.title,
        "due": (today + timedelta(days=2)).isoformat(),
    }
    assert notice.link == "/staff/queue?due=due_soon"
    assert notices_of(stranger) == [] and notices_of(clerk, "items.due_soon") == []
    # Three days later, after the due date, nothing new: an overdue item is the queue's business.
    frozen_clock.set(clock.now() + timedelta(days=3))
    with in_app(app):
        assert notify_due_soon() == 0


def test_a_slipped_step_is_told_to_the_secretariat_once(app, clerk):
    staff = make_user(Role.department_staff)
    member = make_user(Role.member)
    consultation = make_consultation()
    today = clock.japan_today()
    with in_app(app):
        steps = {step.kind: step for step in steps_of(consultation)}
        steps[StepKind.pre_inspection].planned_on = today - timedelta(days=1)
        steps[StepKind.comment_period].planned_on = today - timedelta(days=5)
        steps[StepKind.comment_period].state = StepState.done
        steps[StepKind.inspection].planned_on = today  # not past yet
        db.session.flush()
        assert notify_slipped_steps(actor=ACTOR) == 1
        assert notify_slipped_steps(actor=ACTOR) == 0
    [notice] = notices_of(clerk, "step.slipped")
    assert notice.params["step"] == StepKind.pre_inspection.value
    assert notice.link == f"/staff/consultations/{consultation.id}/progress"
    assert steps[StepKind.pre_inspection].slip_notified_at is not None
    assert notices_of(staff) == [] and notices_of(member) == []
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "schedule.step_slipped")) >= 1


def test_the_jobs_are_the_workers(app):
    assert {"notices", "digests"} <= {job.name for job in JOBS}


# --- The daily digest ----------------------------------------------------------------------------------------


def test_the_digest_mails_each_person_who_chose_it_once_a_day_after_the_hour(app, frozen_clock):
    reader = make_user(Role.member)
    reader.notify_daily = True
    single = make_user(Role.member)
    frozen_clock.set(japan(2026, 12, 3, 6))
    with in_app(app):
        notify([reader, single], "meeting.notice", params={"meeting": "第3回部会"}, link="/committee/")
        notify([reader], "meeting.papers_posted", params={"meeting": "第3回部会"}, link="/committee/")
        assert len(mails_to(single)) == 1  # at once
        frozen_clock.set(japan(2026, 12, 3, 7, 59))
        assert send_digests(100, actor=ACTOR) == 0  # before the hour
        assert mails_to(reader) == []
        frozen_clock.set(japan(2026, 12, 3, 9))
        assert send_digests(100, actor=ACTOR) >= 1
        assert send_digests(100, actor=ACTOR) == 0  # the second run sends nothing
        [digest] = mails_to(reader)
        assert len(mails_to(single)) == 1  # nothing more for the one who had it at once
        assert "第3回部会" in digest.body_text and digest.body_text.count("http://localhost/committee/") == 2
        assert "http://localhost/auth/account" in digest.body_text
        assert all(notice.mailed_at is not None for notice in notices_of(reader))

        # A notice made after the hour waits for tomorrow's digest.
        frozen_clock.set(japan(2026, 12, 3, 10))
        notify([reader], "minutes.circulated", params={"meeting": "第3回部会", "deadline": "2026-12-10"})
        frozen_clock.set(japan(2026, 12, 3, 23))
        send_digests(100, actor=ACTOR)
        assert len(mails_to(reader)) == 1
        frozen_clock.set(japan(2026, 12, 4, 8, 1))
        send_digests(100, actor=ACTOR)
        assert len(mails_to(reader)) == 2
        # The date as a Japanese notice writes it (comments/dates.py).
        assert calendar_day(date(2026, 12, 10), locale="ja") in mails_to(reader)[1].body_text


def test_notices_made_with_no_application_go_in_the_next_days_round_up(app, clerk, frozen_clock):
    health = department("健康保険課（アプリ外）")
    staff = make_user(Role.department_staff, department=health)
    consultation = make_consultation()
    items = make_items(consultation, clerk, "意見")
    frozen_clock.set(japan(2026, 12, 3, 6))
    assign_items(items, health, due_on=None, actor=ACTOR)  # a script on the session alone: no mail possible
    [notice] = notices_of(staff)
    assert notice.mailed_at is None and mails_to(staff) == []
    frozen_clock.set(japan(2026, 12, 3, 9))
    with in_app(app):
        send_digests(100, actor=ACTOR)
    [mail] = mails_to(staff)
    assert "http://localhost/auth/notifications" in mail.body_text  # no link of its own: the list


@pytest.mark.no_db_session
@pytest.mark.skipif(dbutil.backend() != "postgresql", reason="two workers' writes overlap on PostgreSQL only")
def test_two_workers_at_once_send_each_digest_once(app):
    previous = clock.set_source(lambda: japan(2026, 12, 3, 9))
    emails = []
    with app.app_context():
        first_mail = (db.session.scalar(select(func.max(OutboxMessage.id))) or 0) + 1
    try:
        with app.app_context():
            people = [make_user(Role.member) for _ in range(12)]
            for person in people:
                person.notify_daily = True
                emails.append(person.email)
                for number in range(3):
                    db.session.add(
                        Notification(
                            user_id=person.id,
                            kind="meeting.notice",
                            params={"meeting": f"第{number}回"},
                            link="/committee/",
                            created_at=japan(2026, 12, 3, 7),
                        )
                    )
            db.session.commit()
        start = threading.Barrier(2, timeout=20)
        errors = []

        def worker():
            try:
                with app.app_context():
                    start.wait()
                    send_digests(100, actor=ACTOR)
            except Exception as error:
                errors.append(repr(error))

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        with app.app_context():
            sent = sorted(message.to_address for message in mail_after(first_mail) if message.to_address in emails)
            assert sent == sorted(emails)  # each person once
            assert send_digests(100, actor=ACTOR) == 0
            assert len(mail_after(first_mail)) == len(emails)
    finally:
        clock.set_source(previous)
        with app.app_context():
            ids = list(db.session.scalars(select(User.id).where(User.email.in_(emails))))
            mine = [message.id for message in mail_after(first_mail) if message.to_address in emails]
            db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(mine)))
            db.session.execute(delete(Notification).where(Notification.user_id.in_(ids)))
            db.session.execute(delete(User).where(User.id.in_(ids)))
            seal_events()  # the trail stays one sealed chain for the tests after this one
            db.session.commit()


def mail_after(first_id: int) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.id >= first_id)))


# --- Rendering -----------------------------------------------------------------------------------------------


def test_every_kind_renders_and_a_missing_param_never_fails(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        for kind in KINDS:
            assert render(Notification(kind=kind, params={})).strip()
        assert render(Notification(kind="items.due_soon", params={"due": "not a date", "count": 2})).startswith("2")
        assert render(Notification(kind="unknown.kind", params={})) == "unknown.kind"


# --- Pages ---------------------------------------------------------------------------------------------------


def signed_in(client, user):
    client.set_cookie("lang", "en")
    assert sign_in(client, user).status_code == 303
    return client


def make_notices(app, user, count: int, *, link: str = "/committee/") -> list[Notification]:
    with in_app(app):
        made = []
        for number in range(count):
            made += notify([user], "meeting.notice", params={"meeting": f"第{number + 1}回部会"}, link=link)
        return made


def test_the_list_shows_unread_first_with_relative_links_and_the_nav_counts_them(app, client):
    member = make_user(Role.member)
    old, newer = make_notices(app, member, 2)
    old.created_at = clock.now() - timedelta(days=2)
    newer.read_at = clock.now()
    db.session.flush()
    signed_in(client, member)
    page = client.get("/auth/notifications").get_data(as_text=True)
    assert page.index("第1回部会") < page.index("第2回部会")  # the unread one first, though older
    assert 'href="/committee/"' in page and "http://localhost/committee/" not in page
    assert "Notifications (1 unread)" in page  # the navigation's words, read out with the link
    home = client.get("/committee/").get_data(as_text=True)
    assert "第1回部会" in home and "第2回部会" not in home  # the home page lists the unread
    assert 'href="/auth/notifications"' in home


def test_marking_read_one_and_all_and_never_another_persons(app, client):
    member = make_user(Role.member)
    other = make_user(Role.member)
    first, second, third = make_notices(app, member, 3)
    [theirs] = make_notices(app, other, 1)
    signed_in(client, member)
    token = csrf_token_from(client.get("/auth/notifications").get_data(as_text=True))

    assert client.post(f"/auth/notifications/{first.id}/read", data={"csrf_token": token}).status_code == 303
    assert client.post(f"/auth/notifications/{theirs.id}/read", data={"csrf_token": token}).status_code == 404
    assert client.post("/auth/notifications/999999999/read", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/auth/notifications/{second.id}/read", data={}).status_code == 400  # no CSRF token
    db.session.expire_all()
    assert first.read_at is not None and second.read_at is None and theirs.read_at is None

    # Going back stays on this site, whatever ``next`` says.
    answer = client.post(f"/auth/notifications/{second.id}/read", data={"csrf_token": token, "next": "//evil.example/"})
    assert answer.headers["Location"] == "/auth/notifications"
    answer = client.post("/auth/notifications/read-all", data={"csrf_token": token, "next": "/committee/"})
    assert (answer.status_code, answer.headers["Location"]) == (303, "/committee/")
    db.session.expire_all()
    assert third.read_at is not None and theirs.read_at is None
    assert "Notifications (" not in client.get("/auth/notifications").get_data(as_text=True)


def test_hostile_page_numbers_get_a_clear_refusal(app, client):
    member = make_user(Role.member)
    make_notices(app, member, 1)
    signed_in(client, member)
    for query in ("page=abc", "page=0", "page=-1", "page=%00", "page=１", "page=1&page=2", "page=99999999999999"):
        answer = client.get(f"/auth/notifications?{query}")
        assert answer.status_code == 400, query
        assert "The page number must be a whole number" in answer.get_data(as_text=True)
    beyond = client.get("/auth/notifications?page=2")
    assert beyond.status_code == 404 and "there is no page 2" in beyond.get_data(as_text=True)
    assert client.get("/auth/notifications?page=1").status_code == 200


def test_the_list_is_paged(app):
    member = make_user(Role.member)
    make_notices(app, member, 25)
    with in_app(app):
        first = notifications_for(member, page=1)
        second = notifications_for(member, page=2)
    assert (first.pages, first.total, len(first.notifications), len(second.notifications)) == (2, 25, 20, 5)
    assert not {notice.id for notice in first.notifications} & {notice.id for notice in second.notifications}


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert "/auth/login" in client.get("/auth/notifications").headers["Location"]


def test_every_home_lists_the_persons_notices(app):
    for role, home in (
        (Role.secretariat, "/staff/"),
        (Role.member, "/committee/"),
        (Role.administrator, "/admin/accounts"),
    ):
        person = make_user(role)
        make_notices(app, person, 1, link="/auth/account")
        client = signed_in(app.test_client(), person)
        page = client.get(home).get_data(as_text=True)
        assert 'id="home-notifications-title"' in page, role
        assert "第1回部会" in page, role


def test_choosing_the_daily_digest_on_the_account_page(app, client):
    member = make_user(Role.member)
    signed_in(client, member)
    page = client.get("/auth/account").get_data(as_text=True)
    assert "8:00 (Japan time)" in page
    assert re.search(r'<input[^>]*checked[^>]*value="each"|<input[^>]*value="each"[^>]*checked', page)
    token = csrf_token_from(page)
    answer = client.post("/auth/account/notifications", data={"csrf_token": token, "delivery": "daily"})
    assert answer.status_code == 303
    db.session.expire_all()
    assert member.notify_daily is True
    for wrong in ({"delivery": "hourly"}, {}, {"delivery": "daily" * 1000}):
        refused = client.post("/auth/account/notifications", data={"csrf_token": token, **wrong})
        assert refused.status_code == 422
        assert "Choose how notices are mailed to you" in refused.get_data(as_text=True) or "Not a valid choice" in (
            refused.get_data(as_text=True)
        )
    db.session.expire_all()
    assert member.notify_daily is True  # a refused form changes nothing
    assert client.post("/auth/account/notifications", data={"delivery": "each"}).status_code == 400
    assert client.post("/auth/account/notifications", data={"csrf_token": token, "delivery": "each"}).status_code == 303
    db.session.expire_all()
    assert member.notify_daily is False
