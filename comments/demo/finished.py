"""The demo's second consultation, taken through every later stage: the period closed, the opinions
triaged, responses drafted by the department and approved by its head, an inquiry to the ministry with a
confidential answer, the meeting's final packet, the committee's inspection, the results published and one
line corrected; with it the committee's cycle (comments/demo/cycle.py): the 3rd, 4th and 5th meetings, the
council's, their papers and attendance, the schedule, the 3rd meeting's published minutes, the committee's
opinions and the report to the council. So a newcomer sees each state on the pages, next to the open demo
consultation.

Every step goes through the domain functions the pages call, with the demo accounts as the actors, so the
demo keeps every rule the service keeps (it refuses to build out of order, as the pages do).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

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
from comments.domain.meetings import MeetingDetails, create_meeting, record_packet_export
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
    Material,
    MaterialKind,
    MeetingBody,
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
    from comments.demo import cycle
    from comments.demo.pdf import build_demo_pdf

    clerk, drafter, head, member, chair = _users(
        "jimukyoku@example.jp",
        "kenkohoken@example.jp",
        "kenkohoken-kacho@example.jp",
        "iin@example.jp",
        "bukaicho@example.jp",
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
    pdf = build_demo_pdf(
        "評価書（案）国民健康保険事務", [f"{number} {heading}（{page}ページ）" for number, heading, page, _ in SECTIONS]
    )
    sha256, _created = blob_store.put(pdf)
    consultation.materials.append(
        Material(
            kind=MaterialKind.original,
            title="評価書（案）原本",
            filename="hyokasho-an-kokuho.pdf",
            content_type="application/pdf",
            size=len(pdf),
            sha256=sha256,
            public=True,
        )
    )
    db.session.add(consultation)
    db.session.flush()
    record_event(actor, "consultation.seeded", consultation, sections=len(SECTIONS))
    _on(opens_on, 9)
    open_consultation(consultation, actor)

    # The pre-inspection (the 3rd meeting, held the week before) is recorded with its paper and attendance;
    # its minutes are drafted, circulated, commented on, revised, finalised by the chair and published.
    pre_inspection = cycle.pre_inspection(
        consultation, held_on=opens_on - timedelta(days=7), chair=chair, member=member, actor=actor
    )
    cycle.minutes_of_pre_inspection(
        pre_inspection, opens_on=opens_on, clerk=clerk, chair=chair, member=member, actor=actor
    )

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
        "",
        closes_on + timedelta(days=20),
        [consultation],
        actor=actor,
        details=MeetingDetails(
            body=MeetingBody.sub_committee, number=4, starts_at=time(14), ends_at=time(16), place=cycle.PLACE
        ),
    )
    # Its agenda and the ministry's confidential answer as a non-public paper; the council's meeting and the
    # 5th meeting (still to come) planned, and the schedule with them.
    council, fifth = cycle.plan_later_meetings(consultation, meeting, actor=actor)
    with current_app.test_request_context():
        packet = build_packet(meeting, final=True, locale="ja", organisation=current_app.config["ORGANISATION_NAME"])
    record_packet_export(meeting, fmt="docx", final=True, draft=packet.draft, actor=actor)
    _on(meeting.held_on, 16)
    cycle.inspection_meeting(consultation, meeting, fifth, chair=chair, member=member, actor=actor)
    record_inspection(consultation, meeting, "回答案を了承する。", actor)
    cycle.brief_absent_member(meeting, chair=chair, member=member, actor=actor)
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
    # The report to the council, drafted and approved by the chair; then, on today's clock, the open
    # consultation's schedule and the notice of the 5th meeting.
    cycle.council_report(consultation, council, chair=chair, actor=actor)
    cycle.now_and_next(fifth, actor=actor)
    db.session.flush()
    return consultation
