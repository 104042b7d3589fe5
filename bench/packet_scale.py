"""The inspection packet of a meeting with 5,000 items, end to end: seconds per format.

Run by hand, never by the tests:  .venv/bin/python bench/packet_scale.py  (``--help`` for the knobs).

Issue 5 asks for a benchmark that builds the packet for 5,000 items and prints seconds per format. This
one measures what the secretariat waits for: it migrates a throwaway database (a SQLite file in a temp
dir, or PostgreSQL with ``--postgres``), writes ``--items`` items over two consultations (Japanese gists
and approved responses from the seed minutes, one in twenty in a same-purport group of three, one in
ten with a public inquiry, 1 % carried over), then requests each format through the real views as a
signed-in secretariat (second factor included): the printable page, the final DOCX and the final CSV,
``--runs`` times each, and prints every run and the median. Each request assembles the packet from the
database (``build_packet``), builds the format and writes its audit event; the figures include all of it.
The builders alone are timed by bench/packet_build.py.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_DIR))

# A throwaway database's account, made and dropped by this script: not a secret.
CLERK_PASSWORD = "bench-secretariat-passphrase-2026"  # noqa: S105
SEED = PROJECT_DIR.parent / "shared" / "seed" / "000_13a970744ed75f4f.txt"


def sentences() -> list[str]:
    text = SEED.read_text(encoding="utf-8") if SEED.exists() else "暗号化の方式について質問します。"
    found = [s.strip() + "。" for s in re.split(r"[。\n]", text) if 10 <= len(s.strip()) <= 120]
    return found or ["暗号化の方式について質問します。"]


def build(app, items: int, seed: int) -> int:
    """Write the data; return the meeting's id."""
    from comments.domain.accounts import create_user, enable_totp, new_totp_secret
    from comments.domain.audit import Actor
    from comments.domain.departments import department_named
    from comments.extensions import db
    from comments.models import (
        Channel,
        Consultation,
        ConsultationStatus,
        Inquiry,
        Item,
        ItemKind,
        Meeting,
        Response,
        ResponseCategory,
        ResponseRevision,
        ResponseState,
        SamePurportGroup,
        Submission,
        Submitter,
        SubmitterKind,
    )
    from comments.permissions import Role

    rng = random.Random(seed)
    pool = sentences()
    actor = Actor("bench")
    now = datetime.now(UTC)
    clerk = create_user(
        email="bench-clerk@example.jp",
        display_name="事務局",
        password=CLERK_PASSWORD,
        roles={Role.secretariat},
        actor=actor,
    )
    enable_totp(clerk, new_totp_secret(), actor)
    approver = create_user(
        email="bench-approver@example.jp",
        display_name="承認者",
        password=CLERK_PASSWORD + "-approver",
        roles={Role.secretariat},
        actor=actor,
    )
    consultations = []
    for number in (1, 2):
        consultation = Consultation(
            slug=f"bench-packet-{number}",
            title=f"後期高齢者医療事務 全項目評価書（案） {number}",
            affair="後期高齢者医療事務",
            department=department_named("健康保険課"),
            status=ConsultationStatus.responding,
            opens_at=now - timedelta(days=60),
            closes_at=now - timedelta(days=29),
        )
        db.session.add(consultation)
        consultations.append(consultation)
    db.session.flush()
    group = None
    numbers = {c.id: 0 for c in consultations}
    for index in range(items):
        consultation = consultations[index % 2]
        text = "".join(rng.sample(pool, rng.randint(2, 5)))
        submission = Submission(
            consultation_id=consultation.id,
            receipt_number=f"{index:010d}",
            channel=Channel.web,
            submitter_kind=SubmitterKind.citizen,
            body=text,
            received_at=now - timedelta(days=40),
            fingerprint="0" * 64,
            submitter=Submitter(name="山田花子", email="hanako@example.jp", contact="千葉市中央区1-1"),
        )
        db.session.add(submission)
        db.session.flush()
        numbers[consultation.id] += 1
        item = Item(
            consultation_id=consultation.id,
            submission_id=submission.id,
            number=numbers[consultation.id],
            start_offset=0,
            end_offset=len(text),
            kind=ItemKind.opinion,
            gist=text[:300],
            created_by_id=clerk.id,
        )
        if index % 20 < 3:  # one in twenty starts a group of three
            if index % 20 == 0 or group is None or group.consultation_id != consultation.id:
                group = SamePurportGroup(consultation_id=consultation.id, gist=text[:200], created_by_id=clerk.id)
                db.session.add(group)
                db.session.flush()
                body = "".join(rng.sample(pool, 2))
                db.session.add(
                    Response(
                        group_id=group.id,
                        state=ResponseState.approved,
                        body=body,
                        category=ResponseCategory.answered,
                        last_author_id=clerk.id,
                        approved_by_id=approver.id,
                        approved_at=now,
                    )
                )
            item.group_id = group.id
        if index % 100 == 99:
            item.carried_over_reason = "国の回答待ちのため次回の部会で説明"
            item.carried_over_at = now
        db.session.add(item)
        db.session.flush()
        if item.group_id is None and not item.carried_over_reason:
            body = "".join(rng.sample(pool, rng.randint(1, 3)))
            response = Response(
                item_id=item.id,
                state=ResponseState.approved,
                body=body,
                category=ResponseCategory.answered,
                last_author_id=clerk.id,
                approved_by_id=approver.id,
                approved_at=now,
            )
            response.revisions.append(ResponseRevision(number=1, body=body, author_id=clerk.id))
            db.session.add(response)
        if index % 10 == 5:
            db.session.add(
                Inquiry(
                    consultation_id=consultation.id,
                    body_name="総務省",
                    question=rng.choice(pool),
                    sent_on=date(2015, 8, 1),
                    sent_how="メール",
                    answer=rng.choice(pool),
                    answered_on=date(2015, 9, 1),
                    answer_public=True,
                    created_by_id=clerk.id,
                    items=[item],
                )
            )
    meeting = Meeting(title="第3回 特定個人情報保護評価部会", held_on=date(2015, 9, 3))
    meeting.consultations.extend(consultations)
    db.session.add(meeting)
    db.session.commit()
    return meeting.id


def sign_in(client, app) -> None:
    import pyotp
    from sqlalchemy import select

    from comments import clock
    from comments.extensions import db
    from comments.models import User
    from tests.conftest import csrf_token_from

    with app.app_context():
        secret = db.session.scalar(select(User.totp_secret).where(User.email == "bench-clerk@example.jp"))
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    client.post(
        "/auth/login",
        data={"csrf_token": token, "email": "bench-clerk@example.jp", "password": CLERK_PASSWORD},
    )
    token = csrf_token_from(client.get("/auth/second-factor").get_data(as_text=True))
    response = client.post(
        "/auth/second-factor", data={"csrf_token": token, "code": pyotp.TOTP(secret).at(clock.now())}
    )
    if response.status_code != 303:
        raise SystemExit("could not sign in as the benchmark's secretariat")


def confirm_password(client) -> None:
    """The final packet goes only to someone who entered their password in the last five minutes (R27)."""
    from tests.conftest import csrf_token_from

    token = csrf_token_from(client.get("/auth/confirm-password").get_data(as_text=True))
    response = client.post("/auth/confirm-password", data={"csrf_token": token, "password": CLERK_PASSWORD})
    if response.status_code != 303:
        raise SystemExit("could not confirm the benchmark's secretariat's password")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        nargs="?",
        const=os.environ.get("BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/postgres"),
        help="measure on a throwaway PostgreSQL database created through this server instead of SQLite",
    )
    args = parser.parse_args(argv)
    if not 10 <= args.items <= 100_000 or not 1 <= args.runs <= 20:
        parser.error("--items must be 10..100,000 and --runs 1..20")

    from flask_migrate import upgrade

    from comments import create_app
    from config import TestingConfig

    with tempfile.TemporaryDirectory(prefix="comments-bench-packet-") as work:
        name = None
        if args.postgres:
            import psycopg
            from psycopg import sql
            from sqlalchemy.engine import make_url

            name = f"comments_bench_{os.getpid()}_packet"
            with psycopg.connect(args.postgres, autocommit=True) as admin:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            url = make_url(args.postgres).set(drivername="postgresql+psycopg", database=name)
            url = url.render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{Path(work) / 'bench.sqlite3'}"
        try:
            app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, ATTACHMENT_STORAGE=str(Path(work) / "blobs"))
            with app.app_context():
                upgrade()
                t0 = time.perf_counter()
                meeting_id = build(app, args.items, args.seed)
                print(
                    f"built {args.items:,} items in {time.perf_counter() - t0:.1f} s ({'PostgreSQL' if name else 'SQLite'})"
                )
            client = app.test_client()
            sign_in(client, app)
            formats = {
                "print page (HTML)": f"/staff/meetings/{meeting_id}/packet",
                "DOCX (final)": f"/staff/meetings/{meeting_id}/packet.docx?final=1",
                "CSV (final)": f"/staff/meetings/{meeting_id}/packet.csv?final=1",
            }
            print(f"\n{'format':<20}{'runs (s)':<28}{'median s':>9}{'size':>12}")
            for label, path in formats.items():
                runs, size = [], 0
                for _ in range(args.runs):
                    if "final=1" in path:
                        confirm_password(client)  # not timed: a run may outlast the five minutes
                    t0 = time.perf_counter()
                    response = client.get(path)
                    runs.append(time.perf_counter() - t0)
                    if response.status_code != 200:
                        raise SystemExit(f"{label}: HTTP {response.status_code}")
                    size = len(response.data)
                shown = ", ".join(f"{r:.2f}" for r in runs)
                print(f"{label:<20}{shown:<28}{statistics.median(runs):>9.2f}{size / 1e6:>10.1f} MB")
            with app.app_context():
                from comments.extensions import db

                db.engine.dispose()
        finally:
            if name:
                import psycopg
                from psycopg import sql

                with psycopg.connect(args.postgres, autocommit=True) as admin:
                    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
