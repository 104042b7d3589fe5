"""The models, one module per aggregate; importing this package registers them all."""

from comments.models.audit import AuditEvent, AuditReview
from comments.models.consultation import (
    Consultation,
    ConsultationStatus,
    DeadlineExtension,
    Material,
    MaterialKind,
    PostalRule,
    Section,
)
from comments.models.inbound import InboundMessage, InboundStatus
from comments.models.outbox import OutboxMessage, OutboxStatus
from comments.models.submission import (
    Attachment,
    Channel,
    LateDecision,
    Submission,
    SubmissionImmutableError,
    SubmissionSearch,
    Submitter,
    SubmitterKind,
    TranscriptionCheck,
)
from comments.models.user import SECOND_FACTOR_ROLES, AccountReview, Department, User, UserRole, UserSession

__all__ = [
    "SECOND_FACTOR_ROLES",
    "AccountReview",
    "Attachment",
    "AuditEvent",
    "AuditReview",
    "Channel",
    "Consultation",
    "ConsultationStatus",
    "DeadlineExtension",
    "Department",
    "InboundMessage",
    "InboundStatus",
    "LateDecision",
    "Material",
    "MaterialKind",
    "OutboxMessage",
    "OutboxStatus",
    "PostalRule",
    "Section",
    "Submission",
    "SubmissionImmutableError",
    "SubmissionSearch",
    "Submitter",
    "SubmitterKind",
    "TranscriptionCheck",
    "User",
    "UserRole",
    "UserSession",
]
