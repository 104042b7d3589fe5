"""Showing a domain rule's refusal on the form that asked, so every view reports it the same way."""

from __future__ import annotations

from comments.domain import DomainError


def put_domain_error(form, error: DomainError, *, default=None, renamed: dict[str, str] | None = None) -> None:
    """Put ``error`` on the field it names (through ``renamed`` when the form calls it otherwise), else on
    ``default``, else at the top of the form, where the error summary lists it."""
    name = error.field or ""
    field = form._fields.get((renamed or {}).get(name, name)) or default
    if field is None:
        form.form_errors.append(error.message)
    else:
        field.errors = [*list(field.errors or []), error.message]
