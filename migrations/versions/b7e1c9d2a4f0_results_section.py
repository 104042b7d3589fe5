"""The published results carry the section of the draft each opinion is about, as the packet does.

Revision ID: b7e1c9d2a4f0
Revises: 1f9aeb07ba30
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e1c9d2a4f0'
down_revision = '1f9aeb07ba30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('publication_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('section', sa.String(length=400), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('publication_entries', schema=None) as batch_op:
        batch_op.drop_column('section')
