"""Every word of the service has its Japanese: the catalog holds a translation for every message id, and
none is a fuzzy guess (pybabel marks those when a message id changes)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parents[2] / "translations" / "ja" / "LC_MESSAGES" / "messages.po"


def test_every_message_has_its_japanese_and_none_is_fuzzy():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="ja")
    untranslated = [
        (message.context, message.id)
        for message in catalog
        if message.id and not all(message.string if isinstance(message.string, tuple) else (message.string,))
    ]
    fuzzy = [(message.context, message.id) for message in catalog if message.id and message.fuzzy]
    assert len(catalog) > 900
    assert untranslated == []
    assert fuzzy == []
