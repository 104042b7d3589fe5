"""Items, groups, assignment and the response workflow at the domain level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from comments.domain.audit import Actor
from comments.domain.responses import (
    ResponseError,
    apply_template,
    approve,
    comment,
    compare_revisions,
    response_for,
    save_draft,
    submit_for_review,
)
from comments.domain.triage import (
    ItemDraft,
    TriageError,
    add_item,
    assign_items,
    carry_over,
    group_items,
    mark_not_an_opinion,
    untriaged_parts,
)
from comments.extensions import db
from comments.models import (
    Department,
    Item,
    ItemKind,
    ResponseCategory,
    ResponseState,
    ResponseTemplate,
    Submission,
)
from comments.permissions import Role
from comments.text_diff import DiffOp
from tests.factories import make_consultation, make_items, make_submission, make_user

ACTOR = Actor("test")
TEXT = "事務局 御中\n\n（１）委託先の数を教えてください。\n（２）再委託の有無を明記すべきです。\n\n以上"


@pytest.fixture
def clerk():
    return make_user(Role.secretariat)


@pytest.fixture
def submission() -> Submission:
    return make_submission(make_consultation(), body=TEXT)


def span_of(text: str, part: str) -> tuple[int, int]:
    start = TEXT.index(part)
    return start, start + len(part)


def test_a_submission_is_fully_triaged_once_every_part_is_an_item_or_marked(submission, clerk):
    assert untriaged_parts(submission) == [(0, len(TEXT))]
    first = add_item(
        submission,
        ItemDraft(*span_of(TEXT, "（１）委託先の数を教えてください。"), ItemKind.question, "委託先の数"),
        created_by=clerk,
        actor=ACTOR,
    )
    second = add_item(
        submission,
        ItemDraft(*span_of(TEXT, "（２）再委託の有無を明記すべきです。"), ItemKind.opinion, "再委託の有無の明記"),
        created_by=clerk,
        actor=ACTOR,
    )
    assert (first.number, second.number) == (1, 2)
    assert untriaged_parts(submission) != []
    mark_not_an_opinion(submission, *span_of(TEXT, "事務局 御中"), note="宛名", created_by=clerk, actor=ACTOR)
    assert untriaged_parts(submission) == [span_of(TEXT, "以上")]
    mark_not_an_opinion(submission, *span_of(TEXT, "以上"), note="結び", created_by=clerk, actor=ACTOR)
    assert untriaged_parts(submission) == []
    assert db.session.get(Submission, submission.id).body == TEXT  # the original is never changed


@pytest.mark.parametrize(("start", "end"), [(-1, 3), (5, 5), (0, len(TEXT) + 1)])
def test_a_span_outside_the_text_is_refused(submission, clerk, start, end):
    with pytest.raises(TriageError):
        add_item(submission, ItemDraft(start, end, ItemKind.opinion, "要旨"), created_by=clerk, actor=ACTOR)


def test_overlapping_parts_and_an_empty_gist_are_refused(submission, clerk):
    start, end = span_of(TEXT, "（１）委託先の数を教えてください。")
    add_item(submission, ItemDraft(start, end, ItemKind.question, "委託先"), created_by=clerk, actor=ACTOR)
    with pytest.raises(TriageError):
        add_item(submission, ItemDraft(start + 2, end + 4, ItemKind.opinion, "重なり"), created_by=clerk, actor=ACTOR)
    with pytest.raises(TriageError):
        mark_not_an_opinion(submission, start, start + 1, note="", created_by=clerk, actor=ACTOR)
    later = span_of(TEXT, "（２）再委託の有無を明記すべきです。")
    with pytest.raises(TriageError):
        add_item(submission, ItemDraft(*later, ItemKind.opinion, "   "), created_by=clerk, actor=ACTOR)


def _items(count: int, clerk) -> list[Item]:
    gists = [f"マイナンバーの安全管理を徹底すべきです。{number}" for number in range(count)]
    return make_items(make_consultation(), clerk, *gists)


def test_a_group_keeps_every_item_and_is_answered_once(clerk):
    items = _items(3, clerk)
    group = group_items(items, gist="安全管理の徹底を求める意見", created_by=clerk, actor=ACTOR)
    assert [item.number for item in group.items] == [1, 2, 3]
    assert response_for(items[0]) is response_for(items[2])
    assert response_for(items[1]).group_id == group.id
    assert db.session.scalar(select(db.func.count()).select_from(Item)) == 3  # nothing dropped (R06)
    with pytest.raises(TriageError):
        group_items(items[:1], gist="一件", created_by=clerk, actor=ACTOR)


def test_an_item_with_its_own_response_is_not_grouped_silently(clerk):
    items = _items(2, clerk)
    save_draft(
        response_for(items[0]),
        body="回答",
        category=ResponseCategory.answered,
        change_made="",
        author=clerk,
        actor=ACTOR,
    )
    with pytest.raises(TriageError):
        group_items(items, gist="まとめ", created_by=clerk, actor=ACTOR)


def test_assignment_and_carry_over(clerk):
    items = _items(2, clerk)
    department = Department(name="健康保険課テスト")
    db.session.add(department)
    db.session.flush()
    due = (datetime.now(UTC) + timedelta(days=7)).date()
    assign_items(items, department, due_on=due, actor=ACTOR)
    assert {(item.department_id, item.due_on) for item in items} == {(department.id, due)}
    with pytest.raises(TriageError):
        assign_items(items, department, due_on=due - timedelta(days=30), actor=ACTOR)
    with pytest.raises(TriageError):
        carry_over(items[0], reason=" ", actor=ACTOR)
    carry_over(items[0], reason="国の回答待ち", actor=ACTOR)
    assert items[0].carried_over_reason == "国の回答待ち"


def test_drafted_reviewed_and_approved_by_another_person_with_every_revision_kept(clerk):
    [item] = _items(1, clerk)
    drafter = make_user(Role.department_staff)
    response = response_for(item)
    save_draft(response, body="第一稿", category=None, change_made="", author=drafter, actor=ACTOR)
    with pytest.raises(ResponseError):
        submit_for_review(response, actor=ACTOR)  # no category yet
    save_draft(
        response,
        body="第二稿\n追記",
        category=ResponseCategory.reflected,
        change_made="III-2に追記",
        author=drafter,
        actor=ACTOR,
    )
    assert [r.number for r in response.revisions] == [1, 2]
    comparison = compare_revisions(*response.revisions)
    # Character by character; the one unchanged character between two changes is shown as part of them.
    assert comparison.body == [DiffOp("equal", "第"), DiffOp("delete", "一稿"), DiffOp("insert", "二稿\n追記")]
    assert comparison.change_made == [DiffOp("insert", "III-2に追記")]
    assert (comparison.old_category, comparison.new_category) == (None, ResponseCategory.reflected)
    submit_for_review(response, actor=ACTOR)
    comment(response, body="根拠条文を追記してください", author=clerk, actor=ACTOR)
    recent = datetime.now(UTC)
    with pytest.raises(ResponseError):
        approve(response, approver=drafter, reauthenticated_at=recent, actor=ACTOR)  # R25: not the last author
    with pytest.raises(ResponseError):
        approve(response, approver=clerk, reauthenticated_at=None, actor=ACTOR)  # R27: re-authenticate
    with pytest.raises(ResponseError):
        approve(response, approver=clerk, reauthenticated_at=recent - timedelta(hours=1), actor=ACTOR)
    approve(response, approver=clerk, reauthenticated_at=recent, actor=ACTOR)
    assert response.state == ResponseState.approved
    # An edit after approval returns it to drafting, and the approval is gone.
    save_draft(
        response,
        body="第三稿",
        category=ResponseCategory.reflected,
        change_made="III-2に追記",
        author=clerk,
        actor=ACTOR,
    )
    assert (response.state, response.approved_by_id) == (ResponseState.drafting, None)
    submit_for_review(response, actor=ACTOR)
    with pytest.raises(ResponseError):
        approve(response, approver=clerk, reauthenticated_at=recent, actor=ACTOR)  # clerk wrote the last one


def test_a_frozen_clock_holds_for_the_domain_and_the_column_defaults(clerk, frozen_clock):
    """One clock: frozen on the day of the 2015 inspection meeting, approval and every stamp agree with it."""
    from comments import clock

    meeting_day = datetime(2015, 8, 6, 10, 0, tzinfo=UTC)
    frozen_clock.set(meeting_day)
    [item] = _items(1, clerk)
    response = response_for(item)
    drafter = make_user(Role.department_staff)
    revision = save_draft(
        response, body="回答", category=ResponseCategory.answered, change_made="", author=drafter, actor=ACTOR
    )
    submit_for_review(response, actor=ACTOR)
    approve(response, approver=clerk, reauthenticated_at=clock.now(), actor=ACTOR)
    db.session.flush()
    assert (response.state, response.approved_at) == (ResponseState.approved, meeting_day)
    assert (item.created_at, revision.created_at) == (meeting_day, meeting_day)


def test_reflected_needs_the_change_made(clerk):
    [item] = _items(1, clerk)
    with pytest.raises(ResponseError):
        save_draft(
            response_for(item),
            body="反映します",
            category=ResponseCategory.reflected,
            change_made="",
            author=clerk,
            actor=ACTOR,
        )


def test_a_template_applies_to_many_items_and_reports_each(clerk):
    items = _items(3, clerk)
    other = _items(1, clerk)[0]
    template = ResponseTemplate(
        consultation_id=items[0].consultation_id,
        title="既に記載",
        body="ご指摘の点は評価書III-2に記載しています。",
        category=ResponseCategory.already_covered,
    )
    db.session.add(template)
    db.session.flush()
    approved = response_for(items[2])
    save_draft(approved, body="個別回答", category=ResponseCategory.answered, change_made="", author=clerk, actor=ACTOR)
    submit_for_review(approved, actor=ACTOR)
    approve(approved, approver=make_user(Role.secretariat), reauthenticated_at=datetime.now(UTC), actor=ACTOR)
    results = apply_template(template, [*items, other], author=clerk, actor=ACTOR)
    assert [result.applied for result in results] == [True, True, False, False]
    assert response_for(items[0]).body == template.body
    assert response_for(items[2]).body == "個別回答"


def test_an_inquiry_to_the_ministry_and_its_confidential_answer(clerk):
    from datetime import date

    from comments.domain.inquiries import InquiryError, record_answer, record_inquiry

    items = _items(2, clerk)
    with pytest.raises(InquiryError):
        record_inquiry(
            [],
            body_name="総務省",
            question="q",
            sent_on=date(2015, 8, 1),
            sent_how="メール",
            created_by=clerk,
            actor=ACTOR,
        )
    inquiry = record_inquiry(
        items,
        body_name="総務省",
        question="中間サーバーの暗号化方式について",
        sent_on=date(2015, 8, 1),
        sent_how="メール",
        created_by=clerk,
        actor=ACTOR,
    )
    assert [item.number for item in inquiry.items] == [1, 2]
    with pytest.raises(InquiryError):
        record_answer(inquiry, answer="回答", answered_on=date(2015, 7, 1), public=False, actor=ACTOR)
    record_answer(inquiry, answer="非公開の回答", answered_on=date(2015, 9, 1), public=False, actor=ACTOR)
    assert (inquiry.answer, inquiry.answer_public) == ("非公開の回答", False)


def test_a_carried_over_item_is_never_overdue_in_the_queue(clerk):
    from comments.domain.responses import OVERDUE, QueueFilters, response_queue

    items = _items(2, clerk)
    department = Department(name="期限テスト課")
    db.session.add(department)
    db.session.flush()
    today = datetime.now(UTC).date()
    for item in items:
        item.department_id, item.due_on = department.id, today - timedelta(days=3)
    carry_over(items[1], reason="次回の部会で説明", actor=ACTOR)
    rows = response_queue(clerk, QueueFilters(due=OVERDUE), today=today)
    assert [(row.item.id, row.overdue) for row in rows] == [(items[0].id, True)]
