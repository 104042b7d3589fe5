"""What held an individual number: an attachment kept as its masked text records the type of the file that
came, and an e-mail kept as a masked copy records the SHA-256 of the original, which is not kept.

Revision ID: 89fcd6b64878
Revises: 9972b8c66145
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '89fcd6b64878'
down_revision = '9972b8c66145'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (nullable, no foreign key): SQLite adds it in place, no copy of the table.
    op.add_column('attachments', sa.Column('converted_from', sa.String(length=100), nullable=True))
    op.add_column('inbound_messages', sa.Column('original_sha256', sa.String(length=64), nullable=True))


def downgrade():
    op.drop_column('inbound_messages', 'original_sha256')
    op.drop_column('attachments', 'converted_from')
