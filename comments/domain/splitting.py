"""Proposed split points of a submission into items, and the check that a submission is fully triaged.

After the comment period the secretariat splits each submission (a citizen's opinion, a committee
member's question) into items: opinions, questions and requests, each covering a span of the original
text, which is never changed. Every part of the text must be in an item or marked "not an opinion" (a
greeting, a signature); ``coverage_gaps`` says which parts are neither, so "fully triaged" is a check,
not a feeling. Offsets are character offsets into the original text, end exclusive.

``propose_spans`` only proposes; staff move, merge and split the spans. Its rule:

1. The text is read as lines ending at LF, CR LF or CR (a CR LF is one break, never a blank line).
2. A new span starts at the start of a line (its indentation included) that begins, after optional
   indentation (spaces, tabs, the full-width space U+3000), with a numbered marker:

   - a number 1-99 in parentheses, half or full width, in any mix: (1) （1） （１） (１) (12);
     the same with a kanji numeral 一 to 九十九: （一） (十二); or a katakana: (ア) （イ);
   - a circled number ①-⑳ ㉑-㊿, or one of the single-character forms ⑴-⒇ ⒈-⒛ ㈠-㈩;
   - a number 1-99, half or full width, followed by "." "．" ")" "）" or "、" and not by another
     digit: 1. 1． １． 1) １） 1、 (so "1.5倍" and "1、000円" do not split);
   - a kanji numeral followed by "、" or "．": 一、 二． 十一、;
   - one katakana of the gojūon (ア イ ウ … ワ ヲ ン) followed by "." "．" "、", a space or the end of
     the line: ア. イ． ウ、 "エ　" (minutes write "ア　項目名");
   - 第 and a number 1-99 (half or full width) or a kanji numeral, followed by "、", a space or the end
     of the line: "第1 評価の概要", "第２、", "第三 " (so "第3回" does not split);
   - a bullet: ・ ● ○ ■ ◆.

   Nested markers ((1) and then ア under it) each start a span. A marker in the middle of a line never
   splits: a split only ever happens at the start of a line.
3. A new span also starts at the first non-blank line after one or more blank lines (empty or
   whitespace-only), when some non-blank text came before.
4. The blank lines and whitespace between spans stay at the end of the span before; whitespace before
   the first non-blank line belongs to the first span. So the spans cover the whole text exactly, in
   order, none empty. A text with no marker and no blank line is one span; the empty text has none.

``Span.marker`` is the marker that opens the span, without its indentation or a following space
("（１）", "1.", "ア", "・", "第1"), and "" when the span opens at a paragraph break or at the start of
the text without a marker.

``suggest_kind`` and ``looks_like_greeting`` are heuristics for pre-filling the form: the kind of an
item and whether a span is "not an opinion". They are guesses from a few fixed phrases; staff check and
change every one of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Any whitespace but a line break: spaces, tabs, U+3000, no-break spaces.
_INDENT = re.compile(r"[^\S\r\n]*")

_NUMBER = "[1-9１-９][0-9０-９]?"
_KANJI_NUMBER = "(?:[二三四五六七八九]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_KATAKANA = "[アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン]"
_SPACE_OR_END = r"(?=[^\S\r\n]|\Z)"
_MARKER = re.compile(
    rf"""
    [(（](?:{_NUMBER}|{_KANJI_NUMBER}|{_KATAKANA})[)）]
    | [\u2460-\u2473\u3251-\u325f\u32b1-\u32bf]
    | [\u2474-\u249b\u3220-\u3229]
    | 第(?:{_NUMBER}|{_KANJI_NUMBER})(?:、|{_SPACE_OR_END})
    | {_NUMBER}[.．)）、](?![0-9０-９])
    | {_KANJI_NUMBER}[、．]
    | {_KATAKANA}(?:[.．、]|{_SPACE_OR_END})
    | [・●○■◆]
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Span:
    """A proposed item: ``text[start:end]``, opened by ``marker`` ("" at a paragraph break or the text's start)."""

    start: int
    end: int
    marker: str


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line's content, line breaks excluded; a text ending in a break ends with an empty line."""
    lines = []
    start = 0
    for line_break in _LINE_BREAK.finditer(text):
        lines.append((start, line_break.start()))
        start = line_break.end()
    lines.append((start, len(text)))
    return lines


def _line_marker(line: str) -> str:
    """The numbered marker or bullet that opens ``line`` after its indentation, or "" when there is none."""
    found = _MARKER.match(line, _INDENT.match(line).end())
    return found.group() if found else ""


def propose_spans(text: str) -> list[Span]:
    """Spans that together cover the whole text exactly, in order, split before each numbered marker at the
    start of a line and at blank-line paragraph breaks, by the rule in the module docstring."""
    if not text:
        return []
    first_marker = ""
    starts: list[tuple[int, str]] = []
    seen_text = False
    after_blank = False
    for start, end in _lines(text):
        line = text[start:end]
        if not line.strip():
            after_blank = seen_text
            continue
        marker = _line_marker(line)
        if not seen_text:
            first_marker = marker
            seen_text = True
        elif marker or after_blank:
            starts.append((start, marker))
        after_blank = False
    starts.insert(0, (0, first_marker))
    ends = [start for start, _ in starts[1:]] + [len(text)]
    return [Span(start, end, marker) for (start, marker), end in zip(starts, ends, strict=True)]


def spans_are_valid(text_length: int, spans: list[tuple[int, int]]) -> bool:
    """Whether ``spans`` are sorted, non-overlapping, non-empty and inside ``[0, text_length]``.

    Touching spans ((0, 5), (5, 9)) are fine; gaps are allowed here and reported by ``coverage_gaps``.
    """
    previous_end = 0
    for start, end in spans:
        if not previous_end <= start < end <= text_length:
            return False
        previous_end = end
    return True


def coverage_gaps(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of the text in no span, ignoring gaps made only of whitespace; [] means fully covered.

    Each gap is trimmed of the whitespace at its ends, so it starts and ends on a visible character and
    can be shown or made into an item as it is. Spans are taken as a union: their order and any overlap
    do not matter here (``spans_are_valid`` judges those), and parts outside the text are ignored.
    """
    gaps: list[tuple[int, int]] = []
    position = 0
    for start, end in [*sorted(spans), (len(text), len(text))]:
        if start > position:
            gap = text[position:start]
            stripped = gap.strip()
            if stripped:
                gap_start = position + len(gap) - len(gap.lstrip())
                gaps.append((gap_start, gap_start + len(stripped)))
        position = min(max(position, end), len(text))
    return gaps


# Stripped from the end before looking for a question form; "？" and "?" are not, they are the form.
_TRAILING = "。．.、，,！!」』)）】〕…‥"
_QUESTION_ENDINGS = (
    "？",
    "?",
    "か",
    "ですか",
    "でしょうか",
    "教えてください",
    "教えて下さい",
    "伺いたい",
    "伺いたいです",
    "伺います",
    "説明されたい",
    "説明願います",
    "説明してください",
    "説明して下さい",
)
# Words ending in か that are not a question: 明らか, 速やか, わずか, ほか, 何か ...
_NOT_QUESTION_ENDINGS = (
    "ほか",
    "わずか",
    "らか",
    "やか",
    "確か",
    "豊か",
    "静か",
    "どこか",
    "いつか",
    "何か",
    "誰か",
    "だれか",
    "なにか",
)
_REQUEST_WORDS = (
    "要望",
    "してほしい",
    "して欲しい",
    "されたい",
    "求める",
    "求めます",
    "願います",
    "願いたい",
    "をお願い",
    "ください",
    "下さい",
    "いただきたい",
    "頂きたい",
    "もらいたい",
)


def _without_closing(text: str) -> str:
    """``text`` without trailing whitespace and without a closing 以上 (or 以上です) on its own last line."""
    text = text.rstrip()
    for closing in ("以上です", "以上"):
        if text.rstrip("。．.").endswith(closing):
            before = text.rstrip("。．.")[: -len(closing)].rstrip(" \t\u3000")
            if not before or before.endswith(("\n", "\r")):
                return before.rstrip()
    return text


def suggest_kind(segment_text: str) -> str:
    """A first guess at the kind of item ``segment_text`` would be: "question", "request" or "opinion".

    A question when the segment ends (after whitespace, closing punctuation such as 。 and a final 以上)
    with a question form: か, ？, ?, ですか, でしょうか, 教えてください, 伺いたい, 説明されたい and the
    like. Otherwise a request when it contains 要望, してほしい, されたい, 求める, 願います, ください or
    the like. Otherwise an opinion. A heuristic: staff confirm or change it.
    """
    # A closing 以上 on its own line ends many submissions and would hide the question form before it.
    ending = _without_closing(segment_text).rstrip(_TRAILING).rstrip()
    if ending.endswith(_QUESTION_ENDINGS) and not ending.endswith(_NOT_QUESTION_ENDINGS):
        return "question"
    if any(word in segment_text for word in _REQUEST_WORDS):
        return "request"
    return "opinion"


_GREETING_PHRASES = (
    "お世話になっております",
    "お世話になります",
    "お世話様です",
    "よろしくお願い",
    "宜しくお願い",
    "よろしく御願い",
)
_ADDRESSEE_ENDINGS = ("御中", "様", "殿")
_CONTACT_LINE = re.compile(
    r"(?:〒|(?:TEL|Tel|tel|電話|FAX|Fax|fax|ファクス|ファックス|E-?mail|e-?mail|メール)\s*[:：]?)"
)
_EMAIL = re.compile(r"\S+@\S+\.\S+")
# A name is letters with spaces or a middle dot between them, at most 20 characters: 山田 太郎, ジョン・スミス.
_NAME_LIKE = re.compile(r"[^\W\d_]+(?:[\s・･.][^\W\d_]+)*")
# Grammar that a short heading or sentence has and a name has not.
_NOT_IN_NAMES = (
    "について",
    "に関",
    "です",
    "ます",
    "する",
    "した",
    "ない",
    "ある",
    "いる",
    "こと",
    "ため",
    "から",
    "まで",
)
_GREETING_MAX_CHARS = 120


def _is_greeting_sentence(sentence: str) -> bool:
    text = sentence.strip().rstrip(_TRAILING).strip()
    if text in ("", "以上", "以上です"):
        return True
    if len(text) <= 40 and text.endswith(_ADDRESSEE_ENDINGS):
        return True
    if len(text) <= 60 and any(phrase in text for phrase in _GREETING_PHRASES):
        return True
    return len(text) <= 60 and (_CONTACT_LINE.match(text) is not None or _EMAIL.fullmatch(text) is not None)


def _is_greeting_line(line: str) -> bool:
    """Whether every sentence of ``line`` is a greeting, or the line (with no 。) is a name."""
    if "。" in line:
        return all(_is_greeting_sentence(sentence) for sentence in line.split("。"))
    text = line.strip().rstrip(_TRAILING).strip()
    return _is_greeting_sentence(text) or (
        len(text) <= 20 and _NAME_LIKE.fullmatch(text) is not None and not any(word in text for word in _NOT_IN_NAMES)
    )


def looks_like_greeting(segment_text: str) -> bool:
    """Whether ``segment_text`` looks like a salutation or a signature, to pre-mark it "not an opinion".

    True when the segment is short (at most 120 characters without surrounding whitespace) and every
    line, and every sentence (ending in 。) of a line, is one of: an addressee ending in 御中, 様 or 殿 ("千葉市長 様"); a line with
    お世話になっております, よろしくお願いいたします or the like; 以上; a postcode, telephone, fax or
    e-mail line of a signature; or a name-like run of letters of at most 20 characters with no 。 and
    no grammar such as について or です ("山田 太郎"). A whitespace-only segment is not an opinion either.
    A heuristic: a short heading alone on its line looks like a name, and staff unmark it.
    """
    stripped = segment_text.strip()
    if len(stripped) > _GREETING_MAX_CHARS:
        return False
    return all(_is_greeting_line(line) for line in _LINE_BREAK.split(stripped))
