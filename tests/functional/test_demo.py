"""`flask seed-demo` shows every stage: the open consultation, and one taken through to published results."""

from __future__ import annotations

from sqlalchemy import select

from comments.demo.finished import FINISHED_SLUG, MEMBER_QUESTION
from comments.extensions import db
from comments.models import AuditEvent, Consultation, ConsultationStatus, ResultsChange


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
