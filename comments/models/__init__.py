"""The models, one module per aggregate; importing this package registers them all."""

from comments.models.audit import AuditEvent
from comments.models.consultation import Consultation, ConsultationStatus, Material, MaterialKind, Section
from comments.models.outbox import OutboxMessage, OutboxStatus
from comments.models.submission import (
    Attachment,
    Channel,
    Submission,
    SubmissionImmutableError,
    Submitter,
    SubmitterKind,
)
from comments.models.user import SECOND_FACTOR_ROLES, Department, User, UserRole, UserSession

__all__ = [
    "SECOND_FACTOR_ROLES",
    "Attachment",
    "AuditEvent",
    "Channel",
    "Consultation",
    "ConsultationStatus",
    "Department",
    "Material",
    "MaterialKind",
    "OutboxMessage",
    "OutboxStatus",
    "Section",
    "Submission",
    "SubmissionImmutableError",
    "Submitter",
    "SubmitterKind",
    "User",
    "UserRole",
    "UserSession",
]
