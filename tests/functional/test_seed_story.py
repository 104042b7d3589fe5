"""The seed's story from the outside in: the third meeting of the 特定個人情報保護評価部会
on the 後期高齢者医療事務 assessment, played through the pages only.

Citizens comment on the draft through the public form and a committee member asks two questions through
the portal; the secretariat splits, groups and assigns; one question goes to 総務省, whose answer comes back
confidential (非公開); the department drafts, a reviewer remarks, the drafter revises, a second secretariat
member approves; the question on access logs is carried over to a later meeting (次回以降の部会で説明); the
final packet is produced in all three formats and the results are published.

After the accounts and the consultation are set up, every step is an HTTP request of a browser-like
test client, and every check reads what a page or a file shows: nothing is asked of the database.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import timedelta

import lxml.html

from comments import clock
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import DEFAULT_PASSWORD, make_consultation, make_user
from tests.functional.auth_helpers import sign_in
from tests.functional.helpers import post_comment

# --- The story's words ---------------------------------------------------------------------------------

CITIZEN_NAME = "千葉 花子"
CITIZEN_EMAIL = "hanako.chiba@example.jp"

GREETING = "健康保険課 御中"
OPINION_ONE = "（１）委託先に対する監督の方法を評価書に具体的に記載すべきです。"
OPINION_TWO = "（２）中間サーバーに格納する副本データの暗号化の方式を示してください。"
SIGNATURE = CITIZEN_NAME
NUMBERED_OPINION = f"{GREETING}\n\n{OPINION_ONE}\n{OPINION_TWO}\n\n{SIGNATURE}"
SAME_PURPORT_A = "保守・運用を行う事業者が特定個人情報を消去する場合のリスク対策を記載してください。"
SAME_PURPORT_B = "保守や運用の事業者による特定個人情報の消去について、リスク対策を評価書に書くべきだと思います。"
QUESTION_RISK = (
    "どのようなリスク分析を行った結果、このような記載例に至ったかという、バックデータを国に示していただきたい。"
)
QUESTION_LOGS = (
    "アクセスログをとっているだけではリスク対策として不十分であり、アクセスログを定期的に監視する仕組みが必要である。"
)

# What each part of the submissions becomes: (kind, gist) for an item, None for "not an opinion".
GIST_SUPERVISION = "委託先に対する監督の方法を具体的に記載すべき"
GIST_ENCRYPTION = "副本データの暗号化の方式を示してほしい"
GIST_ERASURE_A = "保守・運用事業者が特定個人情報を消去する場合のリスク対策を記載すべき"
GIST_ERASURE_B = "保守・運用事業者による特定個人情報の消去のリスク対策を評価書に書くべき"
GIST_RISK = "記載例に至ったリスク分析のバックデータを国に示してほしい"
GIST_LOGS = "アクセスログを定期的に監視する仕組みが必要"
TRIAGE_PLAN: dict[str, tuple[str, str] | None] = {
    GREETING: None,
    OPINION_ONE: ("opinion", GIST_SUPERVISION),
    OPINION_TWO: ("question", GIST_ENCRYPTION),
    SIGNATURE: None,
    SAME_PURPORT_A: ("opinion", GIST_ERASURE_A),
    SAME_PURPORT_B: ("opinion", GIST_ERASURE_B),
    QUESTION_RISK: ("question", GIST_RISK),
    QUESTION_LOGS: ("opinion", GIST_LOGS),
}
GROUP_GIST = "保守・運用事業者による特定個人情報の消去に関するリスク対策を記載すべき"

INQUIRY_QUESTION = "部会委員の質問（1）：どのようなリスク分析の結果、この記載例に至ったのか、バックデータを示されたい。"
CONFIDENTIAL_ANSWER = "記載例は非公開資料「特定個人情報保護評価における脅威と対策」のとおりである（取扱注意）。"
CARRY_OVER_REASON = "情報関係の課と評価書の記載内容を協議し、次回以降の部会で対応策を示すため"

REMARK = "どのような監督を行うのか、具体的に書いてください。"
FIRST_DRAFT = "ご意見を踏まえ、委託先の監督の方法を追記します。"
# The city's view per item (the group's under its first item): (body, category, change made).
RESPONSES: dict[str, tuple[str, str, str]] = {
    GIST_SUPERVISION: (
        "ご意見を踏まえ、委託先から定期的に報告を求め、立入検査を行う監督の方法を追記します。",
        "reflected",
        "III-2 に委託先の監督の方法を追記",
    ),
    GIST_ENCRYPTION: ("副本データは中間サーバー上で暗号化して保管されます。", "answered", ""),
    GIST_ERASURE_A: (
        "評価書に記載のとおり、作業前にバックアップを取得し、機器の廃棄時は物理破壊によりデータを消去します。",
        "already_covered",
        "",
    ),
    GIST_RISK: (
        "国に照会したところ、記載例は国のリスク分析に基づくとの回答でした。詳細はセキュリティ上公開されていません。",
        "answered",
        "",
    ),
}

PERSONAL_DATA = (CITIZEN_NAME, CITIZEN_NAME.replace(" ", ""), CITIZEN_EMAIL)


# --- Small helpers: a browser's view of the pages ------------------------------------------------------

FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.DOTALL)
TRIAGE_LINK = re.compile(r'href="(/staff/submissions/\d+/triage)"')


def signed_in(app, user, *, lang: str | None = "en"):
    client = app.test_client()
    if lang:
        client.set_cookie("lang", lang)
    assert sign_in(client, user).status_code == 303
    return client


def token(client, url: str = "/staff/") -> str:
    return csrf_token_from(client.get(url).get_data(as_text=True))


def post(client, url: str, data: dict, *, form_page: str = "/staff/"):
    response = client.post(url, data={"csrf_token": token(client, form_page), **data})
    assert response.status_code == 303, (url, response.status_code, response.get_data(as_text=True)[:3000])
    return response


def japan_today():
    return clock.japan_today()


def part_forms(html: str, action_suffix: str) -> list[tuple[str, int, int, str]]:
    """(action, start, end, form html) of the triage page's forms of untriaged parts, in page order."""
    forms = []
    for action, body in FORM.findall(html):
        if action.endswith(action_suffix):
            start = int(re.search(r'name="start" type="hidden" value="(\d+)"', body).group(1))
            end = int(re.search(r'name="end" type="hidden" value="(\d+)"', body).group(1))
            forms.append((action, start, end, body))
    return forms


def part_texts(html: str) -> list[str]:
    """The text of every part still to triage, as the page shows it (the text above each pair of forms)."""
    document = lxml.html.fromstring(html)
    return [
        div.text_content()
        for div in document.xpath(
            '//section[contains(concat(" ", @class, " "), " triage-part ")][.//form]//div[contains(@class, "comment-text")]'
        )
    ]


def triage(client, url: str) -> list[str]:
    """Triage one submission by TRIAGE_PLAN through its page; return the texts of the parts proposed."""
    html = client.get(url).get_data(as_text=True)
    assert "Not fully triaged" in html
    texts = part_texts(html)
    items, marks = part_forms(html, "/items"), part_forms(html, "/not-opinion")
    assert len(items) == len(marks) == len(texts)
    csrf = csrf_token_from(html)
    for text, (item_action, start, end, _), (mark_action, _s, _e, mark_html) in zip(texts, items, marks, strict=True):
        assert text in TRIAGE_PLAN, f"a part nobody planned for: {text!r}"
        plan = TRIAGE_PLAN[text]
        if plan is None:
            assert " checked" in mark_html, f"{text!r} should be proposed as not an opinion"
            data = {"csrf_token": csrf, "start": start, "end": end, "confirm": "y", "note": "宛名・署名"}
            assert client.post(mark_action, data=data).status_code == 303
        else:
            kind, gist = plan
            data = {"csrf_token": csrf, "start": start, "end": end, "kind": kind, "gist": gist, "section": 0}
            assert client.post(item_action, data=data).status_code == 303
    after = client.get(url).get_data(as_text=True)
    assert "Fully triaged: every part of the text is an item" in after
    return texts


def item_rows(client, consultation_id: int) -> dict[str, dict]:
    """The items list by gist: each row's item id and the text of its cells."""
    html = client.get(f"/staff/consultations/{consultation_id}/items").get_data(as_text=True)
    rows = {}
    for row in lxml.html.fromstring(html).xpath('//table[@id="item-table"]/tbody/tr[starts-with(@id, "item-row-")]'):
        gist = row.xpath('./td[@class="preserve"]')[0].text_content()
        rows[gist] = {
            "id": int(row.get("id").rsplit("-", 1)[1]),
            "cells": [" ".join(cell.text_content().split()) for cell in row.xpath("./td")],
        }
    return rows


def response_state(client, item_id: int) -> str:
    html = client.get(f"/staff/items/{item_id}/response").get_data(as_text=True)
    return re.search(r'id="response-state">([^<]*)<', html).group(1)


def docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml"))


def assert_nothing_personal_or_confidential(text: str, where: str) -> None:
    for secret in (*PERSONAL_DATA, CONFIDENTIAL_ANSWER):
        assert secret not in text, f"{secret} appears in {where}"


# --- The story -----------------------------------------------------------------------------------------


def test_the_seed_story_runs_from_comments_to_published_results(app, frozen_clock):
    # Set-up (the only part not through the pages): the accounts and the consultation, open for comment.
    clerk_user = make_user(Role.secretariat)
    approver_user = make_user(Role.secretariat)
    drafter_user = make_user(Role.department_staff)
    member_user = make_user(Role.member)
    department = drafter_user.department.name
    consultation = make_consultation(
        title="後期高齢者医療事務 全項目評価書（案）", affair="後期高齢者医療事務", department="健康保険課"
    )
    consultation_id, slug, closes_at = consultation.id, consultation.slug, consultation.closes_at
    staff = f"/staff/consultations/{consultation_id}"

    # 1. Citizens post their opinions on the public form; one gives her name and e-mail address.
    for body, personal in (
        (NUMBERED_OPINION, {"name": CITIZEN_NAME, "email": CITIZEN_EMAIL}),
        (SAME_PURPORT_A, {}),
        (SAME_PURPORT_B, {}),
    ):
        citizen = app.test_client()
        response = post_comment(citizen, consultation, body=body, **personal)
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        assert response.headers["Location"].startswith("/receipts/")
        assert body.splitlines()[-1] in citizen.get(response.headers["Location"]).get_data(as_text=True)

    # 2. A committee member sends two questions through the portal.
    member = signed_in(app, member_user, lang=None)
    portal = f"/committee/consultations/{consultation_id}"
    receipts = []
    for question in (QUESTION_RISK, QUESTION_LOGS):
        response = member.post(
            f"{portal}/questions",
            data={"question-csrf_token": token(member, portal), "question-section_id": "", "question-body": question},
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        page = member.get(response.headers["Location"]).get_data(as_text=True)
        assert question in page
        receipts.append(re.search(r'id="receipt-number">([^<]+)<', page).group(1))
    home = member.get("/committee/").get_data(as_text=True)
    assert all(receipt in home for receipt in receipts)

    # 3. The secretariat triages every submission, following the items list to the next one left.
    clerk = signed_in(app, clerk_user)
    listing = clerk.get(f"{staff}/items").get_data(as_text=True)
    assert "0 of 5 submissions fully triaged." in listing
    proposed = {}
    while match := TRIAGE_LINK.search(clerk.get(f"{staff}/items").get_data(as_text=True)):
        url = match.group(1)
        assert url not in proposed, f"{url} is still listed as not fully triaged"
        proposed[url] = triage(clerk, url)
    assert sorted(map(tuple, proposed.values())) == sorted(
        [
            (GREETING, OPINION_ONE, OPINION_TWO, SIGNATURE),  # the numbered opinion, split at （１） and （２）
            (SAME_PURPORT_A,),
            (SAME_PURPORT_B,),
            (QUESTION_RISK,),
            (QUESTION_LOGS,),
        ]
    )
    listing = clerk.get(f"{staff}/items").get_data(as_text=True)
    assert "5 of 5 submissions fully triaged." in listing
    assert "Not fully triaged yet" not in listing
    assert_nothing_personal_or_confidential(listing, "the items list")
    rows = item_rows(clerk, consultation_id)
    assert sorted(rows) == sorted(plan[1] for plan in TRIAGE_PLAN.values() if plan)
    ids = {gist: row["id"] for gist, row in rows.items()}

    # 4. The two same-purport opinions become one group; every item goes to the department, due in a week.
    post(clerk, f"{staff}/groups", {"items": [ids[GIST_ERASURE_A], ids[GIST_ERASURE_B]], "gist": GROUP_GIST})
    listing = clerk.get(f"{staff}/items").get_data(as_text=True)
    department_id = re.search(rf'<option value="(\d+)">{re.escape(department)}</option>', listing).group(1)
    due_on = japan_today() + timedelta(days=7)
    post(
        clerk,
        f"{staff}/assignments",
        {"items": list(ids.values()), "department_id": department_id, "due_on": due_on.isoformat()},
    )
    rows = item_rows(clerk, consultation_id)
    for gist in (GIST_ERASURE_A, GIST_ERASURE_B):
        assert f"{GROUP_GIST} (group of 2 items)" in rows[gist]["cells"]
    assert all(department in row["cells"] for row in rows.values()), "every item is assigned"
    drafter = signed_in(app, drafter_user)
    queue = drafter.get("/staff/queue").get_data(as_text=True)
    assert all(gist in queue for gist in ids), "the department's queue lists every item"

    # 5. The member's first question is forwarded to 総務省; its answer comes back by e-mail, confidential.
    inquiries = f"{staff}/inquiries"
    today = japan_today()
    post(
        clerk,
        inquiries,
        {
            "body_name": "総務省",
            "question": INQUIRY_QUESTION,
            "sent_on": today.isoformat(),
            "sent_how": "電子メール",
            "items": [ids[GIST_RISK]],
        },
        form_page=inquiries,
    )
    page = clerk.get(inquiries).get_data(as_text=True)
    inquiry_id = re.search(r'action="/staff/inquiries/(\d+)/answer"', page).group(1)
    assert "No answer yet." in page
    # The box "may be published" is left unticked: the ministry's answer is confidential.
    response = clerk.post(
        f"/staff/inquiries/{inquiry_id}/answer",
        data={
            f"answer-{inquiry_id}-csrf_token": token(clerk, inquiries),
            f"answer-{inquiry_id}-answer": CONFIDENTIAL_ANSWER,
            f"answer-{inquiry_id}-answered_on": today.isoformat(),
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    page = clerk.get(inquiries).get_data(as_text=True)
    assert CONFIDENTIAL_ANSWER in page, "staff keep the answer"
    assert 'data-public="false"' in page and "Confidential (非公開)" in page

    # 6. The department drafts the responses and sends them for review (the group's through its first item).
    for gist, (body, category, change_made) in RESPONSES.items():
        url = f"/staff/items/{ids[gist]}/response"
        first = FIRST_DRAFT if gist == GIST_SUPERVISION else body
        post(drafter, url, {"body": first, "category": category, "change_made": change_made}, form_page=url)
        post(drafter, f"{url}/review", {}, form_page=url)
        assert response_state(drafter, ids[gist]) == "In review"
    assert response_state(drafter, ids[GIST_ERASURE_B]) == "In review", "the group shares one response"
    assert response_state(drafter, ids[GIST_LOGS]) == "No response yet"

    # The reviewer remarks on one; the drafter sees the remark, revises and sends it again.
    supervision = f"/staff/items/{ids[GIST_SUPERVISION]}/response"
    post(clerk, f"{supervision}/comments", {"remark": REMARK}, form_page=supervision)
    page = drafter.get(supervision).get_data(as_text=True)
    assert REMARK in page
    body, category, change_made = RESPONSES[GIST_SUPERVISION]
    post(drafter, supervision, {"body": body, "category": category, "change_made": change_made}, form_page=supervision)
    assert response_state(drafter, ids[GIST_SUPERVISION]) == "Being drafted"
    post(drafter, f"{supervision}/review", {}, form_page=supervision)
    page = drafter.get(f"{supervision}?diff=1,2").get_data(as_text=True)
    assert "Changes from revision 1 to revision 2" in page and body in page

    # R25: the drafter never approves (the department has no approval at all).
    refused = drafter.post(
        f"{supervision}/approve", data={"csrf_token": token(drafter, supervision), "password": DEFAULT_PASSWORD}
    )
    assert refused.status_code == 403
    assert response_state(drafter, ids[GIST_SUPERVISION]) == "In review"

    # A second secretariat member approves each, typing the password again.
    approver = signed_in(app, approver_user)
    for gist in RESPONSES:
        url = f"/staff/items/{ids[gist]}/response"
        post(approver, f"{url}/approve", {"password": DEFAULT_PASSWORD}, form_page=url)
        assert response_state(approver, ids[gist]) == "Approved"
    assert response_state(approver, ids[GIST_ERASURE_B]) == "Approved"
    assert approver_user.display_name in approver.get(supervision).get_data(as_text=True)

    # 7. The question on access logs is carried over to a later meeting.
    post(clerk, f"/staff/items/{ids[GIST_LOGS]}/carry-over", {"reason": CARRY_OVER_REASON})
    rows = item_rows(clerk, consultation_id)
    assert f"Yes: {CARRY_OVER_REASON}" in rows[GIST_LOGS]["cells"]
    assert sum(f"Yes: {CARRY_OVER_REASON}" in row["cells"] for row in rows.values()) == 1

    # 8. The comment period ends and the consultation is closed: the final packet comes only after that (a
    # fresh sign-in, as a session would have idled out while the clock moved).
    frozen_clock.set(closes_at + timedelta(hours=9))
    clerk = signed_in(app, clerk_user)
    post(clerk, f"{staff}/close", {}, form_page=staff)
    form = app.test_client().get(f"/consultations/{slug}/comment").get_data(as_text=True)
    assert 'name="body"' not in form, "the public form refuses once the period has ended"
    post(clerk, f"{staff}/responding", {}, form_page=staff)
    assert "Preparing responses" in clerk.get(staff).get_data(as_text=True)

    # The meeting; its final packet as the print page, Word and CSV, in Japanese as the committee reads it.
    response = post(
        clerk,
        "/staff/meetings",
        {
            "title": "第3回 特定個人情報保護評価部会",
            "held_on": (today + timedelta(days=14)).isoformat(),
            "consultations": [consultation_id],
        },
        form_page="/staff/meetings",
    )
    meeting = response.headers["Location"]
    assert re.fullmatch(r"/staff/meetings/\d+", meeting)
    assert "Ready: every item has an approved response." in clerk.get(meeting).get_data(as_text=True)
    clerk.set_cookie("lang", "ja")
    approved_gists = [GIST_SUPERVISION, GIST_ENCRYPTION, GROUP_GIST, GIST_RISK]

    printed = clerk.get(f"{meeting}/packet")
    assert printed.status_code == 200
    html = printed.get_data(as_text=True)
    document = lxml.html.fromstring(html)
    assert document.xpath('//body[@class="packet-final"]'), "the packet is final, not a draft (案)"
    [main] = document.xpath('//table[contains(@class, "packet-main")]')
    [carried] = document.xpath('//table[contains(@class, "packet-carried-over")]')
    main_text, carried_text = main.text_content(), carried.text_content()
    for gist in approved_gists:
        assert gist in main_text and gist not in carried_text
    for body, _category, change_made in RESPONSES.values():
        assert body in main_text and change_made in main_text
    assert "同趣旨2件" in main_text
    assert "照会先：総務省" in main_text and INQUIRY_QUESTION in main_text
    assert GIST_LOGS in carried_text and CARRY_OVER_REASON in carried_text and GIST_LOGS not in main_text
    assert "次回以降の部会で説明する意見" in html
    assert_nothing_personal_or_confidential(html, "the print page")

    word = clerk.get(f"{meeting}/packet.docx?final=1")
    assert word.status_code == 200
    assert word.headers["Content-Disposition"].endswith('-final.docx"')
    xml = docx_text(word.data)
    heading = xml.index("次回以降の部会で説明する意見")
    assert all(-1 < xml.find(gist) < heading for gist in approved_gists)
    assert xml.count(GIST_LOGS) == 1 and xml.index(GIST_LOGS) > heading
    assert CARRY_OVER_REASON in xml and "照会先：総務省" in xml
    assert "意見と市の考え方（案）" not in xml and "この資料は案です" not in xml, "final, not a draft"
    assert_nothing_personal_or_confidential(xml, "the Word packet")

    table = clerk.get(f"{meeting}/packet.csv?final=1")
    assert table.status_code == 200
    text = table.data.decode("utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(text)))
    assert [line["次回以降"] for line in lines] == [""] * 4 + ["次回以降の部会で説明"], "carried over: last, marked"
    assert [line["意見の概要"] for line in lines] == [*approved_gists, GIST_LOGS], "in item number order"
    assert lines[-1]["理由"] == CARRY_OVER_REASON and lines[-1]["市の考え方"] == ""
    assert [line["同趣旨件数"] for line in lines if line["意見の概要"] == GROUP_GIST] == ["2"]
    assert_nothing_personal_or_confidential(text, "the CSV packet")

    # 9. The results are prepared and
    # published; the public page shows every line, and nobody's personal data.
    # A fresh sign-in, in Japanese on purpose: prepare_results stores the carried-over line's note ("To be
    # explained at a later meeting of the committee.") and the redaction reasons in the language of whoever
    # prepares, so an English-speaking secretariat would publish English words on the Japanese public page.
    frozen_clock.set(closes_at + timedelta(hours=9, minutes=1))  # a second factor's code is taken once
    clerk = signed_in(app, clerk_user, lang="ja")
    results = f"{staff}/results"
    post(
        clerk,
        f"{staff}/inspection",
        {"meeting_id": meeting.rsplit("/", 1)[-1], "outcome": "全項目の回答を了承。アクセスログの件は次回説明。"},
        form_page=staff,
    )
    assert "全項目の回答を了承" in clerk.get(staff).get_data(as_text=True)
    post(clerk, f"{results}/prepare", {})
    assert "結果を準備しました。" in clerk.get(results).get_data(as_text=True)
    post(clerk, f"{results}/publish", {"confirm": "y"})
    assert "結果を公表しました。" in clerk.get(results).get_data(as_text=True)
    public = app.test_client()
    response = public.get(f"/consultations/{slug}/results")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    lines = {}
    for row in lxml.html.fromstring(html).xpath('//table[@class="results"]/tbody/tr'):
        cells = [" ".join(cell.text_content().split()) for cell in row.xpath("./th|./td")]
        lines[cells[2]] = cells  # number, section, gist, the city's view, result
    # Citizens' opinions only: the member's two questions (risk analysis, access logs) and their answers
    # are the committee's record, in the packet (issue 12, item 3).
    expected = {
        GIST_SUPERVISION: RESPONSES[GIST_SUPERVISION][0],
        GIST_ENCRYPTION: RESPONSES[GIST_ENCRYPTION][0],
        GROUP_GIST: RESPONSES[GIST_ERASURE_A][0],
    }
    for gist, view in expected.items():
        assert gist in lines, f"{gist} is not published"
        assert lines[gist][3].startswith(view)
    assert lines[GROUP_GIST][0].endswith("（同趣旨2件）")
    assert RESPONSES[GIST_SUPERVISION][2] in lines[GIST_SUPERVISION][3], "the change made to the draft"
    assert len(lines) == 3
    for question in (GIST_RISK, GIST_LOGS, QUESTION_RISK, QUESTION_LOGS, RESPONSES[GIST_RISK][0]):
        assert question not in html, "no committee question reaches the public results"
    assert "Senders" not in html and "提出者" in html
    assert_nothing_personal_or_confidential(html, "the published results")
