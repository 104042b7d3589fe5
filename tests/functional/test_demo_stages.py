"""`flask seed-demo` shows every stage to a newcomer: a consultation being answered with a response in each state,
one inspected with its final packet, one with published results, each reached from a home page by following at
most three links; seeding again builds nothing twice, and the accounts file belongs to its database."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

from sqlalchemy import func, select

from comments.demo import stages
from comments.demo.accounts import DATABASE_LINE, accounts_file_candidates, find_accounts_file, write_accounts_file
from comments.demo.finished import FINISHED_SLUG
from comments.domain.responses import find_response
from comments.domain.triage import untriaged_parts
from comments.extensions import db
from comments.models import (
    AuditEvent,
    Channel,
    Consultation,
    ConsultationStatus,
    Item,
    Meeting,
    Response,
    ResponseState,
    ReviewComment,
    Submission,
    User,
)
from tests.functional.auth_helpers import sign_in

MAX_CLICKS = 3


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: set[str] = set()

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.add(unescape(href))


def links_on(page: str) -> set[str]:
    parser = _Links()
    parser.feed(page)
    return parser.hrefs


def follow(client, start: str, *hrefs: str) -> str:
    """Open ``start``, then follow each link in turn, asserting every one is on the page before it; return the
    last page's text. The number of links followed is the number of clicks."""
    assert len(hrefs) <= MAX_CLICKS, f"{len(hrefs)} clicks from {start}"
    response = client.get(start)
    assert response.status_code == 200, start
    for href in hrefs:
        page = response.get_data(as_text=True)
        assert href in links_on(page), f"no link to {href} on {response.request.path}"
        response = client.get(href)
        assert response.status_code == 200, href
    return response.get_data(as_text=True)


def seed(app) -> str:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


def by_slug(slug: str) -> Consultation:
    return db.session.scalars(select(Consultation).where(Consultation.slug == slug)).one()


def password_of(app, email: str) -> str:
    path = find_accounts_file(instance_of(app), app.config["SQLALCHEMY_DATABASE_URI"])
    match = re.search(rf"^\s*{re.escape(email)}\s+password (\S+)", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"{email} is not in {path}"
    return match.group(1)


def instance_of(app) -> Path:
    return Path(app.instance_path)


def test_the_demo_has_a_consultation_being_answered_with_a_response_in_each_state(app):
    seed(app)
    consultation = by_slug(stages.RESPONDING_SLUG)
    assert consultation.status == ConsultationStatus.responding
    submissions = db.session.scalars(select(Submission).where(Submission.consultation_id == consultation.id)).all()
    assert {Channel.web, Channel.post, Channel.fax, Channel.email} <= {submission.channel for submission in submissions}
    assert all(not untriaged_parts(submission) for submission in submissions), "every submission is triaged"
    items = db.session.scalars(select(Item).where(Item.consultation_id == consultation.id)).all()
    assert any(item.group_id for item in items), "two items of the same purport are grouped"
    assert len({item.department_id for item in items}) == 2 and all(item.department_id for item in items)

    responses = {item.id: find_response(item) for item in items}
    states = [response.state if response else None for response in responses.values()]
    assert {ResponseState.approved, ResponseState.in_review, ResponseState.drafting, None} <= set(states)
    # Returned: in review, a reviewer's remark, then revised (back in drafting, with two revisions).
    returned = [
        response
        for response in responses.values()
        if response
        and response.state == ResponseState.drafting
        and db.session.scalar(select(func.count()).where(ReviewComment.response_id == response.id))
        and len(response.revisions) == 2
    ]
    assert len(returned) == 1
    actions = [
        action
        for (action,) in db.session.execute(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "responses", AuditEvent.object_id == str(returned[0].id)
            )
        )
    ]
    assert actions == ["response.saved", "response.submitted", "response.commented", "response.saved"]
    unanswered = [item for item in items if responses[item.id] is None]
    assert unanswered and all(item.due_on and item.department.name == stages.SYSTEMS_DEPARTMENT for item in unanswered)


def test_the_demo_has_an_inspected_consultation_with_its_final_packet(app):
    seed(app)
    consultation = by_slug(stages.INSPECTED_SLUG)
    assert consultation.status == ConsultationStatus.inspected and consultation.results_published_at is None
    meeting = db.session.get(Meeting, consultation.inspection_meeting_id)
    assert meeting.title == stages.SPECIAL_MEETING_TITLE and meeting.final_packet_at is not None
    assert consultation in meeting.consultations
    items = db.session.scalars(select(Item).where(Item.consultation_id == consultation.id)).all()
    assert items and all(find_response(item).state == ResponseState.approved for item in items)
    actions = set(
        db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "consultations", AuditEvent.object_id == str(consultation.id)
            )
        )
    )
    assert {"consultation.created", "consultation.opened", "consultation.closed", "consultation.inspected"} <= actions


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Consultation, Submission, Item, Response, Meeting, User, AuditEvent)
    }


def test_seeding_again_builds_nothing_twice(app):
    seed(app)
    before = _counts()
    again = seed(app)
    assert _counts() == before
    assert again.count("already present") == 5, again  # four consultations and the accounts


def test_seeding_a_demo_made_before_the_stages_adds_only_the_missing_consultations(app, app_context):
    from comments.demo.accounts import seed_demo_accounts
    from comments.demo.finished import seed_finished_demo
    from comments.demo.seed import seed_demo
    from comments.domain.audit import Actor
    from comments.storage import blob_store

    # A database seeded by the earlier `flask seed-demo`: the open and the finished consultations only.
    seed_demo(blob_store(app), Actor("test"))
    seed_demo_accounts(Actor("test"))
    seed_finished_demo(blob_store(app), Actor("test"))
    before = _counts()
    output = seed(app)
    assert "Demo consultation being answered created" in output and "Inspected demo consultation created" in output
    assert "Finished demo consultation already present" in output
    after = _counts()
    assert after["Consultation"] == before["Consultation"] + 2 and after["User"] == before["User"]
    assert after["Meeting"] == before["Meeting"] + 1, "only the inspected one's special meeting is new"


def test_the_accounts_file_is_named_after_its_database_and_says_which(app):
    instance = instance_of(app)
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    for path in accounts_file_candidates(instance, database):
        path.unlink(missing_ok=True)
    output = seed(app)
    path = find_accounts_file(instance, database)
    assert path is not None and f"(kept in {path})" in output
    assert path.name.startswith("demo-accounts-") and path.name != "demo-accounts.txt"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(DATABASE_LINE) and "jimukyoku@example.jp" in text
    assert path.stat().st_mode & 0o077 == 0, "readable by the owner only"
    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert f"Demo accounts already present; see {path}" in again.output
    path.unlink()


def test_seeding_never_overwrites_another_databases_accounts_file(app):
    instance = instance_of(app)
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    same_name, own = accounts_file_candidates(instance, database)
    own.unlink(missing_ok=True)
    # Another database of the same name (another server, another folder) already has the file of that name.
    other = f"{DATABASE_LINE}sqlite:////elsewhere/{same_name.stem}.sqlite3\n  jimukyoku@example.jp password other\n"
    same_name.write_text(other, encoding="utf-8")
    output = seed(app)
    assert same_name.read_text(encoding="utf-8") == other, "the other database's file is untouched"
    assert f"(kept in {own})" in output and find_accounts_file(instance, database) == own
    same_name.unlink()
    own.unlink()


def test_accounts_files_of_two_databases_are_two_files(tmp_path):
    first = write_accounts_file(tmp_path, "sqlite:////srv/demo/comments.sqlite3", ["a"])
    second = write_accounts_file(tmp_path, "postgresql://demo:secret@db.example.jp/comments", ["b"])
    third = write_accounts_file(tmp_path, "postgresql://demo@db.example.jp/other", ["c"])
    assert len({first, second, third}) == 3
    assert first.read_text(encoding="utf-8").splitlines()[1] == "a"
    assert "secret" not in second.read_text(encoding="utf-8"), "the password is never written"
    # The same database, written again, keeps its own file.
    assert write_accounts_file(tmp_path, "sqlite:////srv/demo/comments.sqlite3", ["a2"]) == first


def test_a_secretariat_newcomer_reaches_every_stage_within_three_clicks_of_home(app, client):
    seed(app)
    clerk = db.session.scalars(select(User).where(User.email == "jimukyoku@example.jp")).one()
    client.set_cookie("lang", "en")
    signed_in = sign_in(client, clerk, password=password_of(app, clerk.email))
    assert signed_in.status_code == 303
    home = signed_in.headers["Location"]
    assert home.endswith("/staff/")

    # (a) A published result.
    finished = by_slug(FINISHED_SLUG)
    results = follow(client, home, f"/consultations/{finished.slug}/results")
    assert finished.title in results and "Senders: 3" in results

    # (b) An inspection packet: the final packet of the meeting that inspected the inspected consultation.
    inspected = by_slug(stages.INSPECTED_SLUG)
    meeting_id = inspected.inspection_meeting_id
    packet = follow(
        client, home, "/staff/meetings", f"/staff/meetings/{meeting_id}", f"/staff/meetings/{meeting_id}/packet"
    )
    assert inspected.title in packet and stages.INSPECTED_ANSWERS[1].body in packet

    # (c) A response awaiting approval.
    consultation = by_slug(stages.RESPONDING_SLUG)
    awaiting = next(
        item
        for item in db.session.scalars(select(Item).where(Item.consultation_id == consultation.id))
        if (response := find_response(item)) and response.state == ResponseState.in_review
    )
    page = follow(client, home, "/staff/queue?state=in_review", f"/staff/items/{awaiting.id}/response")
    assert stages.AWAITING_ANSWER.body in page and "In review" in page


def test_the_public_reaches_the_published_results_within_three_clicks_of_home(app, client):
    seed(app)
    finished = by_slug(FINISHED_SLUG)
    results = follow(client, "/", f"/consultations/{finished.slug}", f"/consultations/{finished.slug}/results")
    assert finished.title in results


def test_the_demo_pages_name_a_start_page_for_each_role_and_each_stage(app):
    seed(app)
    output = app.test_cli_runner().invoke(args=["demo-pages", "--base-url", "http://127.0.0.1:5000"]).output
    inspected = by_slug(stages.INSPECTED_SLUG)
    for line in (
        "http://127.0.0.1:5000/auth/login",
        "http://127.0.0.1:5000/staff/  as jimukyoku@example.jp",
        "http://127.0.0.1:5000/staff/queue?state=in_review  as kenkohoken-kacho@example.jp",
        "http://127.0.0.1:5000/committee/  as bukaicho@example.jp",
        f"http://127.0.0.1:5000/staff/meetings/{inspected.inspection_meeting_id}/packet",
        f"http://127.0.0.1:5000/consultations/{FINISHED_SLUG}/results",
        str(find_accounts_file(instance_of(app), app.config["SQLALCHEMY_DATABASE_URI"])),
    ):
        assert line in output, line
