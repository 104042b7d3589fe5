"""Load the real comment form and the shared bare insert side by side, and check no comment is lost.

Run by hand, never by the tests:  .venv/bin/python bench/submit_load.py  (``--help`` for the knobs).

For SQLite, and for PostgreSQL when one answers on 127.0.0.1:5432, the script migrates and seeds a
throwaway database, starts our app (``wsgi:app``) and the yardstick ``../shared/bench/bare_insert.py``
(multipart parse, one Core INSERT, commit; used where it lies, never copied, ``--bare`` to point
elsewhere; its table made by its own ``--init`` under its own ``DATABASE_URL``) under gunicorn with the
same settings (2 x cores + 1 sync workers), and loads each with wrk at every concurrency asked for. Figures on
these shared machines drift by up to 1.7x between runs (design README, "Measured on this kind of
machine"), so the two apps run back to back, in alternating order, and only their ratio is judged.

Why wrk: it is C and takes little of the two cores the servers need; a Python client would compete
with them and flatter neither. Its Lua script carries one session cookie and CSRF token per
connection (fetched beforehand from the form page, as a browser would) and writes the Location of
every 303 to a file (for the bare app, the row id its 200 answer names), so each acknowledged
submission is looked up in the database afterwards: a client that saw "accepted" while no row exists
is a lost comment, the one result that must be zero.

Everything started here (gunicorn process groups, the temp dir, the PostgreSQL databases) is stopped
or removed on exit, Ctrl+C and SIGTERM included. Loads target 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
# The venv that runs this script also holds gunicorn and flask.
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
SLUG = "kouki-koureisha-iryo-kyu-fukushi"
OURS_PATH = f"/consultations/{SLUG}/comment"
# The yardstick, beside the project (../shared/bench/bare_insert.py): POST /comments, form field `body`,
# answered 200 "受付番号 <id>" once its one INSERT is committed.
BARE_SCRIPT = PROJECT_DIR.parent / "shared" / "bench" / "bare_insert.py"
BARE_PATH = "/comments"
LOCAL_REDIS = "redis://127.0.0.1:6379"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
TOKEN_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
BOUNDARY = "----commentsbench7MA4YWxkTrZu0gW"
TARGET_RATIO = 0.5
TARGET_P99_MS = 100
# How long a server may take to answer its first request, and the load client past its duration.
STARTUP_SECONDS = 30
WRK_GRACE_SECONDS = 30
# A request slower than this counts as a client timeout; SQLite's own busy_timeout is 30 s.
WRK_REQUEST_TIMEOUT = "30s"

# About 2 KB of UTF-8 (681 characters), with the CRLF line breaks a browser sends for a textarea.
COMMENT_BODY = (
    "後期高齢者医療事務の特定個人情報保護評価書（案）について意見を申し上げます。まず、窓口で申請書を受け付ける際の"
    "本人確認について、個人番号カードの提示を求めるだけでなく、代理人による申請の場合にどのような書類で代理権を確認"
    "するのかを評価書に明記していただきたいと考えます。高齢の被保険者は家族や施設の職員に手続きを任せることが多く、"
    "代理人の確認が曖昧なままでは、目的外の入手や不正な届出を防ぐことができません。\r\n"
    "次に、福祉総合情報システムと標準システムの間でデータを受け渡す手順について、媒体の管理と通信の暗号化に加えて、"
    "誰がいつどの記録を参照したかを定期的に点検する体制を具体的に示してください。アクセスログを取得していても、"
    "それを確認する担当者と頻度が決まっていなければ、不正な使用を早期に発見することは難しいと思います。また、異動や"
    "退職の際に利用者の権限を速やかに削除するという記述がありますが、削除が実際に行われたことを誰が確認するのかも"
    "書き加えるべきです。さらに、委託先の事業者が特定個人情報を取り扱う場合には、再委託の可否、作業場所の制限、"
    "作業後のデータ消去の方法を契約書で定め、その履行状況を市が実地で確認することを求めます。紙の申請書については、"
    "施錠できる保管庫に入れるだけでなく、広域連合へ送付するまでの期間と、送付の記録の残し方を定めておくことが大切です。"
    "\r\n最後に、この評価書は専門用語が多く、市民が内容を理解するのは容易ではありません。図や平易な言葉による要約を"
    "添えて、意見を出しやすくしていただくようお願いします。以上、よろしくご検討ください。"
)

# The wrk script; the Python side prepends the sessions, the path and where to write acknowledgements.
WRK_LUA = r"""
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  -- Connections of one thread share its requests; each request carries one session's cookie and token.
  reqs = {}
  for i, s in ipairs(sessions) do
    if (i - 1) % thread_count == id then
      reqs[#reqs + 1] = wrk.format("POST", path, {["Cookie"] = s[1], ["Content-Type"] = content_type}, s[2])
    end
  end
  n = 0
  acked = 0
  refused = 0
  acks = io.open(ack_dir .. "/acks-" .. id .. ".txt", "w")
  acks:setvbuf("line")  -- wrk never closes thread states, so nothing may wait in a buffer at exit
end

function request()
  n = n % #reqs + 1
  return reqs[n]
end

function response(status, headers, body)
  if status == success_status then
    acked = acked + 1
    if success_status == 303 then
      acks:write((headers["Location"] or headers["location"] or "?"), "\n")
    else
      acks:write((body and string.match(body, "(%d+)") or "?"), "\n")  -- bare_insert.py: "受付番号 <id>"
    end
  else
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local acked_total, refused_total = 0, 0
  for _, t in ipairs(threads) do
    acked_total = acked_total + t:get("acked")
    refused_total = refused_total + t:get("refused")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH acked=%d refused=%d requests=%d duration_us=%d p50_us=%d p99_us=%d " ..
    "connect=%d read=%d write=%d timeout=%d\n",
    acked_total, refused_total, summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect, e.read, e.write, e.timeout))
end
"""


@dataclass
class App:
    """One of the two servers under test, with what is needed to check its rows."""

    name: str
    url: str
    path: str
    count_sql: str
    keys_sql: str
    log: Path
    # What an accepted submission is answered with: our form's 303, the bare app's 200.
    success_status: int = 303
    sessions: list[tuple[str, str]] = field(default_factory=list)
    engine: Engine | None = None

    def count_rows(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(text(self.count_sql)).scalar_one()

    def stored_keys(self) -> set[str]:
        with self.engine.connect() as connection:
            return {str(key) for key in connection.execute(text(self.keys_sql)).scalars()}


@dataclass
class Result:
    database: str
    app: str
    concurrency: int
    seconds: float
    acked: int  # acceptances the client saw (our 303s, the bare app's 200s)
    refused: int  # any other HTTP status
    socket_errors: int
    p50_ms: float
    p99_ms: float
    rows: int  # rows the database gained during the load (and its in-flight tail)
    lost: int  # acknowledged, yet no such row
    duplicates: int  # two acknowledgements naming one row
    round: int = 1

    @property
    def per_second(self) -> float:
        """Accepted submissions per second: an app that fails fast must not look faster."""
        return self.acked / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.refused + self.socket_errors

    @property
    def unacknowledged(self) -> int:
        """Rows whose answer never reached the client: requests in flight or queued when wrk stopped."""
        return self.rows - (self.acked - self.lost - self.duplicates)


class Interrupted(Exception):
    """SIGTERM or SIGHUP: unwind like Ctrl+C so every cleanup runs."""


def _raise_interrupted(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def lua_string(value: str | bytes) -> str:
    """A Lua string literal for any bytes: CR and LF must be escapes, long brackets would rewrite CRLF."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    printable = set(range(0x20, 0x7F)) - {0x22, 0x5C}  # ASCII but " and \
    return '"' + "".join(chr(byte) if byte in printable else f"\\{byte:03d}" for byte in data) + '"'


def multipart_body(token: str) -> bytes:
    """The comment form as a browser sends it: hidden token, text, who you are, consent, empty name."""
    fields = [
        ("csrf_token", token),
        ("body", COMMENT_BODY),
        ("submitter_kind", "citizen"),
        ("name", ""),
        ("consent", "y"),
    ]
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n' for name, value in fields
    ]
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode("utf-8")


def write_wrk_script(path: Path, app: App, concurrency: int, threads: int, ack_dir: Path) -> None:
    sessions = app.sessions[:concurrency]
    lines = [
        f"path = {lua_string(app.path)}",
        f"content_type = {lua_string('multipart/form-data; boundary=' + BOUNDARY)}",
        f"ack_dir = {lua_string(str(ack_dir))}",
        f"thread_count = {threads}",
        f"success_status = {app.success_status}",
        "sessions = {",
        *(f"  {{{lua_string(cookie)}, {lua_string(multipart_body(token))}}}," for cookie, token in sessions),
        "}",
    ]
    path.write_text("\n".join(lines) + WRK_LUA, encoding="utf-8")


def run_checked(command: list[str], *, env: dict, cwd: Path, timeout: float) -> None:
    completed = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stdout}\n{completed.stderr}")


def start_gunicorn(stack: contextlib.ExitStack, target: str, *, cwd: Path, env: dict, port: int, args, log: Path):
    """Both apps run with one command line; its own process group, so Ctrl+C reaches us and we stop it.

    gunicorn reads ./gunicorn.conf.py from the folder it starts in, and ours starts in the project, whose
    production settings (an access log line per request, workers replaced every 2,000 requests) the bare
    app would not get: both are given the same empty settings file instead."""
    settings = log.parent / "gunicorn-bench.conf.py"
    settings.write_text("# bench/submit_load.py: every setting is on the command line, the same for both apps\n")
    command = [
        str(BIN / "gunicorn"),
        "--config",
        str(settings),
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log),
        target,
    ]
    # What the app logs itself goes to the same file as gunicorn's errors, not to this script's terminal.
    with log.open("ab") as errors:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=errors
        )
    stack.callback(stop_process_group, process)
    return process


def stop_process_group(process: subprocess.Popen) -> None:
    """TERM the master and its workers, KILL what is left after 10 s; the group id is the master's pid."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn for {url} exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn for {url} did not answer within {STARTUP_SECONDS} s")


def open_sessions(base_url: str, count: int) -> list[tuple[str, str]]:
    """One browser visit per connection: a fresh session cookie and the form's CSRF token in it."""
    sessions = []
    for _ in range(count):
        with httpx.Client(base_url=base_url, timeout=10) as client:
            page = client.get(OURS_PATH)
            page.raise_for_status()
            match = TOKEN_PATTERN.search(page.text)
            if match is None or "session" not in client.cookies:
                raise RuntimeError("the comment form carries no CSRF token or session cookie")
            sessions.append((f"session={client.cookies['session']}", match.group(1)))
    return sessions


def check_one_submission(app: App) -> None:
    """Fail at once, with the answer, if the request wrk will repeat is not accepted."""
    cookie, token = app.sessions[0]
    response = httpx.post(
        app.url + app.path,
        content=multipart_body(token),
        headers={"Cookie": cookie, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        timeout=10,
    )
    if response.status_code != app.success_status:
        raise RuntimeError(f"{app.name}: a single submission got {response.status_code}:\n{response.text[:2000]}")


def wait_for_quiet(app: App, seconds: float = 1.0, limit: float = 40.0) -> int:
    """Requests queued in gunicorn's backlog when wrk stops are still served: count only once rows stop coming."""
    deadline = time.monotonic() + limit
    last = app.count_rows()
    while time.monotonic() < deadline:
        time.sleep(seconds)
        now = app.count_rows()
        if now == last:
            return now
        last = now
    return last


def run_load(app: App, database: str, concurrency: int, duration: int, threads: int, work: Path) -> Result:
    label = f"{database}-{app.name}-c{concurrency}-{time.monotonic_ns()}"
    ack_dir = work / label
    ack_dir.mkdir()
    script = work / f"{label}.lua"
    write_wrk_script(script, app, concurrency, threads, ack_dir)
    before = wait_for_quiet(app, seconds=0.5)
    command = [
        WRK,
        "--threads",
        str(threads),
        "--connections",
        str(concurrency),
        "--duration",
        f"{duration}s",
        "--timeout",
        WRK_REQUEST_TIMEOUT,
        "--script",
        str(script),
        app.url + app.path,
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + WRK_GRACE_SECONDS, check=False
    )
    summary = re.search(r"^BENCH (.*)$", completed.stdout, re.MULTILINE)
    if completed.returncode != 0 or summary is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    figures = {key: int(value) for key, value in (pair.split("=") for pair in summary.group(1).split())}
    after = wait_for_quiet(app)

    acknowledged = []
    for ack_file in sorted(ack_dir.glob("acks-*.txt")):
        acknowledged += [line.rsplit("/", 1)[-1] for line in ack_file.read_text().splitlines() if line]
    stored = app.stored_keys()
    distinct = set(acknowledged)
    if len(acknowledged) != figures["acked"]:
        print(f"  note: wrk counted {figures['acked']} 303s but wrote {len(acknowledged)} locations", flush=True)
    return Result(
        database=database,
        app=app.name,
        concurrency=concurrency,
        seconds=figures["duration_us"] / 1e6,
        acked=figures["acked"],
        refused=figures["refused"],
        socket_errors=figures["connect"] + figures["read"] + figures["write"] + figures["timeout"],
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        rows=after - before,
        lost=len(distinct - stored),
        duplicates=len(acknowledged) - len(distinct),
    )


def server_log_findings(log: Path) -> list[str]:
    """What went wrong inside the server, told apart by kind; a clean run says nothing."""
    if not log.exists():
        return []
    content = log.read_text(errors="replace")
    kinds = {
        "tracebacks": content.count("Traceback (most recent call last)"),
        '"database is locked"': content.count("database is locked"),
        "worker timeouts": content.count("WORKER TIMEOUT"),
        "deadlocks": content.count("deadlock detected"),
        "serialization failures": content.count("could not serialize"),
    }
    return [f"{count} {kind}" for kind, count in kinds.items() if count]


# --- the databases -----------------------------------------------------------------------------------


def sqlite_databases(work: Path) -> tuple[str, str]:
    return f"sqlite:///{work / 'ours.sqlite3'}", f"sqlite:///{work / 'bare.sqlite3'}"


def postgres_databases(stack: contextlib.ExitStack, admin_url: str) -> tuple[str, str] | None:
    """Two fresh databases named after our pid, dropped on exit; None when no PostgreSQL answers."""
    import psycopg
    from psycopg import sql

    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        print(f"PostgreSQL at {admin_url} is unreachable ({str(error).strip()}): SQLite only.", flush=True)
        return None
    stack.callback(admin.close)
    urls = []
    for suffix in ("ours", "bare"):
        name = f"comments_bench_{os.getpid()}_{suffix}"
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        stack.callback(_drop_database, admin, name)
        urls.append(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    return urls[0], urls[1]


def _drop_database(admin, name: str) -> None:
    from psycopg import sql

    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def engine_url(url: str) -> str:
    """The URL with the psycopg 3 driver both apps use (bare_insert.py takes it as it is given)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def engine_for(url: str) -> Engine:
    """The script's own view of a database, to count rows; psycopg 3 like the apps."""
    return create_engine(engine_url(url))


def redis_answers(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def delete_redis_keys(url: str, prefix: str) -> None:
    """Remove the limiter's counters of this run (every key holding its prefix) from the Redis given."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


# --- one database: both apps, every concurrency -----------------------------------------------------


def bench_database(database: str, ours_url: str, bare_url: str, args, work: Path) -> list[Result]:
    """Prepare both databases, start both servers, and load them back to back at each concurrency."""
    print(f"\n== {database}: preparing ==", flush=True)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "COMMENTS_", "DATABASE_"))}
    instance = work / f"instance-{database}"
    instance.mkdir()
    ours_env = base_env | {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "COMMENTS_ENV": "development",
        "DATABASE_URL": ours_url,
        "INSTANCE_PATH": str(instance),
        "FLASK_APP": "wsgi",
        # Nothing in the load asks for mail; an unused local port keeps any accident from leaving the machine.
        "MAIL_SERVER": HOST,
        "MAIL_PORT": str(free_port()),
        # The whole load comes from one address: lift the comment form's per-address limits, which would
        # answer 429 after the twentieth opinion a minute; this measures storing, not throttling.
        "PUBLIC_FORM_POSTS_PER_ADDRESS_PER_MINUTE": "1000000000",
        "PUBLIC_FORM_POSTS_PER_ADDRESS_PER_HOUR": "1000000000",
    }
    # The limits are lifted, but the limiter still counts every send in its storage: memory:// by default,
    # or the Redis production uses (--limiter-storage), under a key prefix of this run, deleted afterwards.
    limiter_prefix = f"comments-bench-{os.getpid()}-{database}"
    if args.limiter_storage != "memory://":
        ours_env |= {"RATELIMIT_STORAGE_URI": args.limiter_storage, "RATELIMIT_KEY_PREFIX": limiter_prefix}
    # bare_insert.py reads DATABASE_URL and, for SQLite, SQLITE_SYNCHRONOUS (FULL unless told).
    bare_script = args.bare.resolve()
    bare_env = base_env | {"DATABASE_URL": engine_url(bare_url)}
    if args.bare_sqlite_synchronous:
        bare_env["SQLITE_SYNCHRONOUS"] = args.bare_sqlite_synchronous
    run_checked([str(BIN / "flask"), "db", "upgrade"], env=ours_env, cwd=PROJECT_DIR, timeout=120)
    run_checked([str(BIN / "flask"), "seed-demo"], env=ours_env, cwd=PROJECT_DIR, timeout=120)
    run_checked([sys.executable, str(bare_script), "--init"], env=bare_env, cwd=bare_script.parent, timeout=60)

    results: list[Result] = []
    with contextlib.ExitStack() as stack:
        if args.limiter_storage != "memory://":
            stack.callback(delete_redis_keys, args.limiter_storage, limiter_prefix)
        apps = []
        for name, target, cwd, env, db_url, path, count_sql, keys_sql in (
            (
                "ours",
                "wsgi:app",
                PROJECT_DIR,
                ours_env,
                ours_url,
                OURS_PATH,
                "SELECT count(*) FROM submissions",
                "SELECT receipt_number FROM submissions",
            ),
            (
                "bare",
                f"{bare_script.stem}:app",
                bare_script.parent,
                bare_env,
                bare_url,
                BARE_PATH,
                "SELECT count(*) FROM comments",
                "SELECT id FROM comments",
            ),
        ):
            port = free_port()
            log = work / f"gunicorn-{database}-{name}.log"
            process = start_gunicorn(stack, target, cwd=cwd, env=env, port=port, args=args, log=log)
            engine = engine_for(db_url)
            stack.callback(engine.dispose)
            app = App(
                name,
                f"http://{HOST}:{port}",
                path,
                count_sql,
                keys_sql,
                log,
                success_status=303 if name == "ours" else 200,
                engine=engine,
            )
            wait_until_serving(app.url + "/", process, log)
            apps.append(app)
        ours, bare = apps
        concurrency_max = max(args.concurrency)
        ours.sessions = open_sessions(ours.url, concurrency_max)
        # The bare app ignores cookie and token but gets the same bytes, so both parse the same request.
        bare.sessions = ours.sessions
        for app in apps:
            check_one_submission(app)
            print(f"  warming up {app.name} ({args.warmup} s)", flush=True)
            run_load(app, database, min(4, concurrency_max), args.warmup, 1, work)

        for round_number in range(1, args.rounds + 1):
            for index, concurrency in enumerate(args.concurrency):
                # Alternate who goes first (ABBA), so a steady drift of the machine favours neither app.
                order = (ours, bare) if (round_number + index) % 2 == 1 else (bare, ours)
                for app in order:
                    print(
                        f"  round {round_number}: {app.name}, {concurrency} connections, {args.duration} s", flush=True
                    )
                    threads = max(1, min(args.wrk_threads, concurrency))
                    result = run_load(app, database, concurrency, args.duration, threads, work)
                    result.round = round_number
                    results.append(result)
        for app in apps:
            findings = server_log_findings(app.log)
            if findings:
                print(f"  server log of {app.name} on {database}: {', '.join(findings)}", flush=True)
                print(_last_error(app.log), flush=True)
    return results


def _last_error(log: Path) -> str:
    content = log.read_text(errors="replace")
    start = content.rfind("Traceback (most recent call last)")
    excerpt = content[start:] if start >= 0 else content[-2000:]
    return "    " + excerpt[:3000].replace("\n", "\n    ")


# --- the report ---------------------------------------------------------------------------------------


def print_report(results: list[Result]) -> bool:
    """The table, the ratios and the verdict; True when every target is met."""
    header = (
        f"{'database':<10} {'app':<5} {'conc':>4} {'round':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'successes':>9} {'rows':>7} {'lost':>5} {'errors':>6} {'unacked':>7}"
    )
    print("\n" + header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.database:<10} {r.app:<5} {r.concurrency:>4} {r.round:>5} {r.per_second:>8.1f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} "
            f"{r.acked:>9} {r.rows:>7} {r.lost:>5} {r.errors:>6} {r.unacknowledged:>7}"
        )
    print(
        "\nreq/s counts acceptances only (our 303s, the bare app's 200s). lost = acknowledged submissions with no\n"
        "row; unacked = rows whose answer never reached the client (in flight when wrk stopped), at most the\n"
        "concurrency. errors = other statuses plus socket errors and timeouts."
    )
    met = print_side_by_side(results)
    print(f"\nratio ours/bare req/s, all rounds together (target >= {TARGET_RATIO}), each round's in brackets:")
    pairs = sorted({(r.database, r.concurrency) for r in results}, key=lambda pair: (pair[0] != "sqlite", pair[1]))
    for database, concurrency in pairs:
        runs = [r for r in results if (r.database, r.concurrency) == (database, concurrency)]
        ratio = _ratio([r for r in runs if r.app == "ours"], [r for r in runs if r.app == "bare"])
        if ratio is None:
            continue
        rounds = sorted({r.round for r in runs})
        each = [
            _ratio(*([r for r in runs if r.round == n and r.app == app] for app in ("ours", "bare"))) for n in rounds
        ]
        ok = ratio >= TARGET_RATIO
        met &= ok
        shown = ", ".join(f"{value:.2f}" for value in each if value is not None)
        print(f"  {database:<10} c={concurrency:<3} {ratio:5.2f} ({shown})  {'ok' if ok else 'BELOW TARGET'}")
    for r in results:
        problems = []
        if r.lost or r.duplicates:
            problems.append(f"{r.lost} lost, {r.duplicates} duplicate acknowledgements")
        if r.errors:
            problems.append(f"{r.refused} refusals (not 303/200), {r.socket_errors} socket errors/timeouts")
        if r.unacknowledged < 0 or r.unacknowledged > r.concurrency:
            problems.append(f"{r.unacknowledged} rows unaccounted for")
        if problems:
            met = False
            print(f"  {r.database} {r.app} c={r.concurrency}: {'; '.join(problems)}")
    print("\nall targets met" if met else "\nTARGETS MISSED")
    return met


def print_side_by_side(results: list[Result]) -> bool:
    """Per database and concurrency, all rounds together: both rates, the ratio, both worst p99s and lost
    acknowledgements. True when every ratio and every p99 of ours meets its target."""
    header = (
        f"{'database':<10} {'conc':>4} {'ours req/s':>10} {'bare req/s':>10} {'ratio':>6} "
        f"{'p99 ours ms':>11} {'p99 bare ms':>11} {'lost ours':>9} {'lost bare':>9}"
    )
    print(
        f"\nside by side, all rounds together (targets: ratio >= {TARGET_RATIO}, our p99 < {TARGET_P99_MS} ms, "
        "nothing lost); p99 is the worst round's"
    )
    print(header)
    print("-" * len(header))
    met = True
    pairs = sorted({(r.database, r.concurrency) for r in results}, key=lambda pair: (pair[0] != "sqlite", pair[1]))
    for database, concurrency in pairs:
        runs = [r for r in results if (r.database, r.concurrency) == (database, concurrency)]
        ours = [r for r in runs if r.app == "ours"]
        bare = [r for r in runs if r.app == "bare"]
        if not ours or not bare:
            continue
        ours_rate = sum(r.acked for r in ours) / sum(r.seconds for r in ours)
        bare_rate = sum(r.acked for r in bare) / sum(r.seconds for r in bare)
        ratio = ours_rate / bare_rate if bare_rate else 0.0
        p99_ours = max(r.p99_ms for r in ours)
        p99_bare = max(r.p99_ms for r in bare)
        lost_ours = sum(r.lost for r in ours)
        lost_bare = sum(r.lost for r in bare)
        misses = []
        if ratio < TARGET_RATIO:
            misses.append("ratio")
        if p99_ours >= TARGET_P99_MS:
            misses.append("p99")
        if lost_ours:
            misses.append("LOST")
        met &= not misses
        print(
            f"{database:<10} {concurrency:>4} {ours_rate:>10.1f} {bare_rate:>10.1f} {ratio:>6.2f} "
            f"{p99_ours:>11.1f} {p99_bare:>11.1f} {lost_ours:>9} {lost_bare:>9}  "
            + ("ok" if not misses else "MISSED: " + ", ".join(misses))
        )
    return met


def _ratio(ours: list[Result], bare: list[Result]) -> float | None:
    """Accepted submissions per second over all the runs given, ours over bare."""
    if not ours or not bare:
        return None
    ours_rate = sum(r.acked for r in ours) / sum(r.seconds for r in ours)
    bare_rate = sum(r.acked for r in bare) / sum(r.seconds for r in bare)
    return ours_rate / bare_rate if bare_rate else 0.0


def parse_args(argv: list[str] | None = None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per app and concurrency")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of light load per app before measuring")
    parser.add_argument(
        "--rounds", type=int, default=2, help="repeat every pair of loads, alternating which app goes first"
    )
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64], help="open connections")
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="gunicorn workers for both apps (default 2 x cores + 1, gunicorn's own advice)",
    )
    parser.add_argument(
        "--bare",
        type=Path,
        default=BARE_SCRIPT,
        help=f"the yardstick app (default {BARE_SCRIPT}); run as <stem>:app from its own folder",
    )
    parser.add_argument(
        "--bare-sqlite-synchronous",
        choices=["OFF", "NORMAL", "FULL", "EXTRA"],
        help="SQLITE_SYNCHRONOUS for the bare app (default: its own, FULL; ours uses NORMAL)",
    )
    parser.add_argument(
        "--limiter-storage",
        help="our app's RATELIMIT_STORAGE_URI: redis://127.0.0.1:6379, as production has it, when a Redis answers "
        "there (a key prefix of this run, deleted afterwards), else memory://",
    )
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class for both apps")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (gthread)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/postgres"),
        help="an existing database to connect to for CREATE/DROP DATABASE (env BENCH_POSTGRES_URL)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 300 or not 1 <= args.warmup <= 60 or not 1 <= args.rounds <= 10:
        parser.error("--duration must be 1..300 s, --warmup 1..60 s and --rounds 1..10, so a run stays bounded")
    if any(not 1 <= c <= 1000 for c in args.concurrency):
        parser.error("--concurrency must be 1..1000")
    host = make_url(args.postgres_url).host
    if host not in (HOST, "localhost"):
        parser.error("--postgres-url must point at 127.0.0.1: the benchmark creates and drops databases there")
    if args.limiter_storage is None:
        args.limiter_storage = LOCAL_REDIS if redis_answers(LOCAL_REDIS) else "memory://"
    if args.limiter_storage != "memory://" and not re.match(
        r"^redis://(127\.0\.0\.1|localhost)(:\d+)?(/\d+)?$", args.limiter_storage
    ):
        parser.error("--limiter-storage must be memory:// or redis://127.0.0.1[:port][/db]")
    if not args.bare.is_file():
        parser.error(f"--bare: {args.bare} is not a file (the yardstick lives in ../shared/bench/ beside the project)")
    if not 1 <= args.workers <= 64:
        parser.error("--workers must be 1..64")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path(WRK).exists():
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _raise_interrupted)
    signal.signal(signal.SIGHUP, _raise_interrupted)
    print(
        f"gunicorn: {args.workers} {args.worker_class} workers x {args.threads} threads; wrk: {args.wrk_threads} "
        f"threads; {args.duration} s per load at concurrency {', '.join(map(str, args.concurrency))}; "
        f"{os.cpu_count()} CPUs; our limiter's storage {args.limiter_storage}; yardstick {args.bare}",
        flush=True,
    )
    results: list[Result] = []
    try:
        with contextlib.ExitStack() as stack:
            work = Path(tempfile.mkdtemp(prefix="comments-bench-"))
            stack.callback(shutil.rmtree, work, ignore_errors=True)
            for database in args.databases:
                if database == "sqlite":
                    urls = sqlite_databases(work)
                else:
                    urls = postgres_databases(stack, args.postgres_url)
                    if urls is None:
                        continue
                results += bench_database(database, *urls, args, work)
    except (KeyboardInterrupt, Interrupted):
        print("\ninterrupted: everything started has been stopped", file=sys.stderr)
        if results:
            print_report(results)
        return 130
    return 0 if print_report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
