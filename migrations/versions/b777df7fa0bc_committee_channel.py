"""The committee's channel: whose question a submission is, each member's intake token, and every
e-mail that reached the intake address with what became of it.

Revision ID: b777df7fa0bc
Revises: 42177fe7f7c0
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b777df7fa0bc'
down_revision = '42177fe7f7c0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_key', sa.String(length=64), nullable=False),
    sa.Column('message_id', sa.String(length=998), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('raw_sha256', sa.String(length=64), nullable=False),
    sa.Column('sender', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('status', sa.Enum('accepted', 'quarantined', 'dropped', 'released', 'rejected', name='inbound_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('consultation_id', sa.Integer(), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_inbound_messages_consultation_id_consultations')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_inbound_messages_decided_by_id_users')),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_inbound_messages_member_id_users')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_inbound_messages_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages')),
    sa.UniqueConstraint('message_key', name=op.f('uq_inbound_messages_message_key')),
    sa.UniqueConstraint('submission_id', name=op.f('uq_inbound_messages_submission_id'))
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_messages_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_messages_status'), ['status'], unique=False)

    # Plain ADD COLUMN, never a batch copy: on SQLite, with foreign keys enforced, copying `users` or
    # `submissions` to a new table would drop the old one, and the drop would cascade into the rows that
    # point at it (sessions, roles, search rows). SQLite takes a REFERENCES clause on an added column,
    # which Alembic does not write for it.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE submissions ADD COLUMN member_id INTEGER REFERENCES users (id)')
    else:
        op.add_column('submissions', sa.Column('member_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_submissions_member_id_users'), 'submissions', 'users', ['member_id'], ['id'])
    op.create_index(op.f('ix_submissions_member_id'), 'submissions', ['member_id'], unique=False)
    op.add_column('users', sa.Column('intake_token', sa.String(length=64), nullable=True))
    op.add_column('users', sa.Column('intake_token_set_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_users_intake_token'), 'users', ['intake_token'], unique=True)


def downgrade():
    op.drop_index(op.f('ix_users_intake_token'), table_name='users')
    op.drop_column('users', 'intake_token_set_at')
    op.drop_column('users', 'intake_token')
    op.drop_index(op.f('ix_submissions_member_id'), table_name='submissions')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_submissions_member_id_users'), 'submissions', type_='foreignkey')
    op.drop_column('submissions', 'member_id')

    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_messages_status'))
        batch_op.drop_index(batch_op.f('ix_inbound_messages_received_at'))

    op.drop_table('inbound_messages')
