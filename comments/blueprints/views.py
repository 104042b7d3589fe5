"""The routine every back-office view follows, written once: load (404), check, call the domain, answer.

``load`` fetches what the address names, or answers 404, also when the user may not see it (R26: staff
of one department are not told what another holds). ``post_change`` is the POST routine: validate the
form, take the write lock (and the changed object's row lock), call one domain function, commit once,
flash and redirect (303); a form error or a domain refusal shows the page again with the error on the
form (422), and nothing is written. ``commit_change`` is the same for a change that has no form to
refill (a button). A view is then load → check → call → answer in a few lines.

The transactions follow comments/transactions.py: a POST reads without SQLite's write lock until
``post_change`` or ``commit_change`` takes it for the write alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from flask import abort, flash, redirect, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from comments.blueprints.form_errors import put_domain_error
from comments.blueprints.refusals import note_denial, note_refused_form
from comments.domain import DomainError
from comments.extensions import db
from comments.transactions import begin_write, end_transaction, lock_for_change, read_before_write

Model = TypeVar("Model")
Result = TypeVar("Result")
Answer = str | Callable[[Result], str]


def load(model: type[Model], object_id: int, *, visible: Callable[[Model], bool] | None = None) -> Model:
    """The ``model`` row with this id, or 404 when there is none or ``visible`` says the user may not see it
    (then recorded as an access denial, comments/blueprints/refusals.py).

    In a POST, the request's transaction begins here without the write lock (see ``post_change``).
    """
    if request.method == "POST":
        read_before_write()
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    if visible is not None and not visible(obj):
        note_denial(object_type=model.__tablename__, object_id=object_id)
        abort(404)
    return obj


def _answer(value: Answer | None, result) -> str | None:
    return value(result) if callable(value) else value


def post_change(
    form,
    call: Callable[..., Result],
    *,
    page: Callable[[], ResponseReturnValue] | None,
    then: Answer,
    done: Answer | None = None,
    lock: Iterable[object] = (),
    field=None,
    renamed: dict[str, str] | None = None,
    prepare: Callable[[], object] | None = None,
) -> ResponseReturnValue:
    """Validate ``form``, then make the change ``call`` and answer with a 303 to ``then``, ``done`` flashed.

    ``page`` renders the page again, with ``form`` and its errors, for a refusal (422); without it a refusal
    is flashed and the browser goes to ``then`` all the same (a form of one button; ``then`` is then a URL). ``lock`` is what the
    change is about: read again and locked before ``call`` (comments/transactions.py). A domain refusal is
    put on the field it names (through ``renamed``), else on ``field``, else at the top of the form.
    ``then`` and ``done`` may be functions of what ``call`` returned; they are evaluated before the commit,
    while its objects are loaded. Files ``call`` stored stay if the commit fails (``commit_once``).
    ``prepare`` does what the change needs that may take seconds (reading uploaded files): it runs once the
    form is valid, with no transaction open and so no lock held, and ``call`` is given what it returned; a
    domain refusal from it is answered as one from ``call``.
    """
    if not form.validate():
        if page is None:
            note_refused_form(form.errors)
            for message in _form_errors(form):
                flash(message)
            return redirect(_answer(then, None), code=303)
        return page(), 422
    try:
        result = _change(call, lock, prepare)
    except DomainError as error:
        db.session.rollback()
        if page is None:
            note_refused_form([error.field])
            flash(error.message)
            return redirect(_answer(then, None), code=303)
        put_domain_error(form, error, default=field, renamed=renamed)
        return page(), 422
    target, message = _answer(then, result), _answer(done, result)
    commit_once()
    if message:
        flash(message)
    return redirect(target, code=303)


def _change(call: Callable[..., Result], lock: Iterable[object], prepare: Callable[[], object] | None = None) -> Result:
    if prepare is None:
        begin_write()
        lock_for_change(*lock)
        return call()
    end_transaction()
    prepared = prepare()
    begin_write()
    lock_for_change(*lock)
    return call(prepared)


def commit_change(call: Callable[[], Result], *, lock: Iterable[object] = ()) -> Result:
    """Take the write lock (and ``lock``'s rows), make the change and commit it; return what ``call`` returned.

    For a change with no form to show again: recording that someone looked at personal data, a button. A
    ``DomainError`` reaches the caller with nothing written.
    """
    try:
        result = _change(call, lock)
    except BaseException:
        db.session.rollback()
        raise
    commit_once()
    return result


def commit_once() -> None:
    """Commit the request's one transaction; if the commit fails, roll back and raise.

    Files the request stored stay in the blob store: a blob is shared by every record holding the same
    bytes, and another request may have committed a row pointing at it meanwhile (comments/storage.py).
    One nothing refers to is removed by ``flask blobs gc`` a day later.
    """
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _form_errors(form) -> list[str]:
    """Every message of the form's errors (its own and its fields'), once each."""
    return list(dict.fromkeys(str(message) for messages in form.errors.values() for message in messages))


def redirect_to(url: str) -> Response:
    """A POST's answer that sends the browser on to ``url`` (303: the next request is a GET)."""
    return redirect(url, code=303)
