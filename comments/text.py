"""Plain-text hygiene for everything a person types (R30, R32)."""

from __future__ import annotations

import re

# C0 and C1 control characters except tab and newline, plus DEL. PostgreSQL cannot store NUL at all,
# and the rest only hide text from the people who must read it.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(value: str | None) -> str:
    """Normalise line ends to LF and drop control characters; everything else is kept exactly."""
    if not value:
        return ""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def clean_line(value: str | None) -> str:
    """A one-line field: as ``clean_text`` with line breaks and tabs turned into spaces, trimmed."""
    return re.sub(r"[\n\t]", " ", clean_text(value)).strip()


# XML 1.0 cannot hold these at all (lone surrogates and the two non-characters); clean_text has already
# dropped the control characters.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def portable_text(value) -> str:
    """Any value as text that Word, XML and spreadsheets can all hold: ``clean_text`` without the
    characters XML forbids; None is ""."""
    return _NOT_XML.sub("", clean_text("" if value is None else str(value)))
