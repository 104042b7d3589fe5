"""The committee's e-mail intake at volume: 10,000 messages through ``ingest_and_commit``, messages per second.

Run by hand, never by the tests:  .venv/bin/python bench/mail_ingest.py  (``--help`` for the knobs).

Issue 4 asks for a benchmark that ingests 10,000 messages and prints messages per second. The script
creates a throwaway database (a SQLite file in a temp dir; a PostgreSQL database named after its pid,
dropped on exit, when one answers on 127.0.0.1:5432), runs the migrations, makes one open consultation
and ``--members`` committee accounts with intake tokens, and writes ``--messages`` RFC 822 messages as
an MTA would deliver them, in this mix (fixed by ``--seed``):

* 70 % questions from members to their own address: Japanese text of 2 to 6 sentences from the seed
  minutes, ISO-2022-JP or UTF-8, one in five with a small DOCX or PDF attachment (the test fixtures);
* 10 % to an unknown token, 5 % from a stranger to a member's address (both quarantined);
* 5 % auto-replies and bounces (dropped);
* 10 % re-deliveries of a message already sent (same Message-ID: nothing new is written).

Each message goes through the very function ``flask mail ingest`` and ``flask mail poll`` call, one
transaction per message as in production (parse, checks, submission with receipt, attachment blobs,
acknowledgement in the outbox, audit event, commit). Message building is not timed. It prints, per
database, the wall time, messages per second, per-message p50/p95/p99 and the outcome counts, and
checks that every accepted question has exactly one submission.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_DIR))

SEED = PROJECT_DIR.parent / "shared" / "seed" / "000_13a970744ed75f4f.txt"
DOCUMENTS = PROJECT_DIR / "tests" / "data" / "documents"
DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def sentences_of(path: Path) -> list[str]:
    text = (
        path.read_text(encoding="utf-8")
        if path.exists()
        else "暗号化の方式について質問します。鍵の管理は誰が行いますか。"
    )
    found = [s.strip() + "。" for s in re.split(r"[。\n]", text) if 8 <= len(s.strip()) <= 120]
    return found or ["暗号化の方式について質問します。"]


def build_messages(count: int, members, *, local: str, domain: str, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    sentences = sentences_of(SEED)
    docx = (DOCUMENTS / "question-ja.docx").read_bytes()
    pdf = (DOCUMENTS / "question-ja.pdf").read_bytes()
    sent: list[bytes] = []
    messages: list[bytes] = []
    for number in range(count):
        roll = rng.random()
        if roll < 0.10 and sent:
            messages.append(rng.choice(sent))  # a re-delivery: same bytes, same Message-ID
            continue
        email, token = rng.choice(members)
        mail = EmailMessage()
        mail["Date"] = format_datetime(datetime.now().astimezone())
        mail["Message-ID"] = make_msgid(idstring=str(number), domain="bench.example.jp")
        mail["Subject"] = f"評価書（案）への質問 {number}"
        body = "".join(rng.sample(sentences, min(len(sentences), rng.randint(2, 6))))
        charset = "iso-2022-jp" if rng.random() < 0.5 else "utf-8"
        if roll < 0.80:
            mail["From"], mail["To"] = email, f"{local}+{token}@{domain}"
        elif roll < 0.90:
            mail["From"], mail["To"] = email, f"{local}+{secrets.token_urlsafe(32)}@{domain}"
        elif roll < 0.95:
            mail["From"], mail["To"] = f"stranger{number}@example.com", f"{local}+{token}@{domain}"
        else:
            mail["From"], mail["To"] = email, f"{local}+{token}@{domain}"
            mail["Auto-Submitted"] = "auto-replied"
            body = "ただいま不在にしております。"
        try:
            mail.set_content(body, charset=charset)
        except (UnicodeEncodeError, LookupError):
            mail.set_content(body, charset="utf-8")
        if roll < 0.80 and rng.random() < 0.2:
            if rng.random() < 0.5:
                mail.add_attachment(docx, maintype=DOCX_TYPE[0], subtype=DOCX_TYPE[1], filename="質問票.docx")
            else:
                mail.add_attachment(pdf, maintype="application", subtype="pdf", filename="質問票.pdf")
        raw = mail.as_bytes()
        sent.append(raw)
        messages.append(raw)
    return messages


def percentile(samples: list[float], p: int) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(url: str, label: str, args, storage: Path) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from comments import create_app
    from comments.domain.audit import Actor
    from comments.domain.committee import rotate_intake_token
    from comments.domain.departments import department_named
    from comments.extensions import db
    from comments.ingestion.mail.pipeline import ingest_and_commit
    from comments.models import Consultation, ConsultationStatus, InboundMessage, Submission
    from comments.permissions import Role
    from config import TestingConfig

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, ATTACHMENT_STORAGE=str(storage))
    with app.app_context():
        upgrade()
        from comments.domain.accounts import create_user

        now = datetime.now(UTC)
        db.session.add(
            Consultation(
                slug="bench-mail",
                title="後期高齢者医療事務 評価書（案）",
                affair="後期高齢者医療事務",
                department=department_named("健康保険課"),
                status=ConsultationStatus.open,
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=30),
            )
        )
        members = []
        for number in range(args.members):
            user = create_user(
                email=f"member{number}@bench.example.jp",
                display_name=f"委員{number}",
                password=secrets.token_urlsafe(16),
                roles={Role.member},
                actor=Actor("bench"),
            )
            db.session.flush()
            rotate_intake_token(user, Actor("bench"))
            members.append((user.email, user.intake_token))
        db.session.commit()
        messages = build_messages(
            args.messages,
            members,
            local=app.config["MAIL_INTAKE_LOCAL_PART"],
            domain=app.config["MAIL_INTAKE_DOMAIN"],
            seed=args.seed,
        )
        outcomes: dict[str, int] = {}
        samples = []
        started = time.perf_counter()
        for raw in messages:
            t0 = time.perf_counter()
            result = ingest_and_commit(raw, source="pipe")
            samples.append((time.perf_counter() - t0) * 1000)
            key = "duplicate" if result.duplicate else f"{result.message.status.value}"
            outcomes[key] = outcomes.get(key, 0) + 1
            db.session.remove()
        elapsed = time.perf_counter() - started
        accepted = db.session.scalar(
            select(func.count()).select_from(InboundMessage).where(InboundMessage.submission_id.is_not(None))
        )
        submissions = db.session.scalar(select(func.count()).select_from(Submission))
        db.engine.dispose()
    return {
        "label": label,
        "messages": len(messages),
        "seconds": elapsed,
        "per_second": len(messages) / elapsed,
        "p50": percentile(samples, 50),
        "p95": percentile(samples, 95),
        "p99": percentile(samples, 99),
        "outcomes": outcomes,
        "consistent": accepted == submissions == outcomes.get("accepted", 0),
    }


def postgres_url(admin_url: str) -> tuple[str, str] | None:
    try:
        import psycopg
        from psycopg import sql
        from sqlalchemy.engine import make_url

        name = f"comments_bench_{os.getpid()}_mail"
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
        return name, url.render_as_string(hide_password=False)
    except Exception as error:
        print(f"PostgreSQL not measured: {error}")
        return None


def drop(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000, help="messages to ingest (default 10,000)")
    parser.add_argument("--members", type=int, default=12, help="committee accounts with intake tokens")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/postgres")
    )
    args = parser.parse_args(argv)
    if not 100 <= args.messages <= 200_000 or not 1 <= args.members <= 500:
        parser.error("--messages must be 100..200,000 and --members 1..500")
    results = []
    with tempfile.TemporaryDirectory(prefix="comments-bench-mail-") as work:
        work_dir = Path(work)
        for database in args.databases.split(","):
            if database == "sqlite":
                results.append(
                    run(f"sqlite:///{work_dir / 'bench.sqlite3'}", "SQLite", args, work_dir / "blobs-sqlite")
                )
            elif database == "postgresql":
                created = postgres_url(args.postgres_url)
                if created is None:
                    continue
                name, url = created
                try:
                    results.append(run(url, "PostgreSQL", args, work_dir / "blobs-postgresql"))
                finally:
                    drop(args.postgres_url, name)
    print(
        f"\n{'database':<12}{'messages':>9}{'seconds':>9}{'msg/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}  outcomes"
    )
    ok = True
    for r in results:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items()))
        print(
            f"{r['label']:<12}{r['messages']:>9,}{r['seconds']:>9.1f}{r['per_second']:>8.0f}"
            f"{r['p50']:>8.1f}{r['p95']:>8.1f}{r['p99']:>8.1f}  {outcomes}"
        )
        if not r["consistent"]:
            print(f"  {r['label']}: accepted messages and submissions do not match")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
