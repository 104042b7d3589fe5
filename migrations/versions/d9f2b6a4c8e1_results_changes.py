"""Changes to published results, each on record and shown to the public: a line corrected (the old and the
new text, why) or the publication withdrawn (why). A new table only; nothing existing moves.

Revision ID: d9f2b6a4c8e1
Revises: c5a8e3f1d7b2
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd9f2b6a4c8e1'
down_revision = 'c5a8e3f1d7b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('results_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=20), nullable=False),
    sa.Column('old_text', sa.Text(), nullable=False),
    sa.Column('new_text', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('made_by_id', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_results_changes_consultation_id_consultations')),
    sa.ForeignKeyConstraint(['entry_id'], ['publication_entries.id'], name=op.f('fk_results_changes_entry_id_publication_entries')),
    sa.ForeignKeyConstraint(['made_by_id'], ['users.id'], name=op.f('fk_results_changes_made_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_results_changes'))
    )
    with op.batch_alter_table('results_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_results_changes_consultation_id'), ['consultation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('results_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_results_changes_consultation_id'))

    op.drop_table('results_changes')
