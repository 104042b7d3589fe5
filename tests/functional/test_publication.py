"""Published results from a redacted copy (R04-R07): prepared, redacted with reasons, published in one
step; the public page carries no submitter's name, address, e-mail, telephone or individual number."""

from __future__ import annotations

import lxml.html
import pytest
from sqlalchemy import select

from comments.domain.audit import Actor
from comments.domain.publication import _redact
from comments.domain.triage import ItemDraft, add_item, carry_over
from comments.extensions import db
from comments.models import AuditEvent, Consultation, ConsultationStatus, ItemKind, PublicationEntry, ResultsChange
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import make_consultation, make_submission, make_user, respond
from tests.functional.auth_helpers import sign_in

ACTOR = Actor("test")
# make_submission stores 山田花子, hanako@example.jp, 千葉市中央区1-1 as the submitter.
GIST_WITH_PERSONAL_DATA = "山田花子です。連絡は hanako@example.jp か 043-245-5111 へ。番号 123456789018 を誤記。"


@pytest.fixture
def ready():
    clerk, drafter = make_user(Role.secretariat), make_user(Role.department_staff)
    consultation = make_consultation()
    first = make_submission(consultation, body="暗号化の方式を示すべきです。")
    second = make_submission(consultation, body="委託先の監督について。")
    third = make_submission(consultation, body="次回に回す質問。")
    one = add_item(first, ItemDraft(0, 14, ItemKind.opinion, GIST_WITH_PERSONAL_DATA), created_by=clerk, actor=ACTOR)
    two = add_item(second, ItemDraft(0, 11, ItemKind.opinion, "委託先の監督"), created_by=clerk, actor=ACTOR)
    three = add_item(third, ItemDraft(0, 8, ItemKind.question, "次回の質問"), created_by=clerk, actor=ACTOR)
    respond(one, author=drafter, approver=clerk, body="山田花子様のご意見のとおり、方式を記載します。")
    consultation.status = ConsultationStatus.inspected  # results come after the committee's inspection
    db.session.flush()
    carry_over(three, reason="国の回答待ち", actor=ACTOR)
    return {"consultation": consultation, "clerk": clerk, "drafter": drafter, "items": (one, two, three)}


def post(client, url, **data):
    page = client.get("/staff/")
    return client.post(url, data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), **data})


def test_results_are_prepared_only_when_every_line_is_approved_then_published_redacted(client, ready):
    consultation, clerk = ready["consultation"], ready["clerk"]
    sign_in(client, clerk)
    results_url = f"/staff/consultations/{consultation.id}/results"
    response = post(client, f"{results_url}/prepare")
    assert response.status_code == 303
    assert "未承認が1件あります：2" in client.get(results_url).get_data(as_text=True)  # the refusal, flashed
    assert db.session.scalars(select(PublicationEntry)).all() == []

    respond(ready["items"][1], author=ready["drafter"], approver=clerk)
    post(client, f"{results_url}/prepare")
    entries = db.session.scalars(select(PublicationEntry).order_by(PublicationEntry.position)).all()
    assert [e.item_numbers for e in entries] == ["1", "2", "3"]
    first = entries[0]
    for secret in ("山田花子", "hanako@example.jp", "043-245-5111", "123456789018"):
        assert secret not in first.gist and secret not in first.response
    assert {r.automatic for r in first.redactions} == {True} and len(first.redactions) >= 4

    # A redaction by hand needs a reason; an omission too.
    assert (
        post(client, f"/staff/results/{entries[1].id}/redact", field="gist", text="監督", reason="").status_code == 303
    )
    db.session.expire_all()
    assert db.session.get(PublicationEntry, entries[1].id).gist == "委託先の監督"
    post(
        client,
        f"/staff/results/{entries[1].id}/redact",
        field="gist",
        text="委託先について",
        reason="第三者の事業者名を含むため",
    )
    post(client, f"/staff/results/{entries[2].id}/omit", reason="第三者の利益を害するおそれがあるため")
    # The removal log names the part of the line as the page does, never its field key (issue 15).
    staff_page = lxml.html.fromstring(client.get(results_url).get_data(as_text=True))
    parts = {cell.text_content() for cell in staff_page.xpath("//section[@class='results-entry']//tbody/tr/td[1]")}
    assert "意見の概要" in parts and not parts & {"gist", "response", "change_made"}

    assert client.get(f"/consultations/{consultation.slug}/results").status_code == 404  # not yet published
    assert post(client, f"{results_url}/publish").status_code == 303  # without the confirmation: refused
    db.session.expire_all()
    assert db.session.get(Consultation, consultation.id).results_published_at is None
    assert post(client, f"{results_url}/publish", confirm="y").status_code == 303
    db.session.expire_all()
    assert db.session.get(Consultation, consultation.id).status == ConsultationStatus.published
    public = client.get(f"/consultations/{consultation.slug}/results")
    html = public.get_data(as_text=True)
    assert public.status_code == 200
    for secret in ("山田花子", "hanako@example.jp", "千葉市中央区1-1", "043-245-5111", "123456789018"):
        assert secret not in html
    assert "委託先について" in html and "第三者の利益を害するおそれがあるため" in html
    assert "次回の質問" not in html  # omitted
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "results.published")).one()
    # Frozen once published.
    post(client, f"/staff/results/{entries[1].id}/redact", field="gist", text="後から", reason="変更")
    db.session.expire_all()
    assert db.session.get(PublicationEntry, entries[1].id).gist == "委託先について"


def test_results_wait_for_the_consultation_to_close(client):
    consultation = make_consultation()
    sign_in(client, make_user(Role.secretariat))
    post(client, f"/staff/consultations/{consultation.id}/results/prepare")
    assert db.session.scalars(select(PublicationEntry)).all() == []
    assert "締め切って" in client.get(f"/staff/consultations/{consultation.id}/results").get_data(as_text=True)


def test_department_staff_cannot_prepare_or_publish(client, ready):
    sign_in(client, ready["drafter"])
    assert client.get(f"/staff/consultations/{ready['consultation'].id}/results").status_code == 403


@pytest.mark.parametrize(
    "secret",
    [
        "09012345678",
        "090 1234 5678",
        "090-1234-5678",
        "+81-90-1234-5678",
        "+81 3 1234 5678",
        "043-245-5111",
        "03(1234)5678",
        "０９０－１２３４－５６７８",
        "0120-123-456",
        "hanako@example.jp",
        "hanako＠example.jp",
        "hanako ＠ example．jp",
        "6214 9832 0257",
        "６２１４－９８３２－０２５７",
        "6214・9832・0257",
        "1 2 3 4 5 6 7 8 9 0 1 8",
    ],
)
def test_the_results_copy_leaves_out_telephones_addresses_and_numbers_however_written(app, secret):
    with app.test_request_context():
        text, removals = _redact(f"ご連絡は{secret}までお願いします。", "gist", [])
    assert secret not in text
    assert text.startswith("ご連絡は") and text.endswith("までお願いします。")
    assert len(removals) == 1 and removals[0].field == "gist"


@pytest.mark.parametrize(
    "kept", ["2015年7月21日", "人口は9,756,000人", "第3回 特定個人情報保護評価部会", "予算 1,234,567,890円"]
)
def test_the_results_copy_keeps_dates_counts_and_amounts(app, kept):
    with app.test_request_context():
        assert _redact(kept, "gist", []) == (kept, [])


def test_the_results_say_how_many_came_in_the_same_words_and_count_each_one(app, client):
    """Issue 11, item 7: a campaign's copies are counted, each as one submission, and said to be copies."""
    from comments.worker import flag_campaigns

    consultation = make_consultation()
    campaign = "個人情報の第三者提供に反対します。"
    for _ in range(3):
        make_submission(consultation, body=campaign)
    make_submission(consultation, body="別の意見です。保存期間について。")
    late = make_submission(consultation, body=campaign, late=True)  # not counted: no decision to include it
    assert late.late
    with app.app_context():
        flag_campaigns(5)
    consultation.results_published_at = consultation.closes_at
    db.session.commit()
    client.set_cookie("lang", "en")
    html = client.get(f"/consultations/{consultation.slug}/results").get_data(as_text=True)
    assert "Of these, 3 submissions were sent in the same or nearly the same words (groups of the same text: 1)" in html


def test_published_results_are_corrected_or_withdrawn_on_record_never_silently(client, ready):
    """Issue 12, item 1: a correction is a new text with its reason, and the public page says what changed
    and when; a withdrawal takes the lines off with the reason; neither before publication."""
    consultation, clerk = ready["consultation"], ready["clerk"]
    respond(ready["items"][1], author=ready["drafter"], approver=clerk)
    sign_in(client, clerk)
    client.set_cookie("lang", "en")
    results_url = f"/staff/consultations/{consultation.id}/results"
    post(client, f"{results_url}/prepare")
    entries = db.session.scalars(select(PublicationEntry).order_by(PublicationEntry.position)).all()
    second = entries[1]
    post(client, f"/staff/results/{second.id}/correct", field="response", text="訂正後", reason="誤記")
    db.session.expire_all()
    assert db.session.scalars(select(ResultsChange)).all() == [], "before publication the copy is edited, not corrected"

    post(client, f"{results_url}/publish", confirm="y")
    before = db.session.get(PublicationEntry, second.id).response
    refused = post(client, f"/staff/results/{second.id}/correct", field="response", text="訂正後の考え方", reason="")
    assert refused.status_code == 303
    db.session.expire_all()
    assert db.session.get(PublicationEntry, second.id).response == before, "no reason, no correction"
    post(
        client,
        f"/staff/results/{second.id}/correct",
        field="response",
        text="訂正後の考え方です。",
        reason="市の考え方に誤記があったため",
    )
    db.session.expire_all()
    [change] = db.session.scalars(select(ResultsChange)).all()
    assert (change.old_text, change.new_text, change.field) == (before, "訂正後の考え方です。", "response")
    public = client.get(f"/consultations/{consultation.slug}/results").get_data(as_text=True)
    assert "訂正後の考え方です。" in public and before not in public
    assert f"corrected “The city's view” of No. {second.item_numbers}. Reason: 市の考え方に誤記があったため" in public
    assert "市の考え方に誤記があったため" in public

    post(client, f"{results_url}/withdraw", reason="評価書の再提出に伴い取り下げ")
    public = client.get(f"/consultations/{consultation.slug}/results").get_data(as_text=True)
    assert "These results were withdrawn on" in public and "評価書の再提出に伴い取り下げ" in public
    assert "訂正後の考え方です。" not in public, "no line stays public"
    assert {event.action for event in db.session.scalars(select(AuditEvent))} >= {
        "results.corrected",
        "results.withdrawn",
    }
    post(client, f"/staff/results/{second.id}/correct", field="response", text="再訂正", reason="理由")
    db.session.expire_all()
    assert len(db.session.scalars(select(ResultsChange)).all()) == 2, "withdrawn results are corrected no more"
