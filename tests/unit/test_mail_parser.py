"""The e-mail parser on real message files, at every limit, and on hostile headers (R59-R64)."""

import base64
import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import docx
import pytest

from comments.ingestion.mail.parser import (
    HEADER_FIELDS_MAX,
    LINES_MAX,
    MailLimits,
    MailRejected,
    html_to_text,
    intake_token,
    parse_message,
)

FIXTURES = Path(__file__).parent.parent / "data" / "mail"
TRUSTED = "mx.intake.example.lg.jp"
TOKEN = "q7x2k9m4p8w3z6t1v5n0"
JST = timezone(timedelta(hours=9))
CONTROL = {chr(code) for code in [*range(0x20), *range(0x7F, 0xA0)]}


def fixture(name: str, **options):
    return parse_message((FIXTURES / name).read_bytes(), trusted_authserv_id=TRUSTED, **options)


def message(headers: str, body: str = "本文\n", *, eol: str = "\r\n") -> bytes:
    """A small message from header lines and a body, with the given line ends."""
    text = headers.strip("\n") + "\n\n" + body
    return text.replace("\n", eol).encode("utf-8")


def rejected(raw: bytes, **options) -> str:
    with pytest.raises(MailRejected) as caught:
        parse_message(raw, **options)
    return caught.value.code


def nested_multiparts(levels: int) -> bytes:
    """``levels`` multiparts, each inside the last, with one text part in the innermost."""
    head = "From: a@example.jp\n"
    lines = []
    for level in range(levels):
        lines += [f"Content-Type: multipart/mixed; boundary=b{level}", "", f"--b{level}"]
    lines += ["Content-Type: text/plain", "", "奥"]
    lines += [f"--b{level}--" for level in reversed(range(levels))]
    return (head + "\n".join(lines) + "\n").encode("utf-8")


def nested_messages(levels: int) -> bytes:
    """``levels`` message/rfc822 parts, each inside the last, around a text message."""
    return (("From: a@example.jp\n" + "Content-Type: message/rfc822\n\n" * levels) + "Subject: x\n\n奥\n").encode()


def many_parts(leaves: int) -> bytes:
    parts = "".join(f"--x\nContent-Type: text/plain\n\n{number}\n" for number in range(leaves))
    return f"From: a@example.jp\nContent-Type: multipart/mixed; boundary=x\n\n{parts}--x--\n".encode()


def assert_clean(parsed):
    for value in (parsed.message_id, parsed.from_address, parsed.subject, *parsed.recipients):
        assert not set(value) & CONTROL, value
    assert not set(parsed.body) & (CONTROL - {"\n", "\t"})
    for attachment in parsed.attachments:
        assert not set(attachment.filename) & CONTROL
        assert "/" not in attachment.filename and "\\" not in attachment.filename


# ---------------------------------------------------------------------------------------------------
# Real message files


def test_thunderbird_utf8_plain_text():
    parsed = fixture("plain_utf8_thunderbird.eml")
    assert parsed.message_id == "3f1c9a52-8d2e-4b7a-9c11-5e0f2a7d6b40@example.jp"
    assert parsed.from_address == "iin.hanako@example.jp"  # lower-cased
    assert parsed.recipients == ("questions@intake.example.lg.jp",)
    assert parsed.subject == "第3章の評価について質問です（委託先への提供回数）"  # two encoded words joined
    assert parsed.sent_at == datetime(2024, 10, 14, 10, 21, 5, tzinfo=JST)
    assert parsed.body == (
        "事務局 御中\n\n第3章「特定個人情報の流れ」について質問します。\n委託先への提供は年に何回ありますか。\n\n-- \n委員 花子"
    )
    assert parsed.attachments == ()
    assert parsed.auto_reason is None
    assert parsed.dmarc == "missing"


def test_iso_2022_jp_with_encoded_subject_and_nec_special_characters():
    parsed = fixture("iso2022jp_becky.eml")
    assert parsed.subject == "委託先について（質問）"
    assert parsed.from_address == "hyoka.taro@example.ne.jp"
    assert parsed.message_id == "20241015090241.7C21.A1B2C3D4@example.ne.jp"
    # ① ② ㈱ are NEC row 13: Python's ISO-2022-JP codec refuses them, Windows mailers write them.
    assert (
        parsed.body == "事務局 御中\n\n①委託先の数\n②再委託の有無\nについて教えてください。\n\n㈱みらい計画 評価 太郎"
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x1b$B-!-j\x1b(B", "①㈱"),  # NEC row 13
        (b"\x1b$By|\x1b(B", "\u5f34"),  # IBM extension, at its CP932 position
        (b"\x1b(I12\x1b(B", "ｱｲ"),  # half-width katakana (JIS X 0201)
        (b"\x1b$B$3\x1b(B\xff", "こ\ufffd"),  # an 8-bit byte in seven-bit mail
        ("日本".encode(), "日本"),  # labelled ISO-2022-JP, written in UTF-8
    ],
)
def test_iso_2022_jp_as_windows_writes_it(data, expected):
    raw = b"From: a@example.jp\nContent-Type: text/plain; charset=iso-2022-jp\n\n" + data
    assert parse_message(raw).body == expected


def test_shift_jis_is_read_as_cp932():
    parsed = fixture("shift_jis.eml")
    assert parsed.subject == "資料Ｐ．１２～１５について"
    assert parsed.body == "件名の件、資料Ｐ．１２～１５の①と②の違いを教えてください。\n高橋"
    assert parsed.from_address == "takahashi@example.co.jp"
    assert parsed.message_id == "000001db1f8a$4c2d1e30$e4875a90$@example.co.jp"


def test_multipart_mixed_with_docx_and_rfc2231_pdf_name():
    parsed = fixture("mixed_docx_pdf.eml")
    assert parsed.subject == "意見書の送付"
    assert parsed.body == "事務局 御中\n\n意見書と参考資料を添付します。"
    docx_file, pdf_file = parsed.attachments
    assert docx_file.filename == "意見書.docx"
    assert docx_file.content_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    paragraphs = [p.text for p in docx.Document(io.BytesIO(docx_file.data)).paragraphs]
    assert paragraphs == ["意見書", "第3章の評価について、次のとおり意見を提出します。"]
    # RFC 2231 with continuations (filename*0*=, filename*1*=, ...), percent-encoded UTF-8.
    assert pdf_file.filename == "第3章 参考資料（令和6年度）.pdf"
    assert pdf_file.content_type == "application/pdf"
    assert pdf_file.data.startswith(b"%PDF-1.4\n") and pdf_file.data.endswith(b"%%EOF\n")


def test_gmail_alternative_prefers_the_plain_text():
    parsed = fixture("alternative_gmail.eml")
    assert (
        parsed.body
        == "事務局のご担当者様\n\n第4章の「リスク対策」について質問です。\nアクセスログは何年保存しますか。\n\n山田"
    )
    assert parsed.attachments == ()  # the HTML rendering is not a file
    assert parsed.message_id == "CAJx5vQ2+Hn0fW4pG9sYkR1eT7uL3mZbN8cVd6aXq0oPi4jK2hA@mail.gmail.com"
    assert parsed.recipients == ("questions@intake.example.lg.jp",)
    assert parsed.subject == "第4章 リスク対策についての質問"


def test_outlook_html_only_becomes_text_and_the_inline_logo_an_attachment():
    parsed = fixture("html_only_outlook.eml")
    assert parsed.body == (
        "事務局\u3000御中\n\n第５章の「評価実施手続」について、第三者点検の時期を\n教えてください。\n\n鈴木 & 佐藤"
    )
    assert parsed.subject == "第５章 評価実施手続"
    assert parsed.sent_at == datetime(2024, 10, 20, 23, 55, 37, tzinfo=UTC)
    (logo,) = parsed.attachments
    assert (logo.filename, logo.content_type) == ("image001.png", "image/png")
    assert logo.data.startswith(b"\x89PNG\r\n\x1a\n")
    # Outlook's X-Auto-Response-Suppress is on ordinary mail; it is not an auto-reply.
    assert parsed.auto_reason is None


def test_out_of_office_reply_is_auto_submitted():
    parsed = fixture("auto_reply_ooo.eml")
    assert parsed.auto_reason == "auto_submitted"
    assert parsed.subject == "自動応答: 受付のお知らせ"
    assert parsed.body == "10月25日まで不在にしております。\n戻り次第、ご連絡いたします。"


def test_delivery_status_notification_is_a_bounce_with_its_report_attached():
    parsed = fixture("bounce_dsn.eml")
    assert parsed.auto_reason == "bounce"
    assert parsed.from_address == "mailer-daemon@mail.example.ne.jp"
    assert parsed.body.startswith("The original message was received at Tue, 22 Oct 2024 15:22:01 +0900\n")
    status, original = parsed.attachments
    assert (status.filename, status.content_type) == ("attachment-1.txt", "message/delivery-status")
    assert b"Final-Recipient: RFC822; no.such.user@example.ne.jp\r\n" in status.data
    # The returned message is a file, not read for the body.
    assert (original.filename, original.content_type) == ("attachment-2.eml", "message/rfc822")
    assert original.data.startswith(b"Received: from mx.intake.example.lg.jp")
    assert b"Message-ID: <172957811842.3344.1702@intake.example.lg.jp>\r\n" in original.data
    assert "ご質問を受け付けました" not in parsed.body


def test_mailing_list_message_is_bulk():
    parsed = fixture("mailing_list.eml")
    assert parsed.auto_reason == "bulk"
    assert parsed.recipients == ("iken@lists.example.org", "questions@intake.example.lg.jp")
    assert parsed.subject == "[iken:0123] 評価書の公表時期について"


def test_dmarc_is_read_from_the_trusted_authserv_id_only():
    raw = (FIXTURES / "auth_results_two_ids.eml").read_bytes()
    assert parse_message(raw, trusted_authserv_id=TRUSTED).dmarc == "pass"
    assert parse_message(raw, trusted_authserv_id=TRUSTED.upper()).dmarc == "pass"
    assert parse_message(raw, trusted_authserv_id="relay.example.net").dmarc == "fail"
    assert parse_message(raw, trusted_authserv_id="mx.other.example").dmarc == "missing"
    assert parse_message(raw).dmarc is None


def test_dmarc_fail_from_our_server_wins_over_a_forged_pass_below_it():
    parsed = fixture("auth_results_dmarc_fail.eml")
    assert parsed.dmarc == "fail"
    assert parsed.from_address == "iin.hanako@example.jp"
    assert parsed.body == "添付の資料に差し替えてください。"


def test_message_without_message_id():
    parsed = fixture("no_message_id.eml")
    assert parsed.message_id == ""
    assert parsed.subject == "お問い合わせフォームより"
    assert parsed.body == "お名前: 前田\nご質問: 説明会の日程を教えてください。"


def test_token_address_in_delivered_to():
    parsed = fixture("delivered_to_token.eml")
    token_address = f"questions+{TOKEN}@intake.example.lg.jp"
    # Delivered-To, X-Original-To and To name the same address (To in capitals): listed once, first.
    assert parsed.recipients == (token_address, "jimukyoku@city.example.lg.jp")
    assert intake_token(parsed.recipients, local_part="questions", domain="intake.example.lg.jp") == TOKEN


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.eml")), ids=lambda path: path.name)
def test_every_fixture_parses_clean(path):
    parsed = parse_message(path.read_bytes(), trusted_authserv_id=TRUSTED)
    assert_clean(parsed)
    assert parsed.sent_at is not None and parsed.sent_at.tzinfo is not None


# ---------------------------------------------------------------------------------------------------
# Limits (R63, R64)


def test_size_limit_is_checked_on_the_raw_bytes():
    raw = message("From: a@example.jp\nSubject: s", "x" * 500)
    assert parse_message(raw, limits=MailLimits(max_bytes=len(raw))).body == "x" * 500
    assert rejected(raw, limits=MailLimits(max_bytes=len(raw) - 1)) == "too_large"
    assert rejected(bytearray(raw), limits=MailLimits(max_bytes=len(raw) - 1)) == "too_large"
    assert rejected(memoryview(raw), limits=MailLimits(max_bytes=len(raw) - 1)) == "too_large"


def test_default_size_limit_is_ten_megabytes():
    assert rejected(b"Subject: big\n\n" + b"x" * (10 * 1024 * 1024)) == "too_large"


def test_line_count_limit():
    head = b"From: a@example.jp\n\n"
    assert parse_message(head + b"\n" * (LINES_MAX - 2)).body == ""
    assert rejected(head + b"\n" * (LINES_MAX - 1)) == "too_large"
    assert rejected(head + b"\r" * (LINES_MAX - 1)) == "too_large"


@pytest.mark.parametrize("eol", ["\r\n", "\n"])
def test_top_header_block_limit(eol):
    limits = MailLimits(max_header_bytes=200)
    fill = 200 - len(f"From: a@example.jp{eol}Subject: {eol}")
    exact = message(f"From: a@example.jp\nSubject: {'s' * fill}", eol=eol)
    assert len(exact.split((eol + eol).encode())[0]) + len(eol) == 200
    assert parse_message(exact, limits=limits).subject == "s" * fill
    over = message(f"From: a@example.jp\nSubject: {'s' * (fill + 1)}", eol=eol)
    assert rejected(over, limits=limits) == "header_too_large"


def test_top_header_block_without_a_blank_line():
    limits = MailLimits(max_header_bytes=100)
    assert parse_message(b"Subject: " + b"s" * 91, limits=limits).subject == "s" * 91
    assert rejected(b"Subject: " + b"s" * 92, limits=limits) == "header_too_large"
    assert rejected(b"Subject: x\nX-Pad: " + b"y" * 5000 + b"\n\nbody", limits=limits) == "header_too_large"


def test_part_header_block_limit():
    limits = MailLimits(max_header_bytes=300)

    def with_part_padding(size: int) -> bytes:
        # A part's header block is measured as the characters of its names and values.
        fill = size - len("Content-Type") - len("text/plain") - len("X-Pad")
        return (
            "From: a@example.jp\nContent-Type: multipart/mixed; boundary=x\n\n"
            f"--x\nContent-Type: text/plain\nX-Pad: {'p' * fill}\n\n中身\n--x--\n"
        ).encode()

    assert parse_message(with_part_padding(300), limits=limits).body == "中身"
    assert rejected(with_part_padding(301), limits=limits) == "header_too_large"


def test_header_field_count_limit():
    def with_fields(count: int) -> bytes:
        fields = "".join(f"X-F: {number}\n" for number in range(count - 1))
        return f"From: a@example.jp\nContent-Type: multipart/mixed; boundary=x\n\n--x\n{fields}Content-Type: text/plain\n\nok\n--x--\n".encode()

    assert parse_message(with_fields(HEADER_FIELDS_MAX)).body == "ok"
    assert rejected(with_fields(HEADER_FIELDS_MAX + 1)) == "header_too_large"


def test_nesting_depth_limit():
    assert parse_message(nested_multiparts(20)).body == "奥"
    assert rejected(nested_multiparts(21)) == "too_deep"
    assert rejected(nested_multiparts(4), limits=MailLimits(max_depth=3)) == "too_deep"
    assert parse_message(nested_multiparts(3), limits=MailLimits(max_depth=3)).body == "奥"


def test_message_rfc822_counts_as_a_level():
    (attached,) = parse_message(nested_messages(20)).attachments
    assert attached.content_type == "message/rfc822"
    assert rejected(nested_messages(21)) == "too_deep"


def test_ten_thousand_levels_are_refused_without_recursion_error():
    assert rejected(nested_multiparts(10_000)) == "too_deep"
    assert rejected(nested_messages(10_000)) == "too_deep"
    # In a digest a part without headers is a message/rfc822: two levels per boundary.
    digest = "From: a@example.jp\n" + "".join(
        f"Content-Type: multipart/digest; boundary=d{n}\n\n--d{n}\n\n" for n in range(10_000)
    )
    assert rejected(digest.encode()) == "too_deep"


def test_part_count_limit():
    # The message itself counts: one multipart and 199 text parts make 200.
    assert parse_message(many_parts(199)).body == "0"  # the first text part
    assert rejected(many_parts(200)) == "too_many_parts"
    assert rejected(many_parts(10), limits=MailLimits(max_parts=10)) == "too_many_parts"
    assert parse_message(many_parts(9), limits=MailLimits(max_parts=10)).body == "0"


def test_limits_refuse_nonsense():
    with pytest.raises(ValueError, match="max_depth"):
        MailLimits(max_depth=0)
    with pytest.raises(ValueError, match="max_depth"):
        MailLimits(max_depth=1000)  # would let the stdlib parser recurse into RecursionError
    with pytest.raises(ValueError, match="positive"):
        MailLimits(max_parts=0)


def test_a_quadratic_parameter_header_is_read():
    # 60,000 semicolons inside a quoted boundary: the stdlib splitter takes seconds, ours is linear.
    boundary = ";" * 60_000
    raw = f'From: a@example.jp\nContent-Type: multipart/mixed; boundary="{boundary}"\n\n--{boundary}\n\nok\n'
    assert parse_message(raw.encode()).body == "ok"


# ---------------------------------------------------------------------------------------------------
# Hostile and odd headers


def test_nothing_but_mail_rejected_for_what_is_not_mail():
    assert rejected(b"") == "malformed"
    assert rejected(bytes(range(256))) == "malformed"
    assert rejected("not bytes") == "malformed"


def test_header_injection_and_control_characters_are_removed():
    injected = base64.b64encode("件名\r\nBcc: x@example.jp\x00\x1b[31m".encode()).decode()
    raw = (
        f"From: a@example.jp\r\nSubject: =?UTF-8?B?{injected}?=\r\n"
        "Message-ID: <id\x00\x07@example.jp>\r\n"
        "\r\nline\x00one\r\nline\x0btwo\ttab\r\n"
    ).encode()
    parsed = parse_message(raw)
    assert parsed.subject == "件名 Bcc: x@example.jp[31m"
    assert parsed.message_id == "id@example.jp"
    assert parsed.body == "lineone\nlinetwo\ttab"
    assert_clean(parsed)


def test_subject_is_cut_at_500_characters():
    parsed = parse_message(message(f"From: a@example.jp\nSubject: {'長' * 900}"))
    assert parsed.subject == "長" * 500


def test_raw_eight_bit_headers_are_read_as_utf8_or_cp932():
    raw = "From: 山田 <a@example.jp>\nSubject: 生のUTF-8\n\nx".encode()
    assert parse_message(raw).subject == "生のUTF-8"
    raw = "From: a@example.jp\nSubject: 生のシフトJIS\n\nx".encode("cp932")
    assert parse_message(raw).subject == "生のシフトJIS"


@pytest.mark.parametrize(
    ("charset", "data", "expected"),
    [
        ("x-bogus-charset", "日本語".encode(), "日本語"),  # unknown: guessed, UTF-8 first
        ("us-ascii", "日本語".encode("cp932"), "日本語"),  # a lie: CP932 is the Japanese guess
        ("iso-8859-1", "日本語".encode(), "日本語"),  # a lie: UTF-8 is the usual truth
        ("utf-8", b"ok \xff\xfe end", "ok \ufffd\ufffd end"),  # broken UTF-8: replacement characters
        ("idna", b"abc", "abc"),  # codecs that are not charsets are not used
        ("punycode", b"abc-\x81", "abc-\ufffd"),  # neither UTF-8 nor CP932: replacement character
        ("unicode-escape", b"\\ud800", "\\ud800"),
        ("base64", b"aGk=", "aGk="),
        ('"UTF-8"', "引用".encode(), "引用"),
        ("a" * 100, "長い".encode(), "長い"),
    ],
)
def test_unknown_and_lying_charsets_never_raise(charset, data, expected):
    raw = (
        f"From: a@example.jp\nContent-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: 8bit\n\n".encode()
    )
    assert parse_message(raw + data).body == expected


def test_broken_transfer_encodings_are_decoded_leniently():
    parts = (
        "--x\nContent-Type: application/pdf; name=a.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0x!!LjQK\n"
        "--x\nContent-Type: application/pdf; name=b.pdf\nContent-Transfer-Encoding: base64\n\nJVBE=Ri0x\n"
        "--x\nContent-Type: application/pdf; name=c.pdf\nContent-Transfer-Encoding: BASE64 (yes)\n\nJVBERg==\n"
        "--x\nContent-Type: text/plain; name=d.txt\nContent-Transfer-Encoding: quoted-printable\n\n=E6=97=A5=ZZ=\n=E6=9C=AC\n"
        "--x--\n"
    )
    raw = f"From: a@example.jp\nContent-Type: multipart/mixed; boundary=x\n\n{parts}".encode()
    data = [attachment.data for attachment in parse_message(raw).attachments]
    assert data == [b"%PDF-1.4\n", b"%PD" + b"F-1", b"%PDF", "日".encode() + b"=ZZ" + "本".encode()]


def test_filenames_rfc2047_path_separators_and_direction_overrides():
    parts = (
        '--x\nContent-Type: application/pdf; name="=?ISO-2022-JP?B?GyRCO3FOQRsoQg==?=.pdf"\n\n%PDF\n'
        '--x\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="..\\\\..\\\\etc/passwd.pdf"\n\n%PDF\n'
        "--x\nContent-Type: application/pdf\nContent-Disposition: attachment; filename*=UTF-8''evil%E2%80%AEfdp.exe\n\n%PDF\n"
        '--x\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="a\tb\x01c.pdf"\n\n%PDF\n'
        "--x\nContent-Type: image/png\n\n\x89PNG\n"
        "--x\nContent-Type: application/x-thing\n\ndata\n"
        "--x\nContent-Type: text/plain\nContent-Disposition: attachment\n\nnamed nothing\n"
        "--x--\n"
    )
    raw = f"From: a@example.jp\nContent-Type: multipart/mixed; boundary=x\n\n{parts}".encode()
    names = [attachment.filename for attachment in parse_message(raw).attachments]
    assert names == [
        "資料.pdf",
        ".._.._etc_passwd.pdf",
        "evilfdp.exe",
        "a bc.pdf",
        "attachment-5.png",
        "attachment-6.bin",
        "attachment-7.txt",
    ]


def test_attached_message_is_a_file_and_not_the_body():
    raw = message(
        "From: a@example.jp\nContent-Type: multipart/mixed; boundary=x",
        '--x\nContent-Type: message/rfc822\nContent-Disposition: attachment; filename="転送"\n\n'
        "From: b@example.jp\nSubject: inner\n\ninner body\n--x--\n",
        eol="\n",
    )
    parsed = parse_message(raw)
    assert parsed.body == ""
    (forwarded,) = parsed.attachments
    assert forwarded.filename == "転送.eml"
    assert forwarded.data == b"From: b@example.jp\r\nSubject: inner\r\n\r\ninner body"


def test_attached_message_keeps_its_header_folding():
    # compat32 would re-fold this header through email.header, which takes minutes at 60 KB.
    words = " ".join(["ab"] * 15_000)
    inner = f"From: b@example.jp\nSubject: first\n second\nX-Words: {words}\n\ninner\n"
    raw = f"From: a@example.jp\nContent-Type: message/rfc822\n\n{inner}".encode()
    (attached,) = parse_message(raw).attachments
    assert attached.data == inner.replace("\n", "\r\n").encode()


def test_top_level_message_rfc822_and_digest_defaults():
    parsed = parse_message(b"From: a@example.jp\nContent-Type: message/rfc822\n\nSubject: in\n\nbody\n")
    assert [a.filename for a in parsed.attachments] == ["attachment-1.eml"]
    digest = b"From: a@example.jp\nContent-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\n1\n--d--\n"
    (entry,) = parse_message(digest).attachments
    assert entry.content_type == "message/rfc822"


def test_multipart_without_boundary_is_read_as_text():
    assert parse_message(b"From: a@example.jp\nContent-Type: multipart/mixed\n\nplain words\n").body == "plain words"


@pytest.mark.parametrize(
    ("from_header", "expected"),
    [
        ("Hanako <Hanako@Example.JP>", "hanako@example.jp"),
        ("a@example.jp, b@example.jp", ""),  # more than one
        ("alice@example.org)<bob@example.com>", ""),  # CVE-2023-27043 shape
        ("alice@example.org <bob@example.com>", ""),  # read as two by the stdlib: ambiguous
        ('"alice@example.org" <bob@example.com>', "bob@example.com"),
        ("bob@example.com (" + "(" * 50 + "deep" + ")" * 50 + ")", ""),  # nested too deep
        ("not an address", ""),
        ("", ""),
    ],
)
def test_from_address(from_header, expected):
    assert parse_message(message(f"From: {from_header}\nSubject: s")).from_address == expected


def test_two_from_headers_give_no_address():
    assert parse_message(message("From: a@example.jp\nFrom: b@example.jp")).from_address == ""


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Mon, 14 Oct 2024 10:21:05 +0900", datetime(2024, 10, 14, 10, 21, 5, tzinfo=JST)),
        ("Mon, 14 Oct 2024 01:21:05 -0000", datetime(2024, 10, 14, 1, 21, 5, tzinfo=UTC)),
        ("yesterday", None),
        ("Mon, 99 Oct 2024 10:21:05 +0900", None),
        ("Mon, 14 Oct 2024 10:21:05 +9999", None),
    ],
)
def test_sent_at(date, expected):
    assert parse_message(message(f"From: a@example.jp\nDate: {date}")).sent_at == expected


def test_message_id_forms():
    assert parse_message(message("From: a@example.jp\nMessage-ID: bare@example.jp ")).message_id == "bare@example.jp"
    assert (
        parse_message(message("From: a@example.jp\nMessage-ID:\n <folded@example.jp>")).message_id
        == "folded@example.jp"
    )
    assert len(parse_message(message(f"From: a@example.jp\nMessage-ID: <{'m' * 3000}>")).message_id) == 998


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Auto-Submitted: no", None),
        ("Auto-Submitted: No (a person wrote this)", None),
        ("Auto-Submitted: auto-generated", "auto_submitted"),
        ("Auto-Submitted: auto-replied; owner-email=a@example.jp", "auto_submitted"),
        ("X-Autoreply: yes", "autoreply"),
        ("X-Autoreply: no", None),
        ("X-Autorespond: vacation", "autoreply"),
        ("X-Auto-Response-Suppress: All", None),
        ("Content-Type: multipart/report; report-type=delivery-status; boundary=r", "bounce"),
        ("Return-Path: <>", "bounce"),
        ("Return-Path: < >", "bounce"),
        ("Return-Path: <a@example.jp>", None),
        ("Precedence: bulk", "bulk"),
        ("Precedence: junk", "bulk"),
        ("Precedence: List", "bulk"),
        ("Precedence: first-class", None),
        ("List-Id: <x.lists.example.org>", "bulk"),
        ("List-Unsubscribe: <mailto:leave@example.org>", "bulk"),
        ("Auto-Submitted: auto-replied\nPrecedence: bulk", "auto_submitted"),
    ],
)
def test_auto_reason(headers, reason):
    assert parse_message(message(f"From: a@example.jp\n{headers}")).auto_reason == reason


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.jp", "Postmaster@example.jp", "MAILER-DAEMON"])
def test_daemon_senders_are_bounces(sender):
    assert parse_message(message(f"From: {sender}")).auto_reason == "bounce"


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        (["mx.intake.example.lg.jp; dmarc=pass header.from=example.jp"], "pass"),
        (["mx.intake.example.lg.jp; spf=pass smtp.mailfrom=a@example.jp"], "missing"),
        (["mx.intake.example.lg.jp; none"], "missing"),
        (["mx.intake.example.lg.jp; dmarc=fail (dmarc=pass in a comment) header.from=example.jp"], "fail"),
        (['mx.intake.example.lg.jp; spf=fail reason="x; dmarc=pass"; dmarc=none'], "none"),
        (["mx.intake.example.lg.jp; spf=pass smtp.mailfrom=dmarc=pass"], "missing"),
        (["mx.intake.example.lg.jp; dmarc/1 = TempError"], "temperror"),
        (["(our server) mx.intake.example.lg.jp; dmarc=pass"], "pass"),
        (["mx.intake.example.lg.jp.evil.example; dmarc=pass"], "missing"),
        (["evil.example; dmarc=pass", "mx.intake.example.lg.jp; dmarc=fail"], "fail"),
        (["mx.intake.example.lg.jp; dmarc=fail", "mx.intake.example.lg.jp; dmarc=pass"], "fail"),
        (["mx.intake.example.lg.jp; dmarc=pass (unclosed comment"], "missing"),
        ([], "missing"),
    ],
)
def test_dmarc_results(results, expected):
    headers = "".join(f"Authentication-Results: {value}\n" for value in results)
    raw = message(f"{headers}From: a@example.jp")
    assert parse_message(raw, trusted_authserv_id=TRUSTED).dmarc == expected


# ---------------------------------------------------------------------------------------------------
# HTML to text


def test_html_to_text_keeps_text_and_line_breaks_only():
    html = (
        "<html><head><title>件名</title><style>p{color:red}</style></head><body>"
        "<div>一行目</div><div><br></div><div>二行目&nbsp;&amp; <b>太字</b></div>"
        "<script>alert('<p>x</p>')</script><p>a<br>b</p><ul><li>項目1</li><li>項目2</li></ul>"
        "<pre>  整形\n    済み</pre>a &lt; b <![CDATA[x]]> <!-- 注釈 --> <? pi ?>end</body></html>"
    )
    assert html_to_text(html) == "一行目\n\n二行目 & 太字\na\nb\n項目1\n項目2\n  整形\n    済み\na < b end"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("before<!-- never closed <p>hidden</p>", "before"),
        ("a <![ b", "a <![ b"),  # html.parser in Python 3.11 raises AssertionError on this
        ("<a <a <a b", "<a <a <a b"),
        ("x < y > z", "x < y > z"),
        ("<p title='1 > 0'>t</p>", "0'>t"),
        ("<script>never closed", ""),
        ("&#0;&#x110000;&bogus;", "\ufffd\ufffd&bogus;"),
        ("", ""),
    ],
)
def test_html_to_text_on_broken_markup(html, expected):
    assert html_to_text(html) == expected


def test_html_with_more_tags_than_the_parser_reads_keeps_its_text():
    text = html_to_text("<b>x</b>" * 60_000)
    assert text.replace(" ", "") == "x" * 60_000


# ---------------------------------------------------------------------------------------------------
# Intake token (R59)


@pytest.mark.parametrize(
    ("recipients", "expected"),
    [
        ([f"questions+{TOKEN}@intake.example.lg.jp"], TOKEN),
        ([f"questions+{TOKEN}@other.example.lg.jp"], None),  # wrong domain
        ([f"questions+{TOKEN}@intake.example.lg.jp.evil.example"], None),
        (["questions+short_token1@intake.example.lg.jp"], None),  # 12 characters: too short
        ([f"questions+{'t' * 65}@intake.example.lg.jp"], None),  # too long
        ([f"questions+{TOKEN}!@intake.example.lg.jp"], None),  # not [A-Za-z0-9_-]
        ([f"questions+{TOKEN}@INTAKE.Example.LG.JP"], TOKEN),  # domain in capitals
        (["questions+MiXeD_Case-Token123@intake.example.lg.jp"], "MiXeD_Case-Token123"),  # kept as given
        ([f"Questions+{TOKEN}@intake.example.lg.jp"], None),  # local part compared exactly
        ([f"other+{TOKEN}@intake.example.lg.jp"], None),
        ([f"questions+{TOKEN}"], None),
        (
            [
                "jimukyoku@city.example.lg.jp",
                f"questions+{TOKEN}@intake.example.lg.jp",
                "questions+bbbbbbbbbbbbbbbbbbbb@intake.example.lg.jp",
            ],
            TOKEN,
        ),  # two candidates: the first wins
        ([], None),
    ],
)
def test_intake_token(recipients, expected):
    assert intake_token(recipients, local_part="questions", domain="intake.example.lg.jp") == expected
