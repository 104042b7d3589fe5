"""Contact data encrypted at rest and kept for a time (R46): the submitters' name, e-mail and contact and
the outbox's recipient become text sealed with AES-GCM under the CONTACT_DATA_KEYS of the app, the rows
written before are sealed here, and each consultation says how many days after its results are published
its submitters' contact data is kept, and when it was deleted.

The sealing is written out here rather than imported from comments/crypto.py, so this migration does the
same in ten years whatever that module becomes: enc1:<key id>:<URL-safe base64 of nonce and ciphertext>,
the column's "table.column" as associated data.

Revision ID: f135a8863691
Revises: ec33e4a902e2
Create Date: 2026-12-03
"""
import base64
import os

from alembic import op
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'f135a8863691'
down_revision = 'ec33e4a902e2'
branch_labels = None
depends_on = None

SEALED = {
    'submitters': (('name', sa.String(length=200)), ('email', sa.String(length=254)), ('contact', sa.Text())),
    'outbox_messages': (('to_address', sa.String(length=254)),),
}


def _keys():
    """The keys of CONTACT_DATA_KEYS by id, in order (the first seals)."""
    keys = {}
    for entry in current_app.config['CONTACT_DATA_KEYS'].split(','):
        key_id, _, encoded = entry.strip().partition(':')
        if key_id:
            keys[key_id] = AESGCM(base64.urlsafe_b64decode(encoded + '=' * (-len(encoded) % 4)))
    return keys


def _current_key():
    return next(iter(_keys().items()))


def _seal(value, column, key_id, key):
    nonce = os.urandom(12)
    sealed = key.encrypt(nonce, value.encode('utf-8'), column.encode('ascii'))
    return f"enc1:{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def _rewrite(bind, change):
    """Set every sealed column of every row to ``change(value, "table.column")`` where that differs."""
    for table, columns in SEALED.items():
        names = [name for name, _type in columns]
        handle = sa.table(table, sa.column('id', sa.Integer), *(sa.column(name, sa.Text) for name in names))
        for row in bind.execute(sa.select(handle)).all():
            values = {}
            for name in names:
                changed = change(getattr(row, name), f'{table}.{name}')
                if changed != getattr(row, name):
                    values[name] = changed
            if values:
                bind.execute(handle.update().where(handle.c.id == row.id).values(**values))


def upgrade():
    bind = op.get_bind()
    for table, columns in SEALED.items():
        # submitters and outbox_messages: nothing points at them, so SQLite may copy them (batch) safely.
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, old_type in columns:
                batch_op.alter_column(name, existing_type=old_type, type_=sa.Text(), existing_nullable=False)
    key_id, key = _current_key()
    _rewrite(
        bind,
        lambda value, column: _seal(value, column, key_id, key) if value and not value.startswith('enc1:') else value,
    )
    op.add_column(
        'consultations', sa.Column('contact_retention_days', sa.Integer(), server_default='365', nullable=False)
    )
    op.add_column('consultations', sa.Column('contact_data_deleted_at', sa.DateTime(timezone=True), nullable=True))


def _unseal(value, column, keys):
    if not value or not value.startswith('enc1:'):
        return value
    _prefix, key_id, encoded = value.split(':', 2)
    data = base64.urlsafe_b64decode(encoded)
    return keys[key_id].decrypt(data[:12], data[12:], column.encode('ascii')).decode('utf-8')


def downgrade():
    # The older code reads plain text: every value is opened again with the keys (a value whose key is
    # no longer listed stops the downgrade with a KeyError naming that key's id).
    op.drop_column('consultations', 'contact_data_deleted_at')
    op.drop_column('consultations', 'contact_retention_days')
    keys = _keys()
    _rewrite(op.get_bind(), lambda value, column: _unseal(value, column, keys))
    for table, columns in SEALED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, old_type in columns:
                batch_op.alter_column(name, existing_type=sa.Text(), type_=old_type, existing_nullable=False)
