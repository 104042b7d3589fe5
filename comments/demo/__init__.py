"""The demo of ``flask seed-demo``: the open consultation built from the committee meeting in shared/seed/, the
accounts of each role, and consultations at every later stage (being answered, inspected, results published)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from comments.domain.audit import Actor
    from comments.storage import BlobStore


@dataclass(frozen=True)
class WholeDemo:
    """What ``seed_whole_demo`` found or made; a ``*_created`` flag is False for what was already there."""

    open_slug: str
    open_created: bool
    accounts: list  # DemoAccount, with their secrets: those made now only
    responding_created: bool
    inspected_created: bool
    finished_slug: str
    finished_created: bool


def seed_whole_demo(blob_store: BlobStore, actor: Actor) -> WholeDemo:
    """Create whatever of the demo is missing, in the order its parts need: the open consultation, the accounts
    (the actors of what follows), the consultations being answered and inspected, then the finished one (whose
    5th meeting also takes up the one being answered). Flushes; the caller commits."""
    from comments.demo.accounts import seed_demo_accounts
    from comments.demo.finished import seed_finished_demo
    from comments.demo.seed import seed_demo
    from comments.demo.stages import seed_stage_demos

    consultation, created = seed_demo(blob_store, actor)
    accounts = seed_demo_accounts(actor)
    responding, inspected = seed_stage_demos(blob_store, actor)
    finished, finished_created = seed_finished_demo(blob_store, actor)
    return WholeDemo(
        open_slug=consultation.slug,
        open_created=created,
        accounts=accounts,
        responding_created=responding is not None,
        inspected_created=inspected is not None,
        finished_slug=finished.slug,
        finished_created=finished_created,
    )
