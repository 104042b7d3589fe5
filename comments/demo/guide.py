"""Where a newcomer starts in the demo: the page each role opens first, with the account to sign in as, and
the page of each stage a consultation goes through, as full addresses printed by `make run`.

A page that needs signing in sends a visitor to the sign-in page first and back to it afterwards.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, url_for
from sqlalchemy import select

from comments.extensions import db
from comments.models import Consultation, Item, Response, ResponseState, SamePurportGroup

# (who, account, endpoint, arguments, what they find there)
ROLES = [
    ("Secretariat", "jimukyoku@example.jp", "staff.home", {}, "consultations at every stage, meetings and packets"),
    ("Department staff", "kenkohoken@example.jp", "staff.department_queue", {}, "the items to answer"),
    (
        "Head of the department",
        "kenkohoken-kacho@example.jp",
        "staff.department_queue",
        {"state": ResponseState.in_review.value},
        "the responses awaiting approval",
    ),
    ("Committee chair", "bukaicho@example.jp", "committee.home", {}, "the committee's portal"),
    ("Committee member", "iin@example.jp", "committee.home", {}, "the committee's portal"),
    ("Administrator", "admin@example.jp", "admin.list_accounts", {}, "the accounts"),
]


def _slug_of(slug: str) -> Consultation | None:
    return db.session.scalars(select(Consultation).where(Consultation.slug == slug)).one_or_none()


def awaiting_approval_item() -> Item | None:
    """An item whose response (its own, or its group's) waits for approval."""
    own = select(Item).join(Response, Response.item_id == Item.id).where(Response.state == ResponseState.in_review)
    item = db.session.scalars(own.order_by(Item.id).limit(1)).first()
    if item is not None:
        return item
    grouped = (
        select(Item)
        .join(SamePurportGroup, SamePurportGroup.id == Item.group_id)
        .join(Response, Response.group_id == SamePurportGroup.id)
        .where(Response.state == ResponseState.in_review)
    )
    return db.session.scalars(grouped.order_by(Item.id).limit(1)).first()


def start_pages(base_url: str, accounts_file: Path | None) -> list[str]:
    """The lines `make run` prints: per role the page to open first and its account, where the passwords are,
    then a page per stage."""
    from comments.demo.finished import FINISHED_SLUG
    from comments.demo.seed import DEMO_SLUG
    from comments.demo.stages import INSPECTED_SLUG, RESPONDING_SLUG, inspection_meeting_of

    base = base_url.rstrip("/")
    with current_app.test_request_context():

        def page(endpoint: str, **values) -> str:
            return base + url_for(endpoint, **values)

        lines = [
            f"  {'The public':24} {page('public.list_consultations')}",
            f"  {'Sign in':24} {page('auth.login')}",
        ]
        lines += [
            f"  {who:24} {page(endpoint, **values)}  as {email} ({what})"
            for who, email, endpoint, values, what in ROLES
        ]
        stages = []
        if (consultation := _slug_of(DEMO_SLUG)) is not None:
            stages.append(("Open for comments", page("public.show_consultation", slug=consultation.slug)))
        if (consultation := _slug_of(RESPONDING_SLUG)) is not None:
            stages.append(("Being answered", page("staff.list_items", consultation_id=consultation.id)))
        if (item := awaiting_approval_item()) is not None:
            stages.append(("A response awaiting approval", page("staff.show_response", item_id=item.id)))
        if (meeting := inspection_meeting_of(INSPECTED_SLUG) or inspection_meeting_of(FINISHED_SLUG)) is not None:
            stages.append(("An inspection packet", page("staff.print_packet", meeting_id=meeting.id)))
        if (consultation := _slug_of(INSPECTED_SLUG)) is not None:
            stages.append(
                ("Inspected, results to publish", page("staff.show_results_draft", consultation_id=consultation.id))
            )
        if (consultation := _slug_of(FINISHED_SLUG)) is not None and consultation.results_published_at:
            stages.append(("Published results", page("public.show_results", slug=consultation.slug)))
    passwords = (
        f"in {accounts_file}" if accounts_file else "printed when the accounts were made (no file of this database)"
    )
    return [
        "Where to start (a page that needs signing in asks for the account first):",
        *lines,
        f"  {'Passwords, TOTP keys':24} {passwords}",
        f"  {'Second-factor code':24} make totp EMAIL=jimukyoku@example.jp  (or: scripts/flask users totp-code EMAIL)",
        "Each stage of a consultation:",
        *(f"  {name:30} {address}" for name, address in stages),
    ]
