"""Back-office views: a consultation's response templates (定型文), and one applied to many items at once
with a report per item. Department staff work with their own department's items only (R26)."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from comments.blueprints.actors import request_actor
from comments.blueprints.staff import bp
from comments.blueprints.staff.response_forms import category_of
from comments.blueprints.staff.response_template_forms import ApplyTemplateForm, TemplateForm
from comments.blueprints.views import commit_change, load, post_change
from comments.domain import responses as workflow
from comments.extensions import db
from comments.models import Consultation, Item, ResponseTemplate
from comments.permissions import Permission, require


def _load_consultation(consultation_id: int) -> Consultation:
    """The consultation, or 404 when it does not exist or none of its items is the user's to see (R26)."""
    return load(
        Consultation,
        consultation_id,
        visible=lambda consultation: workflow.can_see_consultation_responses(current_user, consultation),
    )


def _templates(consultation: Consultation) -> list[ResponseTemplate]:
    return list(
        db.session.scalars(
            select(ResponseTemplate)
            .where(ResponseTemplate.consultation_id == consultation.id)
            .order_by(ResponseTemplate.title, ResponseTemplate.id)
        )
    )


def _consultation_items(consultation: Consultation) -> list[Item]:
    query = workflow.visible_items(current_user).where(Item.consultation_id == consultation.id)
    return list(db.session.scalars(query.order_by(Item.number)))


def _apply_form(templates: list[ResponseTemplate], items: list[Item], *, formdata=True) -> ApplyTemplateForm:
    form = ApplyTemplateForm() if formdata else ApplyTemplateForm(formdata=None)
    form.template_id.choices = [SelectChoice(str(template.id), template.title) for template in templates]
    form.item_ids.choices = [SelectChoice(str(item.id), f"{item.number}. {item.gist}") for item in items]
    return form


def _render_templates(
    consultation: Consultation,
    *,
    template_form: TemplateForm | None = None,
    apply_form: ApplyTemplateForm | None = None,
):
    templates = _templates(consultation)
    items = _consultation_items(consultation)
    return render_template(
        "staff/response_templates.html",
        consultation=consultation,
        templates=templates,
        items=items,
        items_by_id={str(item.id): item for item in items},
        states=workflow.response_states(items),
        template_form=template_form or TemplateForm(formdata=None),
        apply_form=apply_form or _apply_form(templates, items, formdata=False),
    )


@bp.get("/consultations/<int:consultation_id>/templates")
@require(Permission.response_draft)
def list_templates(consultation_id: int):
    """The consultation's response templates, a form to add one, and the bulk application."""
    return _render_templates(_load_consultation(consultation_id))


@bp.post("/consultations/<int:consultation_id>/templates")
@require(Permission.response_draft)
def add_template(consultation_id: int):
    consultation = _load_consultation(consultation_id)
    form = TemplateForm()
    return post_change(
        form,
        lambda: workflow.add_template(
            consultation,
            title=form.title.data,
            body=form.body.data,
            category=category_of(form.category.data),
            actor=request_actor(),
        ),
        page=lambda: _render_templates(consultation, template_form=form),
        field=form.body,
        then=url_for("staff.list_templates", consultation_id=consultation_id),
        done=_l("The template is added."),
    )


@bp.post("/consultations/<int:consultation_id>/templates/apply")
@require(Permission.response_draft)
def apply_template(consultation_id: int):
    """Apply a template to the items ticked; the page reports, item by item, what was done or left alone."""
    consultation = _load_consultation(consultation_id)
    form = _apply_form(_templates(consultation), _consultation_items(consultation))
    if not form.validate():
        return _render_templates(consultation, apply_form=form), 422
    template = load(
        ResponseTemplate, form.template_id.data, visible=lambda found: found.consultation_id == consultation.id
    )

    def apply():
        # Read again inside the write: only items the user may still see, of this consultation.
        items = list(
            db.session.scalars(
                workflow.visible_items(current_user)
                .where(Item.consultation_id == consultation.id, Item.id.in_(form.item_ids.data))
                .order_by(Item.number)
            )
        )
        results = workflow.apply_template(template, items, author=current_user, actor=request_actor())
        by_id = {item.id: item for item in items}
        return [(by_id[result.item_id], result) for result in results]

    rows = commit_change(apply, lock=[consultation])
    return render_template(
        "staff/response_template_report.html",
        consultation=consultation,
        template=template,
        rows=rows,
        applied=sum(1 for _item, result in rows if result.applied),
        left_alone=sum(1 for _item, result in rows if not result.applied),
    )
