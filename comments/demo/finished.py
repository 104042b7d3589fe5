"""The demo's second consultation, taken through every later stage: the period closed, the opinions
triaged, responses drafted by the department and approved by its head, an inquiry to the ministry with a
confidential answer, the meeting's final packet, the committee's inspection, the results published and one
line corrected. So a newcomer sees each state on the pages, next to the open demo consultation.

Every step goes through the domain functions the pages call, with the demo accounts as the actors, so the
demo keeps every rule the service keeps (it refuses to build out of order, as the pages do).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from comments import clock
from comments.domain.accounting import account_for_submissions
from comments.domain.audit import Actor, record_event
from comments.domain.committee import submit_member_question
from comments.domain.consultations import begin_responses, close_consultation, open_consultation, record_inspection
from comments.domain.deadlines import end_of_day, start_of_day
from comments.domain.departments import department_named
from comments.domain.inquiries import record_answer, record_inquiry
from comments.domain.intake import SubmissionDraft, accept_submission
from comments.domain.meetings import create_meeting, record_packet_export
from comments.domain.packet import build_packet
from comments.domain.publication import correct_published_entry, prepare_results, publish_results
from comments.domain.responses import approve, response_for, save_draft, submit_for_review
from comments.domain.triage import ItemDraft, add_item, assign_items, group_items, mark_not_an_opinion
from comments.extensions import db
from comments.models import (
    Channel,
    Consultation,
    ConsultationStatus,
    ItemKind,
    ResponseCategory,
    Section,
    SubmitterKind,
    User,
)
from comments.storage import BlobStore

FINISHED_SLUG = "kokumin-kenko-hoken-2015"
FINISHED_TITLE = "特定個人情報保護評価書（全項目評価書）（案）国民健康保険事務（結果公表済みの例）"
DEPARTMENT = "保健福祉局健康部健康保険課"

SECTIONS = [
    ("I-1", "特定個人情報ファイルを取り扱う事務", 3, "国民健康保険の資格管理、保険料の賦課・徴収及び給付の事務。"),
    ("III-2", "特定個人情報の入手", 18, "届出書及び情報提供ネットワークシステムを通じて入手する。"),
    ("III-6", "特定個人情報の保管・消去", 31, "保存期間経過後は、システムから消去し、記録媒体は物理的に破壊する。"),
]
GREETING = "いつもお世話になっております。"
# (text, section index or None, gist); the first two say the same thing and are grouped.
OPINIONS = [
    (
        "記録媒体の廃棄は、委託先任せにせず、市の職員が立ち会って確認すべきです。",
        2,
        "記録媒体の廃棄に市職員が立ち会うべき",
    ),
    (
        "媒体を物理破壊するときは、市の職員が立ち会うことを評価書に書いてください。",
        2,
        "記録媒体の物理破壊への職員の立会いを記載すべき",
    ),
    (
        "届出書を窓口で受け付ける際の本人確認の方法を具体的に示してほしい。",
        1,
        "窓口での本人確認の方法を具体的に示すべき",
    ),
]
MEMBER_QUESTION = "情報提供ネットワークシステムとの接続で、中間サーバーの運用主体はどこになるのか伺いたい。"


def _users(*emails: str) -> list[User]:
    found = {user.email: user for user in db.session.scalars(select(User).where(User.email.in_(emails)))}
    return [found[email] for email in emails]


def seed_finished_demo(blob_store: BlobStore, actor: Actor) -> tuple[Consultation | None, bool]:
    """Create the finished demo consultation unless it exists (needs the demo accounts); return it and
    whether it was created. The server's clock is moved to the day of each step while it is taken (and put
    back), so every step happens on a day the rules allow and the audit trail shows a believable story."""
    existing = db.session.execute(select(Consultation).where(Consultation.slug == FINISHED_SLUG)).scalar_one_or_none()
    if existing is not None:
        return existing, False
    previous = clock.set_source(None)
    try:
        return _seed(blob_store, actor), True
    finally:
        clock.set_source(previous)


def _on(day, hour: int = 10) -> None:
    """Move the server's clock to ``hour`` o'clock, Japan time, on ``day``."""
    instant = datetime.combine(day, datetime.min.time()).replace(hour=hour, tzinfo=clock.JAPAN)
    clock.set_source(lambda: instant)


def _seed(blob_store: BlobStore, actor: Actor) -> Consultation:
    clerk, drafter, head, member = _users(
        "jimukyoku@example.jp", "kenkohoken@example.jp", "kenkohoken-kacho@example.jp", "iin@example.jp"
    )
    today = clock.japan_today()
    opens_on, closes_on = today - timedelta(days=75), today - timedelta(days=46)
    department = department_named(DEPARTMENT)
    consultation = Consultation(
        slug=FINISHED_SLUG,
        title=FINISHED_TITLE,
        affair="国民健康保険事務",
        system_name="国民健康保険システム",
        department=department,
        evaluation_group="第1グループ",
        summary="意見募集から結果の公表までを終えた案件の例です（デモ）。",
        status=ConsultationStatus.draft,
        opens_at=start_of_day(opens_on),
        closes_at=end_of_day(closes_on),
    )
    for position, (number, heading, page, body) in enumerate(SECTIONS, start=1):
        consultation.sections.append(Section(position=position, number=number, heading=heading, page=page, body=body))
    db.session.add(consultation)
    db.session.flush()
    record_event(actor, "consultation.seeded", consultation, sections=len(SECTIONS))
    _on(opens_on, 9)
    open_consultation(consultation, actor)

    # The comment period: three citizens and a committee member's question.
    received = datetime.combine(opens_on + timedelta(days=10), datetime.min.time()).replace(tzinfo=clock.JAPAN)
    submissions = []
    for number, (text, _section, _gist) in enumerate(OPINIONS):
        body = (GREETING if number == 0 else "") + text
        draft = SubmissionDraft(body=body, submitter_kind=SubmitterKind.citizen, consented=True)
        accepted = accept_submission(
            consultation,
            draft,
            received_at=received + timedelta(hours=number),
            actor=actor,
            blob_store=blob_store,
        )
        submissions.append(accepted.submission)
    question = submit_member_question(
        consultation,
        member,
        body=MEMBER_QUESTION,
        section_id=consultation.sections[1].id,
        channel=Channel.web,
        files=[],
        received_at=received + timedelta(days=2),
        actor=actor,
        blob_store=blob_store,
    ).submission

    # After the deadline: closed, triaged, grouped, assigned, answered, approved by the head of the department.
    _on(closes_on + timedelta(days=1))
    close_consultation(consultation, actor)
    begin_responses(consultation, actor)
    mark_not_an_opinion(submissions[0], 0, len(GREETING), note="挨拶", created_by=clerk, actor=actor)
    items = []
    for submission, (text, section, gist) in zip(submissions, OPINIONS, strict=True):
        start = submission.body.index(text)
        items.append(
            add_item(
                submission,
                ItemDraft(start, start + len(text), ItemKind.opinion, gist, consultation.sections[section].id),
                created_by=clerk,
                actor=actor,
            )
        )
    question_item = add_item(
        question,
        ItemDraft(0, len(MEMBER_QUESTION), ItemKind.question, "中間サーバーの運用主体", consultation.sections[1].id),
        created_by=clerk,
        actor=actor,
    )
    group = group_items(items[:2], gist="記録媒体の廃棄・破壊に市職員が立ち会うべき", created_by=clerk, actor=actor)
    assign_items([*items, question_item], department, due_on=closes_on + timedelta(days=14), actor=actor)
    inquiry = record_inquiry(
        [question_item],
        body_name="総務省",
        question="中間サーバーの運用主体について",
        sent_on=closes_on + timedelta(days=2),
        sent_how="電子メール",
        created_by=clerk,
        actor=actor,
    )
    record_answer(
        inquiry,
        answer="地方公共団体情報システム機構が運用する（非公開の回答）。",
        answered_on=closes_on + timedelta(days=9),
        public=False,
        actor=actor,
    )
    answers = [
        (group, "ご意見を踏まえ、記録媒体の物理破壊には市職員が立ち会う旨を追記します。", ResponseCategory.reflected),
        (
            items[2],
            "本人確認は、個人番号カード又は通知カードと身元確認書類により行う旨を記載しています。",
            ResponseCategory.already_covered,
        ),
        (question_item, "中間サーバーは、国が示す方針に基づき共同で運用されます。", ResponseCategory.answered),
    ]
    for target, body, category in answers:
        response = response_for(target)
        change = "III-6 に職員の立会いを追記" if category == ResponseCategory.reflected else ""
        save_draft(response, body=body, category=category, change_made=change, author=drafter, actor=actor)
        submit_for_review(response, actor=actor)
        approve(response, approver=head, reauthenticated_at=clock.now(), actor=actor)

    # The meeting inspects the final packet; the results are published, and one line corrected.
    _on(closes_on + timedelta(days=15))
    meeting = create_meeting(
        "第4回 特定個人情報保護評価部会（デモ）", closes_on + timedelta(days=20), [consultation], actor=actor
    )
    with current_app.test_request_context():
        packet = build_packet(meeting, final=True, locale="ja", organisation=current_app.config["ORGANISATION_NAME"])
    record_packet_export(meeting, fmt="docx", final=True, draft=packet.draft, actor=actor)
    _on(meeting.held_on, 16)
    record_inspection(consultation, meeting, "回答案を了承する。", actor)
    if account_for_submissions(consultation).unaccounted:
        raise RuntimeError("the finished demo left a submission unaccounted for")
    _on(meeting.held_on + timedelta(days=7))
    entries = prepare_results(consultation, actor=actor)
    publish_results(consultation, confirmed=True, actor=actor)
    _on(meeting.held_on + timedelta(days=9))
    correct_published_entry(
        entries[-1],
        field="response",
        text=entries[-1].response.replace("記載しています", "評価書III-2に記載しています"),
        reason="記載箇所を明記するため",
        user=clerk,
        actor=actor,
    )
    db.session.flush()
    return consultation
