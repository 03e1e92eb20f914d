"""Consent documents and health forms, their versions, and what patients signed.

A document is the practice's consent or health form across time; each version is one fixed
text. A draft version is edited freely; publishing fixes it and makes it current, and editing
a published document starts a new draft. A signature points at the exact version signed and
keeps its evidence and sealed PDF, never changed afterwards (see services/consents/signing.py).
"""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..extensions import db
from .types import BigId, UTCDateTime, utcnow

DOCUMENT_KINDS = {"consent": _l("Consent"), "form": _l("Health form")}
# Who a consent is for: every patient, adult patients, or the parents and guardians of minors.
SIGNERS = {"all": _l("All patients"), "adults": _l("Adult patients (18 and over)"),
           "guardians_of_minors": _l("Parents or guardians of patients under 18")}
SIGNER_ROLES = {"patient": _l("Patient"), "guardian": _l("Parent or guardian"),
                "representative": _l("Personal representative")}
SIGNING_METHODS = {"online": _l("Signed online"), "paper": _l("Signed on paper")}
FIELD_TYPES = {"text": _l("Short text"), "long_text": _l("Long text"), "yes_no": _l("Yes or no"),
               "single_choice": _l("Single choice"), "multiple_choice": _l("Multiple choice"),
               "date": _l("Date"), "number": _l("Number")}


class Document(db.Model):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    # The consent enrollment signs (one at most); the demo and defaults mark it.
    is_portal_consent: Mapped[bool] = mapped_column(default=False)
    # A health form any patient may fill in, without staff assigning it.
    available_to_all: Mapped[bool] = mapped_column(default=False)
    # Retired documents are no longer offered or required; their signatures stand.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_versions.id", use_alter=True, name="fk_documents_current_version"),
        nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def kind_label(self):
        return DOCUMENT_KINDS.get(self.kind, self.kind)


class DocumentVersion(db.Model):
    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    # Simple formatting: "# " and "## " headings, "- " list items, blank lines between paragraphs.
    body: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(default=False)
    signers: Mapped[str] = mapped_column(String(20), default="all")
    validity_months: Mapped[int] = mapped_column(default=0)  # 0: no expiry
    attestations: Mapped[list] = mapped_column(JSON, default=list)  # sentences the signer ticks
    # Health form fields: [{"name", "label", "type", "required", "help", "choices"}]
    fields: Mapped[list] = mapped_column(JSON, default=list)
    # SHA-256 of the version's canonical content, fixed when published.
    sha256: Mapped[str] = mapped_column(String(64), default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def is_draft(self):
        return self.published_at is None

    @property
    def signers_label(self):
        return SIGNERS.get(self.signers, self.signers)


class Signature(db.Model):
    """A signed consent or a submitted health form: the evidence and the sealed PDF."""

    __tablename__ = "signatures"
    __table_args__ = (
        Index("ix_signatures_patient_document_signed", "patient_id", "document_id", "signed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"))
    version_sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(10), default="online")
    values: Mapped[dict] = mapped_column(JSON, default=dict)  # answers and ticked attestations
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_role: Mapped[str] = mapped_column(String(20), default="patient")
    signer_account_id: Mapped[int | None] = mapped_column(ForeignKey("patient_accounts.id"),
                                                          nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    signed_at_local: Mapped[str] = mapped_column(String(40))  # ISO 8601 with the offset
    time_zone: Mapped[str] = mapped_column(String(64))
    paper_signed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    verification_code: Mapped[str] = mapped_column(String(12), unique=True)
    # The signing page's one-time key: a second submit of the same page finds this row.
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    drawn_signature: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    scan: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    scan_type: Mapped[str] = mapped_column(String(40), default="")
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    # Workflow, not evidence: these two may change later.
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def role_label(self):
        return SIGNER_ROLES.get(self.signer_role, self.signer_role)

    @property
    def method_label(self):
        return SIGNING_METHODS.get(self.method, self.method)


# Only these may change once a signature is stored; anything else is evidence.
SIGNATURE_WORKFLOW_COLUMNS = frozenset({"reviewed_at", "reviewed_by_id", "reminder_sent_at"})


class SignatureChangedError(RuntimeError):
    """Something tried to change a stored signature's evidence."""


@event.listens_for(Signature, "before_update")
def _refuse_evidence_changes(mapper, connection, target):
    state = db.inspect(target)
    for attribute in mapper.column_attrs:
        if attribute.key in SIGNATURE_WORKFLOW_COLUMNS:
            continue
        if state.attrs[attribute.key].history.has_changes():
            raise SignatureChangedError(f"a signature's {attribute.key} never changes")


class FormDraft(db.Model):
    """A health form a patient began and saved, to finish later (one per patient and form)."""

    __tablename__ = "form_drafts"
    __table_args__ = (UniqueConstraint("patient_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"))
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class FormAssignment(db.Model):
    """A health form staff asked one patient to fill in."""

    __tablename__ = "form_assignments"
    __table_args__ = (Index("ix_form_assignments_patient_open", "patient_id", "completed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    signature_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("signatures.id"),
                                                     nullable=True)
