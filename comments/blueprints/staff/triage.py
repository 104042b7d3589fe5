"""Back-office views: the secretariat's triage of one submission, split into items and parts that are not an
opinion, from the split points the service proposes and those staff make after any sentence.

The page shows the submission's text, never who wrote it: no submitter's name, address or e-mail is read here.
"""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from comments.blueprints.actors import request_actor
from comments.blueprints.staff import bp
from comments.blueprints.staff.triage_forms import GIST_PREFILL_CHARS, NO_SECTION, ItemForm, NotOpinionForm
from comments.blueprints.views import load, post_change
from comments.domain import triage as operations
from comments.domain.paper import late_decision_of
from comments.domain.sections import section_choices
from comments.domain.splitting import looks_like_greeting, suggest_kind
from comments.models import ItemKind, Submission
from comments.permissions import Permission, require

# Domain errors name the stored attribute; the item form names what staff chose.
FORM_FIELD = {"section_id": "section"}


def _joins_from_text(text: str | None) -> list[int]:
    return sorted({int(value) for value in (text or "").split(",") if _is_number(value)})


def _is_number(value: str) -> bool:
    """ASCII digits only, and few enough that int() takes them (a form's hidden field may hold anything)."""
    return value.isascii() and value.isdigit() and len(value) <= 9


def _joins_text(joins: list[int]) -> str:
    return ",".join(str(index) for index in joins)


# At most this many "split after this sentence" choices are kept, as the hidden field carries at most these.
MAX_SPLITS = 200
# How much of a sentence names it in its "split after" link.
SENTENCE_NAME_CHARS = 20


def _splits_of(submission: Submission, values: list[int]) -> list[int]:
    """The split offsets that can mean something in the submission's text (inside it), sorted, at most 200."""
    return sorted({value for value in values if 0 < value < len(submission.body)})[:MAX_SPLITS]


def _splits_from_text(submission: Submission, text: str | None) -> list[int]:
    return _splits_of(submission, [int(value) for value in (text or "").split(",") if _is_number(value)])


def _sentence_name(sentence: str) -> str:
    sentence = " ".join(sentence.split())
    return sentence if len(sentence) <= SENTENCE_NAME_CHARS else sentence[:SENTENCE_NAME_CHARS] + "…"


def _item_form(
    submission: Submission, text: str, start: int, end: int, joins: list[int], splits: list[int]
) -> ItemForm:
    return ItemForm(
        formdata=None,
        kind=suggest_kind(text),
        gist=text.strip()[:GIST_PREFILL_CHARS],
        section=submission.section_id or NO_SECTION,
        start=start,
        end=end,
        joins=_joins_text(joins),
        splits=_joins_text(splits),
    )


def _render_triage(
    submission: Submission,
    joins: list[int],
    splits: list[int],
    *,
    failed: ItemForm | NotOpinionForm | None = None,
):
    """The triage page: the text as items, marked parts and proposed parts, each of the last with its forms.

    After a refused POST, the form that asked takes the place of the fresh one of its part, with its errors;
    its errors are also listed at the top, which is all there is when its part is no longer on the page.
    """
    sections = section_choices(submission.consultation)
    text = submission.body
    views = []
    for index, part in enumerate(operations.triage_parts(submission, joins, splits)):
        view = {"part": part, "text": text[part.start : part.end], "index": index}
        if part.untriaged:
            item_form = _item_form(submission, view["text"], part.start, part.end, joins, splits)
            mark_form = NotOpinionForm(
                formdata=None,
                confirm=looks_like_greeting(view["text"]),
                start=part.start,
                end=part.end,
                joins=_joins_text(joins),
                splits=_joins_text(splits),
            )
            if failed is not None and (failed.start.data, failed.end.data) == (part.start, part.end):
                if isinstance(failed, ItemForm):
                    item_form = failed
                else:
                    mark_form = failed
            item_form.offer_sections(sections)
            item_form.give_ids(f"part-{index}-item")
            mark_form.give_ids(f"part-{index}-mark")
            view.update(
                item_form=item_form,
                mark_form=mark_form,
                greeting=looks_like_greeting(view["text"]),
                join_url=url_for(
                    "staff.triage_submission",
                    submission_id=submission.id,
                    join=sorted({*joins, part.join_index} - {None}),
                    split=[offset for offset in splits if offset != part.split_at],
                )
                if part.join_index is not None or part.split_at is not None
                else None,
                split_links=[
                    (
                        url_for(
                            "staff.triage_submission",
                            submission_id=submission.id,
                            join=joins,
                            split=sorted({*splits, offset}),
                        ),
                        _sentence_name(sentence),
                    )
                    for offset, sentence in operations.sentence_cuts(text, part.start, part.end)
                ]
                if len(splits) < MAX_SPLITS
                else [],
            )
        views.append(view)
    return render_template(
        "staff/triage_submission.html",
        submission=submission,
        decision=late_decision_of(submission),
        views=views,
        untriaged=[(start, end, text[start:end]) for start, end in operations.untriaged_parts(submission)],
        joins=joins,
        splits=splits,
        failed=failed,
    )


@bp.get("/submissions/<int:submission_id>/triage")
@require(Permission.consultation_manage)
def triage_submission(submission_id: int):
    """Split a submission into items and parts that are not an opinion, starting from proposed split points.

    ``?join=<index>`` (repeated) merges a proposed part with the next one, and ``?split=<offset>`` (repeated)
    cuts an untriaged part at that character offset (after a sentence): a view of the page, nothing stored.
    Values that are not numbers, or outside the text, are ignored.
    """
    submission = load(Submission, submission_id)
    splits = _splits_of(submission, [int(value) for value in request.args.getlist("split") if _is_number(value)])
    return _render_triage(submission, sorted(set(request.args.getlist("join", type=int))), splits)


def _triage_url(submission_id: int, joins: list[int], splits: list[int]) -> str:
    return url_for("staff.triage_submission", submission_id=submission_id, join=joins, split=splits)


@bp.post("/submissions/<int:submission_id>/items")
@require(Permission.consultation_manage)
def add_item(submission_id: int):
    """Make an item of a part of the submission, numbered next in its consultation."""
    submission = load(Submission, submission_id)
    form = ItemForm()
    form.offer_sections(section_choices(submission.consultation))
    joins = _joins_from_text(form.joins.data)
    splits = _splits_from_text(submission, form.splits.data)
    return post_change(
        form,
        lambda: operations.add_item(
            submission,
            operations.ItemDraft(
                start=form.start.data,
                end=form.end.data,
                kind=ItemKind(form.kind.data),
                gist=form.gist.data,
                section_id=form.section.data or None,
            ),
            created_by=current_user,
            actor=request_actor(),
        ),
        page=lambda: _render_triage(submission, joins, splits, failed=form),
        lock=[submission],
        renamed=FORM_FIELD,
        then=_triage_url(submission_id, joins, splits),
        done=lambda item: _l("Item %(number)d is made.", number=item.number),
    )


@bp.post("/submissions/<int:submission_id>/not-opinion")
@require(Permission.consultation_manage)
def mark_not_opinion(submission_id: int):
    """Mark a part of the submission as not an opinion (a greeting, a signature), with a note."""
    submission = load(Submission, submission_id)
    form = NotOpinionForm()
    joins = _joins_from_text(form.joins.data)
    splits = _splits_from_text(submission, form.splits.data)
    return post_change(
        form,
        lambda: operations.mark_not_an_opinion(
            submission,
            form.start.data,
            form.end.data,
            note=form.note.data,
            created_by=current_user,
            actor=request_actor(),
        ),
        page=lambda: _render_triage(submission, joins, splits, failed=form),
        lock=[submission],
        then=_triage_url(submission_id, joins, splits),
        done=_l("The part is marked as not an opinion."),
    )
