"""Posting the public comment form the way a browser does, and reading the Excel files the back office gives."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from comments.blueprints import refusals
from comments.extensions import db
from comments.models import Attachment, AuditEvent, OutboxMessage, Submission, Submitter
from tests.conftest import csrf_token_from

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def form_url(consultation) -> str:
    return f"/consultations/{consultation.slug}/comment"


def post_comment(client, consultation, *, files=None, csrf=True, **fields):
    """GET the form for a token, then POST it as multipart/form-data like a browser."""
    url = form_url(consultation)
    data = {"body": "意見です。", "submitter_kind": "citizen", "consent": "y"}
    if csrf:
        data["csrf_token"] = csrf_token_from(client.get(url).get_data(as_text=True))
    data.update({key: value for key, value in fields.items() if value is not None})
    for key in [key for key, value in fields.items() if value is None]:
        data.pop(key, None)
    if files:
        data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(url, data=data, content_type="multipart/form-data")


def count_rows() -> dict[str, int]:
    """Rows a submission writes; the audit event of a refusal itself (R43: which fields, never what was typed)
    is not one of them."""
    counts = {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Submission, Submitter, Attachment, OutboxMessage)
    }
    not_a_refusal = AuditEvent.action.not_in(refusals.ACTIONS)
    counts["audit_events"] = db.session.scalar(select(func.count()).select_from(AuditEvent).where(not_a_refusal))
    return counts


def xlsx_rows(data: bytes) -> list[list[str]]:
    """The cells of an Excel file's only sheet, row by row, as text ("" for an empty cell)."""
    sheet = load_workbook(io.BytesIO(data)).active
    return [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]
