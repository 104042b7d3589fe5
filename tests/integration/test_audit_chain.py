"""The audit trail's hash chain (R43): sealing, and `flask audit verify` finding edits, deletions and forgeries.

Other tests of the session may have left unsealed events behind (the browser tests commit through a
live server), so every assertion is about the events a test records itself or about verify's verdict.
"""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import pairwise

import pytest
from sqlalchemy import select, text

from comments.domain.audit import (
    GENESIS_HASH,
    SYSTEM,
    event_hash,
    parse_heads,
    record_event,
    seal_events,
    verify_chain,
)
from comments.extensions import db
from comments.models import AuditEvent
from comments.worker import run_worker
from tests.factories import make_consultation


def record(count: int) -> list[int]:
    """Record ``count`` events on a fresh consultation and commit (into the test's transaction)."""
    consultation = make_consultation()
    for number in range(count):
        record_event(SYSTEM, "test.touched", consultation, number=number, note="監査テスト")
    db.session.commit()
    return list(
        db.session.execute(
            select(AuditEvent.id)
            .where(AuditEvent.object_type == "consultations", AuditEvent.object_id == str(consultation.id))
            .order_by(AuditEvent.id)
        ).scalars()
    )


def chain_of(ids: list[int]) -> list[tuple[int, int, str, str]]:
    """(id, seq, prev_hash, hash) of these events, read fresh from the database, in id order."""
    rows = db.session.execute(
        select(AuditEvent.id, AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash)
        .where(AuditEvent.id.in_(ids))
        .order_by(AuditEvent.id)
    )
    return [tuple(row) for row in rows]


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["audit", *args])


def verify(app):
    return invoke(app, "verify")


@pytest.fixture
def sealed(app):
    """Five events recorded by this test and sealed with everything else pending, through the CLI."""
    ids = record(5)
    result = invoke(app, "seal")
    assert result.exit_code == 0, result.output
    assert int(re.search(r"sealed (\d+) events", result.output).group(1)) >= 5
    return ids


def test_sealing_gives_consecutive_seq_and_a_valid_chain(app, sealed):
    rows = chain_of(sealed)
    seqs = [seq for _id, seq, _prev, _hash in rows]
    assert seqs == list(range(seqs[0], seqs[0] + 5)), "sealed in id order, no gaps"
    for (_id, _seq, _prev, previous_hash), (_id2, _seq2, prev_hash, _hash2) in pairwise(rows):
        assert prev_hash == previous_hash
    first = db.session.execute(select(AuditEvent).where(AuditEvent.seq == 1)).scalar_one()
    assert first.prev_hash == GENESIS_HASH
    last = db.session.execute(select(AuditEvent).where(AuditEvent.id == sealed[-1])).scalar_one()
    assert last.hash == event_hash(last, last.seq, last.prev_hash)

    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "chain intact" in result.output
    assert f"head: seq {rows[-1][1]} hash {rows[-1][3]}" in result.output
    assert "sealed 0" in invoke(app, "seal").output, "sealing again changes nothing"


def test_an_edited_detail_is_found(app, sealed):
    victim = sealed[2]
    db.session.execute(
        text("UPDATE audit_events SET detail = :detail WHERE id = :id"), {"detail": '{"number": 99}', "id": victim}
    )
    db.session.commit()
    result = verify(app)
    assert result.exit_code == 1, result.output
    [problem] = [line for line in result.output.splitlines() if line.startswith("PROBLEM")]
    assert f"event id {victim}" in problem
    assert "edited" in problem


def test_an_edited_actor_is_found_even_with_its_hash_recomputed_in_place(app, sealed):
    # Someone who knows the algorithm rewrites the actor and the hash of that one row: the next event's
    # prev_hash still names the old hash, so the link after it breaks.
    victim, successor = sealed[1], sealed[2]
    db.session.execute(text("UPDATE audit_events SET actor = 'nobody' WHERE id = :id"), {"id": victim})
    row = db.session.execute(
        select(AuditEvent).where(AuditEvent.id == victim).execution_options(populate_existing=True)
    ).scalar_one()
    db.session.execute(
        text("UPDATE audit_events SET hash = :hash WHERE id = :id"),
        {"hash": event_hash(row, row.seq, row.prev_hash), "id": victim},
    )
    result = verify(app)
    assert result.exit_code == 1, result.output
    assert f"(event id {successor}): its prev_hash is not the hash of the event before it" in result.output


def test_a_deleted_event_in_the_middle_is_found(app, sealed):
    [(_id, deleted_seq, _prev, _hash)] = chain_of([sealed[2]])
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": sealed[2]})
    result = verify(app)
    assert result.exit_code == 1, result.output
    assert f"seq {deleted_seq + 1} (event id {sealed[3]}): seq {deleted_seq} missing before it" in result.output


def test_a_forged_event_inserted_in_the_middle_is_found(app, sealed):
    # The forger makes room by moving the last event one seq up, and gives the forged event a correct
    # link and hash; the moved event still points at its old predecessor and no longer matches its hash.
    rows = chain_of(sealed)
    last_id, last_seq = rows[-1][0], rows[-1][1]
    previous_hash = rows[-2][3]
    db.session.execute(
        text("UPDATE audit_events SET seq = :new WHERE id = :id"), {"new": last_seq + 1_000_000, "id": last_id}
    )
    forged = AuditEvent(
        occurred_at=db.session.get(AuditEvent, sealed[0]).occurred_at,
        actor="system",
        action="test.touched",
        object_type="consultations",
        object_id="0",
        detail={"number": -1},
        seq=last_seq,
        prev_hash=previous_hash,
    )
    forged.hash = event_hash(forged, last_seq, previous_hash)
    db.session.add(forged)
    db.session.flush()
    db.session.execute(text("UPDATE audit_events SET seq = :new WHERE id = :id"), {"new": last_seq + 1, "id": last_id})
    result = verify(app)
    assert result.exit_code == 1, result.output
    assert f"event id {forged.id}" not in result.output, "the forged event itself is consistent"
    problems = [line for line in result.output.splitlines() if f"(event id {last_id})" in line]
    assert any("prev_hash is not the hash of the event before it" in line for line in problems), result.output
    assert any("no longer matches its hash" in line for line in problems), result.output


def test_a_forged_event_appended_with_a_made_up_hash_is_found(app, sealed):
    # The newest sealed event of the whole database may be another test's; append after the head.
    head = db.session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).one()
    forged = AuditEvent(
        actor="system",
        action="test.touched",
        object_type="consultations",
        detail={},
        seq=head.seq + 1,
        prev_hash=head.hash,
        hash="f" * 64,
    )
    db.session.add(forged)
    db.session.flush()
    result = verify(app)
    assert result.exit_code == 1, result.output
    assert f"seq {head.seq + 1} (event id {forged.id}): its content no longer matches its hash" in result.output


def test_events_recorded_after_sealing_are_pending_and_sealing_continues_the_chain(app, sealed):
    [(_id, last_seq, _prev, last_hash)] = chain_of([sealed[-1]])
    later = record(2)
    assert [seq for _id, seq, _prev, _hash in chain_of(later)] == [None, None]
    before = verify_chain()
    assert before.intact, before.problems
    assert before.unsealed >= 2
    result = verify(app)
    assert result.exit_code == 0, result.output

    assert seal_events() >= 2
    db.session.commit()
    [(_a, first_seq, first_prev, first_hash), (_b, second_seq, second_prev, _h)] = chain_of(later)
    assert first_seq == last_seq + 1
    assert first_prev == last_hash
    assert second_seq == first_seq + 1
    assert second_prev == first_hash
    after = verify_chain()
    assert after.intact, after.problems
    assert after.unsealed == 0
    assert after.sealed == before.sealed + before.unsealed


def test_seal_respects_its_limit(app, sealed):
    later = record(3)
    assert seal_events(limit=2) == 2
    assert [seq is None for _id, seq, _prev, _hash in chain_of(later)] == [False, False, True]
    assert verify_chain().intact


def test_the_outbox_worker_seals_the_trail(app):
    ids = record(3)
    with app.app_context():
        run_worker(0.1, stop_after=1)
    assert all(seq is not None for _id, seq, _prev, _hash in chain_of(ids))
    assert verify_chain().intact


def _head_file(app, tmp_path):
    result = invoke(app, "head")
    assert result.exit_code == 0, result.output
    path = tmp_path / "heads.log"
    path.write_text("an operator's note\n" + result.output, encoding="utf-8")
    return path, parse_heads(result.output)[0]


def test_deleting_the_newest_sealed_events_shows_against_the_published_head(app, sealed, tmp_path):
    """Issue 11, item 10: without a head kept outside, deleting the last events leaves an intact chain."""
    path, head = _head_file(app, tmp_path)
    db.session.execute(text("DELETE FROM audit_events WHERE seq > :seq"), {"seq": head.seq - 2})
    db.session.commit()
    assert "chain intact" in verify(app).output, "the chain alone cannot see it: that is why the head is kept"
    result = invoke(app, "verify", "--head", str(path))
    assert result.exit_code == 1, result.output
    assert f"PROBLEM seq {head.seq} (no such event)" in result.output
    assert "the newest sealed events were deleted" in result.output


def test_a_chain_rewritten_from_an_event_on_shows_against_the_published_head(app, sealed, tmp_path):
    path, head = _head_file(app, tmp_path)
    # Someone who knows the algorithm edits one event and recomputes every hash after it.
    (first_seq,) = db.session.execute(select(AuditEvent.seq).where(AuditEvent.id == sealed[1])).one()
    db.session.execute(text("UPDATE audit_events SET actor = 'nobody' WHERE id = :id"), {"id": sealed[1]})
    prev_hash = db.session.execute(select(AuditEvent.hash).where(AuditEvent.seq == first_seq - 1)).scalar_one()
    rows = db.session.execute(
        select(AuditEvent)
        .where(AuditEvent.seq >= first_seq)
        .order_by(AuditEvent.seq)
        .execution_options(populate_existing=True)
    ).scalars()
    for row in list(rows):
        digest = event_hash(row, row.seq, prev_hash)
        db.session.execute(
            text("UPDATE audit_events SET prev_hash = :prev, hash = :hash WHERE id = :id"),
            {"prev": prev_hash, "hash": digest, "id": row.id},
        )
        prev_hash = digest
    db.session.commit()
    assert "chain intact" in verify(app).output
    result = invoke(app, "verify", "--head", str(path))
    assert result.exit_code == 1, result.output
    assert f"PROBLEM seq {head.seq}" in result.output and "the chain was rewritten" in result.output


def test_an_untouched_chain_holds_its_published_heads(app, sealed, tmp_path):
    path, _head = _head_file(app, tmp_path)
    record(2)
    invoke(app, "seal")
    result = invoke(app, "verify", "--head", str(path))
    assert result.exit_code == 0, result.output
    assert "chain intact, and it holds the 1 published head(s)" in result.output


def test_verify_says_what_is_wrong_with_a_file_without_a_head(app, tmp_path):
    path = tmp_path / "empty.log"
    path.write_text("nothing here\n", encoding="utf-8")
    result = invoke(app, "verify", "--head", str(path))
    assert result.exit_code == 2
    assert "holds no head line" in result.output


def test_the_worker_publishes_the_head_once_a_day_outside_the_database(app, tmp_path, monkeypatch, frozen_clock):
    from comments import worker
    from comments.models import OutboxMessage

    heads = tmp_path / "published" / "heads.log"
    monkeypatch.setitem(app.config, "AUDIT_HEAD_FILE", str(heads))
    monkeypatch.setitem(app.config, "AUDIT_HEAD_MAIL_TO", "audit-heads@city.example")
    monkeypatch.setattr(worker, "_head_published_at", None)
    record(2)
    with app.app_context():
        run_worker(0, stop_after=1)
        run_worker(0, stop_after=1)  # the same day: nothing more
    lines = parse_heads(heads.read_text(encoding="utf-8"))
    assert len(lines) == 1
    assert lines[0].hash == verify_chain().head_hash
    mails = [m for m in db.session.scalars(select(OutboxMessage)) if m.to_address == "audit-heads@city.example"]
    assert len(mails) == 1 and lines[0].hash in mails[0].body_text
    frozen_clock.set(frozen_clock.current + timedelta(days=1, minutes=1))
    with app.app_context():
        run_worker(0, stop_after=1)
    assert len(parse_heads(heads.read_text(encoding="utf-8"))) == 2
