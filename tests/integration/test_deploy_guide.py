"""deploy/README.md's commands, run as the guide writes them (issue 13, item 6), and its settings file.

The guide's own text holds each command below word for word, so a command changed in one place fails here.
`comments-flask db upgrade` and `users create-admin` run through deploy/comments-flask on a development settings
file of the test's (SQLite); `db upgrade` and `create-admin` also start the service behind nginx in
test_nginx_proxy.py.
"""

from __future__ import annotations

import getpass
import re
import shutil
import sqlite3
import subprocess
import sys

import pytest

from comments import create_app
from config import TestingConfig
from tests.web_server import BIN, ROOT

pytestmark = [pytest.mark.no_db_session, pytest.mark.database_independent]

GUIDE = ROOT / "deploy" / "README.md"
SETTINGS_FILE = ROOT / "deploy" / "comments.env.example"
COMMENTS_FLASK = ROOT / "deploy" / "comments-flask"

SECRET_KEY_COMMAND = 'python3 -c "import secrets; print(secrets.token_urlsafe(48))"'
CONTACT_KEY_COMMAND = '.venv/bin/python -c "from comments.crypto import new_key_entry; print(new_key_entry())"'
COMPILE_COMMAND = ".venv/bin/pybabel compile -d translations"
UPGRADE_COMMAND = "comments-flask db upgrade"
CREATE_ADMIN_COMMAND = 'comments-flask users create-admin --email admin@city.example --name "管理者"'
INSTALL_COMMANDS = (
    "install -m 0640 -o root -g comments deploy/comments.env.example /etc/comments/comments.env",
    "install -m 0755 deploy/comments-flask /usr/local/bin/comments-flask",
    "nginx -t && systemctl reload nginx",
)


def in_this_venv(command: str) -> str:
    """The guide's command with the venv running these tests in place of /srv/comments/app/.venv."""
    return command.replace(".venv/bin/", f"{BIN}/").replace("python3 -c", f"{sys.executable} -c")


def run(command: str, **options) -> str:
    done = subprocess.run(command, shell=True, capture_output=True, text=True, check=False, **options)  # noqa: S602
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_guide_holds_the_commands_the_tests_run():
    guide = GUIDE.read_text(encoding="utf-8")
    commands = (SECRET_KEY_COMMAND, CONTACT_KEY_COMMAND, COMPILE_COMMAND, UPGRADE_COMMAND, CREATE_ADMIN_COMMAND)
    missing = [command for command in (*commands, *INSTALL_COMMANDS) if command not in guide]
    assert missing == []
    assert "## 11. Backup and restore" in guide


def read_settings() -> set[str]:
    """Every environment variable config.py and gunicorn.conf.py read."""
    config = (ROOT / "config.py").read_text(encoding="utf-8")
    names = set(re.findall(r'\benv(?:_list)?\(\s*"([A-Z0-9_]+)"', config))
    gunicorn = (ROOT / "gunicorn.conf.py").read_text(encoding="utf-8")
    names |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z0-9_]+)"', gunicorn))
    return names


def test_the_settings_file_names_every_setting():
    listed = SETTINGS_FILE.read_text(encoding="utf-8")
    assert {"SECRET_KEY", "SECRETARIAT_POSTAL_ADDRESS", "GUNICORN_BIND", "S3_BUCKET"} <= read_settings()
    missing = sorted(name for name in read_settings() if not re.search(rf"^#?{name}=", listed, re.MULTILINE))
    # Set by comments-web.service itself; the file says so.
    assert missing == ["PROMETHEUS_MULTIPROC_DIR"]
    assert "PROMETHEUS_MULTIPROC_DIR is set by comments-web.service" in listed


def test_the_settings_file_with_its_two_secrets_starts_production(tmp_path):
    """Sourced as comments-flask sources it, with the secrets the guide's commands print put in, the file is
    a production configuration the app accepts (nothing is connected to at startup)."""
    secret_key = run(in_this_venv(SECRET_KEY_COMMAND), cwd=ROOT).strip()
    contact_key = run(in_this_venv(CONTACT_KEY_COMMAND), cwd=ROOT).strip()
    script = (
        'set -a; . "$1"; SECRET_KEY="$2"; CONTACT_DATA_KEYS="$3"; INSTANCE_PATH="$4"; set +a; '
        'exec "$5" -c "from comments import create_app; app = create_app(); '
        "print(app.config['PUBLIC_BASE_URL'], app.config['BLOB_STORAGE'], app.config['PROXY_FIX_X_FOR'])\""
    )
    done = subprocess.run(
        ["sh", "-c", script, "sh", SETTINGS_FILE, secret_key, contact_key, tmp_path, sys.executable],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["https://comments.city.example", "s3", "1"]


def test_compiling_the_catalog_makes_what_the_app_needs(tmp_path):
    shutil.copytree(ROOT / "translations", tmp_path / "translations", ignore=shutil.ignore_patterns("*.mo"))
    run(in_this_venv(COMPILE_COMMAND), cwd=tmp_path)
    assert (tmp_path / "translations" / "ja" / "LC_MESSAGES" / "messages.mo").stat().st_size > 0
    create_app(
        TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "translations")
    )


def test_comments_flask_migrates_and_creates_the_first_administrator(tmp_path):
    if not (ROOT / ".venv" / "bin" / "flask").exists():
        pytest.skip("comments-flask runs the checkout's .venv, which these tests do not run from")
    database = tmp_path / "comments.sqlite3"
    settings = tmp_path / "comments.env"
    settings.write_text(
        "COMMENTS_ENV=development\n"
        f"DATABASE_URL=sqlite:///{database}\n"
        f"INSTANCE_PATH={tmp_path / 'instance'}\n"
        "ARGON2_TIME_COST=1\nARGON2_MEMORY_COST=1024\nLOG_FORMAT=text\n",
        encoding="utf-8",
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "COMMENTS_APP": str(ROOT),
        "COMMENTS_ENV_FILE": str(settings),
        "COMMENTS_USER": getpass.getuser(),
    }
    wrapper = f"sh {COMMENTS_FLASK}"
    run(UPGRADE_COMMAND.replace("comments-flask", wrapper), env=env, cwd=tmp_path)
    created = run(
        CREATE_ADMIN_COMMAND.replace("comments-flask", wrapper) + " --password correct-horse-battery-staple-42",
        env=env,
        cwd=tmp_path,
    )
    assert "Administrator admin@city.example created" in created
    with sqlite3.connect(database) as connection:
        roles = connection.execute(
            "SELECT user_roles.role FROM users JOIN user_roles ON user_roles.user_id = users.id "
            "WHERE users.email = 'admin@city.example'"
        ).fetchall()
    assert roles == [("administrator",)]
