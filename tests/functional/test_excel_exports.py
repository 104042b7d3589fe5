"""Excel files of the back office (issue 15): the inbox, the items, the queue and the inspection packet, opened
with openpyxl: the rows the page shows, with its filters, and no personal data; the inbox with personal data
only after the password is entered again, and recorded; department staff get their own department's rows;
a filter the page would refuse is answered 422, never 500. On SQLite and PostgreSQL alike."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from stdnum.jp import in_ as individual_number

from comments.exports.xlsx import MAX_COLUMN_WIDTH, MEDIA_TYPE
from comments.extensions import db
from comments.models import AuditEvent, Channel, ConsultationStatus, Submitter
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import (
    DEFAULT_PASSWORD,
    assign,
    make_consultation,
    make_items,
    make_meeting,
    make_submission,
    make_user,
)
from tests.functional.auth_helpers import sign_in
from tests.functional.helpers import xlsx_rows

NUMBER = "12345678901" + individual_number.calc_check_digit("12345678901")  # passes the check digit
NAME, EMAIL, ADDRESS, PHONE, MOBILE = (
    "山田花子",
    "hanako@example.jp",
    "千葉市中央区1-1",
    "043-245-5111",
    "090-1234-5678",
)
OPINION = "委託先の監督を強化すべきです。"
BODY = f"{NAME}です。{ADDRESS}に住んでいます。連絡先は{EMAIL}、電話{MOBILE}です。個人番号は{NUMBER}です。{OPINION}"
PERSONAL = (NAME, EMAIL, ADDRESS, PHONE, MOBILE, NUMBER)
INBOX_HEADER = [
    "Receipt number",
    "Received",
    "Channel",
    "Submitter",
    "Text",
    "Attachments",
    "Late",
    "Same or nearly the same text",
]
PERSONAL_HEADER = ["Name", "E-mail address", "Postal address or telephone number"]


def _client(app, user):
    client = app.test_client()
    client.set_cookie("lang", "en")
    assert sign_in(client, user).status_code == 303
    return client


@pytest.fixture
def clerk(app):
    return _client(app, make_user(Role.secretariat))


def _with_personal_data(consultation, body=BODY, **values):
    submitter = Submitter(name=NAME, email=EMAIL, contact=f"{ADDRESS}\n{PHONE}")
    return make_submission(consultation, body=body, submitter=submitter, **values)


def _download(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response.headers["Content-Type"] == MEDIA_TYPE
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    return response.get_data()


def _table(data: bytes, first_heading: str) -> tuple[list[str], list[list[str]]]:
    """The headings (the row that starts with ``first_heading``) and the rows under them."""
    rows = xlsx_rows(data)
    start = next(index for index, row in enumerate(rows) if row[0] == first_heading)
    return rows[start], rows[start + 1 :]


def _everything_in(data: bytes) -> str:
    """Every text the file holds, wherever it is (cells, page headers, properties), entities decoded."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(html.unescape(archive.read(name).decode("utf-8")) for name in archive.namelist())


def _assert_no_personal_data(data: bytes) -> None:
    text = _everything_in(data)
    for value in PERSONAL:
        assert value not in text, f"{value} is in the file"


def _events(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def _assert_prints_as_a_city_prints(data: bytes, header_row: int) -> None:
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert int(sheet.page_setup.fitToWidth) == 1
    assert sheet.print_title_rows == f"${header_row}:${header_row}"
    assert sheet.freeze_panes == f"A{header_row + 1}"
    assert all(cell.font.b for cell in sheet[header_row])
    widths = [sheet.column_dimensions[cell.column_letter].width for cell in sheet[header_row]]
    assert all(width and 0 < width <= MAX_COLUMN_WIDTH for width in widths)


def _header_row(data: bytes, first_heading: str) -> int:
    return next(i for i, row in enumerate(xlsx_rows(data), start=1) if row[0] == first_heading)


def _inbox(consultation, name="inbox") -> str:
    return f"/staff/consultations/{consultation.id}/{name}.xlsx"


def _link(page: str, text: str) -> str:
    [href] = lxml.html.fromstring(page).xpath(f"//a[normalize-space(.)='{text}']/@href")
    return href


# --- The inbox ---------------------------------------------------------------------------------------------


def test_the_inbox_file_lists_every_submission_without_personal_data(clerk):
    consultation = make_consultation()
    personal = _with_personal_data(consultation)
    formula = make_submission(consultation, body='=HYPERLINK("http://evil.example","x")', channel=Channel.post)
    make_submission(make_consultation())  # another consultation's

    data = _download(clerk, _inbox(consultation))
    header, rows = _table(data, "Receipt number")
    assert header == INBOX_HEADER
    assert [row[0] for row in rows] == [formula.receipt_number, personal.receipt_number]  # newest first
    assert [row[2] for row in rows] == ["Post", "Web form"]
    text = rows[1][4]
    assert OPINION in text and "［削除］" in text
    _assert_no_personal_data(data)
    _assert_prints_as_a_city_prints(data, _header_row(data, "Receipt number"))

    # The formula-like text is there as text: never a formula Excel would run.
    [formula_cell] = [
        cell
        for row in load_workbook(io.BytesIO(data)).active.iter_rows()
        for cell in row
        if str(cell.value).startswith("=HYPERLINK")
    ]
    assert formula_cell.data_type != "f" and formula_cell.quotePrefix

    [event] = _events("inbox.exported")
    assert event.detail["rows"] == 2 and event.object_id == str(consultation.id)
    assert not any(value in json.dumps(event.detail, ensure_ascii=False) for value in PERSONAL)
    assert _events("personal_data.exported") == []


def test_the_inbox_file_speaks_japanese_by_default(app):
    consultation = make_consultation()
    make_submission(consultation)
    client = app.test_client()
    assert sign_in(client, make_user(Role.secretariat)).status_code == 303
    header, rows = _table(_download(client, _inbox(consultation)), "受付番号")
    assert header[:2] == ["受付番号", "受付日時"] and len(rows) == 1


def test_the_inbox_file_follows_the_pages_filters_and_kept_search(clerk):
    consultation = make_consultation()
    by_web = _with_personal_data(consultation)
    by_post = make_submission(consultation, body="再委託について意見します。", channel=Channel.post)

    page = clerk.get(f"/staff/consultations/{consultation.id}/inbox?channel=post").get_data(as_text=True)
    link = _link(page, "Download as Excel (.xlsx)")
    assert parse_qs(urlsplit(link).query)["channel"] == ["post"]
    assert [row[0] for row in _table(_download(clerk, link), "Receipt number")[1]] == [by_post.receipt_number]

    # A text search travels as its opaque id: the file holds what the search found.
    token = csrf_token_from(clerk.get(f"/staff/consultations/{consultation.id}/inbox").get_data(as_text=True))
    found = clerk.post(f"/staff/consultations/{consultation.id}/inbox", data={"csrf_token": token, "q": "委託先"})
    page = clerk.get(found.headers["Location"]).get_data(as_text=True)
    link = _link(page, "Download as Excel (.xlsx)")
    assert "委託先" not in link and "search=" in link
    assert [row[0] for row in _table(_download(clerk, link), "Receipt number")[1]] == [by_web.receipt_number]
    assert _events("inbox.exported")[-1].detail["filters"]["searched"] is True


@pytest.mark.parametrize(
    "query",
    [
        "channel=bogus",
        "submitter_kind=%00",
        "late=maybe",
        "received_from=2026-13-45",
        "received_to=%E3%81",
        "search=not-a-kept-search",
        "search=%00&channel=post",
    ],
)
def test_a_filter_the_page_would_refuse_is_answered_422_and_nothing_is_recorded(clerk, query):
    consultation = make_consultation()
    make_submission(consultation)
    response = clerk.get(f"{_inbox(consultation)}?{query}")
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("text/html")
    assert _events("inbox.exported") == []
    assert clerk.get(f"/staff/consultations/{consultation.id}/inbox?{query}").status_code in (200, 422)


def test_names_the_address_should_not_carry_are_ignored(clerk):
    consultation = make_consultation()
    make_submission(consultation)
    query = "q=山田&after=%00&_external=1&_method=POST&page=-1&k=" + "x" * 3000
    _header, rows = _table(_download(clerk, f"{_inbox(consultation)}?{query}"), "Receipt number")
    assert len(rows) == 1, "the text search comes from the kept search only, and a cursor is not a filter"


def test_personal_data_leaves_only_after_the_password_and_is_recorded_with_every_receipt(app, frozen_clock):
    consultation = make_consultation()
    submission = _with_personal_data(consultation)
    user = make_user(Role.secretariat)
    client = _client(app, user)
    frozen_clock.set(frozen_clock.current + timedelta(minutes=6))  # the sign-in no longer counts
    page = client.get(f"/staff/consultations/{consultation.id}/inbox").get_data(as_text=True)
    url = _link(page, "Download as Excel with personal data (.xlsx)")

    asked = client.get(url)
    assert asked.status_code == 303
    location = asked.headers["Location"]
    assert urlsplit(location).path == "/auth/confirm-password"
    assert _events("personal_data.exported") == []

    token = csrf_token_from(client.get(location).get_data(as_text=True))
    confirmed = client.post(location, data={"csrf_token": token, "password": DEFAULT_PASSWORD})
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == url
    data = _download(client, url)
    header, rows = _table(data, "Receipt number")
    assert header == INBOX_HEADER + PERSONAL_HEADER
    assert rows[0][0] == submission.receipt_number
    assert rows[0][-3:] == [NAME, EMAIL, f"{ADDRESS}\n{PHONE}"]
    assert NUMBER not in _everything_in(data), "an individual number never leaves"
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.oddHeader.right.text == "Handle with care"

    [event] = _events("personal_data.exported")
    assert event.actor == f"user:{user.id}"
    assert event.detail["fields"] == ["name", "email", "contact"]
    assert event.detail["receipt_numbers"] == [submission.receipt_number]
    assert not any(value in json.dumps(event.detail, ensure_ascii=False) for value in PERSONAL)
    assert _events("inbox.exported") == []


def test_department_staff_get_their_own_departments_inbox_only_and_never_personal_data(app):
    own = make_consultation(department="健康保険課")
    other = make_consultation(department="国民年金課")
    mine = make_submission(own)
    make_submission(other)
    client = _client(app, make_user(Role.department_staff, department=own.department))

    page = client.get(f"/staff/consultations/{own.id}/inbox").get_data(as_text=True)
    assert "Download as Excel with personal data" not in page
    _header, rows = _table(_download(client, _link(page, "Download as Excel (.xlsx)")), "Receipt number")
    assert [row[0] for row in rows] == [mine.receipt_number]
    assert client.get(_inbox(other)).status_code == 404
    assert client.get(_inbox(own, "inbox-with-personal-data")).status_code == 403
    assert client.get(f"/staff/consultations/{own.id}/items.xlsx").status_code == 403


# --- The items and the queue -------------------------------------------------------------------------------


def test_the_items_file_lists_what_the_page_shows_without_personal_data(app, clerk):
    consultation = make_consultation()
    writer = make_user(Role.secretariat)
    first, second = make_items(consultation, writer, f"委託先の監督（{EMAIL}、{MOBILE}）", "再委託の有無")
    second.carried_over_reason = "次回の部会で説明"
    db.session.flush()

    page = clerk.get(f"/staff/consultations/{consultation.id}/items?carried_over=no").get_data(as_text=True)
    link = _link(page, "Download as Excel (.xlsx)")
    assert parse_qs(urlsplit(link).query) == {"carried_over": ["no"]}
    data = _download(clerk, link)
    header, rows = _table(data, "No.")
    assert header[:3] == ["No.", "Kind", "Gist"]
    assert [row[0] for row in rows] == [str(first.number)]
    assert rows[0][2].startswith("委託先の監督") and "［削除］" in rows[0][2]
    _assert_no_personal_data(data)
    _assert_prints_as_a_city_prints(data, _header_row(data, "No."))

    _header, rows = _table(_download(clerk, f"/staff/consultations/{consultation.id}/items.xlsx"), "No.")
    assert [row[0] for row in rows] == [str(first.number), str(second.number)]
    assert rows[1][-1] == "次回の部会で説明"
    assert [event.detail["rows"] for event in _events("items.exported")] == [1, 2]
    assert clerk.get(f"/staff/consultations/{consultation.id}/items.xlsx?state=bogus").status_code == 422


def test_department_staff_get_only_their_departments_items_to_answer(app, clerk):
    own = make_consultation(department="健康保険課")
    other = make_consultation(department="国民年金課")
    writer = make_user(Role.secretariat)
    [mine] = make_items(own, writer, f"監督の強化（{NAME}）")
    [theirs] = make_items(other, writer, "年金の照会")
    assign([mine], own.department)
    assign([theirs], other.department)
    staff = _client(app, make_user(Role.department_staff, department=own.department))

    page = staff.get("/staff/queue").get_data(as_text=True)
    for url in (_link(page, "Download as Excel (.xlsx)"), f"/staff/queue.xlsx?department_id={other.department.id}"):
        data = _download(staff, url)
        header, rows = _table(data, "Item")
        assert "Department" not in header
        assert [row[1] for row in rows] == [own.title]
        assert NAME not in _everything_in(data)

    _header, rows = _table(_download(clerk, "/staff/queue.xlsx"), "Item")
    assert {row[1] for row in rows} == {own.title, other.title}
    assert clerk.get("/staff/queue.xlsx?department_id=x").status_code == 422
    assert len(_events("queue.exported")) == 3


# --- The packet --------------------------------------------------------------------------------------------


def test_the_packet_file_holds_the_csvs_rows_and_prints_its_draft_mark(clerk):
    consultation = make_consultation(status=ConsultationStatus.closed)
    make_items(consultation, make_user(Role.secretariat), "監督の強化", "再委託の有無")
    meeting = make_meeting(consultation)

    page = clerk.get(f"/staff/meetings/{meeting.id}").get_data(as_text=True)
    data = _download(clerk, _link(page, "Excel file (draft)"))
    text = clerk.get(f"/staff/meetings/{meeting.id}/packet.csv").get_data(as_text=True).lstrip("\ufeff")
    csv_rows = list(csv.reader(io.StringIO(text)))[1:]  # under the draft row
    header, rows = _table(data, csv_rows[0][0])
    assert [header, *rows] == csv_rows
    assert len(rows) == 2
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.oddHeader.right.text == "DRAFT"
    _assert_prints_as_a_city_prints(data, _header_row(data, csv_rows[0][0]))
    assert [event.detail["format"] for event in _events("packet.exported")] == ["xlsx", "csv"]
    assert re.search(
        r"packet-\d{8}-draft\.xlsx",
        clerk.get(f"/staff/meetings/{meeting.id}/packet.xlsx").headers["Content-Disposition"],
    )
