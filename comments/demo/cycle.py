"""The committee's cycle in the demo (issue 14): the finished consultation's meetings as the committee holds
them, its schedule, the minutes of the pre-inspection with a passage not disclosed, the committee's opinions
at the inspection (one carried to the next meeting, still to come), and the report to the council approved
by the chair; the open consultation's schedule up to its inspection at that next meeting, which also takes up
the consultation being answered (comments/demo/stages.py).

Called by comments/demo/finished.py while it takes the finished consultation through its stages, with the
server's clock moved to the day of each step: every step goes through the domain functions the pages call,
with the demo accounts as the actors. The places and names are the demo's own.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from flask import current_app
from sqlalchemy import select

from comments import clock
from comments.demo.stages import responding_demo
from comments.domain.agenda import add_agenda_item
from comments.domain.attendance import AttendanceEntry, record_attendance
from comments.domain.audit import Actor
from comments.domain.council_report import approve_report, draft_report
from comments.domain.meeting_papers import post_inquiry_paper, post_material_paper
from comments.domain.meetings import MeetingDetails, create_meeting, send_meeting_notice
from comments.domain.minutes import (
    circulate_minutes,
    comment_on_minutes,
    finalise_minutes,
    publish_minutes,
    save_minutes_version,
    start_minutes,
)
from comments.domain.notifications import path_for
from comments.domain.opinions import answer_opinion, carry_opinion, record_opinion
from comments.domain.schedule import stamp_step, step_of, update_step
from comments.extensions import db
from comments.models import Consultation, Inquiry, Meeting, MeetingBody, StepKind, StepState, User

PLACE = "中央コミュニティセンター 会議室（デモ）"
COUNCIL_PLACE = "市役所本庁舎 第1会議室（デモ）"
PRE_INSPECTION_AGENDA = "特定個人情報保護評価書（全項目評価書）（案）の事前点検について（国民健康保険事務）"
INSPECTION_AGENDA = "特定個人情報保護評価書（全項目評価書）の第三者点検について（国民健康保険事務）"
CARRIED_AGENDA = "前回からの継続事項について（国民健康保険事務）"
COUNCIL_AGENDA = "特定個人情報保護評価部会からの報告について"
OPEN_INSPECTION_AGENDA = "特定個人情報保護評価書（全項目評価書）の第三者点検について（後期高齢者医療事務）"
RESPONDING_INSPECTION_AGENDA = (
    "特定個人情報保護評価書（全項目評価書）の第三者点検について（特定健康診査・特定保健指導事務）"
)
PUBLIC_PAPER_TITLE = "評価書（案）国民健康保険事務"
CONFIDENTIAL_PAPER_TITLE = "総務省からの回答（非公開）"

# The minutes of the 3rd meeting, in the style of the seed's minutes; the passage between the markers is
# not disclosed (第7条第6号: the intermediate server's security measures).
WITHHELD_PASSAGE = (
    "中間サーバーとの通信は専用回線により行い、接続機器の設定及び監視の手順は別に定める運用手順書によります。"
)
MINUTES_DRAFT = "\n".join(
    [
        "特定個人情報保護評価部会（第3回）議事録（デモ）",
        "（事務局）ただ今から、第3回特定個人情報保護評価部会を開会いたします。本日は、委員2名全員にご出席いただいております。",
        "（部会長）それでは、議事に入ります。国民健康保険事務の全項目評価書（案）の事前点検について、健康保険課から説明をお願いします。",
        "（健康保険課）資料1の評価書（案）に沿って、国民健康保険の資格管理、保険料の賦課・徴収及び給付の事務についてご説明いたします。",
        "（委員Ａ）記録媒体の廃棄は、どのような方法で確認しているのか。",
        "（健康保険課）保存期間の経過後はシステムから消去し、記録媒体は物理的に破壊いたします。",
        "（委員Ａ）中間サーバーとの接続について、セキュリティ対策を伺いたい。",
        f"（健康保険課）［非開示：7-6］{WITHHELD_PASSAGE}［／非開示］",
        "（部会長）ありがとうございました。本日の意見を踏まえて、市民意見聴取を進めていただきたい。以上で本日の部会を終了します。",
    ]
)
MINUTES_COMMENT = "「記録媒体の廃棄は」の発言は、「記録媒体の廃棄の確認は」としてください。"
MINUTES_REVISED = MINUTES_DRAFT.replace(
    "記録媒体の廃棄は、どのような方法で確認しているのか。", "記録媒体の廃棄の確認は、どのような方法で行っているのか。"
)

# The committee's main opinions at the inspection (第三者点検における主な意見).
ANSWERED_OPINION = "記録媒体の物理破壊に市職員が立ち会うことを、評価書のIII-6に明記すること。"
OPINION_ANSWER = "評価書のIII-6に、記録媒体の物理破壊には市職員が立ち会い、破壊を確認する旨を追記しました。"
CARRIED_OPINION = "中間サーバーの運用について、市がどのように運用状況を確認するのかを示されたい。"


def _on(day: date, hour: int = 10) -> None:
    from comments.demo.finished import _on as move

    move(day, hour)


def _committee_link(meeting: Meeting) -> str:
    return path_for("committee.show_meeting", meeting_id=meeting.id)


def _plan(consultation: Consultation, kind: StepKind, planned_on: date, meeting: Meeting | None, actor: Actor):
    """Give a step its planned day (and meeting), keeping its state and actual day as they are."""
    step = step_of(consultation, kind)
    update_step(
        step,
        planned_on=planned_on,
        done_on=step.done_on,
        state=step.state,
        public=step.public,
        note=step.note or "",
        meeting=meeting if meeting is not None else step.meeting,
        actor=actor,
    )


def pre_inspection(consultation: Consultation, *, held_on: date, chair: User, member: User, actor: Actor) -> Meeting:
    """The 3rd meeting (事前点検), recorded on the day the consultation is published: agenda, the draft
    assessment as a public paper (the consultation's original, by its content address), both members
    present, and the schedule's first step done."""
    meeting = create_meeting(
        "",
        held_on,
        [consultation],
        actor=actor,
        details=MeetingDetails(
            body=MeetingBody.sub_committee, number=3, starts_at=time(14), ends_at=time(16), place=PLACE
        ),
    )
    item = add_agenda_item(meeting, PRE_INSPECTION_AGENDA, consultation, actor=actor)
    original = next(material for material in consultation.materials if material.public)
    post_material_paper(
        meeting,
        original,
        title=PUBLIC_PAPER_TITLE,
        label="資料1",
        public=True,
        agenda_item=item,
        actor=actor,
        link=_committee_link(meeting),
    )
    record_attendance(meeting, [AttendanceEntry(chair.id, True), AttendanceEntry(member.id, True)], actor=actor)
    _plan(consultation, StepKind.pre_inspection, held_on, meeting, actor)
    stamp_step(consultation, StepKind.pre_inspection, on=held_on, meeting=meeting, actor=actor)
    return meeting


def minutes_of_pre_inspection(meeting: Meeting, *, opens_on: date, clerk: User, chair: User, member: User, actor):
    """The 3rd meeting's minutes: drafted with a passage withheld, circulated to the members present, one
    member's comment, a revised version, finalised by the chair and published."""
    _on(opens_on + timedelta(days=2))
    minutes = start_minutes(meeting, MINUTES_DRAFT, note="初稿", by=clerk, actor=actor)
    circulate_minutes(
        minutes,
        opens_on + timedelta(days=9),
        link=path_for("committee.show_minutes", meeting_id=meeting.id),
        actor=actor,
    )
    _on(opens_on + timedelta(days=5), 15)
    comment_on_minutes(minutes, member, MINUTES_COMMENT, actor=actor)
    _on(opens_on + timedelta(days=10))
    save_minutes_version(minutes, MINUTES_REVISED, note="委員のご意見を反映", by=clerk, actor=actor)
    _on(opens_on + timedelta(days=11))
    finalise_minutes(minutes, chair, actor=actor)
    _on(opens_on + timedelta(days=12))
    publish_minutes(minutes, actor=actor)
    return minutes


def plan_later_meetings(consultation: Consultation, inspection: Meeting, *, actor: Actor) -> tuple[Meeting, Meeting]:
    """On the day the 4th meeting is prepared: its agenda, the confidential answer as a non-public paper,
    the council's meeting and the 5th meeting (still to come), and the schedule planned to the end."""
    real_today = _real_today()
    item = add_agenda_item(inspection, INSPECTION_AGENDA, consultation, actor=actor)
    inquiry = db.session.scalars(
        select(Inquiry).where(Inquiry.consultation_id == consultation.id).order_by(Inquiry.id)
    ).first()
    post_inquiry_paper(
        inspection,
        inquiry,
        title=CONFIDENTIAL_PAPER_TITLE,
        label="資料2",
        public=False,
        agenda_item=item,
        actor=actor,
        link=_committee_link(inspection),
    )
    council = create_meeting(
        "",
        inspection.held_on + timedelta(days=10),
        [],
        actor=actor,
        details=MeetingDetails(
            body=MeetingBody.council, number=2, starts_at=time(10), ends_at=time(12), place=COUNCIL_PLACE
        ),
    )
    add_agenda_item(council, COUNCIL_AGENDA, consultation, actor=actor)
    following = [consultation]
    open_demo = _open_demo()
    if open_demo is not None:
        following.append(open_demo)
    responding = responding_demo()
    if responding is not None:
        following.append(responding)
    fifth = create_meeting(
        "",
        real_today + timedelta(days=40),
        following,
        actor=actor,
        details=MeetingDetails(
            body=MeetingBody.sub_committee, number=5, starts_at=time(14), ends_at=time(16), place=PLACE
        ),
    )
    if open_demo is not None:
        add_agenda_item(fifth, OPEN_INSPECTION_AGENDA, open_demo, actor=actor)
    if responding is not None:
        add_agenda_item(fifth, RESPONDING_INSPECTION_AGENDA, responding, actor=actor)
    add_agenda_item(fifth, CARRIED_AGENDA, consultation, actor=actor)
    _plan(consultation, StepKind.inspection, inspection.held_on, inspection, actor)
    _plan(consultation, StepKind.council_report, council.held_on, council, actor)
    _plan(consultation, StepKind.submission, real_today + timedelta(days=14), None, actor)
    _plan(consultation, StepKind.publication, real_today + timedelta(days=30), None, actor)
    return council, fifth


def inspection_meeting(
    consultation: Consultation, meeting: Meeting, fifth: Meeting, *, chair: User, member: User, actor: Actor
) -> None:
    """At the 4th meeting: the chair present, the member absent (briefed two days later); the committee's two
    main opinions, one answered there, one carried to the 5th meeting."""
    record_attendance(meeting, [AttendanceEntry(chair.id, True), AttendanceEntry(member.id, False)], actor=actor)
    answered = record_opinion(meeting, consultation, ANSWERED_OPINION, actor=actor)
    answer_opinion(answered, OPINION_ANSWER, actor=actor)
    carried = record_opinion(meeting, consultation, CARRIED_OPINION, actor=actor)
    carry_opinion(carried, fifth, actor=actor)


def brief_absent_member(meeting: Meeting, *, chair: User, member: User, actor: Actor) -> None:
    """Two days after the 4th meeting the secretariat briefs the absent member."""
    briefed = meeting.held_on + timedelta(days=2)
    _on(briefed, 15)
    record_attendance(
        meeting,
        [
            AttendanceEntry(chair.id, True),
            AttendanceEntry(member.id, False, briefed_on=briefed, note="資料を送付し、事務局から説明"),
        ],
        actor=actor,
    )


def council_report(consultation: Consultation, council: Meeting, *, chair: User, actor: Actor) -> None:
    """The day before the council meets the secretariat drafts the report; the chair approves it that
    morning, which stamps the schedule's step."""
    _on(council.held_on - timedelta(days=1), 11)
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    results = path_for("public.show_results", slug=consultation.slug)
    report = draft_report(
        consultation,
        actor,
        organisation=current_app.config["ORGANISATION_NAME"],
        results_url=f"{base}{results}" if base and results else "",
        meeting=council,
    )
    _on(council.held_on, 9)
    approve_report(report, chair, actor=actor)


def now_and_next(fifth: Meeting, *, actor: Actor) -> None:
    """Back on today's clock: the open consultation's schedule, and the notice of the 5th meeting."""
    clock.set_source(None)
    today = clock.japan_today()
    open_demo = _open_demo()
    if open_demo is not None:
        step = step_of(open_demo, StepKind.pre_inspection)
        if step.state != StepState.done:
            update_step(
                step,
                planned_on=today - timedelta(days=7),
                done_on=today - timedelta(days=7),
                state=StepState.done,
                public=step.public,
                note="デモ：公表前に事前点検済み",
                meeting=None,
                actor=actor,
            )
        _plan(open_demo, StepKind.inspection, fifth.held_on, fifth, actor)
        _plan(open_demo, StepKind.council_report, fifth.held_on + timedelta(days=20), None, actor)
        _plan(open_demo, StepKind.submission, fifth.held_on + timedelta(days=35), None, actor)
        _plan(open_demo, StepKind.publication, fifth.held_on + timedelta(days=50), None, actor)
    responding = responding_demo()
    if responding is not None and responding in fifth.consultations:
        _plan(responding, StepKind.inspection, fifth.held_on, fifth, actor)
    send_meeting_notice(fifth, link=_committee_link(fifth), actor=actor)


def _open_demo() -> Consultation | None:
    from comments.demo.seed import DEMO_SLUG

    return db.session.scalars(select(Consultation).where(Consultation.slug == DEMO_SLUG)).one_or_none()


def _real_today() -> date:
    """Japan's today on the real clock, while the demo's clock is moved."""
    previous = clock.set_source(None)
    try:
        return clock.japan_today()
    finally:
        clock.set_source(previous)
