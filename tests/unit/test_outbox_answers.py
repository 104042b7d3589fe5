"""How the worker reads an SMTP server's answer (issue 13, item 4): 5xx fails the message for good, 4xx and
network errors are tried again, and a network error means the connection is gone."""

from __future__ import annotations

import smtplib

import pytest

from comments.mail.sender import _reason, connection_lost, is_permanent, permanent_refusal

REFUSED_550 = smtplib.SMTPRecipientsRefused({"taro@example.jp": (550, b"5.1.1 <taro@example.jp>: User unknown")})
REFUSED_451 = smtplib.SMTPRecipientsRefused({"taro@example.jp": (451, b"4.3.0 try again later")})


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (REFUSED_550, 550),
        (smtplib.SMTPDataError(554, b"5.6.0 refused"), 554),
        (smtplib.SMTPSenderRefused(553, b"5.7.1 sender refused", "comments@example.jp"), 553),
        (smtplib.SMTPResponseException(552, b"5.3.4 too big"), 552),
        (REFUSED_451, None),
        (smtplib.SMTPDataError(452, b"4.3.1 insufficient storage"), None),
        (smtplib.SMTPSenderRefused(421, b"4.4.2 closing", "comments@example.jp"), None),
        # A refused login is the server's settings, never one message's fault.
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"), None),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), None),
        (TimeoutError("timed out"), None),
    ],
)
def test_only_a_5xx_answer_about_the_message_is_permanent(error, code):
    assert permanent_refusal(error) == code
    assert is_permanent(error) is (code is not None)


def test_an_error_that_is_neither_the_servers_nor_the_networks_is_permanent():
    assert is_permanent(UnicodeEncodeError("ascii", "日本語", 0, 3, "ordinal not in range(128)"))


def test_a_network_error_loses_the_connection_and_an_answer_does_not():
    assert connection_lost(smtplib.SMTPServerDisconnected("gone"))
    assert connection_lost(ConnectionResetError())
    assert connection_lost(TimeoutError("timed out"))
    assert not connection_lost(REFUSED_550)
    assert not connection_lost(REFUSED_451)
    assert not connection_lost(smtplib.SMTPDataError(554, b"refused"))
    assert not connection_lost(UnicodeEncodeError("ascii", "日本語", 0, 3, "ordinal not in range(128)"))


def test_the_reason_kept_holds_the_answer_and_no_address():
    reason = _reason(REFUSED_550)
    assert reason == "SMTPRecipientsRefused: 550 5.1.1 <t***@example.jp>: User unknown"
    assert _reason(smtplib.SMTPDataError(554, b"5.6.0 refused")) == "SMTPDataError: 554 5.6.0 refused"
    assert _reason(TimeoutError("timed out")) == "TimeoutError: timed out"
    assert len(_reason(smtplib.SMTPDataError(554, b"x" * 5000))) == 1000
