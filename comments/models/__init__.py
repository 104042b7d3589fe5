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
from comments.models.inquiry import Inquiry
from comments.models.item import Item, ItemKind, NonOpinionSpan, SamePurportGroup
from comments.models.meeting import Meeting
from comments.models.outbox import OutboxMessage, OutboxStatus
from comments.models.publication import PublicationEntry, Redaction, ResultsChange
from comments.models.response import (
    Response,
    ResponseCategory,
    ResponseRevision,
    ResponseState,
    ResponseTemplate,
    ReviewComment,
)
from comments.models.search import InboxSearch, SimilarText, SubmissionSearch
from comments.models.submission import (
    Attachment,
    BlobDestruction,
    Channel,
    DestroyedBlob,
    LateDecision,
    RedactedCopy,
    Submission,
    SubmissionImmutableError,
    Submitter,
    SubmitterKind,
    TranscriptionCheck,
)
from comments.models.user import AccountReview, Department, User, UserRole, UserSession

__all__ = [
    "AccountReview",
    "Attachment",
    "AuditEvent",
    "AuditReview",
    "BlobDestruction",
    "Channel",
    "Consultation",
    "ConsultationStatus",
    "DeadlineExtension",
    "Department",
    "DestroyedBlob",
    "InboundMessage",
    "InboundStatus",
    "InboxSearch",
    "Inquiry",
    "Item",
    "ItemKind",
    "LateDecision",
    "Material",
    "MaterialKind",
    "Meeting",
    "NonOpinionSpan",
    "OutboxMessage",
    "OutboxStatus",
    "PostalRule",
    "PublicationEntry",
    "RedactedCopy",
    "Redaction",
    "Response",
    "ResponseCategory",
    "ResponseRevision",
    "ResponseState",
    "ResponseTemplate",
    "ResultsChange",
    "ReviewComment",
    "SamePurportGroup",
    "Section",
    "SimilarText",
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
