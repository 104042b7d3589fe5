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


def _catalog():
    with CATALOG.open("rb") as handle:
        return read_po(handle, locale="ja")


def _japanese(catalog) -> dict[tuple[str | None, str], str]:
    """Every translation by (context, message id); a plural message by its singular id."""
    return {
        (message.context, message.id if isinstance(message.id, str) else message.id[0]): (
            message.string if isinstance(message.string, str) else "".join(message.string)
        )
        for message in catalog
        if message.id
    }


def test_the_catalog_keeps_only_live_messages_with_their_placeholders():
    """``make extract-messages`` drops what the code no longer says; each translation keeps every placeholder
    of its message id, so that no value goes missing from a Japanese sentence."""
    catalog = _catalog()
    assert not catalog.obsolete
    assert [(message.id, [str(error) for error in errors]) for message, errors in catalog.check()] == []


# Issue 15, "Japanese as the city writes it": what a reader saw, none of which any translation may say again.
STRINGS_SEEN = (
    "指紋",  # 指紋（SHA-256ハッシュ値） → ハッシュ値（改ざん確認用）
    "フィンガープリント",
    "(土)",  # half-width parentheses around a weekday
    "受付番号: ",  # a half-width colon after a label
    "同趣旨 ",  # （同趣旨 2件） → （同趣旨2件）
    "文字目から",  # 0文字目から258文字目まで → 未仕分けの部分
    "項目%(",  # 項目3 for a triaged opinion → 意見No.3
    "いずれも意見募集期間の終了までに必着です",
    "このフォームからは意見を受け付けることができません",  # the refusal that said it twice
    "すべて",  # 全て, as 公用文作成の考え方 (令和4年) writes it
    "無効にする",  # → 無効化
    "保留メール",  # メールでの質問：保留メール → メールで届いた質問（確認待ち）
    "御意見",
    "または",
)


def test_no_translation_says_what_the_issue_saw():
    said = [(key, text, seen) for key, text in _japanese(_catalog()).items() for seen in STRINGS_SEEN if seen in text]
    assert said == []


# What a city writes where the issue saw something else: (context, message id) → the Japanese.
CITY_WORDS = {
    (None, "Hash value (to check for alteration)"): "ハッシュ値（改ざん確認用）",
    (None, "(%(count)d of the same purport)"): "（同趣旨%(count)d件）",
    (None, "State of the question"): "対応状況",
    (None, "Arrival"): "受付期間",
    (None, "On time"): "期間内",
    (None, "Late"): "期間外",
    (None, "Part not triaged yet"): "未仕分けの部分",
    (None, "Item"): "意見（No.）",
    (None, "Item %(number)d"): "意見No.%(number)d",
    (None, "Consent"): "同意欄",
    (None, "%(label)s: %(value)s"): "%(label)s：%(value)s",
    (None, "Name"): "氏名",
    (None, "Name (or the organisation's name)"): "氏名（団体の場合は名称）",
    (None, "Your question was received."): "ご質問を受け付けました。",
    (None, "Deactivate %(name)s"): "%(name)sさんのアカウントを無効化",
    (None, "Questions by e-mail: quarantine"): "メールで届いた質問（確認待ち）",
    (None, "Summary of the opinion"): "意見の概要",
    (None, "%(actor)s exported data %(count)d times."): "%(actor)sが%(count)d回データをエクスポートしました。",
    ("person named in a sentence", "%(name)s"): "%(name)sさん",
    ("audit event", "Signed in"): "ログイン",
}


def test_the_city_s_words_are_where_the_issue_saw_others():
    japanese = _japanese(_catalog())
    assert {key: japanese.get(key) for key in CITY_WORDS} == CITY_WORDS
