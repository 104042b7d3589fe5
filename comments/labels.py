"""The words shown for the values of the workflow enums, in the visitor's language."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from comments.models import (
    Channel,
    ConsultationStatus,
    CouncilReportState,
    InboundStatus,
    ItemKind,
    MeetingBody,
    MinutesState,
    OpinionState,
    ResponseCategory,
    ResponseState,
    StepKind,
    StepState,
    SubmitterKind,
)
from comments.permissions import Role

LABELS = {
    ConsultationStatus.draft: _l("Draft"),
    ConsultationStatus.open: _l("Published for comment"),
    ConsultationStatus.closed: _l("Closed"),
    ConsultationStatus.responding: _l("Preparing responses"),
    ConsultationStatus.inspected: _l("Inspected"),
    ConsultationStatus.published: _l("Results published"),
    ConsultationStatus.archived: _l("Archived"),
    Channel.web: _l("Web form"),
    Channel.email: _l("E-mail"),
    Channel.upload: _l("Uploaded file"),
    Channel.post: _l("Post"),
    Channel.fax: _l("Fax"),
    Channel.in_person: _l("In person"),
    SubmitterKind.citizen: _l("Resident, worker or student of the city"),
    SubmitterKind.organisation: _l("Business or organisation"),
    SubmitterKind.member: _l("Committee member"),
    SubmitterKind.observer: _l("Observer"),
    SubmitterKind.other: _l("Other"),
    InboundStatus.accepted: _l("Filed as a question"),
    InboundStatus.quarantined: _l("Waiting in quarantine"),
    InboundStatus.dropped: _l("Dropped (automatic mail)"),
    InboundStatus.released: _l("Released by the secretariat"),
    InboundStatus.rejected: _l("Rejected by the secretariat"),
    ItemKind.opinion: _l("Opinion"),
    ItemKind.question: _l("Question"),
    ItemKind.request: _l("Request"),
    ResponseCategory.reflected: _l("Reflected in the assessment"),
    ResponseCategory.already_covered: _l("Already covered"),
    ResponseCategory.reference: _l("Taken as reference"),
    ResponseCategory.not_reflected: _l("Not reflected"),
    ResponseCategory.answered: _l("Answered"),
    ResponseState.drafting: _l("Being drafted"),
    ResponseState.in_review: _l("In review"),
    ResponseState.approved: _l("Approved"),
    Role.administrator: _l("Administrator"),
    Role.secretariat: _l("Secretariat"),
    Role.department_staff: _l("Department staff"),
    Role.department_approver: _l("Approver for a department (head of the department)"),
    Role.city_approver: _l("Approver for the whole city"),
    Role.chair: _l("Committee chair"),
    Role.member: _l("Committee member"),
    Role.observer: _l("Observer"),
    MeetingBody.sub_committee: _l("Sub-committee"),
    MeetingBody.council: _l("Council"),
    StepKind.pre_inspection: _l("Pre-inspection"),
    StepKind.comment_period: _l("Hearing residents' opinions (comment period)"),
    StepKind.inspection: _l("Third-party inspection"),
    StepKind.council_report: _l("Report to the council and its reply"),
    StepKind.submission: _l("Submission to the Personal Information Protection Commission"),
    StepKind.publication: _l("Publication of the final assessment"),
    StepState.planned: _l("Planned"),
    StepState.in_progress: _l("In progress"),
    StepState.done: _l("Done"),
}


# An item that nobody has started answering has no response, hence no state of its own.
NO_RESPONSE_LABEL = _l("No response yet")


def response_state_label(state: ResponseState | None) -> str:
    """The words for where an item's response stands; None: nobody has started answering it."""
    return str(NO_RESPONSE_LABEL if state is None else LABELS[state])


# The values of string enums are equal as dict keys when their words are (MinutesState.drafting ==
# ResponseState.drafting == "drafting"), so in LABELS the later entry would replace the earlier one's label.
# An enum that repeats another's word keeps its labels here, by type.
LABELS_BY_TYPE: dict[type, dict] = {
    MinutesState: {
        MinutesState.drafting: _l("Being drafted by the secretariat"),
        MinutesState.circulating: _l("Out to the members for comments"),
        MinutesState.finalised: _l("Finalised by the chair"),
        MinutesState.published: _l("Published"),
    },
    # "open" and "draft" are also ConsultationStatus's words, "answered" ResponseCategory's.
    OpinionState: {
        OpinionState.open: _l("Waiting for the city's answer"),
        OpinionState.answered: _l("Answered"),
        OpinionState.carried: _l("Carried over to a later meeting"),
    },
    CouncilReportState: {
        CouncilReportState.draft: _l("Draft, being edited by the secretariat"),
        CouncilReportState.approved: _l("Approved by the chair"),
    },
}


def label(value: enum.Enum) -> str:
    """The translated word for an enum value; the raw value where none is defined."""
    own = LABELS_BY_TYPE.get(type(value))
    if own is not None and value in own:
        return str(own[value])
    return str(LABELS.get(value, getattr(value, "value", value)))
