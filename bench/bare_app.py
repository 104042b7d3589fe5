"""The yardstick for bench/submit_load.py: the least a Flask + SQLAlchemy app must do to take a comment.

One endpoint parses the same multipart form as the real comment form and inserts one row with the
same text, in its own transaction, then answers 303 like the real form. There is no validation, no
CSRF check, no templates and no audit row: whatever the real app spends beyond this is what the
benchmark's ratio measures. SQLite connections get the same pragmas and the same BEGIN IMMEDIATE from
``comments.transactions.install_sqlite_hooks`` itself, so both apps meet the same database behaviour.

Run by submit_load.py under gunicorn (``bare_app:app`` from bench/) with ``BARE_DATABASE_URL`` set;
``python bench/bare_app.py`` creates the table once, before the workers start, so two workers never
race to create it.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, redirect, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from comments.transactions import install_sqlite_hooks


def _normalise_database_url(url: str) -> str:
    """The same psycopg 3 driver as config.normalise_database_url, so both apps use one driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# The same SQLite pragmas and BEGIN IMMEDIATE for writing requests as the real app, from the same code.
install_sqlite_hooks()


db = SQLAlchemy()


class BareComment(db.Model):
    __tablename__ = "bare_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    submitter_kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), default="")
    consented: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(os.environ["BARE_DATABASE_URL"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    db.init_app(app)

    @app.post("/comment")
    def take_comment():
        form = request.form  # the multipart parse the real form pays for too
        comment = BareComment(
            body=form.get("body", ""),
            submitter_kind=form.get("submitter_kind", ""),
            name=form.get("name", ""),
            consented=form.get("consent") == "y",
            received_at=datetime.now(UTC),
        )
        db.session.add(comment)
        db.session.commit()
        # The id in the Location lets the benchmark check that every acknowledged row exists.
        return redirect(f"/comment/{comment.id}", code=303)

    return app


app = create_app()

if __name__ == "__main__":
    with app.app_context():
        db.create_all()
