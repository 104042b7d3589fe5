"""The secretariat runs a consultation: create, import, preview, attach, publish, extend, close (R01, R54)."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import docx
import pytest
from sqlalchemy import select

from comments.domain.deadlines import end_of_day, start_of_day
from comments.extensions import db
from comments.models import AuditEvent, Consultation, ConsultationStatus, DeadlineExtension, Material, MaterialKind
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import make_consultation, make_user
from tests.functional.auth_helpers import sign_in
from tests.functional.helpers import PDF

DRAFT_TEXT = """後期高齢者医療事務 全項目評価書（案）

I 基本情報 (p.3)
1 特定個人情報ファイルを取り扱う事務
後期高齢者医療の資格管理、保険料の賦課・徴収を行う。
(p.5)
2 特定個人情報ファイルを取り扱う事務において使用するシステム
後期高齢者医療広域連合電算処理システム。
Ⅲ 7 リスク対策
アクセスログを定期的に確認する。
"""
PAYLOAD_PATTERN = re.compile(r'name="payload" type="hidden" value="([^"]+)"')


@pytest.fixture
def secretariat(client, frozen_clock):
    """A signed-in secretariat in English, on 22 June 2030, 09:00 Japan time."""
    frozen_clock.set(datetime(2030, 6, 22, 0, 0, tzinfo=UTC))
    client.set_cookie("lang", "en")
    clerk = make_user(Role.secretariat)
    assert sign_in(client, clerk).status_code == 303
    return clerk


def _token(client, url: str) -> str:
    return csrf_token_from(client.get(url).get_data(as_text=True))


def _consultation_fields(**overrides) -> dict:
    fields = {
        "title": "後期高齢者医療事務 全項目評価書（案）",
        "slug": "koki-korei-2030",
        "affair": "後期高齢者医療事務",
        "system_name": "広域連合電算処理システム",
        "department": "健康保険課",
        "evaluation_group": "第2グループ",
        "summary": "評価書の概要です。",
        "opens_on": "2030-06-22",
        "closes_on": "2030-07-21",
        "shortening_reason": "",
        "postal_rule": "postmark",
    }
    fields.update(overrides)
    return fields


def _create(client, **overrides):
    token = _token(client, "/staff/consultations/new")
    return client.post("/staff/consultations/new", data={"csrf_token": token, **_consultation_fields(**overrides)})


def _created_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def _publish(client, consultation_id: int):
    token = _token(client, f"/staff/consultations/{consultation_id}")
    return client.post(f"/staff/consultations/{consultation_id}/publish", data={"csrf_token": token})


def _import_text(client, consultation_id: int, text: str):
    url = f"/staff/consultations/{consultation_id}/import"
    token = _token(client, url)
    return client.post(url, data={"csrf_token": token, "text": text}, content_type="multipart/form-data")


def _import_and_confirm(client, consultation_id: int, text: str):
    html = _import_text(client, consultation_id, text).get_data(as_text=True)
    payload = PAYLOAD_PATTERN.search(html).group(1)
    response = client.post(
        f"/staff/consultations/{consultation_id}/import/confirm",
        data={"csrf_token": csrf_token_from(html), "payload": payload},
    )
    assert response.status_code == 303


def test_the_secretariats_path_from_creation_to_closing(client, secretariat, frozen_clock):
    assert "/staff/consultations" in client.get("/staff/").get_data(as_text=True)
    consultation_id = _created_id(_create(client))
    consultation = db.session.get(Consultation, consultation_id)
    assert consultation.status == ConsultationStatus.draft
    assert consultation.opens_at == start_of_day(date(2030, 6, 22))
    assert consultation.closes_at == end_of_day(date(2030, 7, 21))
    assert client.get("/consultations/koki-korei-2030").status_code == 404, "a draft is not public"

    # Import: the preview shows the sections found and saves nothing; confirming replaces them.
    preview = _import_text(client, consultation_id, DRAFT_TEXT)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "5 sections found" in html and "特定個人情報ファイルを取り扱う事務" in html
    assert consultation.sections == []
    payload = PAYLOAD_PATTERN.search(html).group(1)
    confirmed = client.post(
        f"/staff/consultations/{consultation_id}/import/confirm",
        data={"csrf_token": csrf_token_from(html), "payload": payload},
    )
    assert confirmed.status_code == 303
    db.session.expire_all()
    consultation = db.session.get(Consultation, consultation_id)
    assert [(s.number, s.heading, s.page) for s in consultation.sections] == [
        ("", "前文", None),
        ("I", "基本情報", 3),
        ("1", "特定個人情報ファイルを取り扱う事務", 3),
        ("2", "特定個人情報ファイルを取り扱う事務において使用するシステム", 5),
        ("III-7", "リスク対策", 5),
    ]
    assert consultation.sections[2].body == "後期高齢者医療の資格管理、保険料の賦課・徴収を行う。"

    # A tampered preview is refused.
    tampered = client.post(
        f"/staff/consultations/{consultation_id}/import/confirm",
        data={"csrf_token": csrf_token_from(html), "payload": payload[:-3] + "AAA"},
    )
    assert tampered.status_code == 303 and tampered.headers["Location"].endswith("/import")

    # Materials: the original PDF (public) and a committee-only paper.
    url = f"/staff/consultations/{consultation_id}/materials"
    for title, kind, visibility in (
        ("評価書（案）原本", "original", "public"),
        ("非公開資料", "reference", "committee"),
    ):
        response = client.post(
            url,
            data={
                "csrf_token": _token(client, url),
                "document": (io.BytesIO(PDF + title.encode()), "draft.pdf"),
                "title": title,
                "kind": kind,
                "visibility": visibility,
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 303, response.get_data(as_text=True)

    assert _publish(client, consultation_id).status_code == 303
    page = client.get("/consultations/koki-korei-2030").get_data(as_text=True)
    assert "後期高齢者医療事務 全項目評価書（案）" in page
    assert "リスク対策" in page and "評価書（案）原本" in page
    assert "非公開資料" not in page

    # Extend the deadline: the public page shows old and new dates and the reason; the trail has it.
    show = f"/staff/consultations/{consultation_id}"
    extended = client.post(
        f"{show}/extend",
        data={"csrf_token": _token(client, show), "new_closes_on": "2030-07-31", "reason": "システム障害のため"},
    )
    assert extended.status_code == 303, extended.get_data(as_text=True)
    page = client.get("/consultations/koki-korei-2030").get_data(as_text=True)
    assert "Deadline extended" in page and "システム障害のため" in page
    assert "21 July 2030, 24:00" in page and "31 July 2030, 24:00" in page
    extension = db.session.execute(select(DeadlineExtension)).scalar_one()
    assert extension.old_closes_at == end_of_day(date(2030, 7, 21))
    assert extension.new_closes_at == end_of_day(date(2030, 7, 31))
    assert extension.extended_by_id == secretariat.id
    actions = (
        db.session.execute(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "consultations", AuditEvent.object_id == str(consultation_id)
            )
        )
        .scalars()
        .all()
    )
    assert actions == [
        "consultation.created",
        "consultation.sections_replaced",
        "consultation.material_attached",
        "consultation.material_attached",
        "consultation.opened",
        "schedule.step_stamped",  # the comment period's step started (comments/domain/schedule.py)
        "consultation.deadline_extended",
        "schedule.step_replanned",  # and planned for the new last day
    ]

    # Closing before the deadline is refused; after it, the public form says the period has ended.
    refused = client.post(f"{show}/close", data={"csrf_token": _token(client, show)})
    assert refused.status_code == 422 and "has not ended yet" in refused.get_data(as_text=True)
    frozen_clock.set(end_of_day(date(2030, 7, 31)))
    assert sign_in(client, secretariat).status_code == 303, "the session idled out while time moved"
    assert client.post(f"{show}/close", data={"csrf_token": _token(client, show)}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Consultation, consultation_id).status == ConsultationStatus.closed
    form = client.get("/consultations/koki-korei-2030/comment").get_data(as_text=True)
    assert "The comment period has ended" in form and 'name="body"' not in form


def test_a_29_day_period_needs_a_reason_which_the_public_page_shows(client, secretariat):
    refused = _create(client, closes_on="2030-07-20")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "The comment period is 29 days; the rules require at least 30 days" in html

    reason = "法改正の施行日に間に合わせる必要があるため"
    consultation_id = _created_id(_create(client, closes_on="2030-07-20", shortening_reason=reason))
    _import_and_confirm(client, consultation_id, "1 基本情報\n本文")
    assert _publish(client, consultation_id).status_code == 303
    assert reason in client.get("/consultations/koki-korei-2030").get_data(as_text=True)


def test_a_29_day_draft_is_refused_at_publication_with_the_reason(client, secretariat):
    consultation = make_consultation(
        status=ConsultationStatus.draft,
        opens_at=start_of_day(date(2030, 6, 22)),
        closes_at=end_of_day(date(2030, 7, 20)),
    )
    response = _publish(client, consultation.id)
    assert response.status_code == 422
    assert "The comment period is 29 days" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Consultation, consultation.id).status == ConsultationStatus.draft


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "Enter the title of the draft assessment."),
        ({"closes_on": "2030-06-01"}, "The last day must be on or after the opening day."),
        ({"opens_on": "22/06/2030"}, "Enter the day the comment period opens, as YYYY-MM-DD."),
        ({"slug": "Bad Slug"}, "The address may contain only lower-case letters"),
        ({"contact_retention_days": "0"}, "Enter a number of days from 1 to 3650."),
        ({"contact_retention_days": "一年"}, "Enter a number of days from 1 to 3650."),
    ],
)
def test_bad_details_are_refused_with_a_specific_message(client, secretariat, overrides, message):
    response = _create(client, **overrides)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'class="error-summary"' in html
    assert db.session.execute(select(Consultation)).scalars().all() == []


def test_bad_drafts_are_refused_with_a_specific_message(client, secretariat):
    consultation_id = _created_id(_create(client))
    no_headings = _import_text(client, consultation_id, "見出しのない文章です。\nもう一行。")
    assert no_headings.status_code == 422
    assert "No section headings were found" in no_headings.get_data(as_text=True)

    url = f"/staff/consultations/{consultation_id}/import"
    not_docx = client.post(
        url,
        data={"csrf_token": _token(client, url), "document": (io.BytesIO(b"plain text, not Word"), "draft.docx")},
        content_type="multipart/form-data",
    )
    assert not_docx.status_code == 422
    assert "does not contain what its extension says" in not_docx.get_data(as_text=True)


def test_a_docx_is_previewed_by_its_heading_styles(client, secretariat):
    consultation_id = _created_id(_create(client))
    document = docx.Document()
    document.add_heading("I-1 特定個人情報ファイルを取り扱う事務", level=1)
    document.add_paragraph("事務の内容。")
    document.add_heading("システム", level=2)
    buffer = io.BytesIO()
    document.save(buffer)
    url = f"/staff/consultations/{consultation_id}/import"
    response = client.post(
        url,
        data={"csrf_token": _token(client, url), "document": (io.BytesIO(buffer.getvalue()), "draft.docx")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "2 sections found" in html and "事務の内容。" in html


def test_extension_must_be_later_than_the_current_deadline(client, secretariat):
    consultation = make_consultation(opens_at=start_of_day(date(2030, 6, 20)), closes_at=end_of_day(date(2030, 7, 21)))
    show = f"/staff/consultations/{consultation.id}"
    response = client.post(
        f"{show}/extend", data={"csrf_token": _token(client, show), "new_closes_on": "2030-07-21", "reason": "理由"}
    )
    assert response.status_code == 422
    assert "The new closing date must be later than the current one." in response.get_data(as_text=True)
    assert db.session.execute(select(DeadlineExtension)).scalars().all() == []


def test_committee_only_material_is_never_downloadable_by_the_public(client, blob_root):
    from comments.storage import LocalBlobStore

    consultation = make_consultation()
    sha256, _created = LocalBlobStore(blob_root).put(PDF)
    for public in (True, False):
        consultation.materials.append(
            Material(
                kind=MaterialKind.reference,
                title="資料",
                filename="x.pdf",
                content_type="application/pdf",
                size=len(PDF),
                sha256=sha256,
                public=public,
            )
        )
    db.session.flush()
    shown, hidden = consultation.materials
    base = f"/consultations/{consultation.slug}/materials"
    assert client.get(f"{base}/{shown.id}").status_code == 200
    assert client.get(f"{base}/{hidden.id}").status_code == 404


@pytest.mark.parametrize("role", [Role.department_staff, Role.member])
def test_departments_and_members_cannot_run_consultations(app, role):
    client = app.test_client()
    assert sign_in(client, make_user(role)).status_code == 303
    consultation = make_consultation(status=ConsultationStatus.draft)
    token = csrf_token_from(client.get("/auth/account").get_data(as_text=True))
    base = f"/staff/consultations/{consultation.id}"
    for url in (
        "/staff/consultations",
        "/staff/consultations/new",
        base,
        f"{base}/edit",
        f"{base}/import",
        f"{base}/materials",
    ):
        assert client.get(url).status_code == 403, url
    for url in (
        f"{base}/publish",
        f"{base}/extend",
        f"{base}/close",
        f"{base}/import/confirm",
        "/staff/consultations/new",
    ):
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    db.session.expire_all()
    assert db.session.get(Consultation, consultation.id).status == ConsultationStatus.draft


def test_after_publication_only_the_limited_fields_can_be_edited(client, secretariat):
    consultation_id = _created_id(_create(client))
    _import_and_confirm(client, consultation_id, "1 基本情報\n本文")
    assert _publish(client, consultation_id).status_code == 303
    url = f"/staff/consultations/{consultation_id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="2030-07-21"' in page, "the last day is shown as the day, not the midnight after it"

    summary_only = client.post(
        url, data={"csrf_token": csrf_token_from(page), **_consultation_fields(summary="新しい概要")}
    )
    assert summary_only.status_code == 303
    db.session.expire_all()
    assert db.session.get(Consultation, consultation_id).summary == "新しい概要"

    moved = client.post(url, data={"csrf_token": csrf_token_from(page), **_consultation_fields(closes_on="2030-08-31")})
    assert moved.status_code == 422
    assert "To move the deadline, extend it." in moved.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Consultation, consultation_id).closes_at == end_of_day(date(2030, 7, 21))


def test_the_retention_of_contact_data_is_set_per_consultation_and_shown_to_the_public(client, secretariat):
    form = client.get("/staff/consultations/new").get_data(as_text=True)
    assert 'name="contact_retention_days"' in form and 'value="365"' in form, "the default is offered"
    consultation_id = _created_id(_create(client, contact_retention_days="90"))
    _import_and_confirm(client, consultation_id, "1 基本情報\n本文")
    assert _publish(client, consultation_id).status_code == 303
    consultation = db.session.get(Consultation, consultation_id)
    assert consultation.contact_retention_days == 90
    public = client.application.test_client()
    page = public.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert "結果を公表した日から90日後に削除します" in page
    form = public.get(f"/consultations/{consultation.slug}/comment").get_data(as_text=True)
    assert "90日後に削除します" in form and 'id="retention"' in form

    url = f"/staff/consultations/{consultation_id}/edit"
    page = client.get(url).get_data(as_text=True)
    changed = client.post(
        url, data={"csrf_token": csrf_token_from(page), **_consultation_fields(contact_retention_days="30")}
    )
    assert changed.status_code == 422, "the notice already promised 90 days"
    db.session.expire_all()
    assert db.session.get(Consultation, consultation_id).contact_retention_days == 90
