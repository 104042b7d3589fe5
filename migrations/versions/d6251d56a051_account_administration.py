"""Account administration in the browser: invitations by mail (only a hash of each link's token is kept),
transfers to another post (異動), recorded at once or ahead of their date, and second-factor resets that a
second administrator confirms. Three new tables; nothing existing changes, so the release before this one
runs on the upgraded database unchanged. The timestamps are UTC instants (UTCDateTime in the models).

Revision ID: d6251d56a051
Revises: e4c7a1b9d2f3
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "d6251d56a051"
down_revision = "e4c7a1b9d2f3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"], ["users.id"], name=op.f("fk_account_invitations_cancelled_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_account_invitations_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["users.id"], name=op.f("fk_account_invitations_invited_by_id_users")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_account_invitations_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_invitations_token_hash")),
    )
    op.create_index(op.f("ix_account_invitations_email"), "account_invitations", ["email"], unique=False)
    op.create_index(
        op.f("ix_account_invitations_department_id"), "account_invitations", ["department_id"], unique=False
    )

    op.create_table(
        "account_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("new_post", sa.String(length=300), nullable=False),
        sa.Column("kept_roles", sa.JSON(), nullable=False),
        sa.Column("kept_department_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("carried_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("carried_out_by_id", sa.Integer(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"], ["users.id"], name=op.f("fk_account_transfers_cancelled_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["carried_out_by_id"], ["users.id"], name=op.f("fk_account_transfers_carried_out_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["kept_department_id"],
            ["departments.id"],
            name=op.f("fk_account_transfers_kept_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_account_transfers_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_account_transfers_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_transfers")),
    )
    op.create_index(op.f("ix_account_transfers_user_id"), "account_transfers", ["user_id"], unique=False)

    op.create_table(
        "second_factor_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        # Two people, neither the account's owner: the database refuses a confirmation by either.
        sa.CheckConstraint(
            "confirmed_by_id IS NULL OR (confirmed_by_id <> requested_by_id AND confirmed_by_id <> user_id)",
            name=op.f("ck_second_factor_resets_two_people"),
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_by_id"], ["users.id"], name=op.f("fk_second_factor_resets_cancelled_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["users.id"], name=op.f("fk_second_factor_resets_confirmed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_second_factor_resets_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_second_factor_resets_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_second_factor_resets")),
    )
    op.create_index(op.f("ix_second_factor_resets_user_id"), "second_factor_resets", ["user_id"], unique=False)


def downgrade():
    # The records of invitations, transfers and resets go with their tables; what they did to the accounts
    # (roles, departments, sessions, second factors) stays, and the audit trail keeps every step.
    op.drop_index(op.f("ix_second_factor_resets_user_id"), table_name="second_factor_resets")
    op.drop_table("second_factor_resets")
    op.drop_index(op.f("ix_account_transfers_user_id"), table_name="account_transfers")
    op.drop_table("account_transfers")
    op.drop_index(op.f("ix_account_invitations_department_id"), table_name="account_invitations")
    op.drop_index(op.f("ix_account_invitations_email"), table_name="account_invitations")
    op.drop_table("account_invitations")
