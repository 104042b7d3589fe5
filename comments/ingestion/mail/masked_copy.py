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

Each attachment is read once (``read_attachments``), before any transaction, for both the copy kept here
and the member's question: a PDF or Word file is read in a child process under the reading limits (R40),
and one over them travels in the kept copy as it came and is refused for the question.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from comments.domain import DomainError
from comments.domain.masking import contains_individual_number, masked
from comments.domain.uploads import MaskedFile, UnreadableFileError, check_upload, mask_file, reading_deadline
from comments.ingestion.mail.parser import MailAttachment, ParsedMail

MASKED_HEADER = "X-Comments-Masked"


@dataclass(frozen=True)
class KeptMessage:
    """The bytes to keep, and the SHA-256 of the original when they are a masked copy of it."""

    data: bytes
    masked: bool


@dataclass(frozen=True)
class ReadAttachment:
    """One attachment as it came and what reading it gave: the file masked, or why it is refused."""

    attachment: MailAttachment
    file: MaskedFile | None
    # Why ``file`` is None: the attachment's name when it fails the upload checks, else the message saying it
    # was over the reading limits.
    refusal: str = ""


def read_attachments(parsed: ParsedMail, *, max_bytes: int) -> list[ReadAttachment]:
    """Every attachment checked as an upload and masked (a PDF holding a number becomes its masked text),
    all within one FILE_READ_WALL_SECONDS; call it outside any transaction."""
    deadline = reading_deadline()
    read = []
    for attachment in parsed.attachments:
        try:
            checked = check_upload(attachment.filename, attachment.data, max_bytes=max_bytes)
        except DomainError:
            read.append(ReadAttachment(attachment, None, attachment.filename))
            continue
        try:
            read.append(ReadAttachment(attachment, mask_file(checked, convert_pdf=True, deadline=deadline)))
        except UnreadableFileError as error:
            read.append(ReadAttachment(attachment, None, str(error.message)))
    return read


def _masked_attachment(read: ReadAttachment) -> tuple[str, str, bytes, bool]:
    """(filename, content type, bytes, whether anything was masked) of one attachment, masked if readable."""
    attachment = read.attachment
    name = masked(attachment.filename)
    changed = name != attachment.filename
    result = read.file
    if result is None or (not result.numbers and result.converted_from is None):
        return name, attachment.content_type, attachment.data, changed
    return result.file.filename, result.file.content_type.split(";")[0], result.file.data, True


def _headers_hold_a_number(parsed: ParsedMail) -> bool:
    return any(
        contains_individual_number(value)
        for value in (parsed.subject, parsed.from_address, parsed.message_id, *parsed.recipients)
    )


def copy_to_keep(raw: bytes, parsed: ParsedMail | None, read: list[ReadAttachment]) -> KeptMessage:
    """The message to keep: ``raw`` when nothing in it holds an individual number, else a masked copy;
    ``read`` is what ``read_attachments`` made of its attachments."""
    if parsed is None:
        text = raw.decode("utf-8", errors="replace")
        if not contains_individual_number(text):
            return KeptMessage(raw, masked=False)
        return KeptMessage(masked(text).encode("utf-8"), masked=True)
    attachments = [_masked_attachment(attachment) for attachment in read]
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
