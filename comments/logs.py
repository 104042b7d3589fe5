"""Logs carry no personal data (R16, R44).

Every log record of every logger is cleaned when it is made, before any handler sees it, so no handler
(a file, the console, gunicorn's error log, an error reporter reading ``exc_text``) can write what the
record would have carried:

* the message is formatted once, individual numbers are masked in it and line breaks escaped (R44: a
  value typed by someone cannot start a forged log line);
* an exception's text loses what a database driver quotes from the row it refused: PostgreSQL's
  ``DETAIL:`` lines ("Failing row contains (…the comment…)", "Key (…)=(…)") and SQLAlchemy's
  ``[parameters: …]``. SQLAlchemy itself is told to hide parameters (``hide_parameters``, config.py), so
  this is the second line of defence.
"""

from __future__ import annotations

import logging
import re
import traceback

from comments.domain.masking import masked

# What a driver's error quotes of the data: PostgreSQL's DETAIL lines, SQLAlchemy's parameter dump.
_QUOTED_DATA = re.compile(r"^\s*(DETAIL:|\[parameters:|\[SQL parameters).*$", re.MULTILINE)
_installed = False


def clean_message(text: str) -> str:
    """A log message as it may be written: numbers masked, line breaks escaped."""
    return masked(text).replace("\r", "\\r").replace("\n", "\\n")


def clean_exception_text(text: str) -> str:
    """A formatted traceback without the data a driver quoted, and with every number masked."""
    return masked(_QUOTED_DATA.sub(r"\1 (left out: it may quote personal data)", text))


def _clean(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep what there is rather than lose the record
        message = f"{record.msg!s} {record.args!r}"
    record.msg, record.args = clean_message(message), ()
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = clean_exception_text("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        # Handlers that format the exception themselves would otherwise read the uncleaned one.
        record.exc_info = None
    if record.stack_info:
        record.stack_info = masked(record.stack_info)


def install() -> None:
    """Clean every record of every logger from now on (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def cleaned_record(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        _clean(record)
        return record

    logging.setLogRecordFactory(cleaned_record)
