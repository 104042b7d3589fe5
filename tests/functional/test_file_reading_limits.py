"""Small files that would take minutes or gigabytes to read are refused on every channel, with a message that
names the file and says what to send instead, and nothing is written (R40).

The bombs are made by tests/document_samples.py: a 1.6 KB PDF of nested form XObjects (minutes of pypdf's
CPU) and a 100 KB Word file of seven million empty paragraphs (gigabytes of lxml's memory). The tests run
under TestingConfig's limits: two CPU seconds and 256 MB per file. Every channel is in English here, so the
assertions hold whatever the Japanese catalog says.

Text files in the encodings Japanese users save in are accepted and kept in UTF-8, on every channel (each
goes through check_upload); the public form and the e-mail intake are shown here.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from sqlalchemy import func, select

from comments.domain.audit import Actor
from comments.domain.committee import rotate_intake_token
from comments.extensions import db
from comments.models import (
    InboundMessage,
    InboundStatus,
    Material,
    MaterialKind,
    RedactedCopy,
    Section,
    Submission,
)
from comments.permissions import Role
from comments.storage import blob_store
from tests.conftest import csrf_token_from
from tests.document_samples import nested_forms_pdf, paragraph_flood_docx
from tests.factories import make_consultation, make_user
from tests.functional.auth_helpers import sign_in
from tests.functional.helpers import count_rows, post_comment

TOO_LONG = "took too long to read, so it was not accepted"
TOO_MUCH_MEMORY = "needs too much memory to read, so it was not accepted"
WHAT_TO_DO = "Save it again as a simpler PDF or Word file, or as a text file, and try again; or send it by post."
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
JAPANESE_TEXT = "市の計画案について意見を述べます。\n第２条の「ﾃｽﾄ」は削除してください。"


@pytest.fixture(scope="module")
def pdf_bomb() -> bytes:
    return nested_forms_pdf()


@pytest.fixture(scope="module")
def docx_bomb() -> bytes:
    return paragraph_flood_docx()


def files_in(blob_root) -> set:
    return {path for path in blob_root.rglob("*") if path.is_file()} if blob_root.exists() else set()


def page_of(response) -> str:
    return response.get_data(as_text=True)


def test_the_public_form_refuses_a_pdf_bomb_keeps_what_was_typed_and_writes_nothing(client, blob_root, pdf_bomb):
    consultation = make_consultation()
    client.set_cookie("lang", "en")
    rows, files = count_rows(), files_in(blob_root)
    response = post_comment(client, consultation, body="計画案の第3条に反対します。", files=[("意見書.pdf", pdf_bomb)])
    assert response.status_code == 422
    html = page_of(response)
    assert f"“意見書.pdf” {TOO_LONG}" in html
    assert WHAT_TO_DO in html
    assert "計画案の第3条に反対します。" in html, "the form is shown again with the opinion typed in"
    assert count_rows() == rows
    assert files_in(blob_root) == files


def test_the_public_form_refuses_a_word_file_bomb_for_its_memory(client, blob_root, docx_bomb):
    consultation = make_consultation()
    client.set_cookie("lang", "en")
    rows, files = count_rows(), files_in(blob_root)
    response = post_comment(client, consultation, files=[("意見書.docx", docx_bomb)])
    assert response.status_code == 422
    assert f"“意見書.docx” {TOO_MUCH_MEMORY}" in page_of(response)
    assert count_rows() == rows
    assert files_in(blob_root) == files


def test_a_members_question_file_bomb_is_refused_on_the_upload_page(client, blob_root, pdf_bomb):
    consultation = make_consultation()
    sign_in(client, make_user(Role.member))
    client.set_cookie("lang", "en")
    url = f"/committee/consultations/{consultation.id}"
    token = csrf_token_from(page_of(client.get(url)))
    files = files_in(blob_root)
    response = client.post(
        f"{url}/question-file",
        data={"file-csrf_token": token, "file-section_id": "", "file-document": (io.BytesIO(pdf_bomb), "質問.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert f"“質問.pdf” {TOO_LONG}" in page_of(response)
    assert files_in(blob_root) == files, "nothing waits for a confirmation"


def test_staff_keying_in_a_letter_with_a_bomb_scan_are_told_and_nothing_is_stored(client, blob_root, pdf_bomb):
    consultation = make_consultation()
    sign_in(client, make_user(Role.secretariat))
    client.set_cookie("lang", "en")
    url = f"/staff/consultations/{consultation.id}/intake"
    rows, files = count_rows(), files_in(blob_root)
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token_from(page_of(client.get(url))),
            "channel": "post",
            "arrived_on": consultation.opens_at.date().isoformat(),
            "submitter_kind": "citizen",
            "body": "郵送された意見です。",
            "scans": [(io.BytesIO(pdf_bomb), "scan.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert f"“scan.pdf” {TOO_LONG}" in page_of(response)
    assert count_rows() == rows
    assert files_in(blob_root) == files


def test_a_draft_import_bomb_is_refused_and_the_sections_stay(client, docx_bomb):
    consultation = make_consultation()
    count = select(func.count()).select_from(Section).where(Section.consultation_id == consultation.id)
    sections = db.session.scalar(count)
    sign_in(client, make_user(Role.secretariat))
    client.set_cookie("lang", "en")
    url = f"/staff/consultations/{consultation.id}/import"
    response = client.post(
        url,
        data={"csrf_token": csrf_token_from(page_of(client.get(url))), "document": (io.BytesIO(docx_bomb), "案.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert f"“案.docx” {TOO_MUCH_MEMORY}" in page_of(response)
    assert db.session.scalar(count) == sections


def test_a_redacted_copy_that_is_a_bomb_is_refused_and_the_original_stays(app, client, pdf_bomb):
    consultation = make_consultation()
    public = app.test_client()
    scan = b"\x89PNG\r\n\x1a\n" + b"redactions-bomb-test" * 4
    assert post_comment(public, consultation, body="写しを添付します。", files=[("card.png", scan)]).status_code == 303
    submission = db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()
    sign_in(client, make_user(Role.secretariat))
    client.set_cookie("lang", "en")
    url = f"/staff/submissions/{submission.id}/attachments/1/redacted-copy"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token_from(page_of(client.get(url))),
            "reason": "個人番号を黒塗り",
            "destroy": "y",
            "document": (io.BytesIO(pdf_bomb), "kuronuri.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert f"“kuronuri.pdf” {TOO_LONG}" in page_of(response)
    assert db.session.scalar(select(func.count()).select_from(RedactedCopy)) == 0
    assert blob_store(app).read(submission.attachments[0].sha256) == scan


@pytest.fixture
def member(app):
    user = make_user(Role.member, email="iin.bomb@example.jp")
    with app.app_context():
        user = db.session.get(type(user), user.id)
        rotate_intake_token(user, Actor("test"))
        db.session.commit()
    return user


def mail_from(app, member, *attachments: tuple[str, bytes, str, str]) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"委員 <{member.email}>"
    mail["To"] = f"{app.config['MAIL_INTAKE_LOCAL_PART']}+{member.intake_token}@{app.config['MAIL_INTAKE_DOMAIN']}"
    mail["Subject"] = "評価書への質問"
    mail["Date"] = format_datetime(datetime.now().astimezone())
    mail["Message-ID"] = make_msgid(domain="example.jp")
    mail.set_content("（１）添付の質問票をご確認ください。")
    for filename, data, maintype, subtype in attachments:
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return mail.as_bytes()


def ingest(app, raw: bytes) -> InboundMessage:
    result = app.test_cli_runner().invoke(args=["mail", "ingest"], input=raw)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return db.session.scalars(select(InboundMessage).order_by(InboundMessage.id.desc())).first()


def test_a_mail_with_a_bomb_is_quarantined_with_the_reason_and_released_without_it(app, client, member, pdf_bomb):
    consultation = make_consultation()
    raw = mail_from(
        app,
        member,
        ("質問票.pdf", pdf_bomb, "application", "pdf"),
        ("補足.txt", JAPANESE_TEXT.encode("cp932"), "text", "plain"),
    )
    received = ingest(app, raw)
    assert (received.status, received.reason) == (InboundStatus.quarantined, "attachment_refused")
    # The note names the file and says why, in the service's language (Japanese at the command line).
    assert "質問票.pdf" in received.decision_note and received.decision_note != "質問票.pdf"
    assert received.submission is None

    sign_in(client, make_user(Role.secretariat))
    client.set_cookie("lang", "en")
    html = page_of(client.get(f"/staff/mail/{received.id}"))
    response = client.post(
        f"/staff/mail/{received.id}/release",
        data={
            "csrf_token": csrf_token_from(html),
            "consultation_id": consultation.id,
            "member_id": member.id,
            "note": "PDFは郵送で受け取る。",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    released = db.session.get(InboundMessage, received.id)
    assert released.status == InboundStatus.released
    [kept] = released.submission.attachments  # the bomb is left out; the text file is kept, in UTF-8
    assert kept.filename == "補足.txt"
    assert blob_store(app).read(kept.sha256) == JAPANESE_TEXT.encode("utf-8")


def test_a_mail_with_a_text_file_in_euc_jp_is_accepted_and_kept_in_utf8(app, member):
    make_consultation()
    received = ingest(app, mail_from(app, member, ("質問.txt", JAPANESE_TEXT.encode("euc_jp"), "text", "plain")))
    assert received.status == InboundStatus.accepted
    [attachment] = received.submission.attachments
    assert attachment.content_type == "text/plain; charset=utf-8"
    assert blob_store(app).read(attachment.sha256) == JAPANESE_TEXT.encode("utf-8")


@pytest.mark.parametrize("encoding", ["cp932", "euc_jp", "utf-16"])
def test_the_public_form_takes_a_japanese_text_file_and_keeps_it_in_utf8(app, client, encoding):
    consultation = make_consultation()
    response = post_comment(client, consultation, files=[("意見.txt", JAPANESE_TEXT.encode(encoding))])
    assert response.status_code == 303, page_of(response)[:2000]
    submission = db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()
    [attachment] = submission.attachments
    assert blob_store(app).read(attachment.sha256) == JAPANESE_TEXT.encode("utf-8")


def test_numbers_scan_reports_a_file_over_the_limits_and_goes_on(app, pdf_bomb):
    consultation = make_consultation()
    store = blob_store(app)
    bomb_sha256, _ = store.put(pdf_bomb)
    number_sha256, _ = store.put("以前の資料 番号 123456789018".encode())
    materials = []
    for title, sha256, content_type in (("bomb", bomb_sha256, "application/pdf"), ("old", number_sha256, "text/plain")):
        material = Material(
            consultation_id=consultation.id,
            kind=MaterialKind.reference,
            title=title,
            filename=f"{title}.bin",
            content_type=content_type,
            size=1,
            sha256=sha256,
            public=True,
        )
        db.session.add(material)
        materials.append(material)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["numbers", "scan"])
    assert result.exit_code == 1, result.output
    bomb, old = materials
    assert f"look by hand: material {bomb.id} (took too long or too much memory to read)" in result.output
    assert f"number: material {old.id}: 1" in result.output, "the scan went on after the bomb"


def test_a_change_reads_its_files_with_no_transaction_open_and_only_then_takes_the_lock(app, monkeypatch):
    """Staff keying in, a member's confirmed file, a redacted copy and a released e-mail read their files in
    ``post_change``'s ``prepare``: after the reading transaction has ended and before the write lock."""
    from comments.blueprints import views

    steps = []
    monkeypatch.setattr(views, "end_transaction", lambda: steps.append("end the reading transaction"))
    monkeypatch.setattr(views, "begin_write", lambda: steps.append("take the write lock"))
    monkeypatch.setattr(views, "commit_once", lambda: steps.append("commit"))

    class ValidForm:
        def validate(self):
            return True

    with app.test_request_context("/", method="POST"):
        views.post_change(
            ValidForm(),
            lambda files: steps.append(f"write with {files}"),
            prepare=lambda: steps.append("read the files") or "the masked files",
            page=None,
            then="/",
        )
    assert steps == [
        "end the reading transaction",
        "read the files",
        "take the write lock",
        "write with the masked files",
        "commit",
    ]


def damaged_docx() -> bytes:
    """A Word file that passes the upload checks (a ZIP with the parts a .docx has) whose document part is not
    XML: its parser fails on it, which was a server error."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document><w:body><w:p>途中で切れた")
    return buffer.getvalue()


DAMAGED = "could not be read; the file may be damaged"


def test_the_public_form_refuses_a_damaged_word_file_with_a_message_not_a_server_error(client, blob_root):
    consultation = make_consultation()
    client.set_cookie("lang", "en")
    rows, files = count_rows(), files_in(blob_root)
    response = post_comment(client, consultation, body="添付のとおり。", files=[("意見.docx", damaged_docx())])
    assert response.status_code == 422
    assert f"“意見.docx” {DAMAGED}" in page_of(response)
    assert count_rows() == rows and files_in(blob_root) == files


def test_a_mail_with_a_damaged_word_file_is_quarantined_not_retried_for_ever(app, member):
    make_consultation()
    received = ingest(app, mail_from(app, member, ("質問.docx", damaged_docx(), "application", "octet-stream")))
    assert (received.status, received.reason) == (InboundStatus.quarantined, "attachment_refused")
    assert "質問.docx" in received.decision_note
