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
from .consents import Document, DocumentVersion, FormAssignment, FormDraft, Signature
from .kept_drafts import KeptDraft
from .mail import OutboxEmail
from .messages import Conversation, Message, MessageAttachment, MessageTopic, ReplyTemplate
from .notices import AppointmentReminder
from .patients import Patient
from .practice import Practice
from .proxies import AccessBlock, ConfidentialMark, ProxyGrant, ProxyInvitation
from .record_corrections import RecordCorrection
from .record_shares import RecordShare, RecordShareOpen
from .records import RecordEntry
from .staff import StaffUser

__all__ = [
    "AccessBlock",
    "ConfidentialMark",
    "AppointmentReminder",
    "AuditEvent",
    "Invitation",
    "PasswordReset",
    "PatientAccount",
    "AuthSession",
    "Conversation",
    "Document",
    "DocumentVersion",
    "FormAssignment",
    "FormDraft",
    "KeptDraft",
    "Message",
    "MessageAttachment",
    "MessageTopic",
    "OutboxEmail",
    "Patient",
    "Practice",
    "ProxyGrant",
    "ProxyInvitation",
    "RateLimitHit",
    "RecordCorrection",
    "RecordEntry",
    "RecordShare",
    "RecordShareOpen",
    "RecoveryCode",
    "RecoveryRequest",
    "ReplyTemplate",
    "Signature",
    "SignInFailure",
    "StaffUser",
]
