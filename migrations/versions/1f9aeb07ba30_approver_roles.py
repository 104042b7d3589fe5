"""Approvers: two more role names, one department's approver (所属長) and the whole city's, who approve
responses and draft none. Only the CHECK constraint of user_roles.role changes (the role is a plain string
column, not a native enum); nothing existing moves.

Revision ID: 1f9aeb07ba30
Revises: 3c1d2e4f5a6b
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1f9aeb07ba30'
down_revision = '3c1d2e4f5a6b'
branch_labels = None
depends_on = None

# The role names as they stand at this revision, copied rather than imported: a migration never imports the
# app's models (the Role enum may have grown since).
BEFORE = ('administrator', 'secretariat', 'department_staff', 'chair', 'member', 'observer')
AFTER = ('administrator', 'secretariat', 'department_staff', 'department_approver', 'city_approver', 'chair',
         'member', 'observer')


def _allowed(names):
    return 'role IN (' + ', '.join(f"'{name}'" for name in names) + ')'


def _replace_role_check(names):
    # Batch mode: SQLite cannot alter a constraint in place, so the table is copied with the new one.
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_roles_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_user_roles_role'), sa.text(_allowed(names)))


def upgrade():
    _replace_role_check(AFTER)


def downgrade():
    # The older code knows no approver: those grants go (the accounts keep their other roles), as the
    # constraint they would break is put back.
    op.execute(sa.text("DELETE FROM user_roles WHERE role IN ('department_approver', 'city_approver')"))
    _replace_role_check(BEFORE)
