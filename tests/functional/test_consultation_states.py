"""A consultation's states are a guarded sequence (issue 12, item 1): draft → open → closed → responding →
inspected → results published → archived. Each step out of order is refused with a message that says what is
missing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from comments import clock
from comments.domain import DomainError
from comments.domain.audit import Actor
from comments.domain.consultations import (
    archive_consultation,
    begin_responses,
    close_consultation,
    open_consultation,
    record_inspection,
)
from comments.domain.deadlines import end_of_day, start_of_day
from comments.domain.meetings import record_packet_export
from comments.domain.packet import PacketNotReadyError, build_packet
from comments.domain.publication import (
    correct_published_entry,
    prepare_results,
    publish_results,
    published_entries,
)
from comments.domain.triage import ItemDraft, add_item
from comments.models import ConsultationStatus, ItemKind
from comments.permissions import Role
from tests.factories import make_consultation, make_meeting, make_submission, make_user, respond

ACTOR = Actor("test")


def refused(step, *args, **kwargs) -> str:
    with pytest.raises(DomainError) as raised:
        step(*args, **kwargs)
    return str(raised.value.message)


def test_every_state_in_order_and_every_step_out_of_order_refused(app, frozen_clock):
    clerk, drafter, approver = (
        make_user(Role.secretariat),
        make_user(Role.department_staff),
        make_user(Role.secretariat),
    )
    today = clock.japan_today()
    consultation = make_consultation(
        status=ConsultationStatus.draft,
        opens_at=start_of_day(today),
        closes_at=end_of_day(today + timedelta(days=29)),
    )
    meeting = make_meeting(consultation, held_on=today + timedelta(days=45))
    other_meeting = make_meeting(make_consultation(), held_on=today + timedelta(days=45))

    def final_packet():
        with app.test_request_context():
            packet = build_packet(meeting, final=True, locale="en", organisation="千葉市")
        record_packet_export(meeting, fmt="docx", final=True, draft=packet.draft, actor=ACTOR)

    # The steps in the order a city takes them, each preceded by the ones out of order.
    # draft
    assert "Close the consultation first" in refused(begin_responses, consultation, ACTOR)
    assert "Start preparing the responses first" in refused(record_inspection, consultation, meeting, "了承", ACTOR)
    assert "Close the consultation before preparing" in refused(prepare_results, consultation, actor=ACTOR)
    assert "Close the consultation before publishing" in refused(
        publish_results, consultation, confirmed=True, actor=ACTOR
    )
    open_consultation(consultation, ACTOR)
    assert consultation.status == ConsultationStatus.open

    # open
    submission = make_submission(consultation, body="暗号化の方式を示すべきです。")
    assert "has not ended yet" in refused(close_consultation, consultation, ACTOR)
    assert "Close the consultation first" in refused(begin_responses, consultation, ACTOR)
    with pytest.raises(PacketNotReadyError) as not_ready:
        final_packet()
    assert "has not been closed yet" in str(not_ready.value.message)

    # closed
    frozen_clock.set(consultation.closes_at + timedelta(hours=1))
    close_consultation(consultation, ACTOR)
    assert "Start preparing the responses first" in refused(record_inspection, consultation, meeting, "了承", ACTOR)
    assert "Record the committee's inspection" in refused(prepare_results, consultation, actor=ACTOR)

    # responding
    begin_responses(consultation, ACTOR)
    assert consultation.status == ConsultationStatus.responding
    assert "already being prepared" in refused(begin_responses, consultation, ACTOR)
    assert "Make the final packet of that meeting first" in refused(
        record_inspection, consultation, meeting, "了承", ACTOR
    )
    assert "covers this consultation" in refused(record_inspection, consultation, other_meeting, "了承", ACTOR)
    with pytest.raises(PacketNotReadyError) as not_ready:
        final_packet()
    assert submission.receipt_number in str(not_ready.value.message), "the untriaged submission is named"
    item = add_item(
        submission,
        ItemDraft(0, len(submission.body), ItemKind.opinion, submission.body),
        created_by=clerk,
        actor=ACTOR,
    )
    respond(item, author=drafter, approver=approver)
    final_packet()
    assert "Write what the committee concluded" in refused(record_inspection, consultation, meeting, " ", ACTOR)
    record_inspection(consultation, meeting, "回答を了承", ACTOR)

    # inspected
    assert consultation.status == ConsultationStatus.inspected
    assert (consultation.inspected_on, consultation.inspection_outcome) == (meeting.held_on, "回答を了承")
    assert "Prepare the results first" in refused(publish_results, consultation, confirmed=True, actor=ACTOR)
    prepare_results(consultation, actor=ACTOR)
    assert "Tick the box" in refused(publish_results, consultation, confirmed=False, actor=ACTOR)
    publish_results(consultation, confirmed=True, actor=ACTOR)
    assert consultation.status == ConsultationStatus.published
    assert "already published" in refused(publish_results, consultation, confirmed=True, actor=ACTOR)
    assert "already published" in refused(prepare_results, consultation, actor=ACTOR)

    # archived
    archive_consultation(consultation, ACTOR)
    assert consultation.status == ConsultationStatus.archived
    assert "Only a consultation whose results are published" in refused(archive_consultation, consultation, ACTOR)
    [entry] = published_entries(consultation)
    assert "archived" in refused(
        correct_published_entry, entry, field="response", text="後から", reason="訂正", user=clerk, actor=ACTOR
    )
