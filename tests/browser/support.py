"""Small helpers shared by the browser tests."""

from __future__ import annotations

import re
from pathlib import Path

RECEIPT_NUMBER = re.compile(r"^\d{4}-\d{4}-\d{3}$")
FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


def minimal_pdf(text: str = "Opinion attached to a public comment") -> bytes:
    """A real, valid one-page PDF (catalogue, page tree, page, font, content; correct xref table)."""
    stream = f"BT /F1 12 Tf 72 770 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def write_pdf(directory: Path, name: str = "iken.pdf") -> Path:
    path = directory / name
    path.write_bytes(minimal_pdf())
    return path


def submit_with_keyboard(page) -> None:
    """Send the form as a keyboard user does: focus the submit button and press Enter."""
    button = page.locator("main form button[type=submit]")
    button.focus()
    assert page.evaluate("document.activeElement.type") == "submit"
    with page.expect_navigation():
        page.keyboard.press("Enter")


def fill_and_send(page, text: str, attachment: Path | None = None) -> None:
    """On the comment form: type the opinion, attach a file, agree to the notice and send."""
    page.locator("#body").fill(text)
    if attachment is not None:
        page.locator("#attachments").set_input_files(attachment)
    page.locator("#consent").check()
    submit_with_keyboard(page)
