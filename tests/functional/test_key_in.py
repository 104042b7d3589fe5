"""Key-in of post, fax and in-person submissions is reached by links, for those who may key in only, and the
second person's check page shows the scan beside the keyed text: a picture in the page, a PDF to open (R41:
a file is never rendered inline but as a picture checked to be one)."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import date

import lxml.html

from comments.domain.deadlines import end_of_day, start_of_day
from comments.extensions import db
from comments.models import Submission
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import make_consultation, make_submission, make_user
from tests.functional.auth_helpers import sign_in
from tests.functional.helpers import PDF


def png() -> bytes:
    """A one-pixel PNG, whole (signature, IHDR, IDAT, IEND), as a scanner's picture would start."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    )


def client_for(app, user):
    client = app.test_client()
    client.set_cookie("lang", "en")  # the assertions read the English words
    assert sign_in(client, user).status_code == 303
    return client


def open_consultation():
    return make_consultation(opens_at=start_of_day(date(2015, 6, 22)), closes_at=end_of_day(date(2099, 7, 21)))


def key_in(client, consultation, scans):
    url = f"/staff/consultations/{consultation.id}/intake"
    data = {
        "csrf_token": csrf_token_from(client.get(url).get_data(as_text=True)),
        "channel": "fax",
        "arrived_on": "2015-07-21",
        "submitter_kind": "citizen",
        "body": "FAXで届いた意見です。",
        "scans": [(io.BytesIO(content), name) for name, content in scans],
    }
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def test_the_key_in_form_is_linked_from_the_home_page_and_the_consultation_page(app):
    consultation = open_consultation()
    form_url = f"/staff/consultations/{consultation.id}/intake"
    clerk = client_for(app, make_user(Role.secretariat))
    for page in ("/staff/", f"/staff/consultations/{consultation.id}"):
        html = clerk.get(page).get_data(as_text=True)
        [link] = lxml.html.fromstring(html).xpath(f'//a[@href="{form_url}"]')
        assert "Key in" in link.text_content()
    assert clerk.get(form_url).status_code == 200
    staff = client_for(app, make_user(Role.department_staff))
    assert form_url not in staff.get("/staff/").get_data(as_text=True)


def test_the_check_page_shows_the_scan_beside_the_keyed_text(app):
    clerk = client_for(app, make_user(Role.secretariat))
    check_url = key_in(clerk, open_consultation(), [("fax.png", png()), ("fax.pdf", PDF)])
    html = clerk.get(check_url).get_data(as_text=True)
    tree = lxml.html.fromstring(html)
    [pair] = tree.xpath('//div[@class="side-by-side"]')
    assert "FAXで届いた意見です。" in pair.xpath('.//*[@id="keyed-text"]')[0].text_content()
    [image] = pair.xpath('.//section[@id="scans"]//img')
    assert image.get("alt").startswith("Scan 1 of 2")
    [pdf_link] = pair.xpath('.//section[@id="scans"]//a')
    assert "fax.pdf" in pdf_link.text_content()

    picture = clerk.get(image.get("src"))
    assert picture.status_code == 200
    assert picture.mimetype == "image/png" and picture.data == png()
    assert picture.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in picture.headers.get("Content-Disposition", "")
    document = clerk.get(pdf_link.get("href"))
    assert document.status_code == 200 and document.data == PDF
    assert document.headers["Content-Disposition"].startswith("attachment")


def test_only_those_who_key_in_see_a_scan_and_only_of_a_keyed_in_submission(app):
    clerk = client_for(app, make_user(Role.secretariat))
    consultation = open_consultation()
    check_url = key_in(clerk, consultation, [("fax.png", png())])
    [scan_url] = lxml.html.fromstring(clerk.get(check_url).get_data(as_text=True)).xpath(
        '//section[@id="scans"]//img/@src'
    )
    assert clerk.get(scan_url).status_code == 200
    assert clerk.get(f"{check_url}/scans/9").status_code == 404
    staff = client_for(app, make_user(Role.department_staff))
    assert staff.get(scan_url).status_code == 403
    web = make_submission(consultation, attachments=1)
    assert db.session.get(Submission, web.id).entered_by_id is None
    assert clerk.get(f"/staff/intake/{web.id}/scans/{web.attachments[0].position}").status_code == 404
