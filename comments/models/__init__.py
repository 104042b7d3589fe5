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

__all__ = [
    "Attachment",
    "AuditEvent",
    "Channel",
    "Consultation",
    "ConsultationStatus",
    "Material",
    "MaterialKind",
    "OutboxMessage",
    "OutboxStatus",
    "Section",
    "Submission",
    "SubmissionImmutableError",
    "Submitter",
    "SubmitterKind",
]
