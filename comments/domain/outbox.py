"""Writing mail to the outbox, in the same transaction as what caused it (style rule 5, R48).

Nothing here talks to a mail server: the worker (comments/worker.py) sends the rows through
comments/mail/sender.py once the transaction that wrote them has committed, so a rolled-back submission
never e-mails anyone.
"""

from __future__ import annotations

from email.utils import make_msgid

from email_validator import EmailNotValidError, validate_email
from flask import current_app

from comments import clock
from comments.domain.masking import contains_individual_number, masked
from comments.extensions import db
from comments.models import OutboxMessage


class HeaderInjectionError(ValueError):
    """A value bound for a mail header contains a line break (R34)."""


def _header_safe(value: str) -> str:
    if "\r" in value or "\n" in value:
        raise HeaderInjectionError("line break in a mail header value")
    return value


def deliverable_address(value: str) -> str | None:
    """The address as the mail server takes it (a domain in kana or kanji as its ASCII form, xn--...), or
    None when no plain SMTP server can deliver to it.

    The service does not send with SMTPUTF8: a city's mail relay often does not offer it, and a receipt
    that cannot be delivered is worse than an address refused on the form. So the part before the @ must
    be ASCII (``日本語@example.jp`` is refused where it is typed); an internationalised domain is fine.
    Checked with email-validator, the library WTForms' own e-mail check uses.
    """
    try:
        return validate_email(value, check_deliverability=False, allow_smtputf8=False).ascii_email
    except EmailNotValidError:
        return None


def _address(value: str) -> str:
    """An address to send to; one holding an individual number is refused where it was typed, never here.
    One the mail server cannot take is kept as it is: the worker fails that message alone, with its reason."""
    if contains_individual_number(value):
        raise ValueError("an individual number in a recipient address")
    return _header_safe(deliverable_address(value) or value)


def enqueue_mail(*, to: str, subject: str, body: str, submission=None) -> OutboxMessage:
    """Add a message to the outbox; it is sent by the worker once the transaction commits.

    The Message-ID is minted here, once, so that a message resent after a worker crashed between the
    SMTP server's acceptance and our bookkeeping carries the same Message-ID and the receiving side
    can recognise the duplicate.
    """
    message = OutboxMessage(
        message_id=make_msgid(domain=current_app.config["MAIL_MESSAGE_ID_DOMAIN"]),
        to_address=_address(to),
        subject=_header_safe(masked(subject)),
        body_text=masked(body),
        submission=submission,
        next_attempt_at=clock.now(),
    )
    db.session.add(message)
    return message
