"""The sub-committee's report to the council (審議会への報告) on one consultation's third-party inspection.

The secretariat assembles a draft from the consultation (its title, affair and department, the comment
period and how many submissions and opinions it received), the committee's main opinions with the city's
answers (carried ones with the answer given later, or where they will be answered) and the comment results;
it edits the title, addressee, date and body while the report is a draft; the chair approves it on the
committee's behalf, which freezes it and records the schedule's step 審議会への報告 as done.

The sub-committee reports (報告) to its parent council, which in turn answers the mayor's consultation (答申):
so the default title is the 報告 one. The report is a document of the city and is always written in Japanese,
whatever language the person drafting it uses the site in; its wording below is the city's formal style,
which the secretariat edits anyway. It holds counts and the committee's and city's words only: never a
submitter's name, address or e-mail address, and every number copied into a text by hand is masked (R14).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from comments import clock
from comments.clock import JAPAN
from comments.dates import calendar_day, last_day, period_text
from comments.domain import DomainError
from comments.domain.accounting import account_for_submissions
from comments.domain.audit import Actor, record_event
from comments.domain.masking import masked
from comments.domain.notifications import notify_report_waiting
from comments.domain.opinions import opinions_about
from comments.domain.schedule import stamp_step, step_of
from comments.extensions import db
from comments.labels import label
from comments.models import (
    CommitteeOpinion,
    Consultation,
    ConsultationStatus,
    CouncilReport,
    CouncilReportState,
    Meeting,
    OpinionState,
    StepKind,
    SubmitterKind,
    User,
)
from comments.permissions import Permission

DEFAULT_TITLE = "特定個人情報保護評価書（全項目評価書）の第三者点検について（報告）"
ADDRESSEE = "{organisation}情報公開・個人情報保護審議会 会長 様"
# The sender, by title: the sub-committee's chair reports on the sub-committee's behalf.
SENDER = "{organisation}情報公開・個人情報保護審議会\n特定個人情報保護評価部会 部会長"
MAX_BODY_CHARS = 20_000
# A report can be drafted once the comment period closed: before that there is nothing to report on.
REPORTABLE = (
    ConsultationStatus.closed,
    ConsultationStatus.responding,
    ConsultationStatus.inspected,
    ConsultationStatus.published,
    ConsultationStatus.archived,
)


class CouncilReportError(DomainError):
    """The report cannot be drafted, changed or approved as asked."""


def _japanese(day: date) -> str:
    # The report is a Japanese document of the city, whatever language its editor reads the service in.
    return calendar_day(day, locale="ja")


def _period_days(consultation: Consultation) -> tuple[date, date]:
    """First and last day of the comment period in Japan (a period ends at midnight: the day before)."""
    return consultation.opens_at.astimezone(JAPAN).date(), last_day(consultation.closes_at)


# --- The opinions and answers as the report lists them ------------------------------------------------


@dataclass(frozen=True)
class ReportOpinion:
    """One line of the report's list: the committee's opinion and the city's answer as of ``as_of``."""

    label: str  # 主な意見（4）, with the meeting when the consultation's opinions span several meetings
    body: str
    answer: str  # the answer, or where it will be given


def _answered_by(opinion: CommitteeOpinion, as_of: datetime | None) -> bool:
    if opinion.state != OpinionState.answered:
        return False
    return as_of is None or (opinion.answered_at is not None and opinion.answered_at <= as_of)


def report_opinions(consultation: Consultation, *, as_of: datetime | None = None) -> list[ReportOpinion]:
    """The committee's opinions about the consultation with the city's answers given by ``as_of`` (all when
    None): an approved report lists them as they stood when the chair approved it, so it never changes after.
    An opinion carried and not yet answered says at which meeting it will be."""
    opinions = [opinion for opinion in opinions_about(consultation) if as_of is None or opinion.created_at <= as_of]
    several = len({opinion.meeting_id for opinion in opinions}) > 1
    lines = []
    for opinion in opinions:
        number = f"主な意見（{opinion.number}）"
        if several:
            number = f"{opinion.meeting.title} {number}"
        if _answered_by(opinion, as_of):
            answer = masked(opinion.answer)
            if opinion.answered_meeting_id not in (None, opinion.meeting_id):
                answer += f"（{opinion.answered_meeting.title}において回答）"
        elif opinion.carried_to_meeting is not None:
            answer = f"次回以降の部会（{opinion.carried_to_meeting.title}）において説明します。"
        else:
            answer = "（回答未了）"
        lines.append(ReportOpinion(label=number, body=masked(opinion.body), answer=answer))
    return lines


# --- Assembling, editing, approving -------------------------------------------------------------------


def _meeting_line(kind: str, meeting: Meeting | None, day: date | None) -> str | None:
    if meeting is None and day is None:
        return None
    when = _japanese(day or meeting.held_on)
    return f"　{kind}：{meeting.title}（{when}）" if meeting is not None else f"　{kind}：{when}"


def assemble_body(consultation: Consultation, *, results_url: str = "") -> str:
    """The report's text from what the service holds now: the object inspected, the course of the
    inspection, the comment results in numbers, and the committee's opinions with the city's answers."""
    opens, last = _period_days(consultation)
    accounting = account_for_submissions(consultation)
    members = sum(
        count
        for kind, count in accounting.people_by_kind.items()
        if kind in (SubmitterKind.member, SubmitterKind.observer)
    )
    citizens = accounting.people - members
    department = consultation.department_name or ""
    pre_inspection = step_of(consultation, StepKind.pre_inspection)
    inspection_meeting = (
        db.session.get(Meeting, consultation.inspection_meeting_id) if consultation.inspection_meeting_id else None
    )
    lines = [
        f"　{department}が作成した「{consultation.affair}」に係る特定個人情報保護評価書（全項目評価書）（案）について、"
        "本部会において第三者点検を行ったので、その結果を次のとおり報告します。",
        "",
        "１　点検の対象",
        f"　評価書の名称：{consultation.title}",
        f"　事務の名称：{consultation.affair}",
    ]
    if consultation.system_name:
        lines.append(f"　システムの名称：{consultation.system_name}")
    lines += [f"　実施機関（所管課）：{department}", "", "２　点検の経過"]
    lines.append(f"　市民意見聴取の期間：{period_text(opens, last, locale='ja')}")
    for line in (
        _meeting_line("事前点検", pre_inspection.meeting, pre_inspection.done_on),
        _meeting_line("第三者点検", inspection_meeting, consultation.inspected_on),
    ):
        if line:
            lines.append(line)
    lines += ["", "３　市民意見聴取の結果"]
    lines.append(
        f"　意見の提出者は{citizens}人、提出された意見等は{accounting.opinions}件でした"
        + (f"（このほか部会委員からの質問等の提出者{members}人）。" if members else "。")
    )
    if consultation.results_published_at is not None:
        published = _japanese(consultation.results_published_at.astimezone(JAPAN).date())
        where = f"（{results_url}）" if results_url else ""
        lines.append(f"　意見の概要及びこれに対する市の考え方は、{published}に公表しました{where}。")
    else:
        lines.append("　意見の概要及びこれに対する市の考え方は、第三者点検の結果を踏まえて公表します。")
    opinions = report_opinions(consultation)
    lines += ["", "４　第三者点検における主な意見及び市の回答"]
    if opinions:
        for opinion in opinions:
            lines += [f"　{opinion.label}", f"　　意見：{opinion.body}", f"　　回答：{opinion.answer}"]
    else:
        lines.append("　特段の意見はありませんでした。")
    lines += [
        "",
        "５　点検の結果",
        # The committee's conclusion as recorded with the inspection; never one the service makes up.
        "　" + (masked(consultation.inspection_outcome.strip()) or "（第三者点検の結論を記載してください。）"),
    ]
    return "\n".join(lines)


def report_of(consultation: Consultation) -> CouncilReport | None:
    return db.session.query(CouncilReport).filter_by(consultation_id=consultation.id).one_or_none()


def draft_report(
    consultation: Consultation,
    actor: Actor,
    *,
    organisation: str,
    results_url: str = "",
    meeting: Meeting | None = None,
) -> CouncilReport:
    """Make the draft report on ``consultation``, or assemble the body of its draft again from what the service
    holds now (the title, addressee, date and meeting stay as edited). An approved report is never redrafted."""
    if consultation.status not in REPORTABLE:
        raise CouncilReportError(
            _l("The report is drafted after the comment period is closed; this consultation's period has not closed.")
        )
    report = report_of(consultation)
    if report is not None and report.state == CouncilReportState.approved:
        raise CouncilReportError(_l("The report is approved by the chair and can no longer be changed."))
    body = assemble_body(consultation, results_url=results_url)
    if report is None:
        council_meeting = meeting or step_of(consultation, StepKind.council_report).meeting
        report = CouncilReport(
            consultation_id=consultation.id,
            meeting_id=council_meeting.id if council_meeting is not None else None,
            title=DEFAULT_TITLE,
            addressee=ADDRESSEE.format(organisation=organisation),
            dated_on=council_meeting.held_on if council_meeting is not None else None,
            body=body,
            state=CouncilReportState.draft,
        )
        db.session.add(report)
        action = "council_report.drafted"
    else:
        report.body = body
        report.updated_at = clock.now()
        action = "council_report.reassembled"
    db.session.flush()
    record_event(actor, action, report, consultation=consultation.id, opinions=len(report_opinions(consultation)))
    if action == "council_report.drafted":
        notify_report_waiting(report)
    return report


def _editable(report: CouncilReport) -> None:
    if report.state == CouncilReportState.approved:
        raise CouncilReportError(_l("The report is approved by the chair and can no longer be changed."))


def update_report(
    report: CouncilReport,
    *,
    title: str,
    addressee: str,
    dated_on: date | None,
    body: str,
    meeting: Meeting | None,
    actor: Actor,
) -> list[str]:
    """The secretariat's edit of a draft report; returns the names of the fields that changed (audited)."""
    _editable(report)
    values = {
        "title": (title or "").strip(),
        "addressee": (addressee or "").strip(),
        "dated_on": dated_on,
        "body": (body or "").strip("\n"),
        "meeting_id": meeting.id if meeting is not None else None,
    }
    for field, message in (
        ("title", _l("Give the report a title.")),
        ("addressee", _l("Say to whom the report is addressed.")),
        ("body", _l("Write the text of the report.")),
    ):
        if not values[field].strip():
            raise CouncilReportError(message, field=field)
    if len(values["title"]) > 300:
        raise CouncilReportError(_l("At most %(count)d characters.", count=300), field="title")
    if len(values["addressee"]) > 200:
        raise CouncilReportError(_l("At most %(count)d characters.", count=200), field="addressee")
    if len(values["body"]) > MAX_BODY_CHARS:
        raise CouncilReportError(_l("At most %(count)d characters.", count=MAX_BODY_CHARS), field="body")
    changed = [field for field, value in values.items() if getattr(report, field) != value]
    for field in changed:
        setattr(report, field, values[field])
    if changed:
        report.updated_at = clock.now()
        db.session.flush()
        record_event(actor, "council_report.edited", report, fields=changed)
    return changed


def approve_report(report: CouncilReport, approver: User, *, actor: Actor) -> None:
    """The chair approves the report on the committee's behalf: it is frozen, dated (today when no date was
    set) and the schedule's step 審議会への報告 is stamped done on that date, at the report's meeting."""
    if not approver.can(Permission.council_report_approve):
        raise CouncilReportError(_l("Only the committee's chair approves the report to the council."))
    _editable(report)
    if not report.body.strip():
        raise CouncilReportError(_l("The report has no text yet; the secretariat drafts it first."))
    report.dated_on = report.dated_on or clock.japan_today()
    report.state = CouncilReportState.approved
    report.approved_at = clock.now()
    report.approved_by_id = approver.id
    report.updated_at = report.approved_at
    db.session.flush()
    record_event(actor, "council_report.approved", report, consultation=report.consultation_id)
    stamp_step(report.consultation, StepKind.council_report, meeting=report.meeting, on=report.dated_on, actor=actor)


def record_report_export(report: CouncilReport, *, fmt: str, actor: Actor) -> None:
    """Record that the report left the system as ``fmt`` (style rule 11: exports are logged)."""
    record_event(actor, "council_report.exported", report, format=fmt, state=report.state.value)


# --- What the Word file shows -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportDocument:
    """Everything the report's Word file shows, already in the document's words."""

    title: str
    addressee: str
    sender: str
    dated: str  # 平成27年8月27日; "" while no date is set
    body: tuple[str, ...]  # paragraphs
    opinions: tuple[ReportOpinion, ...]
    draft: bool
    organisation: str


def report_document(report: CouncilReport, *, organisation: str) -> ReportDocument:
    """The report as its Word file shows it; an approved one lists the answers as they stood at approval."""
    as_of = report.approved_at if report.state == CouncilReportState.approved else None
    return ReportDocument(
        title=report.title,
        addressee=report.addressee,
        sender=SENDER.format(organisation=organisation),
        dated=_japanese(report.dated_on) if report.dated_on else "",
        body=tuple(masked(report.body).split("\n")),
        opinions=tuple(report_opinions(report.consultation, as_of=as_of)),
        draft=report.state == CouncilReportState.draft,
        organisation=organisation,
    )


def state_label(report: CouncilReport | None) -> str:
    """The report's state in the visitor's words, or that there is none yet."""
    return str(label(report.state)) if report is not None else str(_l("Not drafted yet"))
