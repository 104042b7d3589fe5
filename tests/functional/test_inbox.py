"""The staff inbox: filters, Japanese search, keyset pages, the submission page and the audited reveal of
personal data (R26, R36, R41, R45), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from sqlalchemy import select

from comments.clock import JAPAN
from comments.extensions import db
from comments.models import AuditEvent, Channel, Submission, SubmitterKind
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import make_consultation, make_submission, make_user
from tests.functional.auth_helpers import sign_in
from tests.functional.helpers import PDF, post_comment


def search(client, consultation, query: str, **filters):
    """Search the inbox as staff do: the form posted, the text kept under an opaque id, the page shown."""
    token = csrf_token_from(client.get(inbox_url(consultation)).get_data(as_text=True))
    response = client.post(inbox_url(consultation), data={"csrf_token": token, "q": query, **filters})
    assert response.status_code == 303, response.status_code
    assert query not in unquote(response.headers["Location"])
    return client.get(response.headers["Location"])


def receipts_in(html: str) -> set[str]:
    return set(re.findall(r'/staff/submissions/\d+">([\d-]+)</a>', html))


def next_link(html: str) -> str | None:
    match = re.search(r'<a rel="next" href="([^"]+)"', html)
    return unescape(match.group(1)) if match else None


@pytest.fixture
def secretariat_client(client):
    assert sign_in(client, make_user(Role.secretariat)).status_code == 303
    return client


def inbox_url(consultation) -> str:
    return f"/staff/consultations/{consultation.id}/inbox"


def test_each_filter_narrows_the_list(secretariat_client):
    consultation = make_consultation()
    now = datetime.now(UTC)
    plain = make_submission(consultation, received_at=now - timedelta(days=3))
    by_post = make_submission(consultation, channel=Channel.post, received_at=now - timedelta(days=2))
    member = make_submission(consultation, submitter_kind=SubmitterKind.member, received_at=now - timedelta(days=1))
    late = make_submission(consultation, late=True, received_at=now - timedelta(hours=1))
    with_file = make_submission(consultation, attachments=2, received_at=now)
    other = make_submission(make_consultation())
    everything = {s.receipt_number for s in (plain, by_post, member, late, with_file)}

    def listed(**params):
        response = secretariat_client.get(inbox_url(consultation), query_string=params)
        assert response.status_code == 200
        return receipts_in(response.get_data(as_text=True))

    assert listed() == everything
    assert other.receipt_number not in listed()
    assert listed(channel="post") == {by_post.receipt_number}
    assert listed(submitter_kind="member") == {member.receipt_number}
    assert listed(late="yes") == {late.receipt_number}
    assert listed(late="no") == everything - {late.receipt_number}
    assert listed(attachments="yes") == {with_file.receipt_number}
    assert listed(attachments="no") == everything - {with_file.receipt_number}
    japan = timedelta(hours=9)
    day = lambda instant: (instant + japan).date().isoformat()  # noqa: E731 - the Japan date of an instant
    assert listed(received_from=day(now), received_to=day(now)) <= {late.receipt_number, with_file.receipt_number}
    assert plain.receipt_number not in listed(received_from=day(now - timedelta(days=2)))
    assert listed(received_to=day(now - timedelta(days=3))) == {plain.receipt_number}


def test_the_list_shows_no_personal_data_and_is_not_stored(secretariat_client):
    consultation = make_consultation()
    make_submission(consultation, body="長い" * 100)
    response = secretariat_client.get(inbox_url(consultation))
    html = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "山田花子" not in html and "hanako@example.jp" not in html
    assert "長い" * 40 in html and "長い" * 41 not in html  # the first 80 characters only


def test_search_finds_two_character_words_posted_through_the_form(app, client, secretariat_client):
    consultation = make_consultation()
    public = client.application.test_client()
    assert post_comment(public, consultation, body="暗号化の方式について意見を述べます。").status_code == 303
    assert post_comment(public, consultation, body="個人番号の利用範囲が広すぎる。").status_code == 303
    assert post_comment(public, consultation, body="ＰＤＦの資料を公開してください").status_code == 303
    # The worker indexes new submissions; here the command does it, as cron would.
    output = app.test_cli_runner().invoke(args=["search", "index"]).output
    assert output.startswith("indexed ") and int(output.split()[1]) >= 3
    texts = {
        s.receipt_number: s.body
        for s in db.session.scalars(select(Submission).where(Submission.consultation_id == consultation.id))
    }
    by_text = {body[:4]: number for number, body in texts.items()}

    def found(query):
        response = search(secretariat_client, consultation, query)
        assert response.status_code == 200
        return receipts_in(response.get_data(as_text=True))

    assert found("意見") == {by_text["暗号化の"]}
    assert found("暗号") == {by_text["暗号化の"]}
    assert found("暗号化方式") == set()  # a phrase: the words must follow each other
    assert found("暗号化の方式") == {by_text["暗号化の"]}
    assert found("個人番号 範囲") == {by_text["個人番号"]}
    assert found("個人番号 暗号") == set()
    assert found("公聴会") == set()
    assert found("監査") == set()
    assert found("pdf") == {by_text["ＰＤＦの"]}
    assert found("PDFの資料") == {by_text["ＰＤＦの"]}
    assert found("、。") == set(texts)  # nothing searchable: no filter


def test_pages_are_disjoint_and_cover_everything(secretariat_client):
    consultation = make_consultation()
    start = datetime.now(UTC) - timedelta(days=1)
    same_instant = start + timedelta(hours=1)
    created = set()
    for number in range(120):
        # Some rows share an instant: the id breaks the tie, so none is skipped or repeated.
        at = same_instant if number % 3 == 0 else start + timedelta(seconds=number)
        created.add(make_submission(consultation, received_at=at).receipt_number)
    seen: list[set[str]] = []
    url = inbox_url(consultation)
    while url:
        html = secretariat_client.get(url).get_data(as_text=True)
        seen.append(receipts_in(html))
        url = next_link(html)
    assert [len(page) for page in seen] == [50, 50, 20]
    assert set().union(*seen) == created
    assert sum(len(page) for page in seen) == len(created)


def test_a_search_keeps_its_filter_on_the_next_page(secretariat_client):
    consultation = make_consultation()
    for _ in range(55):
        make_submission(consultation, body="意見です")
    make_submission(consultation, body="別の話")
    html = search(secretariat_client, consultation, "意見").get_data(as_text=True)
    second = secretariat_client.get(next_link(html)).get_data(as_text=True)
    assert len(receipts_in(html)) == 50 and len(receipts_in(second)) == 5


def test_a_forged_cursor_is_refused(secretariat_client):
    consultation = make_consultation()
    assert secretariat_client.get(inbox_url(consultation), query_string={"after": "bm9wZQ"}).status_code == 400


def test_personal_data_only_after_the_post_which_is_audited_once(secretariat_client):
    consultation = make_consultation()
    submission = make_submission(consultation, body="原文のまま")
    url = f"/staff/submissions/{submission.id}"
    response = secretariat_client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "原文のまま" in html and submission.fingerprint in html
    assert "山田花子" not in html and "hanako@example.jp" not in html
    assert "Show personal data" in html or "個人情報を表示" in html

    events = select(AuditEvent).where(AuditEvent.action == "personal_data.viewed")
    assert db.session.scalars(events).all() == []
    response = secretariat_client.post(f"{url}/personal-data", data={"csrf_token": csrf_token_from(html)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "山田花子" in html and "hanako@example.jp" in html and "千葉市中央区1-1" in html
    recorded = db.session.scalars(events).all()
    assert len(recorded) == 1
    assert recorded[0].object_id == str(submission.id)
    trail = repr((recorded[0].detail, recorded[0].actor))
    assert "山田" not in trail and "hanako" not in trail and "千葉市" not in trail


def test_the_reveal_needs_a_csrf_token(secretariat_client):
    submission = make_submission(make_consultation())
    response = secretariat_client.post(f"/staff/submissions/{submission.id}/personal-data", data={})
    assert response.status_code == 400
    assert "山田花子" not in response.get_data(as_text=True)


def test_attachments_download_as_attachments(client, secretariat_client):
    consultation = make_consultation()
    public = client.application.test_client()
    assert post_comment(public, consultation, body="添付あり", files=[("資料.pdf", PDF)]).status_code == 303
    submission = db.session.scalars(select(Submission).where(Submission.consultation_id == consultation.id)).one()
    html = secretariat_client.get(f"/staff/submissions/{submission.id}").get_data(as_text=True)
    link = f"/staff/submissions/{submission.id}/attachments/1"
    assert link in html
    response = secretariat_client.get(link)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data == PDF
    assert secretariat_client.get(f"/staff/submissions/{submission.id}/attachments/2").status_code == 404


def test_department_staff_see_only_their_departments_submissions(client):
    staff = make_user(Role.department_staff)
    own = make_consultation(department=staff.department.name)
    foreign = make_consultation(department="別の課")
    mine = make_submission(own)
    theirs = make_submission(foreign)
    assert sign_in(client, staff).status_code == 303

    assert client.get(inbox_url(own)).status_code == 200
    assert client.get(f"/staff/submissions/{mine.id}").status_code == 200
    html = client.get(f"/staff/submissions/{mine.id}").get_data(as_text=True)
    assert "Show personal data" not in html  # department staff do not hold the permission
    assert client.get(inbox_url(foreign)).status_code in (403, 404)
    assert client.get(f"/staff/submissions/{theirs.id}").status_code in (403, 404)
    assert client.get(f"/staff/submissions/{theirs.id}/attachments/1").status_code in (403, 404)
    token = csrf_token_from(client.get("/auth/account").get_data(as_text=True))
    response = client.post(f"/staff/submissions/{mine.id}/personal-data", data={"csrf_token": token})
    assert response.status_code == 403


def test_the_back_office_home_links_each_inbox(secretariat_client):
    consultation = make_consultation()
    assert inbox_url(consultation) in secretariat_client.get("/staff/").get_data(as_text=True)


def test_the_worker_makes_new_submissions_searchable(app, client, secretariat_client):
    from comments.worker import run_worker

    consultation = make_consultation()
    assert post_comment(client, consultation, body="委託先の監督について意見します。").status_code == 303
    assert len(receipts_in(search(secretariat_client, consultation, "委託").get_data(as_text=True))) == 0
    with app.app_context():
        run_worker(0.01, stop_after=1)
    assert len(receipts_in(search(secretariat_client, consultation, "委託").get_data(as_text=True))) == 1


@pytest.mark.parametrize(("walk_rows", "walk_max"), [(2000, 8000), (10, 60), (4, 12), (1, 1)])
@pytest.mark.parametrize("filters", [{}, {"channel": Channel.post}, {"received_from": "day"}])
def test_every_search_strategy_pages_the_same_matches_in_date_order(monkeypatch, walk_rows, walk_max, filters):
    """Walk the newest rows, walk further, or ask the index: the pages must be the brute-force answer."""
    from comments.domain import inbox
    from comments.domain.inbox import InboxFilters, list_inbox

    monkeypatch.setattr(inbox, "SEARCH_WALK_ROWS", walk_rows)
    monkeypatch.setattr(inbox, "SEARCH_WALK_MAX_ROWS", walk_max)
    monkeypatch.setattr(inbox, "PAGE_SIZE", 3)
    consultation = make_consultation()
    other = make_consultation()
    start = datetime.now(UTC) - timedelta(days=3)
    expected = []
    for number in range(40):
        rare = number % 7 == 0
        body = "暗号化の方式を示してください。" if rare else "保存期間について意見します。"
        channel = Channel.post if number % 2 else Channel.web
        at = start + timedelta(hours=number)
        submission = make_submission(consultation, body=body, received_at=at, channel=channel)
        make_submission(other, body=body, received_at=at)
        in_range = (
            "received_from" not in filters
            or at.astimezone(JAPAN).date() >= (start + timedelta(days=2)).astimezone(JAPAN).date()
        )
        if rare and filters.get("channel", channel) == channel and in_range:
            expected.append(submission.id)
    expected.reverse()  # newest first
    values = dict(filters)
    if "received_from" in values:
        values["received_from"] = (start + timedelta(days=2)).astimezone(JAPAN).date()
    wanted = InboxFilters(query="方式", **values)
    seen, after = [], None
    while True:
        page = list_inbox(db.session, consultation, wanted, after=after, limit=3)
        seen.extend(row.id for row in page.rows)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == expected


def test_the_searched_text_never_travels_in_an_address_and_stays_its_searchers(app, secretariat_client, frozen_clock):
    consultation = make_consultation()
    make_submission(consultation, body="山田花子の意見です")
    page = search(secretariat_client, consultation, "山田花子")
    html = page.get_data(as_text=True)
    assert len(receipts_in(html)) == 1
    assert 'value="山田花子"' in html  # the box still shows what was searched
    assert "山田花子" not in page.request.url and "%E5%B1%B1" not in page.request.url
    search_id = dict(parse_qsl(urlsplit(page.request.url).query))["search"]

    other = app.test_client()
    sign_in(other, make_user(Role.secretariat))
    theirs = other.get(inbox_url(consultation), query_string={"search": search_id}).get_data(as_text=True)
    assert 'value="山田花子"' not in theirs  # another's search id names nothing

    bookmarked = secretariat_client.get(inbox_url(consultation), query_string={"q": "別の話"})
    assert 'value="別の話"' not in bookmarked.get_data(as_text=True)  # a text in the address is never read

    frozen_clock.set(frozen_clock.current + timedelta(hours=13))
    sign_in(secretariat_client, make_user(Role.secretariat))
    expired = secretariat_client.get(inbox_url(consultation), query_string={"search": search_id})
    assert 'value="山田花子"' not in expired.get_data(as_text=True)


def test_a_campaigns_identical_and_near_identical_texts_are_flagged_with_their_count(app, secretariat_client):
    """Issue 11, item 7 (R58): duplicates are flagged, never dropped: every one stays in the inbox, marked with
    how many say the same."""
    from comments.worker import flag_campaigns

    consultation = make_consultation()
    campaign = "監視カメラの映像の保存期間を三十日以内に短くしてください。第三者提供もやめてください。"
    copies = [
        make_submission(consultation, body=campaign),
        make_submission(consultation, body=campaign),
        make_submission(consultation, body=campaign.replace("。第三者", "。また、第三者")),  # near-identical
        make_submission(consultation, body="　" + campaign + "\n"),  # the same once spaces are ignored
    ]
    alone = make_submission(consultation, body="説明会を夜間にも開いてください。")
    secretariat_client.set_cookie("lang", "en")
    with app.app_context():
        assert flag_campaigns(5) == 1
    html = secretariat_client.get(f"/staff/consultations/{consultation.id}/inbox").get_data(as_text=True)
    assert html.count("Same or nearly the same text: 4 submissions") == 4
    assert all(copy.receipt_number in html for copy in copies) and alone.receipt_number in html
    with app.app_context():
        assert flag_campaigns(5) == 0, "nothing new: nothing grouped again"
    later = make_submission(consultation, body=campaign)
    with app.app_context():
        assert flag_campaigns(5) == 1
    html = secretariat_client.get(f"/staff/consultations/{consultation.id}/inbox").get_data(as_text=True)
    assert html.count("Same or nearly the same text: 5 submissions") == 5 and later.receipt_number in html
