"""What staff see of consents and health forms: a chart's signatures and what it still owes,
the practice-wide lists, the check of a verification code or an uploaded PDF, the health
form review list, and assigning a form.

Nothing here makes the default documents (documents.ensure_defaults writes, and pages that
only look must not), so a practice without documents yet simply shows none.
Every list is one query, or a fixed few, whatever the number of rows.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import and_, func, select

from ..extensions import db
from ..models import Document, DocumentVersion, FormAssignment, Patient, Signature, StaffUser
from ..models.types import utcnow
from . import audit, documents, permissions, signing
from .paging import count_of
from .paging import page_of as _page_of

NOTICE_DAYS = signing.RENEWAL_NOTICE_DAYS  # "expires in N days" within this many days
PAGE_SIZE = 50


def page_of(statement, page):
    """A Page of a staff list, 50 rows a page."""
    return _page_of(statement, page, PAGE_SIZE)
MAX_BATCH = 500  # consents in one batch print: a larger file is hard to print and to hold


# --- Documents in use -----------------------------------------------------------------------

def published_consents():
    """(document, current version) of every consent in use, by title (one query)."""
    return db.session.execute(documents.in_use_statement("consent")).all()


def published_forms():
    """(document, current version) of every health form in use, by title (one query)."""
    return db.session.execute(documents.in_use_statement("form")).all()


def published_consent(document_id):
    """(document, current version) of the consent in use with this id, else None."""
    return db.session.execute(documents.in_use_statement().where(
        Document.kind == "consent", Document.id == document_id)).first()


# --- One chart ------------------------------------------------------------------------------

@dataclass
class ChartConsents:
    """What the chart's consent section shows: see chart_consents."""

    signatures: list  # (signature, version), newest first
    current: dict  # document id -> the latest current consent signature
    consents: list  # (document, version) in use that apply to this patient
    missing: list  # (document, version): required, applies, no current signature
    expiring: dict  # signature id -> days left, for current signatures ending soon
    open_forms: list  # (document, version, assignment) assigned and not yet submitted
    forms: list  # (document, version) of every health form in use


def days_left(expires_at, now, zone):
    """Whole calendar days, in the practice's zone, from now until `expires_at`."""
    return (expires_at.astimezone(zone).date() - now.astimezone(zone).date()).days


def chart_consents(patient, zone, now=None):
    """The chart's consents and health forms in two queries: the patient's signatures, and
    the documents in use with any open assignment of a form to this patient."""
    now = now or utcnow()
    signatures = signing.signatures_of(patient.id)
    rows = db.session.execute(
        documents.in_use_statement().add_columns(FormAssignment).outerjoin(FormAssignment, and_(
            FormAssignment.document_id == Document.id, FormAssignment.patient_id == patient.id,
            FormAssignment.completed_at.is_(None)))).all()
    current = {}
    for signature, _version in signatures:
        if signature.kind == "consent" and signature.document_id not in current and (
                signature.expires_at is None or signature.expires_at > now):
            current[signature.document_id] = signature
    today = now.astimezone(zone).date()
    seen, consents, forms, open_forms = set(), [], [], []
    for document, version, assignment in rows:
        if document.id in seen:
            continue
        seen.add(document.id)
        if document.kind == "consent" and documents.applies_to(version, patient, today):
            consents.append((document, version))
        elif document.kind == "form":
            forms.append((document, version))
            if assignment is not None:
                open_forms.append((document, version, assignment))
    missing = [(document, version) for document, version in consents
               if version.required and document.id not in current]
    expiring = {signature.id: days_left(signature.expires_at, now, zone)
                for signature in current.values()
                if signature.expires_at and signature.expires_at <= now + timedelta(days=NOTICE_DAYS)}
    return ChartConsents(signatures, current, consents, missing, expiring, open_forms, forms)


# --- The practice ---------------------------------------------------------------------------

def signed_counts(now=None):
    """Document id -> how many active patients hold a current signature of it (one query)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Signature.document_id, func.count(func.distinct(Signature.patient_id)))
        .join(Patient, Patient.id == Signature.patient_id)
        .where(Signature.kind == "consent", Patient.status == "active", signing.is_current(now))
        .group_by(Signature.document_id))
    return dict(rows.all())


def consent_summary(now=None):
    """For each consent in use: (document, version, signed count, missing count).

    2 + one count per consent in use: constant in the number of patients and signatures.
    """
    now = now or utcnow()
    signed = signed_counts(now)
    return [(document, version, signed.get(document.id, 0),
             count_of(signing.missing_statement(version, now)))
            for document, version in published_consents()]


def expiring(days=NOTICE_DAYS, now=None):
    """(signature, patient, version) of active patients' consents that end within `days` and
    were not signed again since, soonest first (one query)."""
    now = now or utcnow()
    return db.session.execute(
        select(Signature, Patient, DocumentVersion)
        .join(Patient, Patient.id == Signature.patient_id)
        .join(DocumentVersion, DocumentVersion.id == Signature.version_id)
        .where(Signature.kind == "consent", Patient.status == "active",
               Signature.expires_at > now, Signature.expires_at <= now + timedelta(days=days),
               ~signing.signed_again())
        .order_by(Signature.expires_at, Signature.id)).all()


def recent_signatures(page, kind="consent"):
    """A Page of (signature, patient, version), newest first (a count and one query)."""
    return page_of(
        select(Signature, Patient, DocumentVersion)
        .join(Patient, Patient.id == Signature.patient_id)
        .join(DocumentVersion, DocumentVersion.id == Signature.version_id)
        .where(Signature.kind == kind)
        .order_by(Signature.signed_at.desc(), Signature.id.desc()), page)


def missing_patients(version, page, now=None):
    """A Page of the active patients this consent is for who have no current signature."""
    statement = signing.missing_statement(version, now)
    return db.paginate(statement, page=max(1, page or 1), per_page=PAGE_SIZE, error_out=False,
                       count=True)


def record_listed(action, rows_patient_ids, page_number, origin, object_id=""):
    """Put a staff list on the audit trail by the chart ids it showed (never names)."""
    shown = ", ".join(str(patient_id) for patient_id in rows_patient_ids) or "none"
    audit.record(action, origin, object_type="document" if object_id else "",
                 object_id=object_id, detail=f"page: {page_number}; shown: {shown}")


# --- Batch print ----------------------------------------------------------------------------

def local_days(first, last, zone):
    """[start, end) in UTC covering the practice-local days `first` to `last` inclusive."""
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    return start, end


def count_signed_between(start, end):
    """How many consents were signed in [start, end)."""
    return db.session.scalar(select(func.count(Signature.id)).where(
        Signature.kind == "consent", Signature.signed_at >= start, Signature.signed_at < end))


def batch_pdf(first, last, zone, origin):
    """(pdf bytes, count) of every consent signed on the local days `first`..`last`, joined
    from the stored PDFs in signing order; (None, count) when none or more than MAX_BATCH.

    Each consent handed out goes on the audit trail under its patient (the caller commits).
    """
    start, end = local_days(first, last, zone)
    count = count_signed_between(start, end)
    if count == 0 or count > MAX_BATCH:
        return None, count
    signatures = signing.signed_between(start, end)
    pdf = signing.joined_pdf(signatures)
    for signature in signatures:
        audit.record_export(origin, "signature", signature.id, patient_id=signature.patient_id,
                            file_format="pdf")
    audit.record("consent.batch_printed", origin, object_type="consent_batch",
                 detail=f"from {first.isoformat()} to {last.isoformat()}; consents: {count}; "
                        f"bytes: {len(pdf)}")
    return pdf, count


# --- Files of one signature -----------------------------------------------------------------

class StoredFileDamaged(RuntimeError):
    """A stored PDF whose bytes no longer match the SHA-256 kept at signing."""


def stored_pdf(signature, origin):
    """The signature's stored PDF, checked against its SHA-256 and put on the audit trail as
    an export; StoredFileDamaged (recorded as such, not handed out) when it does not match."""
    pdf = signing.signature_pdf(signature.id)
    if hashlib.sha256(pdf).hexdigest() != signature.pdf_sha256:
        audit.record("signature.integrity_failed", origin, patient_id=signature.patient_id,
                     object_type="signature", object_id=signature.id)
        raise StoredFileDamaged(signature.id)
    audit.record_export(origin, "signature", signature.id, patient_id=signature.patient_id,
                        file_format="pdf", byte_count=len(pdf))
    return pdf


def stored_scan(signature, origin):
    """(bytes, content type) of a paper signature's scan, else None; an export on record."""
    scan = db.session.scalar(select(Signature.scan).where(Signature.id == signature.id))
    if not scan:
        return None
    audit.record_export(origin, "signature_scan", signature.id, patient_id=signature.patient_id,
                        file_format=signature.scan_type, byte_count=len(scan))
    return scan, signature.scan_type


def file_name(signature, suffix="pdf"):
    """A download name with no personal name in it: consent-CODE.pdf, form-CODE.pdf."""
    return f"{signature.kind}-{signature.verification_code}.{suffix}"


# --- Verification ---------------------------------------------------------------------------

@dataclass
class Found:
    """A signature found by its code, with what staff are shown of it."""

    signature: Signature
    version: DocumentVersion
    patient: Patient
    title: str = ""


def find_by_code(code):
    """The signature with this verification code (typed any way), else None (one query)."""
    code = signing.normalize_code(code)
    if not code:
        return None
    row = db.session.execute(
        select(Signature, DocumentVersion, Patient)
        .join(DocumentVersion, DocumentVersion.id == Signature.version_id)
        .join(Patient, Patient.id == Signature.patient_id)
        .where(Signature.verification_code == code)).first()
    return Found(*row, title=row[1].title) if row else None


@dataclass
class UploadCheck:
    """What an uploaded PDF proved: `problem` names what stopped the check, if anything."""

    problem: str | None = None  # not_pdf, no_seal, no_code, unknown_code
    seal: object = None  # seal.VerifyResult
    found: Found | None = None
    identical: bool = False
    sha256: str = ""
    code: str = ""
    notes: list = field(default_factory=list)

    @property
    def seal_intact(self):
        return bool(self.seal is not None and self.seal.ok)


def check_upload(data):
    """Read the seal of an uploaded PDF, find its signature by the code it carries, and
    compare its bytes with the stored PDF's SHA-256."""
    from . import seal

    digest = hashlib.sha256(data or b"").hexdigest()
    if b"%PDF-" not in (data or b"")[:1024]:
        return UploadCheck("not_pdf", sha256=digest)
    result = seal.verify_pdf(data)
    if not result.signed and result.problem and "not a readable" in result.problem:
        return UploadCheck("not_pdf", seal=result, sha256=digest)
    code = signing.normalize_code(result.verification_code or "")
    if not result.signed:
        return UploadCheck("no_seal", seal=result, sha256=digest, code=code)
    if not code:
        return UploadCheck("no_code", seal=result, sha256=digest)
    found = find_by_code(code)
    if found is None:
        return UploadCheck("unknown_code", seal=result, sha256=digest, code=code)
    return UploadCheck(None, result, found, digest == found.signature.pdf_sha256, digest, code)


def record_verified(origin, found, how, detail=""):
    """Put a staff look-up of a signed document on the audit trail."""
    audit.record("signature.verified", origin,
                 patient_id=found.signature.patient_id if found else None,
                 object_type="signature" if found else "",
                 object_id=found.signature.id if found else "",
                 detail="; ".join(part for part in (f"by: {how}", detail) if part))


def public_answer(code, zone, origin):
    """The local date a document with this code was signed, else None; found look-ups go on
    the audit trail (anonymous, by address). The public page shows nothing more."""
    code = signing.normalize_code(code)
    if not code:
        return None
    row = db.session.execute(select(Signature.id, Signature.patient_id, Signature.signed_at)
                             .where(Signature.verification_code == code)).first()
    if row is None:
        return None
    audit.record("signature.publicly_verified", origin, patient_id=row.patient_id,
                 object_type="signature", object_id=row.id)
    return row.signed_at.astimezone(zone).date()


# --- Health forms ---------------------------------------------------------------------------

def forms_for_review(reviewed, page):
    """A Page of submitted health forms as (signature, patient, version, reviewer or None):
    waiting ones oldest first, or reviewed ones most recently reviewed first."""
    statement = (select(Signature, Patient, DocumentVersion, StaffUser)
                 .join(Patient, Patient.id == Signature.patient_id)
                 .join(DocumentVersion, DocumentVersion.id == Signature.version_id)
                 .outerjoin(StaffUser, StaffUser.id == Signature.reviewed_by_id)
                 .where(Signature.kind == "form"))
    if reviewed:
        statement = statement.where(Signature.reviewed_at.is_not(None)).order_by(
            Signature.reviewed_at.desc(), Signature.id.desc())
    else:
        statement = statement.where(Signature.reviewed_at.is_(None)).order_by(
            Signature.signed_at, Signature.id)
    return page_of(statement, page)


def form_of_patient(patient_id, signature_id):
    """One submitted health form of this patient, else None."""
    signature = signing.signature_of_patient(patient_id, signature_id)
    return signature if signature is not None and signature.kind == "form" else None


def mark_reviewed(signature, staff, origin):
    """Mark a submitted health form reviewed by `staff`; False when it already was. Raises
    permissions.Refused for a role that may not review health forms."""
    permissions.require(staff, "review_forms")
    if signature.reviewed_at is not None:
        return False
    signature.reviewed_at, signature.reviewed_by_id = utcnow(), staff.id
    audit.record("form.reviewed", origin, patient_id=signature.patient_id,
                 object_type="signature", object_id=signature.id)
    return True


def assign_form(patient, document_id, staff, origin):
    """Ask the patient to fill in a health form in use: (assignment, created). An open
    assignment of the same form is returned as it is (created False). The caller commits."""
    from ..database import lock_for_write

    lock_for_write(db.session, f"form-assignment:{patient.id}:{document_id}")
    open_one = db.session.scalar(select(FormAssignment).where(
        FormAssignment.patient_id == patient.id, FormAssignment.document_id == document_id,
        FormAssignment.completed_at.is_(None)))
    if open_one is not None:
        return open_one, False
    assignment = FormAssignment(patient_id=patient.id, document_id=document_id,
                                assigned_by_id=staff.id)
    db.session.add(assignment)
    db.session.flush()
    audit.record("form.assigned", origin, patient_id=patient.id, object_type="document",
                 object_id=document_id)
    return assignment, True
