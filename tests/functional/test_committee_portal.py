"""The committee portal from the outside in: materials, questions typed in or uploaded, the intake address."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from comments.extensions import db
from comments.models import (
    AuditEvent,
    Channel,
    ConsultationStatus,
    Material,
    MaterialKind,
    OutboxMessage,
    Submission,
    SubmitterKind,
)
from comments.permissions import Role
from comments.storage import blob_store
from tests.conftest import csrf_token_from
from tests.factories import make_consultation, make_user
from tests.functional.auth_helpers import sign_in

DOCUMENTS = Path(__file__).resolve().parents[1] / "data" / "documents"
QUESTION_TEXT = "暗号化の方式について質問します。"


def add_material(app, consultation, *, public: bool, title: str, data: bytes = b"%PDF-1.4\n%%EOF\n") -> Material:
    sha256, _ = blob_store(app).put(data)
    material = Material(
        consultation_id=consultation.id,
        kind=MaterialKind.reference,
        title=title,
        filename="shiryou.pdf",
        content_type="application/pdf",
        size=len(data),
        sha256=sha256,
        public=public,
    )
    db.session.add(material)
    db.session.flush()
    return material


def portal_token(client, consultation) -> str:
    return csrf_token_from(client.get(f"/committee/consultations/{consultation.id}").get_data(as_text=True))


def send_question(client, consultation, **fields):
    data = {"question-csrf_token": portal_token(client, consultation), "question-section_id": "", "question-body": ""}
    data.update(fields)
    return client.post(f"/committee/consultations/{consultation.id}/questions", data=data)


def upload(client, consultation, filename: str, data: bytes):
    return client.post(
        f"/committee/consultations/{consultation.id}/question-file",
        data={
            "file-csrf_token": portal_token(client, consultation),
            "file-section_id": "",
            "file-document": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
    )


def confirm(client, consultation, confirm_page: str, **fields):
    import re

    upload_token = re.search(r'name="upload" type="hidden" value="([^"]+)"', confirm_page)
    assert upload_token, "the confirmation page carries the upload token"
    data = {
        "csrf_token": csrf_token_from(confirm_page),
        "upload": upload_token.group(1),
        "section_id": "",
        "body": fields.pop("body", None),
    }
    if data["body"] is None:
        body = re.search(r'<textarea[^>]*name="body"[^>]*>\s*(.*?)</textarea>', confirm_page, re.S)
        data["body"] = body.group(1) if body else ""
    data.update(fields)
    return client.post(f"/committee/consultations/{consultation.id}/question-file/confirm", data=data)


def stored(response) -> Submission:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return db.session.get(Submission, int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]))


def test_member_sees_consultations_and_reads_committee_only_material_on_record(app, client):
    consultation = make_consultation()
    draft = make_consultation(status=ConsultationStatus.draft)
    secret = add_material(app, consultation, public=False, title="非公開資料：システム構成図")
    member = make_user(Role.member)
    sign_in(client, member)

    home = client.get("/committee/").get_data(as_text=True)
    assert consultation.title in home
    assert draft.title not in home
    page = client.get(f"/committee/consultations/{consultation.id}").get_data(as_text=True)
    assert "非公開資料：システム構成図" in page

    response = client.get(f"/committee/materials/{secret.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "material.downloaded")).all()
    assert [event.object_id for event in events] == [str(secret.id)]
    # The public page never offers it, and its download address there is not found.
    assert "非公開資料" not in client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert client.get(f"/consultations/{consultation.slug}/materials/{secret.id}").status_code == 404


def test_a_question_from_the_portal_is_a_submission_of_the_member_with_a_receipt(client):
    consultation = make_consultation()
    section = consultation.sections[1]
    member = make_user(Role.member)
    sign_in(client, member)

    response = send_question(
        client, consultation, **{"question-section_id": str(section.id), "question-body": "（１）保存期間は？"}
    )
    submission = stored(response)
    assert submission.member_id == member.id
    assert submission.submitter_kind == SubmitterKind.member
    assert submission.channel == Channel.web
    assert submission.section_id == section.id
    assert submission.late is False
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert submission.receipt_number in page
    assert "（１）保存期間は？" in page
    # The receipt goes to the member's account address, and the question is listed on the portal.
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.submission_id == submission.id)).one()
    assert mail.to_address == member.email
    assert submission.receipt_number in client.get("/committee/").get_data(as_text=True)
    # A member's question is acknowledged as a question, not thanked for as a citizen's opinion (issue 15).
    assert mail.body_text.startswith("ご質問を受け付けました。") and "ご意見" not in mail.body_text
    assert mail.subject.endswith(f"ご質問を受け付けました（受付番号：{submission.receipt_number}）")
    assert f"受付番号：{submission.receipt_number}" in mail.body_text and "添付ファイル：なし" in mail.body_text
    assert "対応状況" in page and "募集状況" not in page
    assert "ハッシュ値（改ざん確認用）" in page


def test_an_empty_question_says_what_to_do_and_stores_nothing(client):
    consultation = make_consultation()
    sign_in(client, make_user(Role.chair))
    response = send_question(client, consultation, **{"question-body": "   "})
    assert response.status_code == 422
    assert "質問を書いてください" in response.get_data(as_text=True)
    assert db.session.scalars(select(Submission)).all() == []


def test_a_question_after_the_deadline_is_kept_and_marked_late(client):
    consultation = make_consultation(
        opens_at=datetime.now(UTC) - timedelta(days=40), closes_at=datetime.now(UTC) - timedelta(days=2)
    )
    observer = make_user(Role.observer)
    sign_in(client, observer)
    submission = stored(send_question(client, consultation, **{"question-body": "欠席したので後から質問します。"}))
    assert submission.late is True
    assert submission.submitter_kind == SubmitterKind.observer
    assert "締切後" in client.get(f"/committee/questions/{submission.id}").get_data(as_text=True)


def test_a_member_cannot_open_another_members_question(app, client):
    consultation = make_consultation()
    first, second = make_user(Role.member), make_user(Role.member)
    sign_in(client, first)
    submission = stored(send_question(client, consultation, **{"question-body": "質問です。"}))
    other = app.test_client()
    sign_in(other, second)
    assert other.get(f"/committee/questions/{submission.id}").status_code == 404
    assert submission.receipt_number not in other.get("/committee/").get_data(as_text=True)


def test_an_uploaded_docx_is_read_confirmed_and_stored_with_the_original(client):
    consultation = make_consultation()
    member = make_user(Role.member)
    sign_in(client, member)
    data = (DOCUMENTS / "question-ja.docx").read_bytes()

    page = upload(client, consultation, "質問票.docx", data)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert QUESTION_TEXT in html
    assert db.session.scalars(select(Submission)).all() == []  # nothing stored before the member confirms

    submission = stored(confirm(client, consultation, html))
    assert submission.channel == Channel.upload
    assert QUESTION_TEXT in submission.body
    assert "鍵の管理は誰が行いますか" in submission.body
    [attachment] = submission.attachments
    assert attachment.filename == "質問票.docx"
    assert attachment.size == len(data)


def test_an_uploaded_pdf_is_read_and_the_member_may_correct_the_text(client):
    consultation = make_consultation()
    sign_in(client, make_user(Role.member))
    html = upload(client, consultation, "question.pdf", (DOCUMENTS / "question-ja.pdf").read_bytes()).get_data(
        as_text=True
    )
    assert QUESTION_TEXT in html
    submission = stored(confirm(client, consultation, html, body="訂正した質問文です。"))
    assert submission.body == "訂正した質問文です。"
    assert submission.attachments[0].content_type == "application/pdf"


def test_a_file_that_cannot_be_read_is_explained_and_still_kept_when_confirmed(client):
    consultation = make_consultation()
    sign_in(client, make_user(Role.member))
    broken = b"%PDF-1.7\n" + b"\x00\x01garbage" * 50
    page = upload(client, consultation, "scan.pdf", broken)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="extraction-problem"' in html
    submission = stored(confirm(client, consultation, html, body=""))
    assert submission.attachments[0].size == len(broken)
    assert "添付" in submission.body  # the text says the question is in the attached file


def test_a_file_of_the_wrong_kind_is_refused_with_a_reason(client):
    consultation = make_consultation()
    sign_in(client, make_user(Role.member))
    response = upload(client, consultation, "question.exe", b"MZ\x90\x00" * 100)
    assert response.status_code == 422
    assert "PDF, DOCX, TXT" in response.get_data(as_text=True)


def test_a_tampered_upload_token_stores_nothing(client):
    consultation = make_consultation()
    sign_in(client, make_user(Role.member))
    html = upload(client, consultation, "q.docx", (DOCUMENTS / "question-ja.docx").read_bytes()).get_data(as_text=True)
    response = confirm(client, consultation, html, upload="forged.token.value")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/committee/consultations/{consultation.id}")
    assert db.session.scalars(select(Submission)).all() == []


def test_the_intake_address_is_made_and_rotated_on_record(app, client):
    member = make_user(Role.member)
    sign_in(client, member)
    home = client.get("/committee/").get_data(as_text=True)
    assert 'id="intake-address"' not in home
    token = csrf_token_from(home)
    assert client.post("/committee/intake-address", data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    first = db.session.get(type(member), member.id).intake_token
    home = client.get("/committee/").get_data(as_text=True)
    assert f"questions+{first}@{app.config['MAIL_INTAKE_DOMAIN']}" in home
    client.post("/committee/intake-address", data={"csrf_token": csrf_token_from(home)})
    db.session.expire_all()
    second = db.session.get(type(member), member.id).intake_token
    assert second and second != first
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "intake_token.rotated")).all()
    assert len(events) == 2
    assert all(first not in str(event.detail) and second not in str(event.detail) for event in events)


def test_the_secretariat_enters_a_members_faxed_question_on_their_behalf(client):
    consultation = make_consultation()
    member = make_user(Role.member)
    clerk = make_user(Role.secretariat)
    sign_in(client, clerk)
    url = f"/staff/consultations/{consultation.id}/intake"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token_from(client.get(url).get_data(as_text=True)),
            "channel": "fax",
            "arrived_on": datetime.now(UTC).date().isoformat(),
            "submitter_kind": "citizen",
            "member_id": str(member.id),
            "body": "FAXで届いた委員の質問です。",
        },
        content_type="multipart/form-data",
    )
    submission = stored(response)
    assert submission.member_id == member.id
    assert submission.submitter_kind == SubmitterKind.member  # from the account, not the radio button
    assert submission.channel == Channel.fax
    assert submission.entered_by_id == clerk.id


def test_the_member_sees_the_citys_approved_answer_and_nothing_before(app, client):
    from datetime import UTC, datetime

    from comments.domain.audit import Actor
    from comments.domain.responses import approve, response_for, save_draft, submit_for_review
    from comments.domain.triage import ItemDraft, add_item
    from comments.models import ItemKind, ResponseCategory

    consultation = make_consultation()
    member = make_user(Role.member)
    sign_in(client, member)
    submission = stored(send_question(client, consultation, **{"question-body": "（１）鍵は誰が管理しますか。"}))
    url = f"/committee/questions/{submission.id}"
    assert 'id="answers"' not in client.get(url).get_data(as_text=True)

    actor = Actor("test")
    clerk, drafter = make_user(Role.secretariat), make_user(Role.department_staff)
    item = add_item(
        submission, ItemDraft(0, len(submission.body), ItemKind.question, "鍵の管理者"), created_by=clerk, actor=actor
    )
    response = response_for(item)
    save_draft(
        response,
        body="情報政策課が管理します。",
        category=ResponseCategory.answered,
        change_made="",
        author=drafter,
        actor=actor,
    )
    assert "情報政策課" not in client.get(url).get_data(as_text=True)  # a draft is not shown
    submit_for_review(response, actor=actor)
    approve(response, approver=clerk, reauthenticated_at=datetime.now(UTC), actor=actor)
    page = client.get(url).get_data(as_text=True)
    assert 'id="answers"' in page and "情報政策課が管理します。" in page
