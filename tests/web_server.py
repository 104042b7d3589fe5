"""The service as production starts it, for the integration tests: `flask db upgrade` and `gunicorn wsgi:app`
run as commands from the project folder (so gunicorn reads ./gunicorn.conf.py), on a migrated SQLite file in a
temporary instance folder, bound to a free port of 127.0.0.1.

``flask`` and ``gunicorn`` are the programs of the interpreter's venv, called exactly as deploy/README.md and
deploy/systemd/ call them; only the settings differ (a SQLite file, development's made-up keys).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def service_environment(tmp: Path, **settings) -> dict[str, str]:
    """The environment of every command: development's settings (keys made once in the instance folder) on a
    SQLite file in ``tmp``; ``settings`` add or replace variables. HOME is ``tmp/home``, so whatever a program
    would write there (gunicorn's control socket, say) shows."""
    instance = tmp / "instance"
    home = tmp / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GUNICORN_", "PROMETHEUS_")) and key not in ("WEB_CONCURRENCY", "XDG_RUNTIME_DIR")
    }
    env.update(
        {
            "COMMENTS_ENV": "development",
            "HOME": str(home),
            "DATABASE_URL": f"sqlite:///{tmp / 'comments.sqlite3'}",
            "INSTANCE_PATH": str(instance),
            "ATTACHMENT_STORAGE": str(instance / "attachments"),
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_COST": "1024",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": "1",  # mail only goes to the outbox here
            "LOG_FORMAT": "text",
        }
    )
    env.update({name: str(value) for name, value in settings.items()})
    return env


def flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``flask --app wsgi ARGS`` from the project folder, as deploy/README.md runs it; fails the test on an error."""
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"flask {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@dataclass
class Gunicorn:
    process: subprocess.Popen
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []


@contextmanager
def gunicorn(env: dict[str, str], *args: str, log: Path) -> Iterator[Gunicorn]:
    """``gunicorn [ARGS] wsgi:app`` from the project folder with ``env`` (GUNICORN_BIND on a free port unless
    set); stopped with its workers (its process group) at the end."""
    env = dict(env)
    if "GUNICORN_BIND" not in env:
        env["GUNICORN_BIND"] = f"127.0.0.1:{free_port()}"
    port = int(env["GUNICORN_BIND"].rsplit(":", 1)[1])
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), *args, "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Gunicorn(process, port, log)
    try:
        wait_until_it_answers(process, port, log)
        yield server
    finally:
        stop(process)


def wait_until_it_answers(process: subprocess.Popen, port: int, log: Path) -> None:
    """Until gunicorn answers anything on ``port`` (a redirect to https is an answer)."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn stopped at startup:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer within {START_TIMEOUT_SECONDS} seconds")


def stop(process: subprocess.Popen) -> None:
    """TERM the process group (a master and its workers), KILL it when it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(condition, what: str, seconds: float = 30) -> None:
    """Until ``condition()`` holds; fails the test naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {seconds} s")
        time.sleep(0.05)
