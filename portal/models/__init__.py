"""All tables, grouped by capability; importing this module registers every model."""

from .accounts import (
    Invitation,
    PasswordReset,
    PatientAccount,
    RecoveryCode,
    RecoveryRequest,
)
from .audit import AuditEvent
from .auth import AuthSession, RateLimitHit, SignInFailure
from .documents import Document, DocumentVersion, FormAssignment, FormDraft, Signature
from .mail import OutboxEmail
from .patients import Patient
from .practice import Practice
from .staff import StaffUser

__all__ = [
    "AuditEvent",
    "Invitation",
    "PasswordReset",
    "PatientAccount",
    "AuthSession",
    "Document",
    "DocumentVersion",
    "FormAssignment",
    "FormDraft",
    "OutboxEmail",
    "Patient",
    "Practice",
    "RateLimitHit",
    "RecoveryCode",
    "RecoveryRequest",
    "Signature",
    "SignInFailure",
    "StaffUser",
]
