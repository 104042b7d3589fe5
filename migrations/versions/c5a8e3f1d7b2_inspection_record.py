"""A consultation records the committee's inspection that moved it to "inspected": the meeting, its day and
what the committee concluded. New columns only; nothing existing moves.

Revision ID: c5a8e3f1d7b2
Revises: b7e1c9d2a4f0
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5a8e3f1d7b2'
down_revision = 'b7e1c9d2a4f0'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    # Plain ADD COLUMN, never a batch copy: on SQLite, with foreign keys enforced, copying `consultations` to a
    # new table would drop the old one, and the drop would cascade into its sections and materials (see
    # 9972b8c66145).
    if bind.dialect.name == 'sqlite':
        op.execute('ALTER TABLE consultations ADD COLUMN inspection_meeting_id INTEGER REFERENCES meetings (id)')
    else:
        op.add_column('consultations', sa.Column('inspection_meeting_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f('fk_consultations_inspection_meeting_id_meetings'),
            'consultations',
            'meetings',
            ['inspection_meeting_id'],
            ['id'],
        )
    op.add_column('consultations', sa.Column('inspected_on', sa.Date(), nullable=True))
    op.add_column('consultations', sa.Column('inspection_outcome', sa.Text(), nullable=False, server_default=''))


def downgrade():
    bind = op.get_bind()
    # SQLite 3.35 and later drop a column in place (no copy) when nothing else refers to it.
    op.drop_column('consultations', 'inspection_outcome')
    op.drop_column('consultations', 'inspected_on')
    if bind.dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_consultations_inspection_meeting_id_meetings'), 'consultations', type_='foreignkey')
    op.drop_column('consultations', 'inspection_meeting_id')
