"""Shared by every view that takes files: read and check the uploads, and commit without leaving files behind."""

from __future__ import annotations

from flask import Response, abort, current_app, send_file

from comments.domain import DomainError
from comments.domain.uploads import CheckedFile, check_upload
from comments.extensions import db
from comments.storage import blob_store


def read_uploads(storages) -> tuple[list[CheckedFile], list[str]]:
    """Check every uploaded file; return those that passed and a message for each that did not."""
    files, errors = [], []
    max_bytes = current_app.config["ATTACHMENT_MAX_BYTES"]
    for storage in storages:
        data = storage.stream.read(max_bytes + 1)
        if not storage.filename and not data:
            continue  # the browser sends an empty part when no file was chosen
        try:
            files.append(check_upload(storage.filename or "", data, max_bytes=max_bytes))
        except DomainError as error:
            errors.append(error.message)
    return files, errors


def commit_or_discard(created_blobs: list[str]) -> None:
    """Commit once; if the commit fails, remove the files this request wrote, so nothing is left behind."""
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        store = blob_store()
        for sha256 in created_blobs:
            store.discard(sha256)
        raise


def download_response(sha256: str, filename: str, content_type: str = "application/octet-stream") -> Response:
    """A stored file, only ever as a download: never rendered inline, never sniffed (R41); 404 if gone."""
    try:
        handle = blob_store().open(sha256)
    except FileNotFoundError:
        abort(404)
    response = send_file(handle, mimetype=content_type, as_attachment=True, download_name=filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
