"""Reading one inbound e-mail into a safe, bounded structure (R59-R64): a pure parser, no database, no app.

Every byte of a message is chosen by its sender, so the parser assumes hostile input:

* **The work is bounded before it is done.** The size is checked before anything is read (R63). The top
  header block is found with a search that never looks past the header limit. While the standard
  library's parser builds the tree, every part it creates is counted and every nesting step measured,
  and the parse stops the moment a limit is crossed (R64). The stdlib parser recurses once per nesting
  level and checks every line against every open boundary: alone, it takes a third of a second for a
  message 500 levels deep and raises ``RecursionError`` past about 1,000. With the checks, a message
  10,000 levels deep stops at level ``max_depth + 1``, in milliseconds.
* **Headers are read raw** (a ``compat32`` policy that hands values back untouched) and decoded
  here. The header parser behind ``email.policy.default`` builds a syntax tree per header; it recurses
  on nested comments, raises on some malformed headers and is slow on others, so it never sees these
  messages.
* **Charsets never raise.** Japanese mail arrives as ISO-2022-JP, Shift_JIS (in practice Microsoft's
  CP932, with ① and ～) or UTF-8. A known charset that does not fit the bytes is tried as UTF-8 (the
  usual lie), then read with replacement characters; an unknown one is guessed (UTF-8, then CP932).
* **Nothing escapes but ``MailRejected``,** and every string returned is free of control characters
  (the body keeps ``\\n`` and ``\\t``) and of lone surrogates, so it can go straight into PostgreSQL.

Where hostile input makes the standard library slow, this module does the work itself, each time
measured on Python 3.11: the Content-Type parameter splitter (quadratic in the semicolons inside a
quoted value: 13 s for one 60 KB header), compat32's header lookup and folding (an ``email.header``
object per lookup; minutes to re-fold one 60 KB header of short words), and the markup that reaches
``html.parser`` (seconds on a few kilobytes of unclosed tags, and an ``AssertionError`` on ``<![``).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import utils as email_utils
from email.feedparser import BytesFeedParser
from email.generator import BytesGenerator
from email.message import Message
from email.policy import Compat32
from html import unescape as html_unescape
from html.parser import HTMLParser

from comments.text import clean_line, clean_text

REJECTION_CODES = ("too_large", "too_deep", "too_many_parts", "header_too_large", "malformed")

SUBJECT_MAX_CHARS = 500
# RFC 5322 line limit, and the width of inbound_messages.message_id.
MESSAGE_ID_MAX_CHARS = 998
# RFC 5321: no path is longer; a longer "address" is not one.
ADDRESS_MAX_CHARS = 254
FILENAME_MAX_CHARS = 255
# Enough encoded text for any FILENAME_MAX_CHARS name, in any encoding.
PARAMETER_MAX_CHARS = 4096
DATE_MAX_CHARS = 200
FIRST_WORD_MAX_CHARS = 1000
# html.parser costs microseconds per tag; past this many tags the rest of an HTML body is read as text.
HTML_MAX_TAGS = 50_000
# Comments nested deeper than this in an address or Authentication-Results header are refused unread
# (the stdlib address parser recurses once per level).
COMMENT_MAX_DEPTH = 20
# The stdlib finds a header by scanning all of a part's fields, several times per part: thousands of
# tiny fields in each of many parts cost seconds. More fields than this in one part: header_too_large.
HEADER_FIELDS_MAX = 1000
# The stdlib parser reads a message line by line at about half a microsecond a line, so ten megabytes
# of empty lines take five seconds. No real message comes near this many lines: too_large.
LINES_MAX = 1_000_000


class MailRejected(Exception):
    """The message is not processed at all; ``code`` is one of ``REJECTION_CODES``.

    ``too_large``, ``too_deep``, ``too_many_parts`` and ``header_too_large`` are the limits of
    ``MailLimits``; ``malformed`` is a message with no header at all, or one the parser could not read.
    """

    code: str

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class MailLimits:
    """How much one message may make the parser do (R63, R64).

    The depth of a part is the number of parts that contain it (the message itself is at depth 0;
    a ``message/rfc822`` part counts as a level like a multipart); a message is refused when any part
    is deeper than ``max_depth``. ``max_parts`` counts every MIME entity the parser creates, the
    message itself, containers and the header blocks of a delivery report included.
    ``max_header_bytes`` bounds the top header block in bytes (up to the blank line) and, for every
    part, the characters of its header names and values.

    Two fixed bounds come with these: a part may have at most HEADER_FIELDS_MAX header fields
    (``header_too_large``) and a message at most LINES_MAX lines (``too_large``).
    """

    max_bytes: int = 10 * 1024 * 1024
    max_depth: int = 20
    max_parts: int = 200
    max_header_bytes: int = 64 * 1024

    def __post_init__(self):
        # A depth in the hundreds would let the stdlib parser recurse into RecursionError, and it checks
        # every line against every open boundary, so depth multiplies the work.
        if not 1 <= self.max_depth <= 100:
            raise ValueError("max_depth must be between 1 and 100")
        if self.max_bytes < 1 or self.max_parts < 1 or self.max_header_bytes < 1:
            raise ValueError("limits must be positive")


DEFAULT_LIMITS = MailLimits()


@dataclass(frozen=True)
class MailAttachment:
    """One attached file, as the sender declared it; the upload checks (R38-R42) still have to pass."""

    # The decoded name, without path separators, control characters or direction overrides; made up as
    # "attachment-<position>.<extension from the type>" when the part has none.
    filename: str
    # As declared, lower-case, without parameters ("application/octet-stream" when unreadable).
    content_type: str
    # Transfer-decoded bytes; for message/* parts, the embedded message as .eml bytes.
    data: bytes


@dataclass(frozen=True)
class ParsedMail:
    """What the intake needs from one message. Every string is cleaned; no field decides anything alone."""

    # The Message-ID without angle brackets, at most 998 characters; "" when missing.
    message_id: str
    # The one From addr-spec, lower-case; "" when missing, ambiguous or more than one.
    from_address: str
    # Lower-case addr-specs of Delivered-To, X-Original-To, To and Cc, in that order, each once.
    recipients: tuple[str, ...]
    # Decoded, on one line, at most 500 characters.
    subject: str
    # From the Date header, timezone-aware; None when missing or unreadable.
    sent_at: datetime | None
    # The first text/plain part that is not an attachment, else the first such text/html part as
    # text; LF line ends, no control characters but tab and newline.
    body: str
    # Every other leaf part with a name, a disposition of "attachment" or a type other than
    # text/plain and text/html, inline images included, in document order; message/* parts as files.
    attachments: tuple[MailAttachment, ...]
    # R61: "auto_submitted", "autoreply", "bounce" or "bulk" (the first that applies), else None.
    auto_reason: str | None
    # R60: the dmarc= result of the topmost Authentication-Results header of the trusted authserv-id
    # ("pass", "fail", "none", ...), "missing" when there is none, None when no id is trusted.
    dmarc: str | None


# ---------------------------------------------------------------------------------------------------
# Cleaning


_SURROGATE = re.compile("[\ud800-\udfff]")
# Bidirectional embeddings, overrides and isolates: in a file name they make "cod.exe" look like
# "exe.doc" (the right-to-left override trick).
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _text(value: str) -> str:
    """Multi-line text: LF line ends, no control characters but tab and newline, no lone surrogates."""
    return clean_text(_SURROGATE.sub("\ufffd", value))


def _line(value: str) -> str:
    """One-line text: as ``_text`` with tabs and newlines turned into spaces, trimmed."""
    return clean_line(_SURROGATE.sub("\ufffd", value))


# ---------------------------------------------------------------------------------------------------
# Bytes to text


# Labels that name a superset in practice, or say nothing about the bytes.
_CHARSET_ALIASES = {
    # Windows writes CP932 (NEC and IBM extensions: ①, ㈱, Ⅲ, and ～ as U+FF5E) and labels it Shift_JIS.
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "csshiftjis": "cp932",
    "windows-31j": "cp932",
    "x-ms-cp932": "cp932",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
}
_UNDECLARED = frozenset(
    {"us-ascii", "ascii", "unknown-8bit", "x-unknown", "unknown", "default", "x-user-defined", "8bit", "binary"}
)
# Codecs that exist but are not character sets: they raise on the "replace" handler (idna), take
# quadratic time (punycode) or turn escapes into lone surrogates (unicode-escape).
_REFUSED_CODECS = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"})
_CHARSET_NAME = re.compile(r"[a-z0-9][a-z0-9._:+-]{0,39}")
_ISO2022JP_CODECS = frozenset({"iso2022_jp", "iso2022_jp_1", "iso2022_jp_2", "iso2022_jp_3", "iso2022_jp_ext"})


def _codec_for(charset: str | None) -> str | None:
    """The Python codec for a declared charset, or None when the label is missing, unknown or unusable."""
    if not charset or not isinstance(charset, str):
        return None
    name = charset.strip().strip("\"'").lower()
    if name in _UNDECLARED or not _CHARSET_NAME.fullmatch(name):
        return None
    name = _CHARSET_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if info.name in _REFUSED_CODECS or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _cp932_for_jis(error: UnicodeError) -> tuple[str, int]:
    """Decoding error handler: a JIS character Python refuses is read at its CP932 position instead."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    chunk = error.object[error.start : error.end]
    if len(chunk) == 2 and all(0x21 <= byte <= 0x7E for byte in chunk):
        first, second = chunk
        lead = ((first + 1) >> 1) + (0x70 if first <= 0x5E else 0xB0)
        trail = second + (0x1F if second <= 0x5F else 0x20) if first & 1 else second + 0x7E
        return bytes((lead, trail)).decode("cp932", "replace"), error.end
    return "\ufffd", error.end


codecs.register_error("comments.cp50220", _cp932_for_jis)


def _jis_to_cp932(data: bytes) -> str:
    """ISO-2022-JP as Windows mailers write it (Microsoft's CP50220), never raising.

    Python's ISO-2022-JP codecs refuse the NEC and IBM extension rows (①, ㈱, Ⅲ, 髙) that Windows users
    type every day. The codec reads everything else at C speed (half-width kana included, in the "ext"
    variant); each character it refuses goes to ``_cp932_for_jis``, which reads it from CP932, where
    the same JIS code sits at its Shift_JIS position. Anything else becomes U+FFFD.
    """
    return data.decode("iso2022_jp_ext", "comments.cp50220")


@functools.lru_cache(maxsize=64)
def _single_byte(codec: str) -> bool:
    """Whether ``codec`` reads every byte as one character (ISO-8859-x, Windows-125x, KOI8...)."""
    try:
        return len(bytes(range(0x80, 0x100)).decode(codec, "replace")) == 0x80
    except (UnicodeError, LookupError, ValueError):
        return False


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from bytes in a declared charset; never raises (see the module docstring for the order)."""
    codec = _codec_for(charset)
    if codec is None:
        if data.isascii() and b"\x1b" not in data:
            return data.decode("ascii")
        if b"\x1b$" in data:
            return _jis_to_cp932(data)
        for guess in ("utf-8", "cp932"):
            try:
                return data.decode(guess)
            except UnicodeDecodeError:
                continue
        return data.decode("utf-8", "replace")
    if codec in _ISO2022JP_CODECS:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
        if not data.isascii():
            # ISO-2022-JP is seven-bit: eight-bit bytes mean the label lies, most often about UTF-8.
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                pass
        return _jis_to_cp932(data)
    if _single_byte(codec) and not data.isascii():
        # A one-byte charset decodes any bytes, so it cannot tell a lie; UTF-8 can. Non-ASCII bytes that
        # are valid UTF-8 are UTF-8 (old web forms label everything ISO-8859-1).
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError, ValueError):
        pass
    if codec != "utf-8":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode(codec, "replace")
    except (UnicodeError, LookupError, ValueError):
        return data.decode("utf-8", "replace")


def _to_bytes(value: str) -> bytes:
    """The original bytes of a string the bytes parser made (8-bit bytes are held as surrogates)."""
    return value.encode("utf-8", "surrogateescape")


# ---------------------------------------------------------------------------------------------------
# Headers


def _unfold(value: str) -> str:
    # The parser keeps line breaks only where a header continues on the next line (RFC 5322 folding).
    return value.replace("\r", "").replace("\n", "")


def _raw_text(value: str) -> str:
    """A raw header value as text: 8-bit bytes read as UTF-8 (or CP932), raw ISO-2022-JP read as such."""
    if value.isascii() and "\x1b" not in value:
        return value
    return _decode_bytes(_to_bytes(value), None)


_ENCODED_WORD = re.compile(r"=\?([^?\s*]{1,40})(?:\*[^?\s]{0,40})?\?([BbQq])\?([^?\s]*)\?=")
_BASE64_ALPHABET = re.compile(rb"[^A-Za-z0-9+/]")


def _lenient_base64(data: bytes) -> bytes:
    """Base64 without the complaints: stray characters ignored, missing padding supplied."""
    chunk = _BASE64_ALPHABET.sub(b"", data)
    if len(chunk) % 4 == 1:
        chunk = chunk[:-1]
    return binascii.a2b_base64(chunk + b"=" * (-len(chunk) % 4))


def _decode_encoded_words(text: str) -> str:
    """RFC 2047 encoded words, found anywhere (mailers put them inside quotes and words too).

    Adjacent words in the same charset are joined before decoding, because mailers split a multi-byte
    character (or an ISO-2022-JP escape run) across two words; white space between words is dropped.
    """
    if "=?" not in text:
        return text
    pieces: list[str | tuple[str, bytearray]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        between = text[position : match.start()]
        follows_word = bool(pieces) and isinstance(pieces[-1], tuple)
        if between and not (follows_word and not between.strip()):
            pieces.append(between)
        charset, encoding, encoded = match.group(1).lower(), match.group(2).upper(), match.group(3)
        if encoding == "B":
            data = _lenient_base64(encoded.encode("ascii", "replace"))
        else:
            data = binascii.a2b_qp(encoded.encode("utf-8", "replace"), header=True)
        last = pieces[-1] if pieces else None
        if isinstance(last, tuple) and last[0] == charset:
            last[1].extend(data)
        else:
            pieces.append((charset, bytearray(data)))
        position = match.end()
    pieces.append(text[position:])
    return "".join(piece if isinstance(piece, str) else _decode_bytes(bytes(piece[1]), piece[0]) for piece in pieces)


def _header_text(value: str) -> str:
    """A header value as a person would read it: unfolded, raw bytes and encoded words decoded."""
    return _decode_encoded_words(_raw_text(_unfold(value)))


def _header_index(message: Message) -> dict[str, list[str]]:
    """Every header of ``message`` by lower-case name, values raw and in order (topmost first)."""
    index: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        index.setdefault(str(name).strip().lower(), []).append(value if isinstance(value, str) else str(value))
    return index


def _without_comments(value: str, *, drop_quoted: bool) -> str | None:
    """``value`` with its (comments) turned into spaces, and its "quoted strings" too when asked.

    None when a quote or parenthesis is not closed, or comments nest deeper than COMMENT_MAX_DEPTH:
    such a header is not read at all rather than read one way here and another by the mail server.
    """
    out: list[str] = []
    depth = 0
    quoted = False
    position = 0
    length = len(value)
    while position < length:
        character = value[position]
        if depth:
            if character == "\\":
                position += 1
            elif character == "(":
                depth += 1
                if depth > COMMENT_MAX_DEPTH:
                    return None
            elif character == ")":
                depth -= 1
                if not depth:
                    out.append(" ")
        elif quoted:
            if character == "\\":
                if not drop_quoted:
                    out.append(value[position : position + 2])
                position += 1
            else:
                quoted = character != '"'
                if not drop_quoted:
                    out.append(character)
        elif character == "(":
            depth = 1
        elif character == ")":
            return None
        elif character == '"':
            quoted = True
            out.append(" " if drop_quoted else character)
        else:
            out.append(character)
        position += 1
    if depth or quoted:
        return None
    return "".join(out)


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u00a1-\U0010ffff-]+"
_ADDR_SPEC = re.compile(
    rf"""(?:{_ATOM}(?:\.{_ATOM})*|"(?:[^"\\]|\\.)*")
         @
         (?:[A-Za-z0-9\u00a1-\U0010ffff-]+(?:\.[A-Za-z0-9\u00a1-\U0010ffff-]+)*|\[[^\[\]\\\s]*\])""",
    re.X,
)


def _address_list(raw_value: str) -> list[str] | None:
    """The addr-specs of one address header, lower-cased; None when it cannot be read unambiguously.

    The stdlib reader (``getaddresses``) guesses on malformed input and has been shown to return an
    address other than the one a mail server saw (CVE-2023-27043). So the header is refused when its
    quotes or comments do not balance, when any address it returns is not a plain addr-spec, or when
    the number of "@" outside quotes and comments is not the number of addresses found.
    """
    value = _raw_text(_unfold(raw_value))
    bare = _without_comments(value, drop_quoted=True)
    if bare is None:
        return None
    try:
        pairs = email_utils.getaddresses([value])
    except (RecursionError, ValueError, TypeError, IndexError):
        return None
    addresses = [address.strip() for _, address in pairs if address and address.strip()]
    if bare.count("@") != len(addresses):
        return None
    if any(len(address) > ADDRESS_MAX_CHARS or not _ADDR_SPEC.fullmatch(address) for address in addresses):
        return None
    return [_line(address).lower() for address in addresses]


def _from_address(headers: dict[str, list[str]]) -> str:
    """The one From address, or "" when there is none, more than one, or it cannot be read."""
    found: list[str] = []
    for value in headers.get("from", []):
        addresses = _address_list(value)
        if addresses is None:
            return ""
        found.extend(addresses)
    return found[0] if len(found) == 1 else ""


def _recipients(headers: dict[str, list[str]]) -> tuple[str, ...]:
    """Delivered-To and X-Original-To (written by our own mail server) first, then To and Cc."""
    seen: dict[str, None] = {}
    for name in ("delivered-to", "x-original-to", "to", "cc"):
        for value in headers.get(name, []):
            for address in _address_list(value) or ():
                seen.setdefault(address, None)
    return tuple(seen)


def _message_id(headers: dict[str, list[str]]) -> str:
    values = headers.get("message-id")
    if not values:
        return ""
    value = _line(_raw_text(_unfold(values[0])))
    match = re.search(r"<([^<>]*)>", value)
    identifier = match.group(1) if match else value.strip("<> ")
    return identifier.strip()[:MESSAGE_ID_MAX_CHARS]


def _subject(headers: dict[str, list[str]]) -> str:
    values = headers.get("subject")
    if not values:
        return ""
    return _line(_header_text(values[0]))[:SUBJECT_MAX_CHARS].strip()


def _sent_at(headers: dict[str, list[str]]) -> datetime | None:
    values = headers.get("date")
    if not values:
        return None
    value = _line(_raw_text(_unfold(values[0])))[:DATE_MAX_CHARS]
    try:
        sent_at = email_utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if sent_at is None:
        return None
    # "-0000" means "UTC, local zone unknown" (RFC 5322 3.3); the stdlib returns it naive.
    return sent_at if sent_at.tzinfo is not None else sent_at.replace(tzinfo=UTC)


def _first_word(value: str) -> str:
    """The keyword of a structured header such as Auto-Submitted or Precedence, lower-case."""
    # The keyword comes first; reading no further keeps a 60 KB header in each of 200 parts cheap.
    value = _unfold(value)[:FIRST_WORD_MAX_CHARS]
    text = _without_comments(value, drop_quoted=False)
    if text is None:
        text = value
    words = re.split(r"[\s;]+", text.strip(), maxsplit=1)
    return words[0].lower() if words else ""


_DAEMON_SENDERS = frozenset({"mailer-daemon", "postmaster"})


def _sender_is_daemon(headers: dict[str, list[str]]) -> bool:
    for raw_value in headers.get("from", []):
        value = _raw_text(_unfold(raw_value))
        if _without_comments(value, drop_quoted=True) is None:
            continue
        try:
            pairs = email_utils.getaddresses([value])
        except (RecursionError, ValueError, TypeError, IndexError):
            continue
        for _, address in pairs:
            local = address.rpartition("@")[0] if "@" in address else address
            if local.strip().lower() in _DAEMON_SENDERS:
                return True
    return False


def _auto_reason(headers: dict[str, list[str]], content_type: str) -> str | None:
    """Why the message looks automatic (R61), or None. The first reason found, in the order below."""
    if any(_first_word(value) != "no" for value in headers.get("auto-submitted", [])):
        return "auto_submitted"
    if any(_first_word(value) == "yes" for value in headers.get("x-autoreply", [])) or "x-autorespond" in headers:
        # X-Auto-Response-Suppress is deliberately not here: Outlook puts it on ordinary mail.
        return "autoreply"
    if content_type == "multipart/report":
        return "bounce"
    if any(re.sub(r"\s", "", _unfold(value)) == "<>" for value in headers.get("return-path", [])):
        return "bounce"
    if _sender_is_daemon(headers):
        return "bounce"
    if any(_first_word(value) in {"bulk", "junk", "list"} for value in headers.get("precedence", [])):
        return "bulk"
    if "list-id" in headers or "list-unsubscribe" in headers:
        return "bulk"
    return None


_DMARC_RESULT = re.compile(r"\s*dmarc\s*(?:/\s*\d+\s*)?=\s*([A-Za-z]{1,20})(?![A-Za-z])", re.I)


def _dmarc(headers: dict[str, list[str]], trusted_authserv_id: str | None) -> str | None:
    """The dmarc= result of the topmost Authentication-Results header our own server wrote (R60).

    Anyone can write an Authentication-Results header, so only those carrying our server's
    authserv-id count, and of those only the topmost: our server adds its header above whatever the
    message arrived with (and should remove forged copies of its own, RFC 8601 section 5).
    """
    if trusted_authserv_id is None:
        return None
    trusted = trusted_authserv_id.strip().lower()
    for raw_value in headers.get("authentication-results", []):
        value = _raw_text(_unfold(raw_value))
        text = _without_comments(value, drop_quoted=True)
        authserv = (text if text is not None else value).partition(";")[0].split()
        if not authserv or authserv[0].lower() != trusted:
            continue
        if text is None:
            return "missing"
        for result in text.split(";")[1:]:
            match = _DMARC_RESULT.match(result)
            if match:
                return match.group(1).lower()
        return "missing"
    return "missing"


# ---------------------------------------------------------------------------------------------------
# The bounded parse


_PARAM_SEGMENT = re.compile(r'(?:\\"|[^";]|"(?:\\"|[^"])*"?)*')
_CONTINUATION = re.compile(r"\w+\*\d{4,}\*?", re.ASCII)


def _split_params(value: str) -> list[str]:
    """``email.message._parseparam`` in linear time: split at semicolons outside quotes.

    The stdlib version recounts the quotes from the start of the value at every semicolon, which is
    quadratic; the regular expression reads each character once and splits at the same places.
    """
    items: list[str] = []
    position = 0
    while True:
        end = _PARAM_SEGMENT.match(value, position).end()
        item = value[position:end]
        if "=" in item:
            name, _, rest = item.partition("=")
            item = name.strip().lower() + "=" + rest.strip()
        items.append(item.strip())
        if end >= len(value):
            return items
        position = end + 1


_LINE_END = re.compile(r"\r\n|\r|\n")


class _RawHeaders(Compat32):
    """compat32, with header values handed over and written back exactly as they were read.

    compat32 wraps a value holding 8-bit bytes in an ``email.header.Header`` on every lookup (seconds
    for a 60 KB header in each of 150 parts), and re-folds every header it writes through the same
    class (minutes for one 60 KB header of short words; both measured). This module decodes the raw
    values itself, and an attached message keeps its own folding.
    """

    def header_fetch_parse(self, name, value):
        return value

    def fold_binary(self, name, value):
        # Folds keep their place; their line ends become the output's, like every other line.
        return _to_bytes(f"{name}: {_LINE_END.sub(self.linesep, str(value))}{self.linesep}")


_RAW_POLICY = _RawHeaders()


class _Budget:
    """What one parse has spent so far; the parser asks it for every new part."""

    def __init__(self, limits: MailLimits):
        self.limits = limits
        self.parts = 0

    def new_part(self, policy=_RAW_POLICY) -> _BoundedMessage:
        self.parts += 1
        if self.parts > self.limits.max_parts:
            raise MailRejected("too_many_parts")
        return _BoundedMessage(self, policy=policy)


class _BoundedMessage(Message):
    """A message that enforces the limits while the stdlib parser builds it.

    The parser attaches every new part to its parent before reading a line of it, and stores every
    header through ``set_raw``; raising there stops the parse before the work is done.
    """

    def __init__(self, budget: _Budget, policy=_RAW_POLICY):
        super().__init__(policy=policy)
        self._budget = budget
        self._depth = 0
        self._header_size = 0
        self._header_fields = 0

    def attach(self, payload):
        depth = self._depth + 1
        if depth > self._budget.limits.max_depth:
            raise MailRejected("too_deep")
        if isinstance(payload, _BoundedMessage):
            payload._depth = depth
        super().attach(payload)

    def set_raw(self, name, value):
        self._header_size += len(name) + len(value)
        self._header_fields += 1
        if self._header_size > self._budget.limits.max_header_bytes or self._header_fields > HEADER_FIELDS_MAX:
            raise MailRejected("header_too_large")
        super().set_raw(name, value)

    def _get_params_preserve(self, failobj, header):
        # Same result as the stdlib's, from a linear splitter (see _split_params). It is the one place
        # get_param, get_boundary, get_filename and get_content_charset read parameters from.
        wanted = header.lower()
        values = [value for name, value in self.raw_items() if name.lower() == wanted]
        if not values:
            return failobj
        params = []
        for item in _split_params(str(values[0])):
            name, sep, parameter = item.partition("=")
            if sep:
                params.append((name.strip(), parameter.strip()))
            else:
                params.append((item.strip(), ""))
        # RFC 2231 continuation numbers with thousands of digits overflow int(); mixing numbered and
        # unnumbered continuations of one name makes the stdlib's sort raise. Neither is a real name.
        params = [params[0]] + [(name, parameter) for name, parameter in params[1:] if not _CONTINUATION.match(name)]
        try:
            return email_utils.decode_params(params)
        except (TypeError, ValueError):
            return [params[0]] + [
                (name, f'"{email_utils.quote(email_utils.unquote(parameter))}"')
                for name, parameter in params[1:]
                if "*" not in name
            ]

    def undecoded_body(self) -> bytes:
        """The body as it stood in the message, before any transfer decoding.

        ``get_payload()`` would decode it with the declared charset, which raises on some labels.
        """
        payload = self._payload
        return _to_bytes(payload) if isinstance(payload, str) else b""


def _top_header_size(raw: bytes, limit: int) -> int:
    """The size of the top header block (up to the blank line), looking no further than the limit."""
    if raw[:1] == b"\n" or raw[:2] == b"\r\n":
        return 0
    window = raw[: limit + 3]
    ends = [found + 1 for found in (window.find(b"\n\n"), window.find(b"\n\r\n"), window.find(b"\r\r")) if found >= 0]
    if ends:
        return min(ends)
    return len(raw) if len(raw) <= limit else limit + 1


def _line_count(raw: bytes) -> int:
    """Line breaks as the stdlib parser counts them: CRLF, CR or LF."""
    return raw.count(b"\n") + raw.count(b"\r") - raw.count(b"\r\n")


def _parse_bounded(raw: bytes, limits: MailLimits) -> _BoundedMessage:
    budget = _Budget(limits)
    parser = BytesFeedParser(_factory=budget.new_part, policy=_RAW_POLICY)
    # The constructor made one message to learn how to call the factory; it is not part of the mail.
    budget.parts = 0
    parser.feed(raw)
    return parser.close()


# ---------------------------------------------------------------------------------------------------
# Parts


_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
_EXTENSIONS = {
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls",
    "application/zip": ".zip",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/rfc822-headers": ".txt",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
}
_MESSAGE_FILES = frozenset({"message/rfc822", "message/global"})


def _content_type(part: Message) -> str:
    content_type = part.get_content_type()
    return content_type if _CONTENT_TYPE.fullmatch(content_type) else "application/octet-stream"


def _transfer_encoding(part: Message) -> str:
    values = [value for name, value in part.raw_items() if name.lower() == "content-transfer-encoding"]
    return _first_word(values[0]) if values else ""


def _transfer_decode(data: bytes, encoding: str) -> bytes:
    if encoding == "base64":
        # Strict first; when that fails, decode each padded run on its own, because some mailers
        # concatenate base64 blocks, padding and all.
        cleaned = re.sub(rb"[^A-Za-z0-9+/=]", b"", data)
        try:
            return base64.b64decode(cleaned, validate=True)
        except binascii.Error:
            return b"".join(_lenient_base64(run) for run in re.split(rb"=+", cleaned))
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    return data


def _param_text(value: str | tuple) -> str:
    """A parameter value as text: RFC 2231 (charset'lang'%XX) or, as mailers also send, RFC 2047."""
    # A name is cut at FILENAME_MAX_CHARS anyway; decoding more of it is wasted work on hostile input.
    if isinstance(value, tuple):
        charset, _, text = value
        try:
            data = str(text).encode("latin-1", "surrogateescape")
        except UnicodeEncodeError:
            data = str(text).encode("utf-8", "replace")
        return _decode_bytes(data[:PARAMETER_MAX_CHARS], charset)
    return _header_text(value[:PARAMETER_MAX_CHARS])


def _safe_filename(name: str) -> str:
    """The decoded name without control characters, direction overrides or path separators."""
    name = _BIDI_CONTROL.sub("", _line(name)).replace("/", "_").replace("\\", "_").strip()
    if len(name) > FILENAME_MAX_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and len(extension) < 20:
            name = stem[: FILENAME_MAX_CHARS - len(extension) - 1] + "." + extension
        else:
            name = name[:FILENAME_MAX_CHARS]
    return name


def _filename(part: Message) -> str:
    for header, parameter in (("content-disposition", "filename"), ("content-type", "name")):
        value = part.get_param(parameter, None, header)
        if value is None:
            continue
        name = _safe_filename(_param_text(value))
        if name:
            return name
    return ""


def _made_up_filename(position: int, content_type: str) -> str:
    return f"attachment-{position}{_EXTENSIONS.get(content_type, '.bin')}"


def _charset(part: Message) -> str | None:
    value = part.get_param("charset")
    if isinstance(value, tuple):
        value = value[2]
    return value if isinstance(value, str) else None


def _part_text(part: _BoundedMessage) -> str:
    data = _transfer_decode(part.undecoded_body(), _transfer_encoding(part))
    return _decode_bytes(data, _charset(part))


_EML_POLICY = _RAW_POLICY.clone(linesep="\r\n")


def _flatten(message: Message) -> bytes:
    """One embedded message as .eml bytes (CRLF line ends), written back by the stdlib generator."""
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False, policy=_EML_POLICY).flatten(message)
    return buffer.getvalue()


def _message_part_data(part: _BoundedMessage) -> bytes:
    """The content of a message/* part: the embedded message (or report blocks) as they were sent."""
    if part.is_multipart():
        try:
            data = b"".join(_flatten(child) for child in part.get_payload())
        except Exception:  # the generator cannot write some malformed input back; keep the message
            data = b""
    else:
        data = part.undecoded_body()
    # RFC 2046 forbids encoding a message/rfc822 part, but some mailers base64 it anyway; the parser
    # then found no headers and kept the encoded text as the body.
    return _transfer_decode(data, _transfer_encoding(part))


def _walk(root: _BoundedMessage) -> tuple[str, tuple[MailAttachment, ...]]:
    """The body text and the attachments, in document order, without recursion.

    message/* parts are attached as files and not looked into: a forwarded message is not the text
    of this one.
    """
    plain: _BoundedMessage | None = None
    html: _BoundedMessage | None = None
    attachments: list[MailAttachment] = []
    stack: list[_BoundedMessage] = [root]
    while stack:
        part = stack.pop()
        content_type = _content_type(part)
        # Structure follows the parser's own reading of the type, so that what it descended into is
        # exactly what is walked here.
        maintype = part.get_content_maintype()
        position = len(attachments) + 1
        if maintype == "message":
            filename = _filename(part)
            if filename and content_type in _MESSAGE_FILES and not filename.lower().endswith(".eml"):
                filename = _safe_filename(filename + ".eml")
            data = _message_part_data(part)
            attachments.append(
                MailAttachment(filename or _made_up_filename(position, content_type), content_type, data)
            )
            continue
        if part.is_multipart():
            stack.extend(reversed(part.get_payload()))
            continue
        filename = _filename(part)
        disposition = part.get_content_disposition()
        if maintype == "multipart":
            # A multipart without a usable boundary: the parser kept its text whole; read it as text.
            content_type = "text/plain"
        if content_type in ("text/plain", "text/html") and not filename and disposition != "attachment":
            if content_type == "text/plain" and plain is None:
                plain = part
            elif content_type == "text/html" and html is None:
                html = part
            # Any further inline text without a name is another rendering of the body: not a file.
            continue
        data = _transfer_decode(part.undecoded_body(), _transfer_encoding(part))
        attachments.append(MailAttachment(filename or _made_up_filename(position, content_type), content_type, data))
    if plain is not None:
        body = _part_text(plain)
    elif html is not None:
        body = html_to_text(_part_text(html))
    else:
        body = ""
    return _text(body).strip("\n"), tuple(attachments)


# ---------------------------------------------------------------------------------------------------
# HTML


_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_DECLARATION = re.compile(r"<[!?][^<>]*>")
_HTML_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]{0,40})[^<>]*>")
# Runs of two or more, or any white space but a plain space: single spaces, the bulk of text, stay as they are.
_HTML_SPACE = re.compile(r"[ \t\r\n\f]{2,}|[\t\r\n\f]")
# Control characters go first: the simplified markup uses \x01-\x03 as markers.
_HTML_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "tfoot", "thead", "tr", "ul",
    }
)  # fmt: skip
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})


def _simplify_markup(markup: str) -> tuple[str, str]:
    """Markup html.parser reads in linear time, and the plain text beyond HTML_MAX_TAGS tags.

    Comments, declarations and processing instructions are removed (an unclosed comment hides the rest,
    as in a browser), every tag is reduced to its bare name, and every other "<" is hidden as "\\x03"
    (put back in the text afterwards). The parser then never meets the unclosed constructs it rescans,
    nor the "<![" it raises on.
    """
    markup = _HTML_CONTROL.sub("", markup)
    last_close = markup.rfind("-->")
    unclosed = markup.find("<!--", last_close + 3 if last_close >= 0 else 0)
    if unclosed >= 0:
        markup = markup[:unclosed]
    markup = _HTML_DECLARATION.sub("", _HTML_COMMENT.sub("", markup))
    rest = ""
    for count, match in enumerate(_HTML_TAG.finditer(markup)):
        if count == HTML_MAX_TAGS:
            # Beyond this the tags are only removed: html.parser is too slow per tag to read them all.
            markup, rest = markup[: match.start()], _HTML_TAG.sub(" ", markup[match.start() :])
            rest = html_unescape(rest)
            break
    markup = _HTML_TAG.sub("\x01\\1\\2\x02", markup).replace("<", "\x03")
    return markup.replace("\x01", "<").replace("\x02", ">"), rest


class _HtmlText(HTMLParser):
    """Hand-written HTML-to-text on html.parser: text kept, scripts and styles dropped, line breaks
    where block elements and <br> put them, white space collapsed as a browser does (but not in <pre>)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0
        self._preformatted = 0
        self._line_start = True

    def _break_line(self):
        if not self._line_start:
            self.chunks.append("\n")
            self._line_start = True

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self._skipping = 0  # a <head> nobody closed ends here
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag == "br":
            self.chunks.append("\n")
            self._line_start = True
        elif tag in _BLOCK_TAGS:
            self._break_line()
        elif tag in ("td", "th") and not self._line_start:
            self.chunks.append(" ")
        if tag == "pre":
            self._preformatted += 1

    def handle_endtag(self, tag):
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self._break_line()
        if tag == "pre":
            self._preformatted = max(0, self._preformatted - 1)

    def handle_data(self, data):
        if self._skipping:
            return
        if not self._preformatted:
            # A no-break space is text (Outlook's empty paragraphs hold one): it neither collapses nor
            # is trimmed here; it becomes a plain space at the end.
            data = _HTML_SPACE.sub(" ", data)
            if self._line_start:
                data = data.lstrip(" ")
        if data:
            self.chunks.append(data)
            self._line_start = data.endswith("\n")


def html_to_text(markup: str) -> str:
    """The readable text of an HTML body (hand-written on html.parser, see ``_HtmlText``)."""
    simplified, rest = _simplify_markup(markup)
    reader = _HtmlText()
    reader.feed(simplified)
    reader.close()
    text = ("".join(reader.chunks) + (" " + rest if rest else "")).replace("\x03", "<").replace("\xa0", " ")
    text = "\n".join(line.rstrip(" ") for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


# ---------------------------------------------------------------------------------------------------
# Public interface


def parse_message(
    raw: bytes, *, limits: MailLimits = DEFAULT_LIMITS, trusted_authserv_id: str | None = None
) -> ParsedMail:
    """Read one RFC 822 message (R59-R64). Never raises anything but ``MailRejected``.

    The limits are checked before the work they bound: the size before anything is read, the top
    header block with a search that stops at the limit, depth, part count and part headers as the
    parser reaches them. ``trusted_authserv_id`` is the authserv-id our own mail server writes into
    Authentication-Results; without it, ``dmarc`` is None.
    """
    if isinstance(raw, bytearray | memoryview):
        if (raw.nbytes if isinstance(raw, memoryview) else len(raw)) > limits.max_bytes:
            raise MailRejected("too_large")
        raw = bytes(raw)
    if not isinstance(raw, bytes):
        raise MailRejected("malformed")
    if len(raw) > limits.max_bytes or _line_count(raw) > LINES_MAX:
        raise MailRejected("too_large")
    if _top_header_size(raw, limits.max_header_bytes) > limits.max_header_bytes:
        raise MailRejected("header_too_large")
    try:
        root = _parse_bounded(raw, limits)
        if not len(root):
            raise MailRejected("malformed")
        headers = _header_index(root)
        body, attachments = _walk(root)
        return ParsedMail(
            message_id=_message_id(headers),
            from_address=_from_address(headers),
            recipients=_recipients(headers),
            subject=_subject(headers),
            sent_at=_sent_at(headers),
            body=body,
            attachments=attachments,
            auto_reason=_auto_reason(headers, _content_type(root)),
            dmarc=_dmarc(headers, trusted_authserv_id),
        )
    except MailRejected:
        raise
    except Exception as error:  # the promise is MailRejected or a result, whatever the bytes
        raise MailRejected("malformed") from error


_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def intake_token(recipients: Iterable[str], *, local_part: str, domain: str) -> str | None:
    """The token of the first recipient ``<local_part>+<token>@<domain>`` (R59), else None.

    The domain is compared case-insensitively; the local part and the token exactly as given.
    A token is 16 to 64 characters of ``[A-Za-z0-9_-]``.
    """
    prefix = local_part + "+"
    domain = domain.strip().lower()
    for recipient in recipients:
        if not isinstance(recipient, str):
            continue
        local, at, host = recipient.strip().rpartition("@")
        if not at or host.lower() != domain or not local.startswith(prefix):
            continue
        token = local[len(prefix) :]
        if _TOKEN.fullmatch(token):
            return token
    return None
