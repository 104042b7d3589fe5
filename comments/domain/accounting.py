"""What became of every submission: the completeness the final packet and the published results rest on.

行政手続法 §43 wants every opinion received (or a faithful summary) published with the city's view, and the
committee inspects a packet that must hold every item. So completeness is computed, never assumed: each
submission of a consultation has one fate, and the packet and the results refuse to be final while any is
unaccounted for.

* ``items``: it was split into items (the rest of its text, if any, marked as not an opinion);
* ``not_an_opinion``: all of its text was marked as not an opinion (a greeting, a question about the form);
* ``excluded_late``: it arrived after the period and staff decided, with a reason, to leave it out (R53);
* ``late_undecided``: it arrived late and nobody has decided yet — unaccounted for;
* ``untriaged``: parts of its text are in no item and not marked — unaccounted for.

A submission of the same (or nearly the same) words as others (a campaign, R58) is counted and triaged
like any other; ``similar`` says how many share its words. Totals count people as submissions: each
submission is one sender's, and the service cannot tell that two submissions came from one person.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from comments.domain.campaigns import similar_counts
from comments.domain.splitting import coverage_gaps
from comments.extensions import db
from comments.labels import label
from comments.models import Consultation, Item, LateDecision, NonOpinionSpan, Section, Submission, SubmitterKind


class Fate(enum.StrEnum):
    items = "items"
    not_an_opinion = "not_an_opinion"
    excluded_late = "excluded_late"
    late_undecided = "late_undecided"
    untriaged = "untriaged"


UNACCOUNTED = frozenset({Fate.late_undecided, Fate.untriaged})


@dataclass(frozen=True)
class SubmissionFate:
    id: int
    receipt_number: str
    fate: Fate
    submitter_kind: SubmitterKind
    from_member: bool  # a committee member's question (portal, upload, e-mail): the committee's record
    items: int
    similar: int = 0


@dataclass
class Accounting:
    """Every submission of a consultation with its fate, and the totals of what counts."""

    fates: list[SubmissionFate]
    # Of the counted submissions: how many by kind of sender, how many items (opinions), items per section
    # (None: the whole draft), and how many same-purport groups the items form.
    people_by_kind: Counter = field(default_factory=Counter)
    opinions: int = 0
    opinions_by_section: list[tuple[str | None, int]] = field(default_factory=list)
    groups: int = 0

    @property
    def unaccounted(self) -> list[SubmissionFate]:
        return [fate for fate in self.fates if fate.fate in UNACCOUNTED]

    @property
    def counted(self) -> list[SubmissionFate]:
        return [fate for fate in self.fates if fate.fate in (Fate.items, Fate.not_an_opinion)]

    @property
    def people(self) -> int:
        return sum(self.people_by_kind.values())

    def counted_ids(self, *, citizens_only: bool = False) -> set[int]:
        return {fate.id for fate in self.counted if not (citizens_only and fate.from_member)}


def account_for_submissions(consultation: Consultation, *, citizens_only: bool = False) -> Accounting:
    """Every submission of the consultation and what became of it; the totals over the counted ones (only
    citizens' when ``citizens_only``: the public results leave the committee's questions to its record).

    Four queries whatever the number of submissions: their texts and late decisions, the items' spans, the
    marked spans, and the sections."""
    rows = db.session.execute(
        select(
            Submission.id,
            Submission.receipt_number,
            Submission.body,
            Submission.late,
            Submission.submitter_kind,
            Submission.member_id,
            LateDecision.included,
        )
        .outerjoin(LateDecision, LateDecision.submission_id == Submission.id)
        .where(Submission.consultation_id == consultation.id)
        .order_by(Submission.received_at, Submission.id)
    ).all()
    items: dict[int, list[tuple[int, int, int | None, int | None]]] = {}
    for submission_id, start, end, section_id, group_id in db.session.execute(
        select(Item.submission_id, Item.start_offset, Item.end_offset, Item.section_id, Item.group_id).where(
            Item.consultation_id == consultation.id
        )
    ):
        items.setdefault(submission_id, []).append((start, end, section_id, group_id))
    marked: dict[int, list[tuple[int, int]]] = {}
    for submission_id, start, end in db.session.execute(
        select(NonOpinionSpan.submission_id, NonOpinionSpan.start_offset, NonOpinionSpan.end_offset)
        .join(Submission, Submission.id == NonOpinionSpan.submission_id)
        .where(Submission.consultation_id == consultation.id)
    ):
        marked.setdefault(submission_id, []).append((start, end))
    similar = similar_counts([row.id for row in rows])

    accounting = Accounting(fates=[])
    for row in rows:
        own_items = items.get(row.id, [])
        taken = [(start, end) for start, end, _section, _group in own_items] + marked.get(row.id, [])
        if row.late and row.included is None:
            fate = Fate.late_undecided
        elif row.late and not row.included:
            fate = Fate.excluded_late
        elif coverage_gaps(row.body, taken):
            fate = Fate.untriaged
        else:
            fate = Fate.items if own_items else Fate.not_an_opinion
        accounting.fates.append(
            SubmissionFate(
                row.id,
                row.receipt_number,
                fate,
                row.submitter_kind,
                row.member_id is not None,
                len(own_items),
                similar.get(row.id, 0),
            )
        )
    counted = accounting.counted_ids(citizens_only=citizens_only)
    sections: Counter = Counter()
    groups = set()
    for fate in accounting.fates:
        if fate.id not in counted:
            continue
        accounting.people_by_kind[fate.submitter_kind] += 1
        for _start, _end, section_id, group_id in items.get(fate.id, []):
            accounting.opinions += 1
            sections[section_id] += 1
            if group_id is not None:
                groups.add(group_id)
    accounting.groups = len(groups)
    titles = {
        section_id: f"{number} {heading}".strip()
        for section_id, number, heading in db.session.execute(
            select(Section.id, Section.number, Section.heading).where(Section.consultation_id == consultation.id)
        )
    }
    accounting.opinions_by_section = sorted(
        ((titles.get(section_id) if section_id else None, count) for section_id, count in sections.items()),
        key=lambda pair: (pair[0] is None, pair[0] or ""),
    )
    return accounting


def describe_totals(accounting: Accounting) -> str:
    """One sentence of the totals, in the current locale: senders by kind, opinions, groups, per section."""
    kinds = "、".join(
        f"{label(kind)} {count}"
        for kind, count in sorted(accounting.people_by_kind.items(), key=lambda kc: kc[0].value)
    )
    sections = "、".join(
        f"{title or _('The whole draft / not specific')} {count}" for title, count in accounting.opinions_by_section
    )
    return str(
        _l(
            "Senders: %(people)d (%(kinds)s). Opinions and questions: %(opinions)d, in %(groups)d groups of the "
            "same purport. By section: %(sections)s.",
            people=accounting.people,
            kinds=kinds or "0",
            opinions=accounting.opinions,
            groups=accounting.groups,
            sections=sections or "0",
        )
    )


def unaccounted_message(consultation: Consultation, accounting: Accounting):
    """What to do before anything final is made of the consultation, or None when every submission is
    accounted for."""
    missing = accounting.unaccounted
    if not missing:
        return None
    untriaged = [fate.receipt_number for fate in missing if fate.fate == Fate.untriaged]
    undecided = [fate.receipt_number for fate in missing if fate.fate == Fate.late_undecided]
    return _l(
        "%(count)d submissions of “%(title)s” are not accounted for. Split into items, or mark as not an opinion, "
        "the rest of: %(untriaged)s. Decide whether to include these late ones: %(undecided)s.",
        count=len(missing),
        title=consultation.title,
        untriaged=", ".join(untriaged[:30]) or "–",
        undecided=", ".join(undecided[:30]) or "–",
    )
