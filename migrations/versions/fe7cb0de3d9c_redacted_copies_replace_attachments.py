"""Redacted copies (黒塗り) replace attachments the service cannot mask by itself: one row per replaced
attachment (its own row stays as it arrived), and the bytes each replacement leaves behind, deleted from the
blob store once nothing else holds them. New tables only; nothing existing moves.

Revision ID: fe7cb0de3d9c
Revises: f135a8863691
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fe7cb0de3d9c'
down_revision = 'f135a8863691'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('redacted_copies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attachment_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('made_by_id', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachments.id'], name=op.f('fk_redacted_copies_attachment_id_attachments')),
    sa.ForeignKeyConstraint(['made_by_id'], ['users.id'], name=op.f('fk_redacted_copies_made_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redacted_copies')),
    sa.UniqueConstraint('attachment_id', name=op.f('uq_redacted_copies_attachment_id'))
    )
    with op.batch_alter_table('redacted_copies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redacted_copies_sha256'), ['sha256'], unique=False)

    op.create_table('blob_destructions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('redacted_copy_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('what', sa.Enum('original', 'message', 'copy', name='destroyed_blob', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['redacted_copy_id'], ['redacted_copies.id'], name=op.f('fk_blob_destructions_redacted_copy_id_redacted_copies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blob_destructions'))
    )
    with op.batch_alter_table('blob_destructions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blob_destructions_destroyed_at'), ['destroyed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_blob_destructions_redacted_copy_id'), ['redacted_copy_id'], unique=False)



def downgrade():
    with op.batch_alter_table('blob_destructions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blob_destructions_redacted_copy_id'))
        batch_op.drop_index(batch_op.f('ix_blob_destructions_destroyed_at'))

    op.drop_table('blob_destructions')
    with op.batch_alter_table('redacted_copies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redacted_copies_sha256'))

    op.drop_table('redacted_copies')
