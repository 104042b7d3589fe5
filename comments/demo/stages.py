"""The demo's consultations between the comment period and the results, so a newcomer sees the daily work:

* one being answered (回答作成中): closed, its submissions from four channels split into items, two items of
  the same purport grouped, the items assigned to two departments, and a response in each state: approved,
  awaiting approval, returned by the head of the department with a remark and revised, drafted, and none yet
  (that one overdue);
* one inspected (点検済み): every response approved, the final packet of a special meeting (臨時会) made and
  the committee's inspection recorded, its results not yet published, so the secretariat can publish them.

Built like comments/demo/finished.py: through the domain functions the pages call, with the demo accounts as
the actors and the server's clock moved to the day of each step (and put back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from flask import current_app
from sqlalchemy import select

from comments import clock
from comments.demo.finished import DEPARTMENT, _on, _users
from comments.demo.pdf import build_demo_pdf
from comments.domain.agenda import add_agenda_item
from comments.domain.attendance import AttendanceEntry, record_attendance
from comments.domain.audit import Actor
from comments.domain.consultations import (
    ConsultationDetails,
    attach_material,
    begin_responses,
    close_consultation,
    create_consultation,
    open_consultation,
    record_inspection,
    replace_sections,
)
from comments.domain.deadlines import end_of_day, start_of_day
from comments.domain.departments import department_named
from comments.domain.intake import StaffEntry, SubmissionDraft, accept_submission
from comments.domain.meetings import MeetingDetails, create_meeting, record_packet_export
from comments.domain.packet import build_packet
from comments.domain.responses import approve, comment, response_for, save_draft, submit_for_review
from comments.domain.triage import ItemDraft, add_item, assign_items, group_items, mark_not_an_opinion
from comments.domain.uploads import CheckedFile
from comments.extensions import db
from comments.models import (
    Channel,
    Consultation,
    Item,
    ItemKind,
    MaterialKind,
    Meeting,
    MeetingBody,
    ResponseCategory,
    Submission,
    SubmitterKind,
    User,
)
from comments.storage import BlobStore

RESPONDING_SLUG = "tokutei-kenshin-2015"
INSPECTED_SLUG = "kogaku-ryoyohi-2015"
# The second department: one opinion on the system's security goes to it, and is overdue.
SYSTEMS_DEPARTMENT = "総務局情報システム課"
SPECIAL_MEETING_TITLE = "特定個人情報保護評価部会（臨時会）"
PLACE = "中央コミュニティセンター 会議室（デモ）"
GREETING = "いつも市政にご尽力いただき、ありがとうございます。"


@dataclass(frozen=True)
class Opinion:
    """One part of a submission that becomes an item: its text, kind, section (by number) and gist."""

    text: str
    kind: ItemKind
    section: str
    gist: str


@dataclass(frozen=True)
class Letter:
    """One submission: how it came, from whom, on which day of the period, and its parts."""

    channel: Channel
    submitter: SubmitterKind
    day: int  # days after the opening day
    opinions: tuple[Opinion, ...]
    greeting: str = ""
    name: str = ""
    contact: str = ""


@dataclass(frozen=True)
class Answer:
    """A response as the department writes it; ``change`` when the draft is changed (reflected)."""

    body: str
    category: ResponseCategory
    change: str = ""


RESPONDING_SECTIONS = [
    (
        "I-1",
        "特定個人情報ファイルを取り扱う事務",
        3,
        "国民健康保険の被保険者（40歳から74歳まで）に対する特定健康診査及び特定保健指導の実施、受診券の発行並びに"
        "健診結果の管理の事務。",
    ),
    ("III-3", "特定個人情報の使用", 20, "健診結果は健康管理システムで管理し、特定保健指導の対象者の抽出に用いる。"),
    (
        "III-4",
        "特定個人情報ファイルの取扱いの委託",
        22,
        "特定健康診査の実施及び健診結果の入力を、市内の医療機関及び健診機関に委託する。",
    ),
    ("III-7", "特定個人情報の保管・消去", 27, "健診結果は5年間保存し、保存期間の経過後に消去する。"),
]
RECORD_OF_ENTRY = Opinion(
    "健診結果を委託先の健診機関が入力する際は、入力した者と内容を記録し、市が確認すべきです。",
    ItemKind.opinion,
    "III-4",
    "委託先による健診結果の入力を記録し、市が確認すべき",
)
RECORD_OF_ENTRY_AGAIN = Opinion(
    "健診機関が結果を入力するときは、誰がいつ入力したのかを記録して、市が点検してほしい。",
    ItemKind.opinion,
    "III-4",
    "健診結果の入力者と入力日時を記録し、市が点検すべき",
)
WHY_THE_NUMBER = Opinion(
    "受診券を発行するために個人番号を使う必要があるのか、理由を示してください。",
    ItemKind.question,
    "I-1",
    "受診券の発行に個人番号を用いる理由",
)
WHO_CONFIRMS_ERASURE = Opinion(
    "保存期間の5年が経過した健診結果の消去を、誰が確認するのかを明記すべきです。",
    ItemKind.opinion,
    "III-7",
    "健診結果の消去を確認する者を明記すべき",
)
TERMINALS = Opinion(
    "保健指導の対象者の抽出に使う端末を限定し、操作の記録を残してください。",
    ItemKind.request,
    "III-3",
    "対象者の抽出に用いる端末の限定と操作記録の保存",
)
VULNERABILITY = Opinion(
    "健康管理システムの脆弱性診断を定期的に行い、その結果を評価書に記載すべきです。",
    ItemKind.opinion,
    "III-3",
    "システムの脆弱性診断を定期的に行い、評価書に記載すべき",
)
RESPONDING_LETTERS = [
    Letter(Channel.web, SubmitterKind.citizen, 3, (RECORD_OF_ENTRY, WHY_THE_NUMBER), greeting=GREETING),
    Letter(
        Channel.post, SubmitterKind.citizen, 8, (RECORD_OF_ENTRY_AGAIN,), name="山田 花子", contact="（デモ）市内在住"
    ),
    Letter(Channel.fax, SubmitterKind.organisation, 15, (WHO_CONFIRMS_ERASURE,), name="（デモ）市民ネットワーク"),
    Letter(Channel.email, SubmitterKind.citizen, 22, (TERMINALS,)),
    Letter(Channel.web, SubmitterKind.organisation, 29, (VULNERABILITY,)),
]
# The response of each state, by the opinion it answers (the same-purport pair answered as one).
APPROVED_ANSWER = Answer(
    "ご意見を踏まえ、委託先の健診機関が健診結果を入力した記録を、市が毎月確認する旨を評価書III-4に追記します。",
    ResponseCategory.reflected,
    "III-4 に入力記録の毎月の確認を追記",
)
AWAITING_ANSWER = Answer(
    "受診券の発行に当たり、被保険者の資格を正確に確認するため、個人番号を用いて資格情報を照会します。",
    ResponseCategory.answered,
)
RETURNED_FIRST = Answer("保存期間の経過後、システムから消去します。", ResponseCategory.already_covered)
RETURN_REMARK = "消去を誰が確認するのかというご意見に答えていません。確認する者を明記してください。"
RETURNED_REVISED = Answer(
    "保存期間の経過後、システムから消去し、消去したことを健康保険課長が確認します。その旨を評価書III-7に追記します。",
    ResponseCategory.reflected,
    "III-7 に消去の確認者（健康保険課長）を追記",
)
DRAFT_ANSWER = Answer(
    "特定保健指導の対象者の抽出は、健康保険課が指定した端末に限って行い、操作の記録を取得しています（評価書III-3）。",
    ResponseCategory.already_covered,
)

INSPECTED_SECTIONS = [
    ("I-1", "特定個人情報ファイルを取り扱う事務", 3, "国民健康保険の高額療養費の支給申請の受付、審査及び支給の事務。"),
    ("III-2", "特定個人情報の入手", 15, "支給申請書により入手し、窓口で本人確認を行う。"),
    ("III-5", "特定個人情報の提供・移転", 24, "支給の決定に必要な範囲で、他の保険者に照会する。"),
]
INSPECTED_LETTERS = [
    Letter(
        Channel.web,
        SubmitterKind.citizen,
        5,
        (
            Opinion(
                "申請書を郵送する場合の本人確認の方法を示してください。",
                ItemKind.question,
                "III-2",
                "郵送による申請の本人確認の方法",
            ),
        ),
    ),
    Letter(
        Channel.fax,
        SubmitterKind.citizen,
        12,
        (
            Opinion(
                "他の保険者への照会は、照会した記録を残すべきです。",
                ItemKind.opinion,
                "III-5",
                "他の保険者への照会の記録を残すべき",
            ),
        ),
        name="佐藤 一郎",
    ),
    Letter(
        Channel.email,
        SubmitterKind.organisation,
        20,
        (
            Opinion(
                "高額療養費の支給申請を不要にし、自動で支給してほしい。",
                ItemKind.request,
                "I-1",
                "申請によらず自動で支給してほしい",
            ),
        ),
    ),
]
INSPECTED_ANSWERS = [
    Answer(
        "郵送の場合は、個人番号カードの写し又は通知カードの写しと身元確認書類の写しの添付により本人確認を行います。",
        ResponseCategory.answered,
    ),
    Answer(
        "ご意見を踏まえ、照会の記録を5年間保存する旨を評価書III-5に追記します。",
        ResponseCategory.reflected,
        "III-5 に照会記録の保存を追記",
    ),
    Answer(
        "高額療養費の支給には法令に基づく申請が必要なため、ご意見は反映しませんが、申請の勧奨に努めます。",
        ResponseCategory.not_reflected,
    ),
]


def seed_stage_demos(blob_store: BlobStore, actor: Actor) -> tuple[Consultation | None, Consultation | None]:
    """Create the consultation being answered and the inspected one unless they exist (they need the demo
    accounts); return them, each None when it was already there."""
    previous = clock.set_source(None)
    try:
        responding = None if _exists(RESPONDING_SLUG) else _seed_responding(blob_store, actor)
        clock.set_source(None)
        inspected = None if _exists(INSPECTED_SLUG) else _seed_inspected(blob_store, actor)
    finally:
        clock.set_source(previous)
    return responding, inspected


def _exists(slug: str) -> bool:
    return db.session.scalar(select(Consultation.id).where(Consultation.slug == slug)) is not None


def _published(
    slug: str, title: str, affair: str, system: str, sections, opens_on: date, blob_store: BlobStore, actor: Actor
) -> Consultation:
    """A consultation of the health insurance division, created, given its sections and original, and opened
    on ``opens_on`` for 31 days (the opening day counted as day 1)."""
    from comments.ingestion.draft_import import ParsedSection

    _on(opens_on - timedelta(days=7))
    consultation = create_consultation(
        ConsultationDetails(
            title=title,
            slug=slug,
            affair=affair,
            department=DEPARTMENT,
            opens_at=start_of_day(opens_on),
            closes_at=end_of_day(opens_on + timedelta(days=30)),
            system_name=system,
            evaluation_group="第1グループ",
            summary="デモ用の案件です。",
        ),
        actor,
    )
    replace_sections(
        consultation, [ParsedSection(number, heading, body, page) for number, heading, page, body in sections], actor
    )
    pdf = build_demo_pdf(
        f"評価書（案）{affair}", [f"{number} {heading}（{page}ページ）" for number, heading, page, _ in sections]
    )
    attach_material(
        consultation,
        CheckedFile(f"hyokasho-an-{slug}.pdf", "application/pdf", pdf),
        title="評価書（案）原本",
        kind=MaterialKind.original,
        public=True,
        actor=actor,
        blob_store=blob_store,
    )
    _on(opens_on, 9)
    open_consultation(consultation, actor)
    return consultation


def _receive(
    consultation: Consultation, letters: list[Letter], opens_on: date, clerk: User, blob_store: BlobStore, actor: Actor
) -> list[Submission]:
    """Each letter received on its day: on the web form, or keyed in by the secretariat from post, fax and
    forwarded e-mail."""
    submissions = []
    for letter in letters:
        day = opens_on + timedelta(days=letter.day)
        _on(day, 11)
        body = letter.greeting + "\n".join(opinion.text for opinion in letter.opinions)
        sections = {section.number: section.id for section in consultation.sections}
        draft = SubmissionDraft(
            body=body,
            submitter_kind=letter.submitter,
            channel=letter.channel,
            section_id=sections[letter.opinions[0].section] if letter.channel == Channel.web else None,
            name=letter.name,
            contact=letter.contact,
            consented=letter.channel == Channel.web,
        )
        keyed_in = None if letter.channel == Channel.web else StaffEntry(entered_by_id=clerk.id, arrived_on=day)
        accepted = accept_submission(
            consultation, draft, received_at=clock.now(), actor=actor, blob_store=blob_store, staff_entry=keyed_in
        )
        submissions.append(accepted.submission)
    return submissions


def _triage(
    consultation: Consultation, submissions: list[Submission], letters: list[Letter], clerk: User, actor: Actor
) -> dict[Opinion, Item]:
    """Split every submission into its items (a greeting marked as not an opinion); return them by opinion."""
    sections = {section.number: section.id for section in consultation.sections}
    items = {}
    for submission, letter in zip(submissions, letters, strict=True):
        if letter.greeting:
            mark_not_an_opinion(submission, 0, len(letter.greeting), note="挨拶", created_by=clerk, actor=actor)
        for opinion in letter.opinions:
            start = submission.body.index(opinion.text)
            items[opinion] = add_item(
                submission,
                ItemDraft(start, start + len(opinion.text), opinion.kind, opinion.gist, sections[opinion.section]),
                created_by=clerk,
                actor=actor,
            )
    return items


def _draft(target, answer: Answer, drafter: User, actor: Actor):
    response = response_for(target)
    save_draft(
        response, body=answer.body, category=answer.category, change_made=answer.change, author=drafter, actor=actor
    )
    return response


def _seed_responding(blob_store: BlobStore, actor: Actor) -> Consultation:
    clerk, drafter, head = _users("jimukyoku@example.jp", "kenkohoken@example.jp", "kenkohoken-kacho@example.jp")
    today = clock.japan_today()
    opens_on = today - timedelta(days=45)
    closes_on = opens_on + timedelta(days=30)
    consultation = _published(
        RESPONDING_SLUG,
        "特定個人情報保護評価書（全項目評価書）（案）特定健康診査・特定保健指導事務（回答作成中の例）",
        "特定健康診査・特定保健指導事務",
        "健康管理システム",
        RESPONDING_SECTIONS,
        opens_on,
        blob_store,
        actor,
    )
    submissions = _receive(consultation, RESPONDING_LETTERS, opens_on, clerk, blob_store, actor)

    # The day after the deadline: closed, split, the same-purport pair grouped, the items assigned.
    _on(closes_on + timedelta(days=1))
    close_consultation(consultation, actor)
    begin_responses(consultation, actor)
    items = _triage(consultation, submissions, RESPONDING_LETTERS, clerk, actor)
    group = group_items(
        [items[RECORD_OF_ENTRY], items[RECORD_OF_ENTRY_AGAIN]],
        gist="委託先による健診結果の入力を記録し、市が確認すべき",
        created_by=clerk,
        actor=actor,
    )
    ours = [item for opinion, item in items.items() if opinion is not VULNERABILITY]
    assign_items(ours, department_named(DEPARTMENT), due_on=today + timedelta(days=7), actor=actor)
    assign_items(
        [items[VULNERABILITY]], department_named(SYSTEMS_DEPARTMENT), due_on=today - timedelta(days=3), actor=actor
    )

    # The department drafts; its head approves one, returns one with a remark; one waits for approval.
    _on(closes_on + timedelta(days=6), 14)
    approved = _draft(group, APPROVED_ANSWER, drafter, actor)
    submit_for_review(approved, actor=actor)
    returned = _draft(items[WHO_CONFIRMS_ERASURE], RETURNED_FIRST, drafter, actor)
    submit_for_review(returned, actor=actor)
    _on(closes_on + timedelta(days=8), 10)
    approve(approved, approver=head, reauthenticated_at=clock.now(), actor=actor)
    comment(returned, body=RETURN_REMARK, author=head, actor=actor)
    _on(closes_on + timedelta(days=10), 15)
    _draft(items[WHO_CONFIRMS_ERASURE], RETURNED_REVISED, drafter, actor)
    awaiting = _draft(items[WHY_THE_NUMBER], AWAITING_ANSWER, drafter, actor)
    submit_for_review(awaiting, actor=actor)
    _on(today - timedelta(days=1), 16)
    _draft(items[TERMINALS], DRAFT_ANSWER, drafter, actor)
    db.session.flush()
    return consultation


def _seed_inspected(blob_store: BlobStore, actor: Actor) -> Consultation:
    clerk, drafter, head, chair, member = _users(
        "jimukyoku@example.jp",
        "kenkohoken@example.jp",
        "kenkohoken-kacho@example.jp",
        "bukaicho@example.jp",
        "iin@example.jp",
    )
    today = clock.japan_today()
    opens_on = today - timedelta(days=70)
    closes_on = opens_on + timedelta(days=30)
    consultation = _published(
        INSPECTED_SLUG,
        "特定個人情報保護評価書（全項目評価書）（案）高額療養費支給事務（点検済みの例）",
        "高額療養費支給事務",
        "国民健康保険システム",
        INSPECTED_SECTIONS,
        opens_on,
        blob_store,
        actor,
    )
    submissions = _receive(consultation, INSPECTED_LETTERS, opens_on, clerk, blob_store, actor)
    _on(closes_on + timedelta(days=1))
    close_consultation(consultation, actor)
    begin_responses(consultation, actor)
    items = list(_triage(consultation, submissions, INSPECTED_LETTERS, clerk, actor).values())
    assign_items(items, department_named(DEPARTMENT), due_on=closes_on + timedelta(days=14), actor=actor)
    _on(closes_on + timedelta(days=7), 14)
    responses = [_draft(item, answer, drafter, actor) for item, answer in zip(items, INSPECTED_ANSWERS, strict=True)]
    for response in responses:
        submit_for_review(response, actor=actor)
    _on(closes_on + timedelta(days=9), 10)
    for response in responses:
        approve(response, approver=head, reauthenticated_at=clock.now(), actor=actor)

    # A special meeting inspects its final packet, made the week before; the results wait to be published.
    held_on = today - timedelta(days=12)
    _on(held_on - timedelta(days=14))
    meeting = create_meeting(
        SPECIAL_MEETING_TITLE,
        held_on,
        [consultation],
        actor=actor,
        details=MeetingDetails(body=MeetingBody.sub_committee, starts_at=time(10), ends_at=time(11), place=PLACE),
    )
    add_agenda_item(
        meeting,
        "特定個人情報保護評価書（全項目評価書）の第三者点検について（高額療養費支給事務）",
        consultation,
        actor=actor,
    )
    _on(held_on - timedelta(days=7))
    _final_packet(meeting, actor)
    _on(held_on, 11)
    record_attendance(meeting, [AttendanceEntry(chair.id, True), AttendanceEntry(member.id, True)], actor=actor)
    record_inspection(consultation, meeting, "回答案のとおり了承する。", actor)
    db.session.flush()
    return consultation


def _final_packet(meeting: Meeting, actor: Actor) -> None:
    """The final packet made and downloaded, as the secretariat does before the meeting."""
    with current_app.test_request_context():
        packet = build_packet(meeting, final=True, locale="ja", organisation=current_app.config["ORGANISATION_NAME"])
    record_packet_export(meeting, fmt="docx", final=True, draft=packet.draft, actor=actor)


def responding_demo() -> Consultation | None:
    """The consultation being answered, when it was seeded."""
    return db.session.scalars(select(Consultation).where(Consultation.slug == RESPONDING_SLUG)).one_or_none()


def inspection_meeting_of(slug: str) -> Meeting | None:
    """The meeting whose inspection of the consultation ``slug`` was recorded, if any."""
    consultation = db.session.scalars(select(Consultation).where(Consultation.slug == slug)).one_or_none()
    if consultation is None or consultation.inspection_meeting_id is None:
        return None
    return db.session.get(Meeting, consultation.inspection_meeting_id)
