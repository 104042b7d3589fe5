"""Each worker job's backlog is read off the rows waiting for it: how many, since when, and whether that is
longer than its threshold (comments/domain/lags.py)."""

from __future__ import annotations

from datetime import timedelta

from comments import clock
from comments.domain.audit import SYSTEM, record_event
from comments.domain.lags import measure_lags
from comments.domain.outbox import enqueue_mail
from comments.extensions import db
from comments.models import InboundMessage, InboundStatus, OutboxStatus
from comments.worker import run_pass
from tests.factories import make_consultation
from tests.functional.helpers import post_comment


def _quarantined(number: int) -> InboundMessage:
    return InboundMessage(
        message_key=f"{number:064x}",
        source="pipe",
        received_at=clock.now(),
        size=1,
        raw_sha256="0" * 64,
        status=InboundStatus.quarantined,
        reason="unknown_token",
    )


def test_what_waits_for_the_worker_is_counted_and_judged_against_its_threshold(app, client, frozen_clock):
    consultation = make_consultation()
    start = frozen_clock.current
    with app.app_context():
        before = measure_lags()
    for _ in range(3):
        assert post_comment(client, consultation, email="citizen@example.jp").status_code == 303
    with app.app_context():
        failed = enqueue_mail(to="someone@example.jp", subject="件名", body="本文")
        failed.status = OutboxStatus.failed
        db.session.add_all([_quarantined(1), _quarantined(2)])
        db.session.commit()

        now = measure_lags()
    assert now.search.count == before.search.count + 3
    assert now.mail.count == before.mail.count + 3  # the receipts; the failed one is counted apart
    assert now.audit.count >= before.audit.count + 3
    assert (now.failed_mail, now.quarantined_mail) == (before.failed_mail + 1, before.quarantined_mail + 2)
    assert now.search.oldest_at == start and now.over_threshold == []

    frozen_clock.set(start + timedelta(seconds=app.config["LAG_SEARCH_SECONDS"] + 1))
    with app.app_context():
        late = measure_lags()
    assert late.search.age_seconds == app.config["LAG_SEARCH_SECONDS"] + 1
    assert late.over_threshold == ["mail", "audit", "search"]

    with app.app_context():
        run_pass()
        caught_up = measure_lags(with_last_work=True)
    # The worker sealed and indexed everything (the mail has nowhere to go in the tests: it waits to be retried).
    assert (caught_up.audit.count, caught_up.search.count) == (0, 0)
    assert caught_up.last_sealed_event_at is not None
    assert "search" not in caught_up.over_threshold and "audit" not in caught_up.over_threshold


def test_a_job_with_nothing_waiting_is_never_behind(app, frozen_clock):
    consultation = make_consultation()
    with app.app_context():
        record_event(SYSTEM, "test.touched", consultation)
        db.session.commit()
        run_pass()
    frozen_clock.set(frozen_clock.current + timedelta(days=30))
    with app.app_context():
        lags = measure_lags()
    assert lags.audit.count == 0 and lags.audit.age_seconds == 0 and not lags.audit.over_threshold
