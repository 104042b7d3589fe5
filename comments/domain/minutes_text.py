"""The text of committee meeting minutes (議事録), with the passages that are not disclosed marked.

The secretariat types the minutes (or imports a Word file) and marks each passage that must not be
published with a ground for withholding it, from the list the caller passes in::

    （金森市政情報室長）本日は……［非開示：personal］山田様から［／非開示］伺いました。

Markers: ``［非開示：KEY］`` … ``［／非開示］``; the same in half-width characters (``[非開示:KEY]`` …
``[/非開示]``) or in English (``[withheld:KEY]`` … ``[/withheld]``), in any mix of widths and with spaces
around the words. Markers are recognised on the NFKC form of each character, so every compatibility
variant of the brackets, colon, slash and letters counts; the text itself is never normalised, because
the minutes are a record and a variant glyph in a name is part of it. Any closing marker closes any
opening one.

The shape of the text:

* Each non-blank line is a paragraph; blank lines only separate them. (The seed minutes put a blank line
  between paragraphs; a textarea or a Word file gives one paragraph a line. Both read the same.)
* A paragraph that begins with a speaker in parentheses, half- or full-width, followed by what they said
  on the same line, begins that speaker's turn: ``(金森市政情報室長) 本日は`` or ``（多賀谷部会長）　それでは``.
  The paragraphs after it, up to the next speaker, continue the turn. The text before the first speaker
  is a preamble: a turn whose speaker is None.
* Not a speaker: a parenthesis alone on its line (``(健康保険課)`` in a list of attendees, ``（拍手）``), an
  enumerator (``(1)``, ``(ア)``, ``（ⅱ）``: one character, or digits, or roman or kanji numerals), an
  annotation such as ``（仮称）`` or ``（参考）``, anything quoted with 「」, and anything over
  ``MAX_SPEAKER_CHARS``. Such a paragraph continues the turn it is in.
* A withheld passage may run over several paragraphs of one turn (it is then one withheld segment in
  each), never into another speaker's turn; passages do not nest; a passage holds at least one visible
  character; a speaker's name cannot be withheld (write it as it may be published, such as （委員Ａ））.

``parse`` reads the text and says, with the line number, what is wrong; ``to_source`` writes a parsed text
back in canonical form (full-width markers, ``（speaker）`` with no space, a blank line between paragraphs),
and ``parse(to_source(minutes), grounds) == minutes`` for anything ``parse`` or ``public_rendering``
returned. ``public_rendering`` builds the copy that is published, in which no character of a withheld
passage remains.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from comments.domain import DomainError
from comments.text import clean_text

# Several hundred pages of minutes: a meeting transcript longer than this is a mistake (two meetings pasted
# together), and refusing it keeps the parse, the diff and every page that shows it bounded.
MAX_SOURCE_CHARS = 300_000
# Longer than any speaker's title and name, "委員長（山田太郎君）" included; a longer parenthesis at the start
# of a paragraph is an aside, not a speaker.
MAX_SPEAKER_CHARS = 40
# What a passage becomes in the published copy. Japanese whatever the reader's language: the published
# minutes are the city's record, written in Japanese.
PUBLIC_MARKER = "〔非開示：{label}〕"

OPEN_MARKER = "［非開示：{key}］"
CLOSE_MARKER = "［／非開示］"


class MinutesMarkupError(DomainError):
    """The minutes cannot be read: ``message`` says what is wrong and how to put it right; ``line`` is the
    1-based line of the text where it is (None for the text as a whole)."""

    def __init__(self, message: str, *, line: int | None = None, field: str | None = None):
        super().__init__(message, field=field)
        self.line = line


@dataclass(frozen=True)
class Segment:
    """A run of text in one paragraph; ``withheld`` is the ground key it is withheld under, or None."""

    text: str
    withheld: str | None


@dataclass(frozen=True)
class Turn:
    """One speaker's turn (``speaker`` None for the preamble): its paragraphs, each a list of segments."""

    speaker: str | None
    paragraphs: list[list[Segment]]


@dataclass(frozen=True)
class MinutesText:
    """The minutes: their turns in order."""

    turns: list[Turn]


# --- Recognising markers ---------------------------------------------------------------------------------

# On the NFKC form: "［" and "﹇" become "[", "：" ":", "／" "/", the ideographic space a space, "ｗ" "w".
_LOOSE_MARKER = re.compile(r"\[\s*/?\s*(?:非開示|withheld)", re.IGNORECASE)
_OPEN_MARKER = re.compile(r"\[\s*(?:非開示|withheld)\s*:\s*([^\[\]]+?)\s*\]", re.IGNORECASE)
_CLOSE_MARKER = re.compile(r"\[\s*/\s*(?:非開示|withheld)\s*\]", re.IGNORECASE)
# Every character whose NFKC form is "[": a line without one holds no marker and is not normalised at all.
_OPENING_BRACKETS = frozenset("[［﹇")


@dataclass(frozen=True)
class _Marker:
    start: int
    end: int
    key: str | None  # None for a closing marker


def _normalised_with_offsets(text: str) -> tuple[str, list[int | None]]:
    """``text`` normalised character by character, and for each position of the result (and its end) the
    position in ``text`` it begins at, or None inside the expansion of one character (``㈱`` → ``(株)``).
    Character by character so that a marker is always a whole run of characters of the original."""
    pieces: list[str] = []
    offsets: list[int | None] = []
    for index, character in enumerate(text):
        normalised = unicodedata.normalize("NFKC", character)
        pieces.append(normalised)
        offsets.append(index)
        offsets.extend([None] * (len(normalised) - 1))
    offsets.append(len(text))
    return "".join(pieces), offsets


def _markers(text: str, line: int, grounds: dict[str, str]) -> Iterator[_Marker]:
    """The markers of one line (or speaker) in order, with their ground keys resolved; anything that begins
    like a marker and is not one is an error, so a mistyped marker never publishes the passage it meant."""
    if not _OPENING_BRACKETS.intersection(text):
        return
    normalised, offsets = _normalised_with_offsets(text)
    position = 0
    while found := _LOOSE_MARKER.search(normalised, position):
        match = _OPEN_MARKER.match(normalised, found.start()) or _CLOSE_MARKER.match(normalised, found.start())
        start = offsets[found.start()]
        end = offsets[match.end()] if match else None
        if match is None or start is None or end is None:
            raise MinutesMarkupError(
                _l(
                    "Line %(line)d has a marker that cannot be read: “%(marker)s”. Begin a withheld passage "
                    "with ［非開示：KEY］, where KEY is one of %(known)s, and end it with ［／非開示］.",
                    line=line,
                    marker=_fragment(text, start if start is not None else 0),
                    known=_known(grounds),
                ),
                line=line,
            )
        key = None
        if match.re is _OPEN_MARKER:
            key = _ground(match.group(1), line, grounds)
        yield _Marker(start, end, key)
        position = match.end()


def _fragment(text: str, start: int) -> str:
    """The beginning of a marker that cannot be read, to quote in the message: up to its closing bracket."""
    fragment = text[start : start + 20]
    for index, character in enumerate(fragment):
        if unicodedata.normalize("NFKC", character) == "]":
            return fragment[: index + 1]
    return fragment


def _ground_index(grounds: Collection[str]) -> dict[str, str]:
    """The ground keys as they may be typed (NFKC, case folded) -> the key as configured."""
    index: dict[str, str] = {}
    for ground in grounds:
        index.setdefault(_typed_key(ground), ground)
    return index


def _typed_key(key: str) -> str:
    return unicodedata.normalize("NFKC", key).strip().casefold()


def _known(grounds: dict[str, str]) -> str:
    return ", ".join(sorted(set(grounds.values())))


def _ground(typed: str, line: int, grounds: dict[str, str]) -> str:
    if not grounds:
        raise MinutesMarkupError(
            _l(
                "Line %(line)d marks a passage as withheld, but no grounds for withholding are set up. Ask an "
                "administrator to add them, then save the minutes again.",
                line=line,
            ),
            line=line,
        )
    ground = grounds.get(_typed_key(typed))
    if ground is None:
        raise MinutesMarkupError(
            _l(
                "Line %(line)d gives “%(key)s” as the ground for withholding, which is not one of the grounds. "
                "Use one of %(known)s.",
                line=line,
                key=typed.strip(),
                known=_known(grounds),
            ),
            line=line,
        )
    return ground


# --- Recognising speakers ------------------------------------------------------------------------------

# A paragraph that begins with a parenthesis (one level of parentheses inside it allowed, for
# "委員長（山田太郎君）") and goes on with text on the same line.
_SPEAKER_LINE = re.compile(
    r"[ \t\u3000]*[(（]((?:[^()（）\n]|[(（][^()（）\n]*[)）])+)[)）][ \t\u3000]*(.*)", re.DOTALL
)
# Parentheses that open a paragraph without naming a speaker: list numbering and annotations.
_ENUMERATOR = re.compile(r"\d+|[ivx]+|[一二三四五六七八九十〇]+", re.IGNORECASE)
_NOT_SPEAKERS = frozenset({"仮称", "参考", "続き", "別紙", "再掲", "抜粋", "中略", "以下略", "前略", "後略", "拍手"})


def _speaker_line(line: str) -> tuple[str, str] | None:
    """(speaker, what follows) when ``line`` begins a turn, else None."""
    match = _SPEAKER_LINE.fullmatch(line)
    if match is None or not match.group(2).strip():
        return None
    speaker = match.group(1).strip()
    if (
        len(speaker) <= 1
        or len(speaker) > MAX_SPEAKER_CHARS
        or _ENUMERATOR.fullmatch(unicodedata.normalize("NFKC", speaker))
        or speaker in _NOT_SPEAKERS
        or "「" in speaker
        or "」" in speaker
    ):
        return None
    return speaker, match.group(2)


# --- Reading and writing the text ----------------------------------------------------------------------


def _check_length(source: str) -> None:
    if len(source) > MAX_SOURCE_CHARS:
        raise MinutesMarkupError(
            _l(
                "The minutes are longer than %(limit)s characters. Split them into parts and enter each part "
                "as minutes of its own.",
                limit=format(MAX_SOURCE_CHARS, ","),
            )
        )


def parse(source: str, grounds: Collection[str]) -> MinutesText:
    """Read minutes typed or imported by the secretariat, with their withheld passages.

    ``grounds`` are the ground keys a passage may be withheld under; a marker's key is matched to them
    in NFKC form, case folded, and the segment carries the key as configured. Raises
    ``MinutesMarkupError`` with the line number for: text over ``MAX_SOURCE_CHARS``, a marker that
    cannot be read, an unknown ground, a passage opened inside another, a closing marker with no
    passage open, an empty passage, a passage that runs into another speaker's turn or is never
    closed, and a speaker's name with a marker in it. Line ends may be CRLF; nothing else is changed.
    """
    _check_length(source)
    ground_index = _ground_index(grounds)
    turns: list[Turn] = []
    current: Turn | None = None
    open_key: str | None = None
    open_line = 0
    open_has_text = False
    for line_number, line in enumerate(source.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        body = line
        speaker_line = _speaker_line(line)
        if speaker_line is not None:
            speaker, body = speaker_line
            if _LOOSE_MARKER.search(_normalised_with_offsets(speaker)[0]):
                raise MinutesMarkupError(
                    _l(
                        "A speaker's name cannot be withheld (line %(line)d). Write the speaker as the name may "
                        "be published, such as （委員Ａ）, and withhold only what they said.",
                        line=line_number,
                    ),
                    line=line_number,
                )
            if open_key is not None:
                raise MinutesMarkupError(
                    _l(
                        "The withheld passage that begins on line %(start)d runs into the turn of the next "
                        "speaker on line %(line)d. End it with ［／非開示］ before the speaker, and begin another "
                        "passage after the speaker's name if what they said is withheld too.",
                        start=open_line,
                        line=line_number,
                    ),
                    line=line_number,
                )
            current = Turn(speaker, [])
            turns.append(current)
        elif current is None:
            current = Turn(None, [])
            turns.append(current)

        segments: list[Segment] = []
        position = 0
        for marker in _markers(body, line_number, ground_index):
            text = body[position : marker.start]
            if text:
                segments.append(Segment(text, open_key))
                open_has_text = open_has_text or (open_key is not None and bool(text.strip()))
            if marker.key is not None:
                if open_key is not None:
                    raise MinutesMarkupError(
                        _l(
                            "Line %(line)d begins a withheld passage inside another one, which begins on line "
                            "%(start)d. Passages cannot be nested: end the first with ［／非開示］ before "
                            "beginning the next.",
                            line=line_number,
                            start=open_line,
                        ),
                        line=line_number,
                    )
                open_key, open_line, open_has_text = marker.key, line_number, False
            else:
                if open_key is None:
                    raise MinutesMarkupError(
                        _l(
                            "Line %(line)d ends a withheld passage (［／非開示］) that was never begun. Add "
                            "［非開示：KEY］ where the passage begins, or delete the closing marker.",
                            line=line_number,
                        ),
                        line=line_number,
                    )
                if not open_has_text:
                    raise MinutesMarkupError(
                        _l(
                            "The withheld passage that begins on line %(line)d is empty. Put the text to "
                            "withhold between ［非開示：KEY］ and ［／非開示］, or delete the two markers.",
                            line=open_line,
                        ),
                        line=open_line,
                    )
                open_key = None
            position = marker.end
        text = body[position:]
        if text:
            segments.append(Segment(text, open_key))
            open_has_text = open_has_text or (open_key is not None and bool(text.strip()))
        # A line of markers alone, or of blank text outside any passage, leaves no paragraph behind.
        if any(segment.withheld is not None for segment in segments) or "".join(s.text for s in segments).strip():
            current.paragraphs.append(segments)
    if open_key is not None:
        raise MinutesMarkupError(
            _l(
                "The withheld passage that begins on line %(line)d is not ended. Add ［／非開示］ where the "
                "passage ends.",
                line=open_line,
            ),
            line=open_line,
        )
    return MinutesText(turns)


def to_source(minutes: MinutesText) -> str:
    """The text ``parse`` reads back as ``minutes``: full-width markers around each withheld segment,
    ``（speaker）`` before a turn's first paragraph, and a blank line between paragraphs."""
    paragraphs = []
    for turn in minutes.turns:
        for index, paragraph in enumerate(turn.paragraphs):
            text = "".join(
                OPEN_MARKER.format(key=segment.withheld) + segment.text + CLOSE_MARKER
                if segment.withheld is not None
                else segment.text
                for segment in paragraph
            )
            paragraphs.append(f"（{turn.speaker}）{text}" if index == 0 and turn.speaker is not None else text)
    return "\n\n".join(paragraphs)


def public_rendering(minutes: MinutesText, label_for: Callable[[str], str]) -> MinutesText:
    """The copy of the minutes that may be published: each withheld segment replaced by
    ``〔非開示：<label>〕`` (``label_for(key)``, such as 第7条第2号（個人に関する情報）), unmarked.

    Built from new segments that hold only the text outside passages and the labels, never by replacing
    text in the source, so no character of a withheld passage can remain. Neighbouring unmarked segments
    are joined, as ``parse`` would read them.
    """
    turns = []
    for turn in minutes.turns:
        paragraphs = []
        for paragraph in turn.paragraphs:
            texts: list[str] = []
            for segment in paragraph:
                if segment.withheld is None:
                    texts.append(segment.text)
                else:
                    texts.append(PUBLIC_MARKER.format(label=str(label_for(segment.withheld))))
            paragraphs.append([Segment("".join(texts), None)])
        turns.append(Turn(turn.speaker, paragraphs))
    return MinutesText(turns)


def withheld_passages(minutes: MinutesText) -> list[tuple[str, str]]:
    """(text, ground key) of every withheld segment in order: one per paragraph a passage runs over. For
    checking that no published page or file holds any of them."""
    return [
        (segment.text, segment.withheld)
        for turn in minutes.turns
        for paragraph in turn.paragraphs
        for segment in paragraph
        if segment.withheld is not None
    ]


# --- Word files --------------------------------------------------------------------------------------

# "○委員長　ただいまから" and "○委員長（山田太郎君）ただいまから": the assembly style of naming a speaker.
_CIRCLE_SPEAKER = re.compile(
    r"[ \t\u3000]*[○◯][ \t\u3000]*"
    r"(?:(?P<titled>[^\s()（）]+[(（][^()（）\n]*[)）])[ \t\u3000]*|(?P<plain>[^\s()（）]+)[ \t\u3000]+)"
    r"(?P<rest>\S.*)",
    re.DOTALL,
)


def from_docx_paragraphs(paragraphs: list[str]) -> str:
    """Minutes source from the paragraphs of a Word file, one paragraph a line and a blank line between.

    A paragraph that begins with a speaker in parentheses is kept as it is; one in the assembly style,
    ``○委員長　ただいまから…``, becomes ``（委員長）ただいまから…``. A line break inside a paragraph starts a
    new paragraph; empty paragraphs are left out. Markers typed in Word are kept for ``parse`` to read.
    """
    lines = []
    for paragraph in paragraphs:
        for line in clean_text(paragraph).split("\n"):
            if not line.strip():
                continue
            match = _CIRCLE_SPEAKER.fullmatch(line)
            speaker = match and (match.group("titled") or match.group("plain"))
            if match and speaker and len(speaker) <= MAX_SPEAKER_CHARS:
                line = f"（{speaker}）{match.group('rest')}"
            lines.append(line)
    return "\n\n".join(lines)


def source_from_docx(data: bytes) -> str:
    """Minutes source from a Word file (.docx): its body's paragraphs and tables in order, through
    ``from_docx_paragraphs``. Raises ``DomainError`` for a file that is not a Word file (an old .doc, a
    PDF, a damaged archive) and ``MinutesMarkupError`` for text over ``MAX_SOURCE_CHARS``.

    The caller runs ``comments.domain.uploads.check_upload`` on the bytes first, which bounds their size;
    the archive is also refused here when it would inflate past the same limits (R40).
    """
    # Shared with the upload checks and the question-file reader, so a Word file is judged and read one way.
    from comments.documents import _docx_text
    from comments.domain.uploads import _docx_is_sound

    not_docx = DomainError(
        _l(
            "The file is not a Word file (.docx). Save the minutes in Word as “Word Document (*.docx)” and "
            "import that file, or paste the text into the box."
        ),
        field="file",
    )
    if not _docx_is_sound(data):
        raise not_docx
    try:
        text = _docx_text(data).text
    except Exception as error:  # python-docx raises many kinds of error for a damaged file
        raise not_docx from error
    source = from_docx_paragraphs(text.split("\n"))
    _check_length(source)
    return source
