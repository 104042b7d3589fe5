"""Shared by every view that takes or gives files: read and check the uploads, hand stored files back."""

from __future__ import annotations

import io

from flask import Response, abort, current_app, send_file

from comments.domain import DomainError
from comments.domain.uploads import CheckedFile, check_upload
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


def made_file_response(data: bytes, filename: str, content_type: str) -> Response:
    """A file the service made (an Excel list), only ever as a download, never sniffed."""
    response = send_file(io.BytesIO(data), mimetype=content_type, as_attachment=True, download_name=filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def download_response(sha256: str, filename: str, content_type: str = "application/octet-stream") -> Response:
    """A stored file, only ever as a download: never rendered inline, never sniffed (R41); 404 if gone."""
    try:
        handle = blob_store().open(sha256)
    except FileNotFoundError:
        abort(404)
    response = send_file(handle, mimetype=content_type, as_attachment=True, download_name=filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# Pictures a browser only ever draws, never runs: their bytes were checked to be PNG or JPEG when they came.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg"})


def image_response(sha256: str, content_type: str) -> Response:
    """A stored PNG or JPEG for an ``<img>`` of a staff page (the scan beside the text keyed from it), never
    sniffed; any other type is not shown inline (R41: 404 here, the download route hands it out)."""
    if content_type not in INLINE_IMAGE_TYPES:
        abort(404)
    try:
        handle = blob_store().open(sha256)
    except FileNotFoundError:
        abort(404)
    response = send_file(handle, mimetype=content_type, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
