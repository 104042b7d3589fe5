"""Japanese as the city writes it (issue 15): full-width punctuation between a label and its value, the hash
value explained behind a details element, a closed form that says once that it is closed, labels that agree
with their values, dates in the era calendar (a setting), and "Japan time" where the notice needs it only."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import lxml.html
from sqlalchemy import select

from comments.dates import calendar_day
from comments.domain.audit import Actor
from comments.extensions import db
from comments.models import OutboxMessage, Submission
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import make_consultation, make_items, make_submission, make_user
from tests.functional.auth_helpers import sign_in
from tests.functional.helpers import form_url, post_comment

ACTOR = Actor("test")


def stored_submission() -> Submission:
    return db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()


def test_the_receipt_writes_labels_and_the_hash_value_as_a_city_would(client):
    consultation = make_consultation()
    response = post_comment(client, consultation, email="hanako@example.jp")
    submission = stored_submission()
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    page = lxml.html.fromstring(html)
    banner = page.xpath("//div[@class='receipt-banner']/p")[0].text_content()
    assert banner == f"受付番号：{submission.receipt_number}"
    headings = [heading.text_content() for heading in page.xpath("//h3")]
    assert "ハッシュ値（改ざん確認用）" in headings and "指紋" not in html
    [details] = page.xpath("//details[summary='この値について']")
    assert "SHA-256" in details.text_content(), "the explanation and the list it is computed over are behind it"
    assert page.xpath("//code[@id='fingerprint']")[0].text_content() == submission.fingerprint

    copy = client.get(f"/receipts/{submission.receipt_number}/copy.txt").get_data(as_text=True)
    assert f"受付番号：{submission.receipt_number}\n" in copy and "添付ファイル：なし\n" in copy
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.submission_id == submission.id)).one()
    assert mail.body_text.startswith("ご意見をお寄せいただき、ありがとうございます。")
    assert f"受付番号：{submission.receipt_number}\n" in mail.body_text
    assert "添付ファイル：なし\n" in mail.body_text and "ハッシュ値（改ざん確認用）：" in mail.body_text
    assert not re.search(r"[ぁ-んァ-ヶ一-龠]: ", mail.body_text), "no half-width colon after a Japanese label"


def test_the_consent_error_names_the_box_not_its_sentence(client):
    consultation = make_consultation()
    response = post_comment(client, consultation, consent=None)
    assert response.status_code == 422
    summary = lxml.html.fromstring(response.get_data(as_text=True)).xpath("//div[@id='error-summary']//li")
    texts = [item.text_content() for item in summary]
    assert "同意欄：「個人情報の取扱いについて」をお読みのうえ、同意欄にチェックを入れてください。" in texts
    assert not any(text.startswith("「個人情報の取扱いについて」を読み、同意します。") for text in texts)


def test_a_closed_form_says_once_that_it_is_closed_and_no_longer_asks_for_post(client):
    now = datetime.now(UTC)
    consultation = make_consultation(opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=1))
    # A form opened while the period ran, sent after it ended: the token is the session's, from any form.
    token = csrf_token_from(client.get(form_url(make_consultation())).get_data(as_text=True))
    response = post_comment(client, consultation, csrf=False, csrf_token=token)
    html = response.get_data(as_text=True)
    main = lxml.html.fromstring(html).xpath("//main")[0].text_content()
    assert "締め切りました" in main and main.count("締め切") == 1
    assert "必着" not in main and "任意の様式で意見を提出することもできます" not in main
    assert "お問合せ先" in main, "the secretariat's address is given to contact, not to send opinions to"
    page = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert "その他の提出方法" not in page
    assert "その他の提出方法" in client.get(f"/consultations/{make_consultation().slug}").get_data(as_text=True)


def test_staff_account_pages_say_name_and_the_public_form_says_whose(client):
    admin = make_user(Role.administrator)
    sign_in(client, admin)
    account = client.get("/auth/account").get_data(as_text=True)
    assert "<dt>氏名</dt>" in account and "団体の場合" not in account
    form = client.get(form_url(make_consultation())).get_data(as_text=True)
    assert "氏名（団体の場合は名称）" in form


def test_the_triage_page_labels_agree_with_their_values(client):
    clerk = make_user(Role.secretariat)
    consultation = make_consultation()
    submission = make_submission(consultation, body="一つ目の意見です。\n\n二つ目の意見です。")
    sign_in(client, clerk)
    html = client.get(f"/staff/submissions/{submission.id}/triage").get_data(as_text=True)
    facts = lxml.html.fromstring(html).xpath("//dl[@class='facts']")[0]
    terms, values = facts.xpath("dt"), facts.xpath("dd")
    pairs = {term.text_content(): value.text_content() for term, value in zip(terms, values, strict=True)}
    assert pairs["受付期間"] == "期間内"
    untriaged = [item.text_content() for item in lxml.html.fromstring(html).xpath("//ul[@class='untriaged-parts']/li")]
    assert untriaged and all(text.startswith("未仕分けの部分：") for text in untriaged)
    assert "文字目" not in html


def test_an_item_reads_as_an_opinion_and_a_section_as_a_section(client):
    clerk = make_user(Role.secretariat)
    consultation = make_consultation()
    [item] = make_items(consultation, clerk, "暗号化の方式を示すべき")
    sign_in(client, clerk)
    page = client.get(f"/staff/items/{item.id}/response").get_data(as_text=True)
    assert f"意見No.{item.number}：暗号化の方式を示すべき" in page
    assert f"項目{item.number}" not in page


def test_dates_follow_the_setting_and_japan_time_is_said_on_the_public_deadline_only(app, client):
    closes = datetime(2099, 7, 22, 0, 0, tzinfo=UTC) - timedelta(hours=9)  # midnight in Japan
    consultation = make_consultation(closes_at=closes)
    public = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    deadline = lxml.html.fromstring(public).xpath("//dl[@class='period']/dd/time")[1].text_content()
    assert deadline == f"{calendar_day(date(2099, 7, 21), weekday=True, locale='ja')}24時00分（日本時間）"
    assert deadline.startswith("令和")

    submission = make_submission(consultation)
    clerk = make_user(Role.secretariat)
    sign_in(client, clerk)
    staff_page = client.get(f"/staff/submissions/{submission.id}").get_data(as_text=True)
    received = lxml.html.fromstring(staff_page).xpath("//dl/dd")[0].text_content()
    assert received.startswith("令和") and "日本時間" not in received, "a staff page writes the time once, plainly"

    app.config["JAPANESE_ERA_DATES"] = False
    try:
        western = client.get(f"/staff/submissions/{submission.id}").get_data(as_text=True)
    finally:
        app.config["JAPANESE_ERA_DATES"] = True
    shown = lxml.html.fromstring(western).xpath("//dl/dd")[0].text_content()
    assert re.match(r"\d{4}年\d{1,2}月\d{1,2}日（.）\d{1,2}時\d{2}分$", shown)
