"""Consultations belong to a department by id: the department's staff read its submissions by that id,
never by comparing the name typed on the consultation with the department's name.

Each consultation's department is the department whose name is the one typed, without surrounding
spaces; a name no department has becomes a department of its own, so no consultation loses its owner.
The free-text column then goes.

Revision ID: 9972b8c66145
Revises: bb4f8012858d
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '9972b8c66145'
down_revision = 'bb4f8012858d'
branch_labels = None
depends_on = None

consultations = sa.table(
    'consultations', sa.column('id', sa.Integer), sa.column('department', sa.String), sa.column('department_id', sa.Integer)
)
departments = sa.table('departments', sa.column('id', sa.Integer), sa.column('name', sa.String))


def upgrade():
    bind = op.get_bind()
    # Plain ADD COLUMN, never a batch copy: on SQLite, with foreign keys enforced, copying `consultations`
    # to a new table would drop the old one, and the drop would cascade into its sections and materials.
    # For the same reason the column stays nullable on both databases; the domain always sets it.
    if bind.dialect.name == 'sqlite':
        op.execute('ALTER TABLE consultations ADD COLUMN department_id INTEGER REFERENCES departments (id)')
    else:
        op.add_column('consultations', sa.Column('department_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f('fk_consultations_department_id_departments'), 'consultations', 'departments', ['department_id'], ['id']
        )
    op.create_index(op.f('ix_consultations_department_id'), 'consultations', ['department_id'], unique=False)

    known = {name: department_id for department_id, name in bind.execute(sa.select(departments.c.id, departments.c.name))}
    for consultation_id, typed in bind.execute(sa.select(consultations.c.id, consultations.c.department)).all():
        name = (typed or '').strip()[:200]
        if not name:
            continue
        if name not in known:
            bind.execute(departments.insert().values(name=name))
            known[name] = bind.execute(sa.select(departments.c.id).where(departments.c.name == name)).scalar_one()
        bind.execute(
            consultations.update().where(consultations.c.id == consultation_id).values(department_id=known[name])
        )
    # SQLite 3.35 and later drop a column in place (no copy) when nothing else refers to it.
    op.drop_column('consultations', 'department')


def downgrade():
    bind = op.get_bind()
    op.add_column('consultations', sa.Column('department', sa.String(length=200), nullable=False, server_default=''))
    names = sa.select(departments.c.name).where(departments.c.id == consultations.c.department_id).scalar_subquery()
    bind.execute(consultations.update().where(consultations.c.department_id.is_not(None)).values(department=names))
    op.drop_index(op.f('ix_consultations_department_id'), table_name='consultations')
    # SQLite cannot drop a column that has a foreign key without copying the table (see upgrade): there the
    # column stays, unused by the older code.
    if bind.dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_consultations_department_id_departments'), 'consultations', type_='foreignkey')
        op.drop_column('consultations', 'department_id')
