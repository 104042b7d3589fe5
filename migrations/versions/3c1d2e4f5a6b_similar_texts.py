"""Submissions that say the same thing in (nearly) the same words, flagged by the worker (R58): one row per
submission. A new table only; nothing existing moves.

Revision ID: 3c1d2e4f5a6b
Revises: fe7cb0de3d9c
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c1d2e4f5a6b'
down_revision = 'fe7cb0de3d9c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('similar_texts',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('first_id', sa.Integer(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_similar_texts_submission_id_submissions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_similar_texts_consultation_id_consultations')),
    sa.ForeignKeyConstraint(['first_id'], ['submissions.id'], name=op.f('fk_similar_texts_first_id_submissions')),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_similar_texts'))
    )
    with op.batch_alter_table('similar_texts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_similar_texts_consultation_id'), ['consultation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('similar_texts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_similar_texts_consultation_id'))

    op.drop_table('similar_texts')
