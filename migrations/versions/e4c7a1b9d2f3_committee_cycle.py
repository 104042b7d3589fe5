"""The committee's cycle: each consultation's schedule of steps; meetings with their number, body, time, place,
agenda, papers and attendance; minutes with every version and the members' comments; the committee's main
opinions with their answers (or carried to a later meeting); the report to the council; notifications, and
the choice of a daily digest. New tables, and new columns on meetings and users added with plain ADD COLUMN
(SQLite would otherwise copy tables other tables point at; there the CHECK of meetings.body is skipped, and
the domain is what keeps its values); nothing existing moves.

Revision ID: e4c7a1b9d2f3
Revises: d9f2b6a4c8e1
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e4c7a1b9d2f3"
down_revision = "d9f2b6a4c8e1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "agenda_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultations.id"], name=op.f("fk_agenda_items_consultation_id_consultations")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_agenda_items_meeting_id_meetings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_items")),
        sa.UniqueConstraint("meeting_id", "position", name="uq_agenda_items_position"),
    )
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agenda_items_consultation_id"), ["consultation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agenda_items_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "committee_opinions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "answered",
                "carried",
                name="opinion_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("answer", sa.Text(), server_default="", nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_meeting_id", sa.Integer(), nullable=True),
        sa.Column("carried_to_meeting_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_meeting_id"], ["meetings.id"], name=op.f("fk_committee_opinions_answered_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["carried_to_meeting_id"],
            ["meetings.id"],
            name=op.f("fk_committee_opinions_carried_to_meeting_id_meetings"),
        ),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultations.id"], name=op.f("fk_committee_opinions_consultation_id_consultations")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_committee_opinions_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_opinions")),
        sa.UniqueConstraint("meeting_id", "number", name="uq_committee_opinions_number"),
    )
    with op.batch_alter_table("committee_opinions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_committee_opinions_carried_to_meeting_id"), ["carried_to_meeting_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_committee_opinions_consultation_id"), ["consultation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_committee_opinions_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "consultation_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "pre_inspection",
                "comment_period",
                "inspection",
                "council_report",
                "submission",
                "publication",
                name="step_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "planned",
                "in_progress",
                "done",
                name="step_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("slip_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_consultation_steps_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_consultation_steps_meeting_id_meetings"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_steps")),
        sa.UniqueConstraint("consultation_id", "kind", name="uq_consultation_steps_kind"),
    )
    with op.batch_alter_table("consultation_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consultation_steps_consultation_id"), ["consultation_id"], unique=False)

    op.create_table(
        "council_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("addressee", sa.String(length=200), nullable=False),
        sa.Column("dated_on", sa.Date(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft", "approved", name="council_report_state", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["approved_by_id"], ["users.id"], name=op.f("fk_council_reports_approved_by_id_users")),
        sa.ForeignKeyConstraint(
            ["consultation_id"], ["consultations.id"], name=op.f("fk_council_reports_consultation_id_consultations")
        ),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_council_reports_meeting_id_meetings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_reports")),
        sa.UniqueConstraint("consultation_id", name=op.f("uq_council_reports_consultation_id")),
    )
    op.create_table(
        "meeting_attendance",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("briefed_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_attendance_meeting_id_meetings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_meeting_attendance_user_id_users")),
        sa.PrimaryKeyConstraint("meeting_id", "user_id", name=op.f("pk_meeting_attendance")),
    )
    op.create_table(
        "minutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "drafting",
                "circulating",
                "finalised",
                "published",
                name="minutes_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("comment_deadline", sa.Date(), nullable=True),
        sa.Column("circulated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finalised_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["finalised_by_id"], ["users.id"], name=op.f("fk_minutes_finalised_by_id_users")),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_minutes_meeting_id_meetings"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minutes")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_minutes_meeting_id")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_dedupe"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_user_id"), ["user_id"], unique=False)

    op.create_table(
        "meeting_papers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), server_default="", nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("material_id", sa.Integer(), nullable=True),
        sa.Column("inquiry_id", sa.Integer(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["agenda_items.id"],
            name=op.f("fk_meeting_papers_agenda_item_id_agenda_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["inquiry_id"], ["inquiries.id"], name=op.f("fk_meeting_papers_inquiry_id_inquiries"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["material_id"], ["materials.id"], name=op.f("fk_meeting_papers_material_id_materials"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_papers_meeting_id_meetings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["posted_by_id"], ["users.id"], name=op.f("fk_meeting_papers_posted_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_papers")),
        sa.UniqueConstraint("meeting_id", "position", name="uq_meeting_papers_position"),
    )
    with op.batch_alter_table("meeting_papers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_papers_agenda_item_id"), ["agenda_item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_papers_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "minutes_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("minutes_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_minutes_versions_created_by_id_users")),
        sa.ForeignKeyConstraint(
            ["minutes_id"], ["minutes.id"], name=op.f("fk_minutes_versions_minutes_id_minutes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minutes_versions")),
        sa.UniqueConstraint("minutes_id", "number", name="uq_minutes_versions_number"),
    )
    with op.batch_alter_table("minutes_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_minutes_versions_minutes_id"), ["minutes_id"], unique=False)

    op.create_table(
        "minutes_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("minutes_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_minutes_comments_author_id_users")),
        sa.ForeignKeyConstraint(
            ["minutes_id"], ["minutes.id"], name=op.f("fk_minutes_comments_minutes_id_minutes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["minutes_versions.id"],
            name=op.f("fk_minutes_comments_version_id_minutes_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minutes_comments")),
    )
    with op.batch_alter_table("minutes_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_minutes_comments_minutes_id"), ["minutes_id"], unique=False)

    op.add_column(
        "meetings",
        sa.Column(
            "body",
            sa.Enum(
                "sub_committee", "council", name="meeting_body", native_enum=False, create_constraint=True, length=32
            ),
            server_default="sub_committee",
            nullable=False,
        ),
    )
    op.add_column("meetings", sa.Column("number", sa.Integer(), nullable=True))
    op.add_column("meetings", sa.Column("starts_at", sa.Time(), nullable=True))
    op.add_column("meetings", sa.Column("ends_at", sa.Time(), nullable=True))
    op.add_column("meetings", sa.Column("place", sa.String(length=300), server_default="", nullable=False))
    op.add_column("meetings", sa.Column("open_to_public", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column("meetings", sa.Column("notice_sent_at", sa.DateTime(timezone=True), nullable=True))

    op.add_column("users", sa.Column("notify_daily", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    op.drop_column("users", "notify_daily")

    op.drop_column("meetings", "notice_sent_at")
    op.drop_column("meetings", "open_to_public")
    op.drop_column("meetings", "place")
    op.drop_column("meetings", "ends_at")
    op.drop_column("meetings", "starts_at")
    op.drop_column("meetings", "number")
    op.drop_column("meetings", "body")

    with op.batch_alter_table("minutes_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_minutes_comments_minutes_id"))

    op.drop_table("minutes_comments")
    with op.batch_alter_table("minutes_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_minutes_versions_minutes_id"))

    op.drop_table("minutes_versions")
    with op.batch_alter_table("meeting_papers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_papers_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_papers_agenda_item_id"))

    op.drop_table("meeting_papers")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_user_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_created_at"))

    op.drop_table("notifications")
    op.drop_table("minutes")
    op.drop_table("meeting_attendance")
    op.drop_table("council_reports")
    with op.batch_alter_table("consultation_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_steps_consultation_id"))

    op.drop_table("consultation_steps")
    with op.batch_alter_table("committee_opinions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_committee_opinions_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_committee_opinions_consultation_id"))
        batch_op.drop_index(batch_op.f("ix_committee_opinions_carried_to_meeting_id"))

    op.drop_table("committee_opinions")
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_items_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_agenda_items_consultation_id"))

    op.drop_table("agenda_items")
