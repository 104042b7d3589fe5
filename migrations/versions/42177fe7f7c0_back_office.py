"""The back office: deadline extensions, the postal rule, paper intake (who keyed it in, arrival and
postmark dates, the second person's check, late decisions), account and audit reviews, and the
Japanese search index.

Search: submission_search holds each submission's text as space-separated character bigrams (written
by the application). On SQLite an FTS5 table indexes it (external content, kept in step by triggers);
on PostgreSQL a GIN index on to_tsvector('simple', terms) does. Both find two-character words.

Revision ID: 42177fe7f7c0
Revises: 2fe0f91c2dd7
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '42177fe7f7c0'
down_revision = '2fe0f91c2dd7'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('account_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accounts_reviewed', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_account_reviews_reviewed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_reviews'))
    )
    op.create_table('audit_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('period_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_audit_reviews_reviewed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_reviews'))
    )
    op.create_table('deadline_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('old_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('new_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('extended_by_id', sa.Integer(), nullable=True),
    sa.Column('extended_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_deadline_extensions_consultation_id_consultations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['extended_by_id'], ['users.id'], name=op.f('fk_deadline_extensions_extended_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_extensions'))
    )
    with op.batch_alter_table('deadline_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_extensions_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('late_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('included', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_late_decisions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_late_decisions_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_late_decisions')),
    sa.UniqueConstraint('submission_id', name=op.f('uq_late_decisions_submission_id'))
    )
    op.create_table('submission_search',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_submission_search_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_submission_search'))
    )
    op.create_table('transcription_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checked_by_id'], ['users.id'], name=op.f('fk_transcription_checks_checked_by_id_users')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_transcription_checks_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transcription_checks')),
    sa.UniqueConstraint('submission_id', name=op.f('uq_transcription_checks_submission_id'))
    )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('postal_rule', sa.Enum('postmark', 'arrival', name='postal_rule', native_enum=False, create_constraint=True, length=32), server_default='arrival', nullable=False))

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entered_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('arrived_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('postmarked_on', sa.Date(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_submissions_entered_by_id_users'), 'users', ['entered_by_id'], ['id'])




    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE submission_search_fts USING fts5("
            "terms, content='submission_search', content_rowid='submission_id', tokenize='unicode61')"
        )
        op.execute(
            "CREATE TRIGGER submission_search_ai AFTER INSERT ON submission_search BEGIN "
            "INSERT INTO submission_search_fts(rowid, terms) VALUES (new.submission_id, new.terms); END"
        )
        op.execute(
            "CREATE TRIGGER submission_search_ad AFTER DELETE ON submission_search BEGIN "
            "INSERT INTO submission_search_fts(submission_search_fts, rowid, terms) "
            "VALUES ('delete', old.submission_id, old.terms); END"
        )
        op.execute(
            "CREATE TRIGGER submission_search_au AFTER UPDATE ON submission_search BEGIN "
            "INSERT INTO submission_search_fts(submission_search_fts, rowid, terms) "
            "VALUES ('delete', old.submission_id, old.terms); "
            "INSERT INTO submission_search_fts(rowid, terms) VALUES (new.submission_id, new.terms); END"
        )
    elif bind.dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_submission_search_terms ON submission_search "
            "USING gin (to_tsvector('simple', terms))"
        )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in ("submission_search_ai", "submission_search_ad", "submission_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS submission_search_fts")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_submission_search_terms")

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_submissions_entered_by_id_users'), type_='foreignkey')
        batch_op.drop_column('postmarked_on')
        batch_op.drop_column('arrived_on')
        batch_op.drop_column('entered_by_id')

    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_column('postal_rule')

    op.drop_table('transcription_checks')
    op.drop_table('submission_search')
    op.drop_table('late_decisions')
    with op.batch_alter_table('deadline_extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_extensions_consultation_id'))

    op.drop_table('deadline_extensions')
    op.drop_table('audit_reviews')
    op.drop_table('account_reviews')

