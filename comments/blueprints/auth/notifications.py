"""A signed-in person's notifications: the full list (unread first), marking one or all read, and the choice
between a mail for each notice and a daily digest (on the account page). Every role has these pages, so they
live beside the account page; a person sees and marks their own notices only (another's is "not found").
The rules are in comments/domain/notifications.py."""

from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from comments.blueprints.actors import request_actor
from comments.blueprints.auth import bp
from comments.blueprints.auth.forms import LogoutForm
from comments.blueprints.auth.notification_forms import DAILY, DeliveryForm, MarkReadForm
from comments.blueprints.links import safe_next
from comments.blueprints.views import load, post_change
from comments.domain import notifications
from comments.models import Notification

# No page of anyone's notices goes this far; a larger number is a made-up address.
MAX_PAGE = 100_000


def notice_href(notification: Notification) -> str:
    """Where a notice leads on a page: its path within the service, or the notifications page when it has
    none (or, which our code never writes, anything but a path of this site)."""
    return safe_next(notification.link) or url_for("auth.list_notifications")


@bp.app_context_processor
def notification_helpers() -> dict:
    """What the navigation and the home pages show of the signed-in person's notices; each a function, so a
    page that does not show them costs no query."""

    def unread() -> int:
        return notifications.unread_count(current_user) if current_user.is_authenticated else 0

    def for_home() -> list[Notification]:
        return notifications.unread_for_home(current_user) if current_user.is_authenticated else []

    return {
        "unread_notifications": unread,
        "home_notifications": for_home,
        "notice_text": notifications.render,
        "notice_href": notice_href,
    }


def _page_number() -> int | None:
    """``?page=``: a whole number from 1, or None when the address says anything else."""
    values = request.args.getlist("page")
    if not values:
        return 1
    if len(values) > 1 or not values[0].isascii() or not values[0].isdigit():
        return None
    number = int(values[0])
    return number if 1 <= number <= MAX_PAGE else None


def _list_url(page: int = 1) -> str:
    return url_for("auth.list_notifications", page=page) if page > 1 else url_for("auth.list_notifications")


@bp.get("/notifications")
@login_required
def list_notifications():
    """Every notice of the signed-in person, unread first and newest first, 20 a page."""
    from comments import render_error

    number = _page_number()
    if number is None:
        return render_error(400, _l("The page number must be a whole number, 1 or more. Open the list from its link."))
    page = notifications.notifications_for(current_user, page=number)
    if number > page.pages:
        return render_error(
            404,
            _l(
                "Your notifications have %(pages)d page(s); there is no page %(number)d.",
                pages=page.pages,
                number=number,
            ),
        )
    return render_template(
        "auth/notification_list.html", page=page, read_form=MarkReadForm(formdata=None), list_url=_list_url
    )


def _back(form: MarkReadForm) -> str:
    return safe_next(form.next.data) or url_for("auth.list_notifications")


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read_notification(notification_id: int):
    """Mark one of the person's own notices read; another person's is "not found"."""
    notification = load(Notification, notification_id, visible=lambda notice: notice.user_id == current_user.id)
    form = MarkReadForm()
    return post_change(
        form,
        lambda: notifications.mark_read(notification, actor=request_actor()),
        page=None,
        lock=[notification],
        then=_back(form),
        done=_l("The notice is marked as read."),
    )


@bp.post("/notifications/read-all")
@login_required
def read_all_notifications():
    """Mark every unread notice of the person read."""
    form = MarkReadForm()
    return post_change(
        form,
        lambda: notifications.mark_all_read(current_user, actor=request_actor()),
        page=None,
        then=_back(form),
        done=lambda count: _l("%(count)d notice(s) marked as read.", count=count),
    )


@bp.post("/account/notifications")
@login_required
def choose_notification_delivery():
    """A mail for each notice, or one digest a day."""
    form = DeliveryForm()
    return post_change(
        form,
        lambda: notifications.choose_delivery(current_user, daily=form.delivery.data == DAILY, actor=request_actor()),
        page=lambda: render_account(delivery_form=form),
        field=form.delivery,
        then=url_for("auth.account"),
        done=_l("Your choice of how notices are mailed is saved."),
    )


def render_account(*, delivery_form: DeliveryForm | None = None):
    """The account page, with the choice of how notices are mailed."""
    return render_template(
        "auth/account.html",
        logout_form=LogoutForm(),
        delivery_form=delivery_form or DeliveryForm.for_user(current_user),
        digest_hour=current_app.config["NOTIFICATION_DIGEST_HOUR"],
    )
