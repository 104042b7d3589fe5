"""Administration of departments (実施機関): the list with what each holds, a new one, a new name, and a merge
that moves everything of one department to another (comments/domain/departments.py)."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectChoice

from comments.blueprints.actors import request_actor
from comments.blueprints.admin import bp
from comments.blueprints.admin.forms import DepartmentForm, DepartmentMergeForm
from comments.blueprints.views import load, post_change
from comments.domain import DomainError
from comments.domain.departments import create_department, departments_with_counts, merge_departments, rename_department
from comments.extensions import db
from comments.models import Department
from comments.permissions import Permission, require


@bp.get("/departments")
@require(Permission.department_manage)
def list_departments():
    """Every department with its staff, consultations and items, and the form for a new one."""
    return render_template("admin/department_list.html", rows=departments_with_counts(), form=DepartmentForm())


@bp.post("/departments")
@require(Permission.department_manage)
def create_a_department():
    form = DepartmentForm()

    def page():
        return render_template("admin/department_list.html", rows=departments_with_counts(), form=form)

    return post_change(
        form,
        lambda: create_department(form.name.data, request_actor()),
        page=page,
        field=form.name,
        then=url_for("admin.list_departments"),
        done=lambda department: _l("The department %(name)s is created.", name=department.name),
    )


def _merge_form(department: Department, form: DepartmentMergeForm | None = None) -> DepartmentMergeForm:
    """The merge form, offering every other department (the view refuses this one all the same if sent)."""
    form = form or DepartmentMergeForm(prefix="merge")
    others = db.session.scalars(select(Department).where(Department.id != department.id).order_by(Department.name))
    form.into.choices = [
        SelectChoice("", _l("Choose a department")),
        *(SelectChoice(str(d.id), d.name) for d in others),
    ]
    return form


def _edit_page(department: Department, rename_form: DepartmentForm, merge_form: DepartmentMergeForm):
    return render_template(
        "admin/department_edit.html",
        department=department,
        rename_form=rename_form,
        merge_form=merge_form,
        counts=next(row for row in departments_with_counts() if row.department.id == department.id),
    )


@bp.get("/departments/<int:department_id>")
@require(Permission.department_manage)
def edit_department(department_id: int):
    """Rename the department, or merge it into another one."""
    department = load(Department, department_id)
    rename_form = DepartmentForm(prefix="rename", name=department.name)
    return _edit_page(department, rename_form, _merge_form(department))


@bp.post("/departments/<int:department_id>/rename")
@require(Permission.department_manage)
def rename_a_department(department_id: int):
    department = load(Department, department_id)
    form = DepartmentForm(prefix="rename")
    return post_change(
        form,
        lambda: rename_department(department, form.name.data, request_actor()),
        page=lambda: _edit_page(department, form, _merge_form(department)),
        lock=[department],
        field=form.name,
        then=url_for("admin.list_departments"),
        done=lambda _result: _l("The department is renamed %(name)s.", name=department.name),
    )


@bp.post("/departments/<int:department_id>/merge")
@require(Permission.department_manage)
def merge_a_department(department_id: int):
    department = load(Department, department_id)
    form = _merge_form(department, DepartmentMergeForm(prefix="merge"))
    # The one offered choice missing from the list: merging into itself, refused by the domain with its reason.
    form.into.choices.append(SelectChoice(str(department.id), department.name))
    name = department.name

    def merge():
        kept = db.session.get(Department, int(form.into.data))
        if kept is None:  # merged away by someone else meanwhile
            raise DomainError(_l("Choose the department that remains."), field="into")
        return merge_departments(department, kept, request_actor()), kept.name

    return post_change(
        form,
        merge,
        page=lambda: _edit_page(
            department, DepartmentForm(prefix="rename", name=department.name), _merge_form(department, form)
        ),
        lock=[department],
        field=form.into,
        then=url_for("admin.list_departments"),
        done=lambda result: _l("%(merged)s is merged into %(kept)s.", merged=name, kept=result[1]),
    )
