"""From submissions to responses: items (spans of a submission with their gist), the parts marked as
not an opinion, same-purport groups, responses with every revision and the reviewers' comments,
response templates, inquiries to outside bodies linked to the items they serve, meetings with their
consultations, and the published results: a redacted copy of each line with a reason per redaction.

Revision ID: bb4f8012858d
Revises: ccc5d7edeb8e
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bb4f8012858d'
down_revision = 'ccc5d7edeb8e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('final_packet_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings'))
    )
    op.create_table('meeting_consultations',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_meeting_consultations_consultation_id_consultations')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_consultations_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meeting_id', 'consultation_id', name=op.f('pk_meeting_consultations'))
    )
    op.create_table('publication_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item_numbers', sa.String(length=2000), nullable=False),
    sa.Column('group_count', sa.Integer(), nullable=False),
    sa.Column('gist', sa.Text(), nullable=False),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('category', sa.Enum('reflected', 'already_covered', 'reference', 'not_reflected', 'answered', name='response_category', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('change_made', sa.Text(), nullable=False),
    sa.Column('omitted', sa.Boolean(), nullable=False),
    sa.Column('omission_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_publication_entries_consultation_id_consultations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication_entries'))
    )
    with op.batch_alter_table('publication_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_entries_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('response_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('category', sa.Enum('reflected', 'already_covered', 'reference', 'not_reflected', 'answered', name='response_category', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_response_templates_consultation_id_consultations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_templates'))
    )
    with op.batch_alter_table('response_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_templates_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('inquiries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('body_name', sa.String(length=200), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('sent_how', sa.String(length=100), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('answer_public', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_inquiries_consultation_id_consultations')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_inquiries_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inquiries'))
    )
    with op.batch_alter_table('inquiries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inquiries_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('redactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('automatic', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_redactions_created_by_id_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['publication_entries.id'], name=op.f('fk_redactions_entry_id_publication_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redactions'))
    )
    with op.batch_alter_table('redactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redactions_entry_id'), ['entry_id'], unique=False)

    op.create_table('same_purport_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('gist', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_same_purport_groups_consultation_id_consultations')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_same_purport_groups_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_same_purport_groups'))
    )
    with op.batch_alter_table('same_purport_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_same_purport_groups_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('start_offset', sa.Integer(), nullable=False),
    sa.Column('end_offset', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('opinion', 'question', 'request', name='item_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('gist', sa.Text(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('carried_over_reason', sa.Text(), nullable=True),
    sa.Column('carried_over_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('start_offset >= 0 AND end_offset > start_offset', name=op.f('ck_items_span')),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_items_consultation_id_consultations')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_items_created_by_id_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_items_department_id_departments')),
    sa.ForeignKeyConstraint(['group_id'], ['same_purport_groups.id'], name=op.f('fk_items_group_id_same_purport_groups')),
    sa.ForeignKeyConstraint(['section_id'], ['sections.id'], name=op.f('fk_items_section_id_sections')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_items_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('consultation_id', 'number', name='uq_items_consultation_number')
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_items_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_submission_id'), ['submission_id'], unique=False)

    op.create_table('non_opinion_spans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('start_offset', sa.Integer(), nullable=False),
    sa.Column('end_offset', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('start_offset >= 0 AND end_offset > start_offset', name=op.f('ck_non_opinion_spans_span')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_non_opinion_spans_created_by_id_users')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_non_opinion_spans_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_non_opinion_spans'))
    )
    with op.batch_alter_table('non_opinion_spans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_non_opinion_spans_submission_id'), ['submission_id'], unique=False)

    op.create_table('inquiry_items',
    sa.Column('inquiry_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['inquiry_id'], ['inquiries.id'], name=op.f('fk_inquiry_items_inquiry_id_inquiries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_inquiry_items_item_id_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('inquiry_id', 'item_id', name=op.f('pk_inquiry_items'))
    )
    op.create_table('responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('drafting', 'in_review', 'approved', name='response_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('category', sa.Enum('reflected', 'already_covered', 'reference', 'not_reflected', 'answered', name='response_category', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('change_made', sa.Text(), nullable=False),
    sa.Column('last_author_id', sa.Integer(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(item_id IS NULL) <> (group_id IS NULL)', name=op.f('ck_responses_item_or_group')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_responses_approved_by_id_users')),
    sa.ForeignKeyConstraint(['group_id'], ['same_purport_groups.id'], name=op.f('fk_responses_group_id_same_purport_groups')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_responses_item_id_items')),
    sa.ForeignKeyConstraint(['last_author_id'], ['users.id'], name=op.f('fk_responses_last_author_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses')),
    sa.UniqueConstraint('group_id', name='uq_responses_group_id'),
    sa.UniqueConstraint('item_id', name='uq_responses_item_id')
    )
    op.create_table('response_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('category', sa.Enum('reflected', 'already_covered', 'reference', 'not_reflected', 'answered', name='response_category', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('change_made', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_response_revisions_author_id_users')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_response_revisions_response_id_responses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_revisions')),
    sa.UniqueConstraint('response_id', 'number', name='uq_response_revisions_number')
    )
    with op.batch_alter_table('response_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_revisions_response_id'), ['response_id'], unique=False)

    op.create_table('review_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_review_comments_author_id_users')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_review_comments_response_id_responses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_comments'))
    )
    with op.batch_alter_table('review_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_comments_response_id'), ['response_id'], unique=False)

    # A plain ADD COLUMN: consultations is never copied to a new table on SQLite (see b777df7fa0bc).
    op.add_column('consultations', sa.Column('results_published_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    op.drop_column('consultations', 'results_published_at')

    with op.batch_alter_table('review_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_comments_response_id'))

    op.drop_table('review_comments')
    with op.batch_alter_table('response_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_revisions_response_id'))

    op.drop_table('response_revisions')
    op.drop_table('responses')
    op.drop_table('inquiry_items')
    with op.batch_alter_table('non_opinion_spans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_non_opinion_spans_submission_id'))

    op.drop_table('non_opinion_spans')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_items_submission_id'))
        batch_op.drop_index(batch_op.f('ix_items_group_id'))
        batch_op.drop_index(batch_op.f('ix_items_department_id'))
        batch_op.drop_index(batch_op.f('ix_items_consultation_id'))

    op.drop_table('items')
    with op.batch_alter_table('same_purport_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_same_purport_groups_consultation_id'))

    op.drop_table('same_purport_groups')
    with op.batch_alter_table('redactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redactions_entry_id'))

    op.drop_table('redactions')
    with op.batch_alter_table('inquiries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inquiries_consultation_id'))

    op.drop_table('inquiries')
    with op.batch_alter_table('response_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_templates_consultation_id'))

    op.drop_table('response_templates')
    with op.batch_alter_table('publication_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_entries_consultation_id'))

    op.drop_table('publication_entries')
    op.drop_table('meeting_consultations')
    op.drop_table('meetings')
