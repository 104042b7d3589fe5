"""Where a comment submission spends its time: the real form POST, N times in-process, under pyinstrument.

Run by hand, never by the tests:

    .venv/bin/python bench/profile_submit.py                       # SQLite, 300 submissions
    .venv/bin/python bench/profile_submit.py --database postgresql --count 500
    .venv/bin/python bench/profile_submit.py --email                # with an e-mail address (receipt mail)

It migrates and seeds a throwaway database (a SQLite file in a temp dir, or ``comments_profile_<pid>``
on the PostgreSQL of ``--postgres-url``, dropped on exit), builds the app the way ``wsgi.py`` does (the
development configuration, as bench/submit_load.py runs it), opens one browser session through the test
client (GET the form, keep the cookie, read the CSRF token) and then sends the very multipart body of
submit_load.py ``--count`` times, each answered 303 or the script stops. Before the profiled run, as many
submissions again warm the process up (imports, compiled statements, templates).

It prints the mean wall time per submission, the SQL statements one submission runs (counted with a
``before_cursor_execute`` listener, and listed for the last one), and pyinstrument's call tree of the
profiled run. The per-address limits are lifted as in submit_load.py; the limiter's storage is
``memory://`` unless ``--redis`` points it at a Redis on 127.0.0.1 (a unique key prefix, deleted after).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_DIR))
sys.path.insert(0, str(BENCH_DIR))

from submit_load import BOUNDARY, OURS_PATH, TOKEN_PATTERN, multipart_body  # noqa: E402

BIN = Path(sys.executable).parent


def prepare_database(args, stack: contextlib.ExitStack, work: Path) -> str:
    if args.database == "sqlite":
        return f"sqlite:///{work / 'profile.sqlite3'}"
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    admin = psycopg.connect(args.postgres_url, autocommit=True, connect_timeout=3)
    stack.callback(admin.close)
    name = f"comments_profile_{os.getpid()}"
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    stack.callback(
        lambda: admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    )
    return make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/postgres")
    )
    parser.add_argument("--count", type=int, default=300, help="profiled submissions (1..5000)")
    parser.add_argument("--email", action="store_true", help="give an e-mail address, so a receipt mail is queued")
    parser.add_argument("--redis", help="limiter storage, e.g. redis://127.0.0.1:6379 (default memory://)")
    parser.add_argument("--interval", type=float, default=0.0005, help="pyinstrument's sampling interval, s")
    parser.add_argument("--show-all", action="store_true", help="print library frames too")
    parser.add_argument(
        "--flat", action="store_true", help="a flat list of functions by total time instead of the tree"
    )
    parser.add_argument("--no-profile", action="store_true", help="only time the submissions, without the profiler")
    args = parser.parse_args(argv)
    if not 1 <= args.count <= 5000:
        parser.error("--count must be 1..5000")

    with contextlib.ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="comments-profile-"))
        stack.callback(__import__("shutil").rmtree, work, ignore_errors=True)
        url = prepare_database(args, stack, work)
        prefix = f"profile-{os.getpid()}-{secrets.token_hex(4)}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "COMMENTS_", "DATABASE_"))}
        env |= {
            "SECRET_KEY": secrets.token_urlsafe(32),
            "COMMENTS_ENV": "development",
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(work / "instance"),
            "FLASK_APP": "wsgi",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": "1",
            "PUBLIC_FORM_POSTS_PER_ADDRESS_PER_MINUTE": "1000000000",
            "PUBLIC_FORM_POSTS_PER_ADDRESS_PER_HOUR": "1000000000",
            "RECEIPT_MAILS_PER_RECIPIENT_PER_DAY": "1000000000",
            "RATELIMIT_KEY_PREFIX": prefix,
        }
        if args.redis:
            env["RATELIMIT_STORAGE_URI"] = args.redis
        for command in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run([str(BIN / "flask"), *command], env=env, cwd=PROJECT_DIR, check=True, capture_output=True)
        os.environ.clear()
        os.environ.update(env)

        from pyinstrument import Profiler
        from sqlalchemy import event

        from comments import create_app
        from comments.extensions import db

        app = create_app()
        if args.redis:
            stack.callback(_delete_redis_keys, args.redis, prefix)
        statements: Counter[str] = Counter()
        last: list[str] = []

        with app.app_context():
            engine = db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def _count(_conn, _cursor, statement, _parameters, _context, _executemany):
            statements[statement.split()[0].upper()] += 1
            last.append(" ".join(statement.split())[:160])

        client = app.test_client()
        page = client.get(OURS_PATH)
        token = TOKEN_PATTERN.search(page.get_data(as_text=True)).group(1)
        body = multipart_body(token)
        if args.email:
            body = body.replace(
                b'name="name"\r\n\r\n\r\n',
                b'name="name"\r\n\r\n\r\n--' + BOUNDARY.encode() + b'\r\nContent-Disposition: form-data; name="email"'
                b"\r\n\r\ntaro@example.jp\r\n",
            )
        headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}

        def submit() -> None:
            response = client.post(OURS_PATH, data=body, headers=headers)
            if response.status_code != 303:
                raise SystemExit(f"a submission got {response.status_code}:\n{response.get_data(as_text=True)[:2000]}")

        for _ in range(args.count):
            submit()
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(args.count):
            submit()
        unprofiled = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        if args.no_profile:
            print(
                f"{args.database}: {args.count} submissions, {unprofiled / args.count * 1000:.2f} ms each, "
                f"{cpu / args.count * 1000:.2f} ms of this process's CPU"
            )
            return 0
        statements.clear()
        last.clear()
        profiler = Profiler(interval=args.interval)
        started = time.perf_counter()
        profiler.start()
        for _ in range(args.count):
            last.clear()
            submit()
        profiler.stop()
        elapsed = time.perf_counter() - started

        print(
            f"{args.database}: {args.count} submissions, {unprofiled / args.count * 1000:.2f} ms each "
            f"({cpu / args.count * 1000:.2f} ms of this process's CPU; "
            f"{elapsed / args.count * 1000:.2f} ms under the profiler)"
        )
        per = {kind: count / args.count for kind, count in statements.most_common()}
        print("statements per submission: " + ", ".join(f"{kind} {n:g}" for kind, n in per.items()))
        print("the last submission's statements:")
        for statement in last:
            print(f"  {statement}")
        if args.flat:
            print(profiler.output_text(unicode=True, flat=True, flat_time="total", show_all=True)[:12000])
        else:
            print(profiler.output_text(unicode=True, color=False, show_all=args.show_all))
    return 0


def _delete_redis_keys(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


if __name__ == "__main__":
    sys.exit(main())
