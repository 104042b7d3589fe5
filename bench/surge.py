"""A surge at the comment form: 30 times the normal rate for minutes, the production limiter, nothing lost.

Run by hand, never by the tests:  .venv/bin/python bench/surge.py  (``--help`` for the knobs).

The normal rate. The design gives no volume for this city (../shared/design/README.md measures only the
machine); R56 asks for ten times the expected peak hour and a burst of about 30 times, after the FCC's
2017 surge (+3,116 %; 146,351 comments in two days against 5,771 a day before, [C10] [C11]). A Japanese
city's public comment on a 特定個人情報保護評価書 draws a handful to a few hundred opinions over its 30 days.
The normal peak taken here is the last evening of a contested one: 1,800 opinions in all, a third of them
on the last day and 30 % of that day in its busiest hour, so 180 an hour, 3 a minute (about the 4 a minute
of the FCC's ordinary 5,771 a day). The surge is 30 times that: 90 opinions a minute (``--normal-per-minute``,
``--multiplier``), for ``--duration`` seconds (180).

Who sends them. Each opinion is one visitor: it opens the form (GET, a fresh session and CSRF token) and
sends it (POST, multipart, the 2 KB Japanese comment of submit_load.py), from one of ``--addresses`` (30)
loopback addresses 127.0.0.2, 127.0.0.3, ... (each client socket is bound to its address, so the app sees it
as the client's address, as it would behind the proxy with PROXY_FIX_X_FOR), in turn: 3 a minute each, far
below the per-address limits (20 a minute, 200 an hour). One more address, 127.0.0.254, stands for a script
or a whole office behind one address and sends ``--flood-per-minute`` (60) more: the limit answers it 429
with the form filled in again and a Retry-After, and stores nothing of those.

The server is gunicorn with 2 x cores + 1 sync workers, the production limiter (Flask-Limiter on the Redis
at 127.0.0.1:6379, a key prefix of this run, deleted afterwards) and the real limits, on a throwaway
database: PostgreSQL at ``--postgres-url`` when it answers, else SQLite (``--database`` to choose).
Sends are paced on a schedule (open loop: a slow answer does not slow the next send), by at most 64
threads; latency counts from the scheduled instant, so waiting for a free thread counts too.

It prints, for the citizens, the flood and all: requests, 303s, 429s, other 4xx, 5xx, connection errors,
p50 and p99 of the POSTs; then every 303's receipt number is looked up in the database (lost must be 0).
Exits 1 when a 5xx, a connection error, a lost opinion, a 429 for a citizen, a flood never limited, or a
p99 over 2 s (R56) is seen; 130 when interrupted. Bounded: at most 3,600 s and ``--max-requests`` sends,
127.0.0.0/8 only; everything started is stopped or dropped on exit.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the bench's own helpers, beside this file
from submit_load import (
    BIN,
    BOUNDARY,
    HOST,
    LOCAL_REDIS,
    OURS_PATH,
    PROJECT_DIR,
    TOKEN_PATTERN,
    Interrupted,
    _raise_interrupted,
    delete_redis_keys,
    engine_for,
    free_port,
    multipart_body,
    postgres_databases,
    redis_answers,
    run_checked,
    server_log_findings,
    start_gunicorn,
    wait_until_serving,
)

FLOOD_ADDRESS = "127.0.0.254"
P99_LIMIT_MS = 2000  # R56
MAX_THREADS = 64
REQUEST_TIMEOUT = 30


@dataclass
class Outcome:
    group: str
    scheduled: float
    status: int | None = None  # None: no answer (connection error, timeout)
    latency_ms: float = 0.0
    receipt: str | None = None
    retry_after: bool = False
    error: str = ""


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)


def visit(base_url: str, address: str, group: str, scheduled: float, tally: Tally) -> None:
    """One visitor from ``address``: open the form, send the opinion; record what came back."""
    outcome = Outcome(group, scheduled)
    transport = httpx.HTTPTransport(local_address=address, retries=0)
    try:
        with httpx.Client(base_url=base_url, transport=transport, timeout=REQUEST_TIMEOUT) as client:
            page = client.get(OURS_PATH)
            match = TOKEN_PATTERN.search(page.text)
            if page.status_code != 200 or match is None:
                outcome.status, outcome.error = page.status_code, "the form did not open"
                return
            answer = client.post(
                OURS_PATH,
                content=multipart_body(match.group(1)),
                headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            )
            outcome.status = answer.status_code
            if answer.status_code == 303:
                outcome.receipt = answer.headers.get("Location", "").rsplit("/", 1)[-1]
            outcome.retry_after = "Retry-After" in answer.headers
    except httpx.HTTPError as error:
        outcome.error = type(error).__name__
    finally:
        outcome.latency_ms = (time.monotonic() - scheduled) * 1000
        tally.add(outcome)


def schedule(args, base_url: str, tally: Tally, stop: threading.Event) -> int:
    """Send on a fixed timetable until the duration or the request cap is reached; return how many."""
    citizens = [f"127.0.0.{2 + index}" for index in range(args.addresses)]
    citizen_gap = 60 / (args.normal_per_minute * args.multiplier)
    flood_gap = 60 / args.flood_per_minute if args.flood_per_minute else math.inf
    start = time.monotonic()
    next_citizen, next_flood, sent, turn = start, start + flood_gap / 2, 0, 0
    with ThreadPoolExecutor(max_workers=MAX_THREADS, thread_name_prefix="visitor") as pool:
        while not stop.is_set() and sent < args.max_requests:
            now = time.monotonic()
            if now - start >= args.duration:
                break
            due = min(next_citizen, next_flood)
            if due > now:
                stop.wait(min(due - now, 0.5))
                continue
            if next_citizen <= next_flood:
                pool.submit(visit, base_url, citizens[turn % len(citizens)], "citizens", next_citizen, tally)
                turn += 1
                next_citizen += citizen_gap
            else:
                pool.submit(visit, base_url, FLOOD_ADDRESS, "flood", next_flood, tally)
                next_flood += flood_gap
            sent += 1
    return sent


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def report(outcomes: list[Outcome], stored: set[str], rows_gained: int) -> bool:
    header = f"{'group':<9} {'requests':>8} {'303':>6} {'429':>6} {'4xx':>5} {'5xx':>5} {'errors':>6} {'p50 ms':>8} {'p99 ms':>8}"
    print("\n" + header + "\n" + "-" * len(header))
    ok = True
    for group in ("citizens", "flood", "all"):
        rows = [o for o in outcomes if group in ("all", o.group)]
        if not rows:
            continue
        statuses = [o.status for o in rows]
        accepted = statuses.count(303)
        limited = statuses.count(429)
        other_4xx = sum(1 for s in statuses if s is not None and 400 <= s < 500 and s != 429)
        server_errors = sum(1 for s in statuses if s is not None and s >= 500)
        errors = sum(1 for s in statuses if s is None)
        latencies = [o.latency_ms for o in rows if o.status is not None]
        p50 = statistics.median(latencies) if latencies else 0.0
        p99 = percentile(latencies, 0.99)
        print(
            f"{group:<9} {len(rows):>8} {accepted:>6} {limited:>6} {other_4xx:>5} {server_errors:>5} {errors:>6} "
            f"{p50:>8.1f} {p99:>8.1f}"
        )
        if group == "all":
            ok &= server_errors == 0 and errors == 0 and other_4xx == 0 and p99 < P99_LIMIT_MS
        if group == "citizens" and limited:
            print(f"  {limited} citizens were answered 429: their addresses send far below the limits")
            ok = False
        if group == "flood" and not limited:
            print("  the flooding address was never limited")
            ok = False
    limited_rows = [o for o in outcomes if o.status == 429]
    if limited_rows and not all(o.retry_after for o in limited_rows):
        print("  some 429 answers carried no Retry-After")
        ok = False
    acknowledged = [o.receipt for o in outcomes if o.status == 303]
    lost = [receipt for receipt in acknowledged if receipt not in stored]
    print(
        f"\nacknowledged (303): {len(acknowledged)}; rows the database gained: {rows_gained}; "
        f"lost (a 303 with no row): {len(lost)}"
    )
    kinds = sorted({o.error for o in outcomes if o.error})
    if kinds:
        print(f"errors seen: {', '.join(kinds)}")
    ok &= not lost
    print("\nsurge passed" if ok else "\nSURGE FAILED")
    return ok


def parse_args(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=180, help="seconds of surge (1..3600)")
    parser.add_argument("--normal-per-minute", type=float, default=3.0, help="the normal peak rate (see above)")
    parser.add_argument("--multiplier", type=float, default=30.0, help="the surge, times the normal rate")
    parser.add_argument("--addresses", type=int, default=30, help="loopback addresses the citizens send from")
    parser.add_argument("--flood-per-minute", type=float, default=60.0, help="sends from 127.0.0.254 (0: none)")
    parser.add_argument("--max-requests", type=int, default=50_000, help="stop sending after this many")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], help="default: PostgreSQL if it answers")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/postgres")
    )
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 3600:
        parser.error("--duration must be 1..3600 s")
    if not 1 <= args.addresses <= 250:
        parser.error("--addresses must be 1..250 (127.0.0.2 to 127.0.0.251)")
    if not 1 <= args.max_requests <= 1_000_000 or args.normal_per_minute <= 0 or args.multiplier <= 0:
        parser.error("--max-requests must be 1..1,000,000 and the rates positive")
    if args.flood_per_minute < 0 or not 1 <= args.workers <= 64:
        parser.error("--flood-per-minute must be 0 or more and --workers 1..64")
    from sqlalchemy.engine import make_url

    if make_url(args.postgres_url).host not in (HOST, "localhost"):
        parser.error("--postgres-url must point at 127.0.0.1: the surge creates and drops a database there")
    return args


def run(args, stack: contextlib.ExitStack) -> bool:
    work = Path(tempfile.mkdtemp(prefix="comments-surge-"))
    stack.callback(shutil.rmtree, work, ignore_errors=True)
    url = None
    if args.database in (None, "postgresql"):
        urls = postgres_databases(stack, args.postgres_url)
        if urls is None and args.database == "postgresql":
            raise SystemExit("PostgreSQL does not answer")
        url = urls[0] if urls else None
    database = "postgresql" if url else "sqlite"
    url = url or f"sqlite:///{work / 'surge.sqlite3'}"
    if not redis_answers(LOCAL_REDIS):
        raise SystemExit(f"no Redis at {LOCAL_REDIS}: the surge needs the production limiter's storage")
    prefix = f"comments-surge-{os.getpid()}-{secrets.token_hex(3)}"
    stack.callback(delete_redis_keys, LOCAL_REDIS, prefix)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "COMMENTS_", "DATABASE_"))}
    env |= {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "COMMENTS_ENV": "development",
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(work / "instance"),
        "FLASK_APP": "wsgi",
        "MAIL_SERVER": HOST,
        "MAIL_PORT": str(free_port()),
        # Production's limiter: every worker counts in the one Redis, under this run's own prefix.
        "RATELIMIT_STORAGE_URI": LOCAL_REDIS,
        "RATELIMIT_KEY_PREFIX": prefix,
    }
    for name in (
        "PUBLIC_FORM_POSTS_PER_ADDRESS_PER_MINUTE",
        "PUBLIC_FORM_POSTS_PER_ADDRESS_PER_HOUR",
        "PROXY_FIX_X_FOR",
    ):
        env.pop(name, None)  # the real limits, and the socket's address as the client's
    print(f"== preparing {database} ==", flush=True)
    run_checked([str(BIN / "flask"), "db", "upgrade"], env=env, cwd=PROJECT_DIR, timeout=120)
    run_checked([str(BIN / "flask"), "seed-demo"], env=env, cwd=PROJECT_DIR, timeout=120)
    port = free_port()
    log = work / "gunicorn.log"
    settings = SimpleNamespace(workers=args.workers, worker_class="sync", threads=1)
    process = start_gunicorn(stack, "wsgi:app", cwd=PROJECT_DIR, env=env, port=port, args=settings, log=log)
    base_url = f"http://{HOST}:{port}"
    wait_until_serving(base_url + "/", process, log)
    engine = engine_for(url)
    stack.callback(engine.dispose)

    def count() -> int:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM submissions")).scalar_one()

    before = count()
    rate = args.normal_per_minute * args.multiplier
    print(
        f"surge: {args.multiplier:g} x {args.normal_per_minute:g}/min = {rate:g} opinions/min from {args.addresses} "
        f"addresses, plus {args.flood_per_minute:g}/min from {FLOOD_ADDRESS}; {args.duration} s; {database}; "
        f"{args.workers} gunicorn workers; limiter on {LOCAL_REDIS}",
        flush=True,
    )
    tally, stop = Tally(), threading.Event()
    stack.callback(stop.set)
    sent = schedule(args, base_url, tally, stop)
    # The pool has finished every visit when schedule returns; rows may still be committing.
    time.sleep(1)
    rows_gained = count() - before
    with engine.connect() as connection:
        stored = {row[0] for row in connection.execute(text("SELECT receipt_number FROM submissions"))}
    print(f"sent {sent}", flush=True)
    ok = report(tally.outcomes, stored, rows_gained)
    findings = server_log_findings(log)
    if findings:
        print(f"server log: {', '.join(findings)}")
        ok = False
    return ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupted)
    signal.signal(signal.SIGHUP, _raise_interrupted)
    try:
        with contextlib.ExitStack() as stack:
            return 0 if run(args, stack) else 1
    except (KeyboardInterrupt, Interrupted):
        print("\ninterrupted: everything started has been stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
