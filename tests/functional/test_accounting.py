"""Every opinion counted (issue 12): the final packet and the results refuse while any submission is not
accounted for, leave out what was excluded, and say how many people sent how many opinions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from comments.domain.accounting import Fate, account_for_submissions
from comments.domain.audit import Actor
from comments.domain.packet import PacketNotReadyError, build_packet
from comments.domain.paper import decide_late_submission
from comments.domain.publication import PublicationError, prepare_results
from comments.domain.triage import ItemDraft, add_item, mark_not_an_opinion
from comments.extensions import db
from comments.models import ConsultationStatus, ItemKind, SubmitterKind
from comments.permissions import Role
from tests.factories import make_consultation, make_meeting, make_submission, make_user, respond

ACTOR = Actor("test")


@pytest.fixture
def office():
    return make_user(Role.secretariat), make_user(Role.department_staff), make_user(Role.secretariat)


def opinion(submission, clerk, gist=None):
    return add_item(
        submission,
        ItemDraft(0, len(submission.body), ItemKind.opinion, gist or submission.body),
        created_by=clerk,
        actor=ACTOR,
    )


def test_nothing_final_while_a_submission_is_untriaged_or_a_late_one_undecided(app, office):
    clerk, drafter, approver = office
    consultation = make_consultation(status=ConsultationStatus.inspected)  # the packet was inspected
    done = make_submission(consultation, body="暗号化の方式を示すべきです。")
    respond(opinion(done, clerk), author=drafter, approver=approver)
    untriaged = make_submission(consultation, body="保存期間を短くしてください。")
    late = make_submission(consultation, body="締切後ですが、委託先の監督について。", late=True)
    late_item = opinion(late, clerk, "締切後の意見（除外予定）")
    respond(late_item, author=drafter, approver=approver)
    organisation = make_submission(consultation, body="ご挨拶のみです。", submitter_kind=SubmitterKind.organisation)
    mark_not_an_opinion(organisation, 0, len(organisation.body), note="挨拶", created_by=clerk, actor=ACTOR)
    meeting = make_meeting(consultation)

    with app.test_request_context(), force_locale("en"):
        fates = {fate.id: fate.fate for fate in account_for_submissions(consultation).fates}
        assert fates == {
            done.id: Fate.items,
            untriaged.id: Fate.untriaged,
            late.id: Fate.late_undecided,
            organisation.id: Fate.not_an_opinion,
        }
        with pytest.raises(PacketNotReadyError) as refused:
            build_packet(meeting, final=True, locale="en", organisation="千葉市")
        message = str(refused.value.message)
        assert "2 submissions" in message and "are not accounted for" in message
        assert untriaged.receipt_number in message and late.receipt_number in message
        with pytest.raises(PublicationError) as refused:
            prepare_results(consultation, actor=ACTOR)
        assert untriaged.receipt_number in str(refused.value.message)

        respond(opinion(untriaged, clerk), author=drafter, approver=approver)
        decide_late_submission(late, included=False, reason="締切後の提出のため", decider=clerk, actor=ACTOR)
        db.session.flush()

        packet = build_packet(meeting, final=True, locale="en", organisation="千葉市")
        [part] = packet.consultations
        gists = [row.gist for row in part.rows]
        assert "締切後の意見（除外予定）" not in gists, "an excluded late submission is in neither document (R53)"
        assert len(gists) == 2
        assert "Senders: 3" in part.totals and "Opinions and questions: 2" in part.totals
        entries = prepare_results(consultation, actor=ACTOR)
    assert [entry.gist for entry in entries if "締切後" in entry.gist] == []
    assert len(entries) == 2


def test_no_final_packet_while_the_period_is_open(app, office):
    clerk, drafter, approver = office
    consultation = make_consultation()  # open, its deadline ahead
    submission = make_submission(consultation, body="意見です。")
    respond(opinion(submission, clerk), author=drafter, approver=approver)
    meeting = make_meeting(consultation)
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(PacketNotReadyError) as refused:
            build_packet(meeting, final=True, locale="en", organisation="千葉市")
        assert "has not been closed yet" in str(refused.value.message)
        assert build_packet(meeting, final=False, locale="en", organisation="千葉市").consultations[0].rows


def test_the_public_results_hold_citizens_opinions_with_their_section_and_no_member_question(app, client, office):
    clerk, drafter, approver = office
    member = make_user(Role.member)
    consultation = make_consultation(status=ConsultationStatus.inspected)  # the packet was inspected
    citizen = make_submission(consultation, body="第２章の記載を具体的にしてください。")
    question = make_submission(
        consultation,
        body="委員としての質問：照会先はどこですか。",
        member_id=member.id,
        submitter_kind=SubmitterKind.member,
    )
    respond(opinion(citizen, clerk), author=drafter, approver=approver, body="市の考え方：記載します。")
    respond(opinion(question, clerk), author=drafter, approver=approver, body="委員への回答：総務省です。")
    with app.test_request_context():
        entries = prepare_results(consultation, actor=ACTOR)
        assert [entry.gist for entry in entries] == [citizen.body]
        db.session.commit()
    consultation.results_published_at = datetime.now(UTC)
    db.session.commit()
    client.set_cookie("lang", "en")
    response = client.get(f"/consultations/{consultation.slug}/results")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert citizen.body in html and "市の考え方：記載します。" in html
    assert "照会先はどこですか" not in html and "総務省です" not in html
    assert "Section of the draft" in html
    assert "Senders: 1" in html, "people are counted among citizens only"
