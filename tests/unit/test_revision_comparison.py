"""The 新旧対照 of two revisions of a response: character by character, as reviewers read it."""

from __future__ import annotations

from comments.domain.responses import compare_revisions
from comments.models import ResponseCategory, ResponseRevision
from comments.text_diff import DiffOp

PARAGRAPH = (
    "本市では、特定個人情報保護評価の実施に当たり、市民の皆様から広くご意見を募集しました。"
    "いただいたご意見は、内容ごとに整理し、市の考え方を示した上で公表いたします。"
)


def revision(body: str, *, category=None, change_made: str = "") -> ResponseRevision:
    return ResponseRevision(body=body, category=category, change_made=change_made)


def test_one_character_changed_in_a_paragraph_marks_that_character_only():
    """A Japanese paragraph is one line: a line comparison would mark all of it for one character."""
    old = revision(PARAGRAPH)
    new = revision(PARAGRAPH.replace("整理し", "分類し"))
    comparison = compare_revisions(old, new)
    at = PARAGRAPH.index("整理")
    assert comparison.body == [
        DiffOp("equal", PARAGRAPH[:at]),
        DiffOp("delete", "整理"),
        DiffOp("insert", "分類"),
        DiffOp("equal", PARAGRAPH[at + 2 :]),
    ]
    assert comparison.body_changed and not comparison.change_made_changed and not comparison.category_changed
    assert not comparison.same


def test_the_change_made_and_the_category_are_compared_too():
    old = revision(PARAGRAPH, category=ResponseCategory.reference)
    new = revision(PARAGRAPH, category=ResponseCategory.reflected, change_made="III-3に追記")
    comparison = compare_revisions(old, new)
    assert comparison.body == [DiffOp("equal", PARAGRAPH)]
    assert comparison.change_made == [DiffOp("insert", "III-3に追記")]
    assert (comparison.old_category, comparison.new_category) == (
        ResponseCategory.reference,
        ResponseCategory.reflected,
    )
    assert not comparison.body_changed and comparison.change_made_changed and comparison.category_changed


def test_a_revision_compared_with_itself_is_the_same():
    saved = revision(PARAGRAPH, category=ResponseCategory.answered, change_made="なし")
    assert compare_revisions(saved, saved).same
    assert compare_revisions(revision(""), revision("")).same
