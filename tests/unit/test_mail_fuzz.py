"""Whatever the bytes, the e-mail parser returns a clean ParsedMail or raises MailRejected (R64).

Three sources of input: arbitrary bytes, the real message files with random damage, and messages built
from a grammar of MIME structures with broken boundaries, charsets, encodings and headers. Every
refusal must be deliberate: a MailRejected caused by an exception the parser did not expect fails.
"""

import base64
import quopri
import re
from datetime import datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from comments.ingestion.mail.parser import (
    DEFAULT_LIMITS,
    REJECTION_CODES,
    MailLimits,
    MailRejected,
    ParsedMail,
    parse_message,
)

FIXTURES = {
    path.name: path.read_bytes() for path in sorted((Path(__file__).parent.parent / "data" / "mail").glob("*.eml"))
}
TRUSTED = "mx.intake.example.lg.jp"
SMALL = MailLimits(max_bytes=256 * 1024, max_depth=3, max_parts=6, max_header_bytes=2048)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
DIRECTION_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
BODY_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
AUTO_REASONS = {None, "auto_submitted", "autoreply", "bounce", "bulk"}
# A few seconds in all (generating the MIME grammar costs more than parsing it); no example database,
# so a run leaves nothing behind.
FUZZ = settings(max_examples=200, deadline=None, database=None)
FUZZ_SLOW = settings(FUZZ, max_examples=100)


def check(raw: bytes, limits: MailLimits = DEFAULT_LIMITS) -> ParsedMail | None:
    """Parse ``raw`` and assert every promise the parser makes about what it returns."""
    try:
        parsed = parse_message(raw, limits=limits, trusted_authserv_id=TRUSTED)
    except MailRejected as rejected:
        refusal = rejected
    else:
        refusal = None
    if refusal is not None:
        assert refusal.code in REJECTION_CODES
        assert refusal.__cause__ is None, f"unexpected {refusal.__cause__!r}"
        return None
    assert isinstance(parsed, ParsedMail)
    for value in (parsed.message_id, parsed.from_address, parsed.subject, *parsed.recipients):
        assert isinstance(value, str)
        assert not CONTROL.search(value), repr(value)
    assert not BODY_CONTROL.search(parsed.body), repr(parsed.body[:200])
    assert "\r" not in parsed.body
    assert len(parsed.subject) <= 500
    assert len(parsed.message_id) <= 998
    assert parsed.from_address == parsed.from_address.lower()
    assert all(recipient == recipient.lower() and "@" in recipient for recipient in parsed.recipients)
    assert len(set(parsed.recipients)) == len(parsed.recipients)
    assert parsed.sent_at is None or (isinstance(parsed.sent_at, datetime) and parsed.sent_at.tzinfo is not None)
    assert parsed.auto_reason in AUTO_REASONS
    assert parsed.dmarc == "missing" or re.fullmatch(r"[a-z]{1,20}", parsed.dmarc)
    assert len(parsed.attachments) <= limits.max_parts
    for attachment in parsed.attachments:
        assert attachment.filename
        assert not CONTROL.search(attachment.filename), repr(attachment.filename)
        assert "/" not in attachment.filename and "\\" not in attachment.filename
        assert not DIRECTION_CONTROL.search(attachment.filename) and len(attachment.filename) <= 255
        assert CONTENT_TYPE.fullmatch(attachment.content_type), attachment.content_type
        assert isinstance(attachment.data, bytes)
    return parsed


# ---------------------------------------------------------------------------------------------------
# Arbitrary bytes


@FUZZ
@given(st.binary(max_size=4096))
def test_arbitrary_bytes(raw):
    check(raw)
    check(raw, SMALL)


@FUZZ_SLOW
@given(st.binary(max_size=2048))
def test_arbitrary_body_after_a_real_header(raw):
    check(b"From: a@example.jp\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" + raw)
    check(b"From: a@example.jp\nContent-Type: text/html; charset=utf-8\n\n" + raw, SMALL)


# ---------------------------------------------------------------------------------------------------
# Real messages with random damage

TOKENS = [
    b"\r\n", b"\n", b"\r", b"\n\n", b"\r\n\r\n", b"--", b"=?", b"?=", b";", b'"', b"(", b")", b"\\", b"=",
    b"\x00", b"\x1b$B", b"\x1b(B", b"\xff\xfe", b"<", b">", b"&#", b"<!--", b"<![", b"\t",
    b"boundary=", b"charset=", b"filename*0*=", b"Content-Type: multipart/mixed; boundary=x\n\n--x\n",
    b"Content-Type: message/rfc822\n\n", b"Content-Transfer-Encoding: base64\n",
]  # fmt: skip
MUTATION = st.tuples(
    st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]),
    st.floats(min_value=0, max_value=1),
    st.one_of(st.sampled_from(TOKENS), st.binary(min_size=1, max_size=16)),
)


def mutate(data: bytes, mutations) -> bytes:
    out = bytearray(data)
    for kind, where, piece in mutations:
        at = int(where * len(out))
        if kind == "flip" and out:
            out[min(at, len(out) - 1)] ^= piece[0] or 0x80
        elif kind == "insert":
            out[at:at] = piece
        elif kind == "delete":
            del out[at : at + len(piece) * 8]
        elif kind == "truncate":
            del out[at:]
        elif kind == "duplicate":
            out[at:at] = out[at : at + 64 * len(piece)]
    return bytes(out)


@FUZZ
@given(st.sampled_from(sorted(FIXTURES)), st.lists(MUTATION, min_size=1, max_size=8))
def test_damaged_real_messages(name, mutations):
    raw = mutate(FIXTURES[name], mutations)
    check(raw)
    check(raw, SMALL)


# ---------------------------------------------------------------------------------------------------
# Messages built from a grammar of broken MIME

CHARSETS = st.sampled_from(
    [
        "utf-8", "UTF-8", "iso-2022-jp", "ISO-2022-JP", "shift_jis", "cp932", "euc-jp", "us-ascii",
        "iso-8859-1", "windows-1252", "utf-16", "utf-7", "x-bogus", "idna", "punycode", "unicode-escape",
        "base64", "rot13", "undefined", "", '"utf-8', "utf-8'ja'", "a" * 60, "\x00", "ｕｔｆ８", "utf-8*ja",
    ]
)  # fmt: skip
ENCODINGS = st.sampled_from(
    ["7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "BASE64", "base64 (x)", "bogus", ""]
)
LEAF_TYPES = st.sampled_from(
    [
        "text/plain", "text/html", "TEXT/PLAIN", "application/pdf", "image/png", "text/calendar",
        "message/delivery-status", "text", "/", "x/y/z", "application/octet-stream", "text/plain\x00",
    ]
)  # fmt: skip
ODD_VALUES = [
    "=?utf-8?B?5pel5pys?=", "=?utf-8?B?!!!?=", "=?iso-2022-jp?B?GyRCJCIbKEI=?=", "=?bogus?Q?a=ZZ_b?=",
    "=?utf-8?Q?=E6=97?= =?utf-8?Q?=A5?=", "=?=?=", "=?utf-8*ja?B?44GC?=", "=?idna?Q?x?=", "=?punycode?B?/w==?=",
    "\r\nBcc: x@example.jp", "a\x00b", '"unclosed', "((((((((", "))", "a@b.example, c@d.example", "<>", "",
    "a" * 3000, ";" * 500, '"' + ";" * 300, "\\", "\udcff", "\ufeff", "\u202eevil",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(ODD_VALUES), st.text(max_size=40), st.binary(max_size=40).map(lambda b: b.decode("latin-1"))
)
HEADER_NAMES = st.sampled_from(
    [
        "From", "To", "Cc", "Delivered-To", "X-Original-To", "Subject", "Message-ID", "Date", "Auto-Submitted",
        "X-Autoreply", "X-Autorespond", "Precedence", "List-Id", "Return-Path", "Authentication-Results",
        "Content-Disposition", "Content-Type", "Content-Transfer-Encoding", "X-Anything", "From ", " folded",
    ]
)  # fmt: skip
AUTH_RESULTS = st.sampled_from(
    [
        f"{TRUSTED}; dmarc=pass", f"{TRUSTED}; dmarc=fail (x)", f"{TRUSTED}; none", f"{TRUSTED.upper()} 1; dmarc = PASS",
        f'{TRUSTED}; spf=pass reason="; dmarc=pass"', f"{TRUSTED}; dmarc=pass (unclosed", f"({TRUSTED}) x; dmarc=pass",
        "other.example; dmarc=pass", f"{TRUSTED}; dmarc=", f"{TRUSTED}; dmarc=" + "p" * 100,
    ]
)  # fmt: skip
FILENAME_PARAMS = st.sampled_from(
    [
        "", '; name="a.pdf"', '; name="=?utf-8?B?6LOH5paZ?=.pdf"', "; name*=UTF-8''%E8%B3%87.pdf",
        "; name*0*=UTF-8''%E8; name*1*=%B3%87.pdf", "; name*0=a; name*=b", "; name*99999999999999999999=x",
        "; name*=bogus''%FF%FE", '; name="../../x"', "; name=", "; name", '; name="\\"', "; name*=''",
    ]
)  # fmt: skip
BOUNDARIES = st.sampled_from(["b", "x", "", "a b", "=_x", "-" * 70, "q" * 200, "b;c", '"'])


def encode_body(data: bytes, encoding: str, *, broken: bool) -> bytes:
    if broken:
        return data.replace(b"=", b"=Z") + b"!!=\n=="
    if encoding.lower().startswith("base64"):
        return base64.encodebytes(data)
    if encoding == "quoted-printable":
        return quopri.encodestring(data)
    return data


@st.composite
def header_lines(draw, max_size=3):
    lines = []
    for name, value in draw(st.lists(st.tuples(HEADER_NAMES, VALUES), max_size=max_size)):
        lines.append(f"{name}: {value}".encode("utf-8", "surrogateescape"))
    if draw(st.booleans()):
        lines.append(f"Authentication-Results: {draw(AUTH_RESULTS)}".encode())
    return lines


@st.composite
def entity(draw, depth=0):
    """The bytes of one MIME entity (headers, blank line, body) of a random, often broken, shape."""
    lines = draw(header_lines())
    kind = draw(st.sampled_from(["leaf", "leaf", "multipart", "message"])) if depth < 4 else "leaf"
    if kind == "multipart":
        used = draw(BOUNDARIES)
        declared = draw(st.sampled_from([used, used, None, used + "X", "b"]))
        subtype = draw(st.sampled_from(["mixed", "alternative", "related", "digest", "report", "x-weird"]))
        parameter = (
            ""
            if declared is None
            else draw(
                st.sampled_from([f'; boundary="{declared}"', f"; boundary={declared}", f"; BOUNDARY*={declared}"])
            )
        )
        lines.append(f"Content-Type: multipart/{subtype}{parameter}".encode())
        children = draw(st.lists(entity(depth + 1), max_size=3))
        separator = b"--" + used.encode()
        body = draw(st.sampled_from([b"", b"preamble\n", separator + b"\n"]))
        for child in children:
            body += separator + draw(st.sampled_from([b"\n", b"  \n", b"--\n", b""])) + child + b"\n"
        if draw(st.booleans()):
            body += separator + b"--\n" + draw(st.sampled_from([b"", b"epilogue\n", separator + b"\n"]))
    elif kind == "message":
        lines.append(draw(st.sampled_from([b"Content-Type: message/rfc822", b"Content-Type: message/global"])))
        if draw(st.booleans()):
            lines.append(b"Content-Transfer-Encoding: base64")
        body = draw(entity(depth + 1))
    else:
        charset = draw(CHARSETS)
        encoding = draw(ENCODINGS)
        lines.append(
            f"Content-Type: {draw(LEAF_TYPES)}; charset={charset}{draw(FILENAME_PARAMS)}".encode(
                "utf-8", "surrogateescape"
            )
        )
        if encoding:
            lines.append(f"Content-Transfer-Encoding: {encoding}".encode())
        if draw(st.booleans()):
            lines.append(
                b"Content-Disposition: "
                + draw(st.sampled_from([b"attachment", b"inline", b'attachment; filename="f.txt"', b"bogus;;"]))
            )
        text = draw(st.text(max_size=120))
        data = draw(
            st.sampled_from(
                [
                    text.encode("utf-8", "surrogatepass"),
                    text.encode("cp932", "replace"),
                    text.encode("iso2022_jp", "replace"),
                    b"<html><p>" + text.encode("utf-8", "surrogatepass") + b"<br><script>x</script>",
                ]
            )
            | st.binary(max_size=120)
        )
        body = encode_body(data, encoding, broken=draw(st.booleans()))
    return b"\n".join(lines) + b"\n\n" + body


@FUZZ_SLOW
@given(entity(), st.sampled_from([b"\n", b"\r\n", b"\r"]))
def test_random_mime_structures(raw, line_end):
    raw = b"From: a@example.jp\n" + raw
    raw = raw.replace(b"\n", line_end) if line_end != b"\n" else raw
    check(raw)
    check(raw, SMALL)


@FUZZ_SLOW
@given(header_lines(max_size=12), st.binary(max_size=200))
def test_random_headers(lines, body):
    check(b"\r\n".join(lines) + b"\r\n\r\n" + body)
