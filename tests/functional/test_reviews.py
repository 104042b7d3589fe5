"""The periodic account review and the audit-trail review page."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from sqlalchemy import select

from comments.domain.audit import Actor, record_event
from comments.extensions import db
from comments.models import AccountReview, AuditEvent, AuditReview, Submission
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import make_consultation, make_user
from tests.functional.auth_helpers import sign_in
from tests.functional.helpers import post_comment


def admin_client(app):
    client = app.test_client()
    admin = make_user(Role.administrator)
    assert sign_in(client, admin).status_code == 303
    return client, admin


def test_account_review_is_recorded_with_who_did_it(app):
    client, admin = admin_client(app)
    page = client.get("/admin/accounts").get_data(as_text=True)
    assert 'id="last-review"' in page
    client.post("/admin/accounts/review", data={"csrf_token": csrf_token_from(page), "note": "異動者なし"})
    review = db.session.execute(select(AccountReview).order_by(AccountReview.id.desc())).scalars().first()
    assert review.reviewed_by_id == admin.id and review.note == "異動者なし" and review.accounts_reviewed >= 1
    assert admin.display_name in client.get("/admin/accounts").get_data(as_text=True)


def test_audit_page_filters_flags_and_marks_a_period_reviewed(app, client):
    consultation = make_consultation()
    post_comment(client, consultation, name="見えてはいけない名前")
    submission = db.session.execute(select(Submission).order_by(Submission.id.desc())).scalars().first()
    night = datetime(2026, 11, 21, 14, 30, tzinfo=UTC)  # 23:30 in Japan, a Saturday
    db.session.add(
        AuditEvent(
            occurred_at=night,
            actor="user:999",
            action="personal_data.viewed",
            object_type="submissions",
            object_id=str(submission.id),
            detail={},
        )
    )
    db.session.flush()
    admin, _ = admin_client(app)
    page = admin.get("/admin/audit", query_string={"start": "2026-11-21", "end": "2026-11-21"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "user:999" in html, "an actor who is no account is shown as recorded"
    assert "個人情報の閲覧" in html and "personal_data.viewed" not in html
    flagged = html.split('id="flags"')[1].split("</ul>")[0]
    assert "user:999" in flagged, "a Saturday-night look at personal data is flagged"
    assert "見えてはいけない名前" not in html
    filtered = admin.get("/admin/audit", query_string={"action": "submission.accepted"}).get_data(as_text=True)
    assert "個人情報の閲覧" not in filtered.split("<tbody>")[1]
    token = csrf_token_from(html)
    admin.post(
        "/admin/audit/review",
        data={"csrf_token": token, "start": "2026-11-21", "end": "2026-11-21", "note": "確認済み"},
    )
    review = db.session.execute(select(AuditReview).order_by(AuditReview.id.desc())).scalars().first()
    assert review.note == "確認済み"


def test_the_review_names_people_and_events_in_japanese(app):
    """Issue 15: a reviewer read ``user:2``, ``login.succeeded`` and "user:2がデータを8回エクスポートしました"."""
    consultation = make_consultation()
    clerk = make_user(Role.secretariat)
    clerk.display_name = "事務局 花子"
    for _ in range(8):
        record_event(Actor(f"user:{clerk.id}"), "packet.exported", consultation)
    record_event(Actor(f"user:{clerk.id}"), "login.succeeded", clerk)
    record_event(Actor("worker"), "outbox.retried", consultation)
    db.session.flush()
    admin, _ = admin_client(app)
    html = admin.get("/admin/audit").get_data(as_text=True)
    flagged = html.split('id="flags"')[1].split("</ul>")[0]
    assert "事務局 花子さんが8回データをエクスポートしました。" in flagged
    events = html.split("<tbody>")[1]
    assert "事務局 花子（事務局）" in events and "ログイン" in events and "点検資料のダウンロード" in events
    assert "バックグラウンド処理" in events and "メールの再送信" in events
    assert f"user:{clerk.id}" not in events and "login.succeeded" not in events
    by_name = admin.get("/admin/audit", query_string={"actor": "事務局 花子"}).get_data(as_text=True)
    assert "点検資料のダウンロード" in by_name.split("<tbody>")[1], "the reviewer filters by the name shown"
    assert "バックグラウンド処理" not in by_name.split("<tbody>")[1]
    english = app.test_client()
    english.set_cookie("lang", "en")
    sign_in(english, make_user(Role.administrator))
    page = english.get("/admin/audit").get_data(as_text=True)
    assert "事務局 花子 exported data 8 times." in page and "Signed in" in page


def test_audit_csv_export_is_neutralised_and_itself_audited(app):
    record_event(Actor("=cmd|' /C calc'!A0"), "test.formula", make_consultation())
    db.session.flush()
    admin, _ = admin_client(app)
    response = admin.get("/admin/audit.csv", query_string={"action": "test.formula"})
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "seq" and rows[1][3].startswith("'=")
    named = dict(zip(rows[0], rows[1], strict=True))
    assert named["event"] == "test.formula", "an event the code does not record keeps its identifier"
    assert named["actor_name"].startswith("'="), "a name is neutralised like every other cell"
    exported = db.session.execute(select(AuditEvent).where(AuditEvent.action == "audit.exported")).scalars().all()
    assert exported


def test_only_administrators_reach_the_audit_pages(app):
    client = app.test_client()
    sign_in(client, make_user(Role.secretariat))
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit.csv").status_code == 403


def test_many_views_by_one_person_and_exports_are_flagged(app):
    from comments.domain.audit_review import MANY_VIEWS, AuditFilter, flag_unusual

    consultation = make_consultation()
    for _ in range(MANY_VIEWS + 1):
        record_event(Actor("user:777"), "personal_data.viewed", consultation)
    for _ in range(MANY_VIEWS):
        record_event(Actor("user:778"), "personal_data.viewed", consultation)
    record_event(Actor("user:777"), "audit.exported", consultation)
    db.session.flush()
    flags = flag_unusual(AuditFilter())
    assert flags.many_views.get("user:777") == MANY_VIEWS + 1
    assert "user:778" not in flags.many_views, "at the threshold is not yet unusual"
    assert flags.exports.get("user:777") == 1
