"""What of an e-mail is kept: the message as it came only when it holds no individual number; otherwise a
masked copy, with the SHA-256 of the original on record (R14, R66).

A message is read (``parser``), then every place a number could hide that the service shows or files is
looked at: the subject, the sender, the recipients, the Message-ID, the text, and each attachment's name
and content (text and Word files read, a PDF's text layer). When any holds a number, the message is
written again from what was read: the same headers that matter, the text and the attachments, each
masked (a PDF holding a number becomes its masked text, as on intake). Attachments the service cannot
read (a picture, a file type it does not take) travel as they came.

A message that cannot be read safely (too large, nested too deeply) is looked at as text, byte for byte:
when that text shows a number, only its masked text is kept, never the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from comments.domain import DomainError
from comments.domain.masking import contains_individual_number, masked
from comments.domain.uploads import check_upload, mask_file
from comments.ingestion.mail.parser import MailAttachment, ParsedMail

MASKED_HEADER = "X-Comments-Masked"


@dataclass(frozen=True)
class KeptMessage:
    """The bytes to keep, and the SHA-256 of the original when they are a masked copy of it."""

    data: bytes
    masked: bool


def _masked_attachment(attachment: MailAttachment, max_bytes: int) -> tuple[str, str, bytes, bool]:
    """(filename, content type, bytes, whether anything was masked) of one attachment, masked if readable."""
    name = masked(attachment.filename)
    changed = name != attachment.filename
    try:
        checked = check_upload(attachment.filename, attachment.data, max_bytes=max_bytes)
    except DomainError:
        return name, attachment.content_type, attachment.data, changed
    result = mask_file(checked, convert_pdf=True)
    if not result.numbers and result.converted_from is None:
        return name, attachment.content_type, attachment.data, changed
    return result.file.filename, result.file.content_type.split(";")[0], result.file.data, True


def _headers_hold_a_number(parsed: ParsedMail) -> bool:
    return any(
        contains_individual_number(value)
        for value in (parsed.subject, parsed.from_address, parsed.message_id, *parsed.recipients)
    )


def copy_to_keep(raw: bytes, parsed: ParsedMail | None, *, max_attachment_bytes: int) -> KeptMessage:
    """The message to keep: ``raw`` when nothing in it holds an individual number, else a masked copy."""
    if parsed is None:
        text = raw.decode("utf-8", errors="replace")
        if not contains_individual_number(text):
            return KeptMessage(raw, masked=False)
        return KeptMessage(masked(text).encode("utf-8"), masked=True)
    attachments = [_masked_attachment(attachment, max_attachment_bytes) for attachment in parsed.attachments]
    if not (
        _headers_hold_a_number(parsed)
        or contains_individual_number(parsed.body)
        or any(changed for *_rest, changed in attachments)
    ):
        return KeptMessage(raw, masked=False)
    message = EmailMessage()
    message["From"] = masked(parsed.from_address) or "unknown@invalid"
    if parsed.recipients:
        message["To"] = ", ".join(masked(recipient) for recipient in parsed.recipients)
    message["Subject"] = masked(parsed.subject)
    if parsed.sent_at is not None:
        message["Date"] = format_datetime(parsed.sent_at)
    if parsed.message_id:
        message["Message-ID"] = f"<{masked(parsed.message_id)}>"
    message[MASKED_HEADER] = "individual numbers masked; the original was not kept"
    message.set_content(masked(parsed.body) or "", charset="utf-8")
    for filename, content_type, data, _changed in attachments:
        maintype, _, subtype = content_type.partition("/")
        if maintype == "text":  # the e-mail library takes text as text, not as bytes
            message.add_attachment(data.decode("utf-8", errors="replace"), subtype=subtype, filename=filename)
        else:
            message.add_attachment(
                data, maintype=maintype or "application", subtype=subtype or "octet-stream", filename=filename
            )
    return KeptMessage(message.as_bytes(), masked=True)
