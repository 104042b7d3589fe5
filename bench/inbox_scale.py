"""The staff inbox at scale: a million submissions on PostgreSQL, first page and Japanese search timed.

Run by hand, never by the tests:  .venv/bin/python bench/inbox_scale.py  (``--help`` for the knobs).

The issue's target: with 1,000,000 submissions the inbox answers its first page and a Japanese search
in under 100 ms at the 95th percentile. The script creates a throwaway PostgreSQL database (named after
its pid, dropped on exit, Ctrl+C included), runs the migrations, and writes ``--rows`` submissions with
COPY: Japanese text made of 2 to 6 sentences drawn at random from the seed minutes (so 意見 and 暗号
occur in some submissions and 量子 or 生体認証 in none), a mix of channels and submitter kinds, a few late,
one in ten with an attachment, spread over 30 days; 95 % belong to the consultation measured, the rest
to another one. Each submission's search row is written with the application's own ``search_terms``.
The GIN index of the migration is dropped for the load and created again from its own definition
afterwards (building it once is far quicker than keeping it up to date row by row), then ANALYZE.

Then it times, in-process through the application's own query functions (``list_inbox``: the exact
SELECT the inbox page runs, rows fetched and turned into objects; template rendering and HTTP are not
included), each query ``--repeats`` times, and prints p50/p95/p99 in ms with the rows found, and the
EXPLAIN (ANALYZE, BUFFERS) of the searches so you can see the GIN index at work.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_DIR))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

# The meeting minutes beside the project (shared/seed/), as the design lays the folders out.
SEED = PROJECT_DIR.parent / "shared" / "seed" / "000_13a970744ed75f4f.txt"
HOST = "127.0.0.1"
CHANNELS = ["web"] * 14 + ["email"] * 3 + ["post", "fax", "in_person", "upload"]
KINDS = ["citizen"] * 16 + ["organisation"] * 2 + ["member", "observer", "other"]
# What staff will type: two-character words (common, rarer), longer phrases, words that never occur.
# The seed's sentences repeat, so a word of one sentence (渡辺, 政策法務) is in about 1 % of submissions:
# the hardest case, too many rows for the index to sort quickly, too few to find by reading in date order.
SEARCHES = [
    "意見",
    "暗号",
    "委託",
    "個人情報保護",
    "特定個人情報の",
    "アクセスログ",
    "渡辺",
    "政策法務",
    "コミュニティセンター",
    "量子",
    "生体認証",
]
PERCENTILES = (50, 95, 99)


def sentences_of(path: Path) -> list[str]:
    """Sentences of the seed minutes, 10 to 150 characters long, each ending in 。."""
    raw = path.read_text(encoding="utf-8")
    return [s.strip() + "。" for s in re.split(r"[。\n]", raw) if 10 <= len(s.strip()) <= 150]


def percentile(samples: list[float], p: int) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def create_database(admin_url: str) -> tuple[str, str]:
    import psycopg
    from psycopg import sql

    name = f"comments_bench_{os.getpid()}_inbox"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return name, url


def drop_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def build(app, url: str, rows: int, seed: int) -> tuple[int, int]:
    """Migrate, then COPY ``rows`` submissions with their search rows; return the two consultation ids."""
    import psycopg
    from flask_migrate import upgrade

    from comments.domain.departments import department_named
    from comments.domain.search import search_terms
    from comments.extensions import db
    from comments.models import Consultation, ConsultationStatus

    with app.app_context():
        upgrade()
        now = datetime.now(UTC)
        measured, other = (
            Consultation(
                slug=f"bench-{n}",
                title=f"後期高齢者医療事務 評価書（案） {n}",
                affair="後期高齢者医療事務",
                department=department_named("健康保険課"),
                status=ConsultationStatus.open,
                opens_at=now - timedelta(days=30),
                closes_at=now + timedelta(days=1),
            )
            for n in (1, 2)
        )
        db.session.add_all([measured, other])
        db.session.commit()
        ids = measured.id, other.id
        db.engine.dispose()

    rng = random.Random(seed)
    sentences = sentences_of(SEED)
    start = datetime.now(UTC) - timedelta(days=30)
    span = 30 * 24 * 3600
    libpq_url = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(libpq_url) as connection:
        index_sql = connection.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_submission_search_terms'"
        ).fetchone()[0]
        connection.execute("DROP INDEX ix_submission_search_terms")
        with connection.cursor() as cursor:
            t0 = time.perf_counter()
            with cursor.copy(
                "COPY submissions (id, consultation_id, receipt_number, channel, submitter_kind, body, "
                "received_at, late, masked_numbers, fingerprint, created_at) FROM STDIN"
            ) as submissions_copy:
                terms_rows = []
                for number in range(1, rows + 1):
                    body = "".join(rng.sample(sentences, rng.randint(2, 6)))
                    received = start + timedelta(seconds=rng.random() * span)
                    consultation_id = ids[0] if rng.random() < 0.95 else ids[1]
                    submissions_copy.write_row(
                        (
                            number,
                            consultation_id,
                            f"{number:010d}",
                            rng.choice(CHANNELS),
                            rng.choice(KINDS),
                            body,
                            received,
                            rng.random() < 0.02,
                            0,
                            "0" * 64,
                            received,
                        )
                    )
                    terms_rows.append((number, search_terms(body), consultation_id, received))
            print(f"  submissions copied: {time.perf_counter() - t0:.1f} s", flush=True)
            t0 = time.perf_counter()
            with cursor.copy(
                "COPY submission_search (submission_id, terms, consultation_id, received_at) FROM STDIN"
            ) as terms_copy:
                for row in terms_rows:
                    terms_copy.write_row(row)
            del terms_rows
            with cursor.copy(
                "COPY attachments (submission_id, position, filename, content_type, size, sha256) FROM STDIN"
            ) as attachments_copy:
                for number in range(1, rows + 1, 10):
                    attachments_copy.write_row((number, 1, "資料.pdf", "application/pdf", 1234, "a" * 64))
            cursor.execute("SELECT setval('submissions_id_seq', %s)", (rows,))
            print(f"  search rows and attachments copied: {time.perf_counter() - t0:.1f} s", flush=True)
        connection.commit()
        t0 = time.perf_counter()
        connection.execute("SET maintenance_work_mem = '512MB'")
        connection.execute(index_sql)
        connection.commit()
        print(f"  GIN index built: {time.perf_counter() - t0:.1f} s", flush=True)
        connection.autocommit = True
        t0 = time.perf_counter()
        connection.execute("VACUUM ANALYZE")
        print(f"  VACUUM ANALYZE: {time.perf_counter() - t0:.1f} s", flush=True)
    return ids


def measure(app, consultation_id: int, repeats: int) -> None:
    from sqlalchemy.dialects import postgresql

    from comments.domain.inbox import InboxFilters, count_inbox, inbox_statement, list_inbox
    from comments.extensions import db
    from comments.models import Channel, Consultation

    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        counts = dict(
            db.session.execute(text("SELECT consultation_id, count(*) FROM submissions GROUP BY consultation_id")).all()
        )
        total = sum(counts.values())
        search_rows = db.session.execute(text("SELECT count(*) FROM submission_search")).scalar_one()
        print(
            f"\nrows: submissions {total:,} ({counts.get(consultation_id, 0):,} in the inbox measured), "
            f"search rows {search_rows:,}"
        )

        first = list_inbox(db.session, consultation, InboxFilters())
        cases = [("first page", InboxFilters(), None), ("second page", InboxFilters(), first.next_cursor)]
        cases += [("filtered: post, late=no", InboxFilters(channel=Channel.post, late=False), None)]
        cases += [(f"search {q}", InboxFilters(query=q), None) for q in SEARCHES]

        print(f"\n{'query':<28}{'rows':>6}{'matches':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'count p95':>11}")
        worst = worst_count = 0.0
        for label, filters, after in cases:
            for _ in range(3):  # warm the plan cache and the buffers alike for every case
                list_inbox(db.session, consultation, filters, after=after)
            samples = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                page = list_inbox(db.session, consultation, filters, after=after)
                samples.append((time.perf_counter() - t0) * 1000)
                db.session.rollback()
            # The page also says how many match (count_inbox, capped at COUNT_LIMIT): timed on its own.
            counted = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                count_inbox(db.session, consultation, filters)
                counted.append((time.perf_counter() - t0) * 1000)
                db.session.rollback()
            count_p95 = percentile(counted, 95)
            worst_count = max(worst_count, count_p95)
            matches = "-"
            if filters.query:
                matches = f"{_count_matches(db, consultation_id, filters.query):,}"
            p50, p95, p99 = (percentile(samples, p) for p in PERCENTILES)
            worst = max(worst, p95)
            print(
                f"{label:<28}{len(page.rows):>6}{matches:>10}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{count_p95:>11.1f}",
                flush=True,
            )
        print(f"\nworst p95: {worst:.1f} ms (target: under 100 ms); worst p95 of the hit count: {worst_count:.1f} ms")

        for query in ("意見", "暗号", "渡辺", "量子"):
            statement = inbox_statement(consultation_id, InboxFilters(query=query))
            compiled = statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
            plan = db.session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {compiled}")).scalars().all()
            print(f"\nEXPLAIN search {query}:\n  " + "\n  ".join(plan))


def _count_matches(db, consultation_id: int, query: str) -> int:
    from sqlalchemy import func, select

    from comments.domain.search import match_submission_ids
    from comments.models import Submission

    return db.session.execute(
        select(func.count())
        .select_from(Submission)
        .where(Submission.consultation_id == consultation_id, Submission.id.in_(match_submission_ids(query)))
    ).scalar_one()


def db_scalar(sql: str):
    from comments.extensions import db

    return db.session.execute(text(sql)).scalar_one()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="submissions to write (default 1,000,000)")
    parser.add_argument("--repeats", type=int, default=200, help="timed runs of each query")
    parser.add_argument("--seed", type=int, default=20261126, help="random seed of the generated text")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/postgres"),
        help="an existing database to connect to for CREATE/DROP DATABASE (env BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database at the end and print its name (to measure it again)"
    )
    parser.add_argument(
        "--reuse", metavar="NAME", help="measure a database an earlier --keep run left, without building"
    )
    args = parser.parse_args(argv)
    if not 1_000 <= args.rows <= 5_000_000 or not 1 <= args.repeats <= 10_000:
        parser.error("--rows must be 1,000..5,000,000 and --repeats 1..10,000")
    if make_url(args.postgres_url).host not in (HOST, "localhost"):
        parser.error("--postgres-url must point at 127.0.0.1: the benchmark creates and drops a database there")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from comments import create_app
    from config import TestingConfig, normalise_database_url

    if args.reuse:
        name = args.reuse
        url = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
    else:
        name, url = create_database(args.postgres_url)
    app = None
    try:
        url = normalise_database_url(url)
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
        if args.reuse:
            with app.app_context():
                from flask_migrate import upgrade

                upgrade()
                consultation_id = db_scalar("SELECT id FROM consultations WHERE slug = 'bench-1'")
        else:
            print(f"building {args.rows:,} submissions in {name} ...", flush=True)
            t0 = time.perf_counter()
            consultation_id, _other = build(app, url, args.rows, args.seed)
            print(f"build time: {time.perf_counter() - t0:.1f} s", flush=True)
        measure(app, consultation_id, args.repeats)
    except KeyboardInterrupt:
        return 130
    finally:
        from comments.extensions import db

        if app is not None:
            with app.app_context():
                db.engine.dispose()
        if args.keep or args.reuse:
            print(f"kept {name}: measure it again with --reuse {name}")
        else:
            drop_database(args.postgres_url, name)
            print(f"dropped {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
