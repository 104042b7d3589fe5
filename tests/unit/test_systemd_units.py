"""deploy/systemd/'s units (issue 13, item 6): systemd reads them without a complaint, each starts a command the
app really has, and each keeps the same hardening, user and settings file."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from comments import create_app
from config import BASE_DIR, TestingConfig

UNITS = BASE_DIR / "deploy" / "systemd"
CHECKOUT = "/srv/comments/app"
SERVICES = sorted(UNITS.glob("*.service"))
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "StateDirectory": "comments",
    "CapabilityBoundingSet": "",
}


def read_unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None)
    unit.optionxform = str  # systemd's keys are case-sensitive
    unit.read(path, encoding="utf-8")
    return unit


def test_the_units_are_the_ones_the_guide_installs():
    names = sorted(path.name for path in UNITS.iterdir())
    assert names == [
        "comments-mail-poll.service",
        "comments-mail-poll.timer",
        "comments-web.service",
        "comments-worker.service",
    ]
    guide = (BASE_DIR / "deploy" / "README.md").read_text(encoding="utf-8")
    assert all(name in guide for name in names)


@pytest.mark.parametrize("path", SERVICES, ids=lambda path: path.name)
def test_each_service_runs_as_the_service_user_with_the_same_hardening(path):
    service = read_unit(path)["Service"]
    assert (service["User"], service["Group"]) == ("comments", "comments")
    assert service["WorkingDirectory"] == CHECKOUT
    assert service["EnvironmentFile"] == "/etc/comments/comments.env"
    assert {key: service.get(key) for key in HARDENING} == HARDENING
    if service["Type"] != "oneshot":
        assert service["Restart"] == "on-failure"


@pytest.mark.parametrize("path", SERVICES, ids=lambda path: path.name)
def test_each_service_starts_a_command_the_app_has(path):
    command = shlex.split(read_unit(path)["Service"]["ExecStart"])
    program = Path(command[0])
    assert program.parent == Path(CHECKOUT) / ".venv" / "bin"
    assert (Path(sys.executable).parent / program.name).exists(), "a program of the venv"
    if program.name == "gunicorn":
        assert command[1:] == ["wsgi:app"], "every other setting is in gunicorn.conf.py"
        return
    assert program.name == "flask"
    assert command[1:3] == ["--app", "wsgi"]
    runner = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://").test_cli_runner()
    # --help after the command's own options: click refuses an option the command does not have.
    result = runner.invoke(args=[*command[3:], "--help"])
    assert result.exit_code == 0, result.output


def test_the_timer_starts_the_mail_poll_once_a_minute():
    timer = read_unit(UNITS / "comments-mail-poll.timer")
    assert timer["Timer"]["Unit"] == "comments-mail-poll.service"
    assert timer["Timer"]["OnUnitInactiveSec"] == "1min"
    assert timer["Install"]["WantedBy"] == "timers.target"
    service = read_unit(UNITS / "comments-mail-poll.service")["Service"]
    assert service["Type"] == "oneshot"
    assert shlex.split(service["ExecStart"])[-1] == "--once", "the timer starts it; it must not loop"


def test_systemd_reads_every_unit_without_a_warning(tmp_path):
    """`systemd-analyze verify` on the units with the checkout's path in place of /srv/comments/app (it checks
    that each program exists). It answers 0 even when it ignores a line it cannot read, so any output fails."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed (apt-get install systemd); the units were parsed above")
    for path in UNITS.iterdir():
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8").replace(CHECKOUT, str(BASE_DIR)))
    units = [str(tmp_path / path.name) for path in sorted(UNITS.iterdir())]
    done = subprocess.run([analyze, "verify", "--man=no", *units], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
