"""The assessment's schedule (issue 14, point 1): six steps per consultation, the secretariat's edits and their
rules, the steps that move with the consultation's state, who sees what (staff, committee, public), and the
steps that slipped past their planned date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from comments import clock
from comments.dates import calendar_day
from comments.domain import DomainError
from comments.domain.audit import Actor
from comments.domain.consultations import close_consultation, extend_deadline, open_consultation, record_inspection
from comments.domain.deadlines import end_of_day, start_of_day
from comments.domain.schedule import (
    public_schedule,
    schedule_of,
    slipped_steps,
    step_of,
    steps_of,
    update_step,
)
from comments.extensions import db
from comments.models import AuditEvent, ConsultationStatus, ConsultationStep, StepKind, StepState
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import make_consultation, make_meeting, make_user
from tests.functional.auth_helpers import sign_in

ACTOR = Actor("test")
SECRET_NOTE = "委員の日程を内々に調整中"


def edit(step, **changes):
    """``update_step`` with the step's current values, ``changes`` applied."""
    values = {
        "planned_on": step.planned_on,
        "done_on": step.done_on,
        "state": step.state,
        "public": step.public,
        "note": step.note,
        "meeting": step.meeting,
    }
    values.update(changes)
    return update_step(step, actor=ACTOR, **values)


def refused(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as raised:
        call(*args, **kwargs)
    return raised.value


def draft_opening_today(days: int = 30):
    today = clock.japan_today()
    return make_consultation(
        status=ConsultationStatus.draft,
        opens_at=start_of_day(today),
        closes_at=end_of_day(today + timedelta(days=days - 1)),
    )


# The domain


def test_six_steps_in_order_and_a_read_writes_none(app):
    consultation = make_consultation()
    shown = schedule_of(consultation)
    assert [step.kind for step in shown] == list(StepKind)
    assert all(step.state == StepState.planned and step.public for step in shown)
    count = (
        select(func.count()).select_from(ConsultationStep).where(ConsultationStep.consultation_id == consultation.id)
    )
    assert db.session.scalar(count) == 0
    assert public_schedule(consultation) == []  # no public step has a date yet
    assert [step.kind for step in steps_of(consultation)] == list(StepKind)
    assert db.session.scalar(count) == 6


def test_publishing_plans_and_starts_the_comment_period_extending_moves_it_closing_ends_it(app, frozen_clock):
    consultation = draft_opening_today()
    last_day = clock.japan_today() + timedelta(days=29)
    open_consultation(consultation, ACTOR)
    step = step_of(consultation, StepKind.comment_period)
    assert (step.state, step.planned_on, step.done_on) == (StepState.in_progress, last_day, None)

    extend_deadline(
        consultation, end_of_day(last_day + timedelta(days=7)), "説明会を追加したため", user=None, actor=ACTOR
    )
    assert step_of(consultation, StepKind.comment_period).planned_on == last_day + timedelta(days=7)

    frozen_clock.set(end_of_day(last_day + timedelta(days=12)))  # closed five days after the deadline
    close_consultation(consultation, ACTOR)
    step = step_of(consultation, StepKind.comment_period)
    assert (step.state, step.done_on) == (StepState.done, last_day + timedelta(days=7))
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("schedule.%")).order_by(AuditEvent.id)
    ).all()
    assert actions == ["schedule.step_stamped", "schedule.step_replanned", "schedule.step_stamped"]


def test_a_planned_comment_period_keeps_the_secretariats_day_when_published(app, frozen_clock):
    consultation = draft_opening_today()
    planned = clock.japan_today() + timedelta(days=40)
    edit(step_of(consultation, StepKind.comment_period), planned_on=planned)
    open_consultation(consultation, ACTOR)
    assert step_of(consultation, StepKind.comment_period).planned_on == planned


def test_recording_the_inspection_marks_its_step_done_at_the_meeting(app, frozen_clock):
    consultation = make_consultation(status=ConsultationStatus.responding)
    meeting = make_meeting(consultation, title="第4回 特定個人情報保護評価部会", held_on=date(2015, 8, 6))
    meeting.final_packet_at = clock.now()
    record_inspection(consultation, meeting, "了承", ACTOR)
    step = step_of(consultation, StepKind.inspection)
    assert (step.state, step.done_on, step.meeting_id) == (StepState.done, date(2015, 8, 6), meeting.id)
    other = make_meeting(consultation, title="第5回", held_on=date(2015, 8, 27))
    error = refused(edit, step, meeting=other)
    assert error.field == "meeting"


def test_the_steps_bound_to_the_consultations_state_cannot_be_moved_by_hand(app):
    consultation = make_consultation()
    for kind in (StepKind.comment_period, StepKind.inspection):
        step = step_of(consultation, kind)
        error = refused(edit, step, state=StepState.done, done_on=clock.japan_today())
        assert error.field == "state"
        assert "not by hand" in str(error.message)
        assert step.state == StepState.planned
    # What the consultation does not decide may still be planned.
    change = edit(step_of(consultation, StepKind.inspection), planned_on=date(2015, 8, 6))
    assert change.changed == ["planned_on"]


def test_a_done_step_has_a_day_and_only_a_done_step_has_one(app):
    step = step_of(make_consultation(), StepKind.pre_inspection)
    assert refused(edit, step, state=StepState.done).field == "done_on"
    assert refused(edit, step, done_on=date(2015, 7, 8)).field == "done_on"
    future = clock.japan_today() + timedelta(days=1)
    assert refused(edit, step, state=StepState.done, done_on=future).field == "done_on"
    change = edit(step, state=StepState.done, done_on=date(2015, 7, 8), note=SECRET_NOTE, public=False)
    assert sorted(change.changed) == ["done_on", "note", "public", "state"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "schedule.step_updated")).one()
    assert event.detail["fields"] == ["done_on", "note", "public", "state"]
    assert SECRET_NOTE not in str(event.detail)
    assert edit(step).changed == []


def test_publishing_the_final_assessment_archives_a_consultation_whose_results_are_published(app):
    published = make_consultation(status=ConsultationStatus.published, results_published_at=clock.now())
    change = edit(step_of(published, StepKind.publication), state=StepState.done, done_on=clock.japan_today())
    assert change.archived and published.status == ConsultationStatus.archived
    inspected = make_consultation(status=ConsultationStatus.inspected)
    change = edit(step_of(inspected, StepKind.publication), state=StepState.done, done_on=clock.japan_today())
    assert not change.archived and inspected.status == ConsultationStatus.inspected


def test_slipped_steps_are_those_past_their_planned_day_and_not_done(app):
    today = clock.japan_today()
    late = make_consultation(title="遅れている評価書")
    edit(step_of(late, StepKind.council_report), planned_on=today - timedelta(days=2))
    edit(step_of(late, StepKind.submission), planned_on=today)  # due today: not slipped yet
    done = step_of(late, StepKind.pre_inspection)
    edit(done, planned_on=today - timedelta(days=9), state=StepState.done, done_on=today - timedelta(days=8))
    archived = make_consultation(status=ConsultationStatus.archived)
    edit(step_of(archived, StepKind.publication), planned_on=today - timedelta(days=30))
    assert [(step.consultation_id, step.kind) for step in slipped_steps(today, late)] == [
        (late.id, StepKind.council_report)
    ]
    assert archived.id not in {step.consultation_id for step in slipped_steps(today)}


# The pages


@pytest.fixture
def clerk():
    return make_user(Role.secretariat)


@pytest.fixture
def staff_client(client, clerk):
    assert sign_in(client, clerk).status_code == 303
    return client


def schedule_url(consultation) -> str:
    return f"/staff/consultations/{consultation.id}/schedule"


def post_step(client, consultation, kind: str, **fields):
    token = csrf_token_from(client.get(schedule_url(consultation)).get_data(as_text=True))
    data = {f"{kind}-csrf_token": token, f"{kind}-note": ""}
    data.update({f"{kind}-{name}": value for name, value in fields.items()})
    return client.post(f"{schedule_url(consultation)}/{kind}", data=data)


def test_the_secretariat_sees_the_schedule_and_edits_a_step(staff_client):
    consultation = make_consultation()
    meeting = make_meeting(consultation, title="第3回 特定個人情報保護評価部会", held_on=date(2015, 7, 8))
    page = staff_client.get(f"/staff/consultations/{consultation.id}").get_data(as_text=True)
    assert 'id="schedule-title"' in page and schedule_url(consultation) in page

    response = post_step(
        staff_client,
        consultation,
        "pre_inspection",
        planned_on="2015-07-08",
        done_on="2015-07-08",
        state="done",
        meeting=str(meeting.id),
        public="y",
        note=SECRET_NOTE,
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("#step-pre_inspection")
    db.session.expire_all()
    step = step_of(consultation, StepKind.pre_inspection)
    assert (step.planned_on, step.done_on, step.state, step.meeting_id, step.public, step.note) == (
        date(2015, 7, 8),
        date(2015, 7, 8),
        StepState.done,
        meeting.id,
        True,
        SECRET_NOTE,
    )
    page = staff_client.get(schedule_url(consultation)).get_data(as_text=True)
    assert calendar_day(date(2015, 7, 8), locale="ja") in page and "第3回 特定個人情報保護評価部会" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"planned_on": "2015/08/06", "state": "planned", "meeting": "0"}, "YYYY-MM-DD"),
        ({"planned_on": "<script>alert(1)</script>", "state": "planned", "meeting": "0"}, "YYYY-MM-DD"),
        ({"planned_on": "1868-01-01", "state": "planned", "meeting": "0"}, "between 2000 and 2099"),
        ({"planned_on": "2015-08-06", "state": "finished", "meeting": "0"}, "states listed"),
        ({"planned_on": "2015-08-06", "state": "planned", "meeting": "abc"}, "meetings listed"),
        ({"planned_on": "2015-08-06", "state": "done", "meeting": "0"}, "the day the step was done"),
    ],
)
def test_wrong_or_hostile_input_is_refused_with_a_message_and_nothing_written(staff_client, fields, message):
    staff_client.set_cookie("lang", "en")
    consultation = make_consultation()
    response = post_step(staff_client, consultation, "council_report", **fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'id="error-summary"' in page
    assert "<script>alert(1)</script>" not in page
    db.session.expire_all()
    count = (
        select(func.count()).select_from(ConsultationStep).where(ConsultationStep.consultation_id == consultation.id)
    )
    assert db.session.scalar(count) == 0


def test_an_unknown_step_is_not_found(staff_client):
    consultation = make_consultation()
    assert post_step(staff_client, consultation, "lunch", planned_on="2015-08-06").status_code == 404


def test_the_state_of_the_comment_period_is_not_taken_from_the_form(staff_client):
    consultation = make_consultation()  # open, but published outside the pages: its step is still planned
    page = staff_client.get(schedule_url(consultation)).get_data(as_text=True)
    assert 'name="comment_period-state"' not in page
    assert 'name="pre_inspection-state"' in page
    assert "#close-title" in page  # the action that moves it, on the consultation's page
    response = post_step(
        staff_client, consultation, "comment_period", planned_on="2015-07-21", state="done", done_on="2015-07-21"
    )
    assert response.status_code == 303
    db.session.expire_all()
    step = step_of(consultation, StepKind.comment_period)
    assert (step.planned_on, step.state, step.done_on) == (date(2015, 7, 21), StepState.planned, None)


def test_department_staff_cannot_see_or_edit_the_schedule(client):
    drafter = make_user(Role.department_staff)
    consultation = make_consultation(department=drafter.department.name)
    assert sign_in(client, drafter).status_code == 303
    assert client.get(schedule_url(consultation)).status_code == 403
    token = csrf_token_from(client.get("/auth/account").get_data(as_text=True))
    response = client.post(
        f"{schedule_url(consultation)}/pre_inspection",
        data={"pre_inspection-csrf_token": token, "pre_inspection-planned_on": "2015-07-08"},
    )
    assert response.status_code == 403
    assert client.get("/staff/schedule/slipped").status_code == 403
    db.session.expire_all()
    assert step_of(consultation, StepKind.pre_inspection).planned_on is None


def test_a_member_sees_the_schedule_on_the_portal_without_the_note(client):
    consultation = make_consultation(status=ConsultationStatus.responding)
    meeting = make_meeting(consultation, title="第4回 特定個人情報保護評価部会", held_on=date(2015, 8, 6))
    edit(step_of(consultation, StepKind.inspection), planned_on=date(2015, 8, 6), meeting=meeting, note=SECRET_NOTE)
    edit(step_of(consultation, StepKind.submission), planned_on=date(2015, 9, 30), public=False)
    assert sign_in(client, make_user(Role.member)).status_code == 303
    page = client.get(f"/committee/consultations/{consultation.id}").get_data(as_text=True)
    assert 'id="schedule-title"' in page
    assert calendar_day(date(2015, 8, 6), locale="ja") in page and "第4回 特定個人情報保護評価部会" in page
    assert calendar_day(date(2015, 9, 30), locale="ja") in page  # the committee sees the steps kept from the public too
    assert SECRET_NOTE not in page


def test_the_public_page_shows_the_public_steps_only_and_never_a_note(client):
    consultation = make_consultation()
    edit(step_of(consultation, StepKind.pre_inspection), planned_on=date(2015, 7, 8), note=SECRET_NOTE)
    edit(step_of(consultation, StepKind.inspection), planned_on=date(2015, 8, 6))
    edit(step_of(consultation, StepKind.submission), planned_on=date(2015, 9, 30), public=False)
    page = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert 'id="schedule-title"' in page
    assert calendar_day(date(2015, 7, 8), locale="ja") in page and calendar_day(date(2015, 8, 6), locale="ja") in page
    assert 'data-step="submission"' not in page and calendar_day(date(2015, 9, 30), locale="ja") not in page
    assert SECRET_NOTE not in page
    assert 'data-step="publication"' in page  # a public step without a date yet says so


def test_a_slipped_step_shows_on_the_progress_page_and_the_list_of_all(staff_client):
    staff_client.set_cookie("lang", "en")
    consultation = make_consultation(title="遅れている評価書")
    slipped_on = clock.japan_today() - timedelta(days=3)
    edit(step_of(consultation, StepKind.council_report), planned_on=slipped_on)
    edit(step_of(consultation, StepKind.submission), planned_on=clock.japan_today() + timedelta(days=3))
    page = staff_client.get(f"/staff/consultations/{consultation.id}/progress").get_data(as_text=True)
    section = page[page.index('id="slipped-title"') :]
    section = section[: section.index("</section>")]
    assert "Report to the council and its reply" in section
    assert "Submission to the Personal Information Protection Commission" not in section
    listing = staff_client.get("/staff/schedule/slipped").get_data(as_text=True)
    assert "遅れている評価書" in listing and f"{schedule_url(consultation)}#step-council_report" in listing
    assert "/staff/schedule/slipped" in staff_client.get("/staff/").get_data(as_text=True)
