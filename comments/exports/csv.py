"""CSV for spreadsheets, with formulas neutralised (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

# A cell a spreadsheet would take as a formula starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """The cell as text; one that would start a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def build_csv(header: list[str], rows: Iterable[Iterable]) -> str:
    """UTF-8 CSV text with a BOM, so that Excel in Japan opens Japanese text correctly."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()
