"""Inbox searches kept under an opaque id: the text staff search for (a name, say) never travels in an
address, where access logs, proxies and browser history would keep it (R37).

Revision ID: ec33e4a902e2
Revises: 89fcd6b64878
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'ec33e4a902e2'
down_revision = '89fcd6b64878'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'inbox_searches',
        sa.Column('id', sa.String(length=43), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('consultation_id', sa.Integer(), nullable=False),
        sa.Column('query', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['consultation_id'], ['consultations.id'],
            name=op.f('fk_inbox_searches_consultation_id_consultations'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_inbox_searches_user_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_searches')),
    )
    op.create_index(op.f('ix_inbox_searches_created_at'), 'inbox_searches', ['created_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_inbox_searches_created_at'), table_name='inbox_searches')
    op.drop_table('inbox_searches')
