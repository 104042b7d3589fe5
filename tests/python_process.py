"""Running a piece of Python in a process of its own, from the project's folder: for what must start fresh
(prometheus_client's multiprocess mode, sentry_sdk.init, gunicorn's logging config), never in pytest's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_python(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``script`` with ``args`` under this interpreter, the project importable; fail the test on a non-zero exit."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env or {**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done
