"""Migrations that move data, run on a database of their own from the revision before them (style rule 12)."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from comments import create_app
from comments.extensions import db
from config import TestingConfig
from tests import dbutil

pytestmark = pytest.mark.no_db_session

BEFORE_DEPARTMENT_IDS = "bb4f8012858d"
CONSULTATION = (
    "INSERT INTO consultations (slug, title, affair, system_name, department, evaluation_group, summary, status,"
    " opens_at, closes_at, require_name, require_contact, created_at)"
    " VALUES (:slug, 't', 'a', '', :department, '', '', 'open', '2015-06-22 00:00:00', '2015-07-22 00:00:00',"
    " false, false, '2015-06-01 00:00:00')"
)


@pytest.fixture
def fresh_app(tmp_path):
    url = dbutil.create_database(tmp_path, "migration")
    app = create_app(
        TestingConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=tmp_path, ATTACHMENT_STORAGE=tmp_path / "files"
    )
    yield app
    with app.app_context():
        db.engine.dispose()
    dbutil.drop_database(url)


def _departments_of_consultations() -> dict[str, str | None]:
    rows = db.session.execute(
        text(
            "SELECT consultations.slug, departments.name FROM consultations"
            " LEFT JOIN departments ON departments.id = consultations.department_id"
        )
    )
    return dict(rows.all())


def test_consultations_belong_to_the_department_whose_name_was_typed(fresh_app):
    with fresh_app.app_context():
        upgrade(revision=BEFORE_DEPARTMENT_IDS)
        db.session.execute(text("INSERT INTO departments (name) VALUES ('健康保険課')"))
        for slug, typed in (
            ("exact", "健康保険課"),
            ("spaced", " 健康保険課\u3000 "),
            ("new", "介護保険課"),
            ("blank", " "),
        ):
            db.session.execute(text(CONSULTATION), {"slug": slug, "department": typed})
        db.session.commit()

        upgrade()
        assert _departments_of_consultations() == {
            "exact": "健康保険課",
            "spaced": "健康保険課",
            "new": "介護保険課",
            "blank": None,
        }
        names = db.session.execute(text("SELECT name FROM departments ORDER BY name")).scalars().all()
        assert names == ["介護保険課", "健康保険課"]
        assert "department" not in {
            column["name"] for column in inspect(db.session.connection()).get_columns("consultations")
        }
        db.session.commit()

        downgrade(revision=BEFORE_DEPARTMENT_IDS)
        typed = dict(db.session.execute(text("SELECT slug, department FROM consultations")).all())
        assert typed == {"exact": "健康保険課", "spaced": "健康保険課", "new": "介護保険課", "blank": ""}


BEFORE_SEALING = "ec33e4a902e2"


def _raw_contact() -> tuple:
    """The stored values; the read's transaction ends, so a migration after it is not kept waiting."""
    values = tuple(db.session.execute(text("SELECT name, email, contact FROM submitters")).one())
    db.session.rollback()
    return values


def test_contact_data_written_before_encryption_is_sealed_and_opened_again_on_downgrade(fresh_app):
    from comments.models import Submitter
    from tests.factories import SUBMITTER, make_consultation, make_submission

    with fresh_app.app_context():
        upgrade()
        make_submission(make_consultation())
        db.session.commit()
        assert all(value.startswith("enc1:test1:") for value in _raw_contact())

        downgrade(revision=BEFORE_SEALING)
        assert _raw_contact() == SUBMITTER, "the older code reads plain text again"

        upgrade()
        assert all(value.startswith("enc1:test1:") for value in _raw_contact())
        assert SUBMITTER[0] not in repr(_raw_contact())
        submitter = db.session.scalars(select(Submitter)).one()
        assert (submitter.name, submitter.email, submitter.contact) == SUBMITTER


BEFORE_APPROVERS = "3c1d2e4f5a6b"
APPROVERS = "1f9aeb07ba30"
ROLE_ROW = "INSERT INTO user_roles (user_id, role) VALUES (:user_id, :role)"


def _role_taken(role: str, user_id: int) -> bool:
    """Whether the database takes a role row of this name (its CHECK constraint decides)."""
    try:
        with db.session.begin_nested():
            db.session.execute(text(ROLE_ROW), {"user_id": user_id, "role": role})
    except IntegrityError:
        return False
    return True


def test_approver_roles_are_taken_after_the_migration_and_withdrawn_on_downgrade(fresh_app):
    with fresh_app.app_context():
        upgrade(revision=BEFORE_APPROVERS)
        db.session.execute(
            text(
                "INSERT INTO users (email, display_name, password_hash, totp_enabled, active, created_at)"
                " VALUES ('kacho@example.jp', '課長', 'x', false, true, '2015-06-01 00:00:00')"
            )
        )
        user_id = db.session.execute(text("SELECT id FROM users")).scalar_one()
        assert _role_taken("secretariat", user_id)
        assert not _role_taken("department_approver", user_id)
        db.session.commit()

        upgrade(revision=APPROVERS)
        assert _role_taken("department_approver", user_id) and _role_taken("city_approver", user_id)
        assert not _role_taken("chief", user_id)
        db.session.commit()

        downgrade(revision=BEFORE_APPROVERS)
        roles = db.session.execute(text("SELECT role FROM user_roles")).scalars().all()
        assert roles == ["secretariat"], "the approver grants go; the account keeps its other roles"
        assert not _role_taken("city_approver", user_id)
        db.session.commit()


BEFORE_ACCOUNT_ADMINISTRATION = "e4c7a1b9d2f3"
ACCOUNT_ADMINISTRATION = "d6251d56a051"
ADMINISTRATION_TABLES = {"account_invitations", "account_transfers", "second_factor_resets"}
RESET_ROW = (
    "INSERT INTO second_factor_resets (user_id, reason, requested_by_id, requested_at, expires_at, confirmed_by_id)"
    " VALUES (:user_id, 'lost', :requested_by, '2026-12-01 00:00:00', '2026-12-02 00:00:00', :confirmed_by)"
)


def _tables() -> set[str]:
    return set(inspect(db.session.connection()).get_table_names())


def _reset_taken(user_id: int, requested_by: int, confirmed_by: int | None) -> bool:
    try:
        with db.session.begin_nested():
            db.session.execute(
                text(RESET_ROW), {"user_id": user_id, "requested_by": requested_by, "confirmed_by": confirmed_by}
            )
    except IntegrityError:
        return False
    return True


def test_account_administration_tables_come_and_go_and_two_people_reset_a_second_factor(fresh_app):
    with fresh_app.app_context():
        upgrade(revision=BEFORE_ACCOUNT_ADMINISTRATION)
        for email in ("a@example.jp", "b@example.jp", "c@example.jp"):
            db.session.execute(
                text(
                    "INSERT INTO users (email, display_name, password_hash, totp_enabled, active, created_at)"
                    " VALUES (:email, 'x', 'x', true, true, '2026-06-01 00:00:00')"
                ),
                {"email": email},
            )
        owner, asker, confirmer = db.session.execute(text("SELECT id FROM users ORDER BY id")).scalars().all()
        assert not ADMINISTRATION_TABLES & _tables()
        db.session.commit()

        upgrade(revision=ACCOUNT_ADMINISTRATION)
        assert _tables() >= ADMINISTRATION_TABLES
        assert _reset_taken(owner, asker, None) and _reset_taken(owner, asker, confirmer)
        assert not _reset_taken(owner, asker, asker), "the one who asked does not confirm"
        assert not _reset_taken(owner, asker, owner), "nor does the account's owner"
        db.session.commit()

        downgrade(revision=BEFORE_ACCOUNT_ADMINISTRATION)
        assert not ADMINISTRATION_TABLES & _tables()
        assert db.session.execute(text("SELECT count(*) FROM users")).scalar_one() == 3, "the accounts stay"
        db.session.commit()
