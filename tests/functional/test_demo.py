"""`flask seed-demo` shows every stage: the open consultation, and one taken through to published results."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import func, select

from comments import clock
from comments.demo import cycle
from comments.demo.finished import FINISHED_SLUG, MEMBER_QUESTION
from comments.demo.seed import DEMO_SLUG
from comments.domain.schedule import schedule_of
from comments.extensions import db
from comments.models import (
    AuditEvent,
    CommitteeOpinion,
    Consultation,
    ConsultationStatus,
    CouncilReport,
    CouncilReportState,
    Meeting,
    MeetingBody,
    Minutes,
    MinutesState,
    Notification,
    OpinionState,
    ResultsChange,
    StepKind,
    StepState,
    User,
)
from comments.permissions import Role
from tests.factories import make_user
from tests.functional.auth_helpers import sign_in


def docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml"))


def test_the_demo_has_a_consultation_at_every_later_stage_built_by_the_rules(app, client):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert f"/consultations/{FINISHED_SLUG}/results" in result.output
    finished = db.session.scalars(select(Consultation).where(Consultation.slug == FINISHED_SLUG)).one()
    assert finished.status == ConsultationStatus.published
    assert finished.inspected_on is not None and finished.inspection_outcome
    actions = set(
        db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "consultations", AuditEvent.object_id == str(finished.id)
            )
        )
    )
    assert {
        "consultation.opened",
        "consultation.closed",
        "consultation.responding",
        "consultation.inspected",
        "results.published",
        "results.corrected",
    } <= actions
    [change] = db.session.scalars(select(ResultsChange)).all()
    client.set_cookie("lang", "en")
    public = client.get(f"/consultations/{FINISHED_SLUG}/results").get_data(as_text=True)
    assert change.new_text in public and change.reason in public
    assert MEMBER_QUESTION not in public and "中間サーバー" not in public, "the member's question is the committee's"
    assert "Senders: 3" in public

    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert "Finished demo consultation already present" in again.output


def _meeting(body: MeetingBody, number: int) -> Meeting:
    return db.session.scalars(select(Meeting).where(Meeting.body == body, Meeting.number == number)).one()


def test_the_demo_shows_the_committees_cycle_from_the_public_meetings_page(app, client):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "/meetings" in result.output
    third = _meeting(MeetingBody.sub_committee, 3)
    fourth = _meeting(MeetingBody.sub_committee, 4)
    fifth = _meeting(MeetingBody.sub_committee, 5)
    finished = db.session.scalars(select(Consultation).where(Consultation.slug == FINISHED_SLUG)).one()
    assert third.place == cycle.PLACE and third.starts_at is not None
    assert fifth.held_on > clock.japan_today(), "the 5th meeting is still to come"

    # From /meetings to the 3rd meeting, its public paper and its published minutes, without the passage.
    listing = client.get("/meetings").get_data(as_text=True)
    assert f'href="/meetings/{third.id}"' in listing
    page = client.get(f"/meetings/{third.id}").get_data(as_text=True)
    assert cycle.PUBLIC_PAPER_TITLE in page and cycle.PRE_INSPECTION_AGENDA in page
    assert f'href="/meetings/{third.id}/minutes"' in page
    minutes = client.get(f"/meetings/{third.id}/minutes")
    assert minutes.status_code == 200
    public = minutes.get_data(as_text=True)
    assert "（委員Ａ）" in public or "委員Ａ" in public
    assert "記録媒体の廃棄の確認は" in public, "the published minutes are the revised version"
    assert cycle.WITHHELD_PASSAGE not in public and "専用回線" not in public
    assert "〔非開示：第7条第6号" in public
    docx = client.get(f"/meetings/{third.id}/minutes.docx").get_data()
    assert "専用回線" not in docx_text(docx)
    # The 4th meeting's confidential answer is a non-public paper: not on the public page.
    fourth_page = client.get(f"/meetings/{fourth.id}").get_data(as_text=True)
    assert cycle.CONFIDENTIAL_PAPER_TITLE not in fourth_page
    paper = next(paper for paper in fourth.papers if paper.inquiry_id is not None)
    assert not paper.public
    assert client.get(f"/meetings/{fourth.id}/papers/{paper.id}").status_code == 404

    # The minutes were circulated to both members present; the member commented; two versions; the chair
    # finalised them. The absent member of the 4th meeting was briefed.
    record = db.session.scalars(select(Minutes).where(Minutes.meeting_id == third.id)).one()
    assert record.state == MinutesState.published and len(record.versions) == 2
    assert [comment.body for comment in record.comments] == [cycle.MINUTES_COMMENT]
    assert db.session.get(User, record.finalised_by_id).email == "bukaicho@example.jp"
    [absent] = [row for row in fourth.attendance if not row.present]
    assert absent.user.email == "iin@example.jp" and absent.briefed_on is not None

    # The schedules: the finished one done up to the report, the rest planned; the open one planned.
    steps = {step.kind: step for step in schedule_of(finished)}
    for kind in (StepKind.pre_inspection, StepKind.comment_period, StepKind.inspection, StepKind.council_report):
        assert steps[kind].state == StepState.done and steps[kind].done_on is not None, kind
    for kind in (StepKind.submission, StepKind.publication):
        assert steps[kind].state == StepState.planned and steps[kind].planned_on > clock.japan_today(), kind
    open_demo = db.session.scalars(select(Consultation).where(Consultation.slug == DEMO_SLUG)).one()
    open_steps = {step.kind: step for step in schedule_of(open_demo)}
    assert open_steps[StepKind.inspection].meeting_id == fifth.id
    assert all(step.planned_on for step in open_steps.values())

    # The opinions: one answered at the 4th meeting, one carried to the 5th, in the 5th meeting's packet.
    opinions = {opinion.body: opinion for opinion in db.session.scalars(select(CommitteeOpinion))}
    assert opinions[cycle.ANSWERED_OPINION].state == OpinionState.answered
    assert opinions[cycle.CARRIED_OPINION].carried_to_meeting_id == fifth.id
    clerk = make_user(Role.secretariat)
    staff = app.test_client()
    assert sign_in(staff, clerk).status_code == 303
    packet = staff.get(f"/staff/meetings/{fifth.id}/packet").get_data(as_text=True)
    assert cycle.CARRIED_OPINION in packet

    # The report to the council, approved by the chair, in the committee's portal.
    report = db.session.scalars(select(CouncilReport).where(CouncilReport.consultation_id == finished.id)).one()
    assert (
        report.state == CouncilReportState.approved
        and db.session.get(User, report.approved_by_id).email == "bukaicho@example.jp"
    )
    member = app.test_client()
    assert sign_in(member, make_user(Role.member)).status_code == 303
    portal = member.get(f"/committee/consultations/{finished.id}/council-report")
    assert portal.status_code == 200
    assert cycle.OPINION_ANSWER in portal.get_data(as_text=True)

    # Notifications came as a natural result: papers posted, minutes circulated, the 5th meeting's notice.
    kinds = set(db.session.scalars(select(Notification.kind)))
    assert {"meeting.papers_posted", "minutes.circulated", "meeting.notice"} <= kinds

    # Running it again builds nothing twice.
    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert again.exit_code == 0, again.output
    # The 3rd, 4th and 5th meetings, the council's, and the special meeting of the inspected demo consultation.
    assert db.session.scalar(select(func.count()).select_from(Meeting)) == 5
    assert db.session.scalar(select(func.count()).select_from(Minutes)) == 1
