"""What staff see of consents: a chart's signatures and what it still owes, the practice-wide
lists and counts, and the stored PDF or scan of one signature (the batch print is batch.py).

Nothing here makes the default documents, so a practice without documents yet simply shows
none. Every list is one query, or a fixed few, whatever the number of rows.
"""

import functools
import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, bindparam, exists, func, select

from ...extensions import db
from ...models import Document, DocumentVersion, FormAssignment, Patient, Signature
from ...models.types import utcnow
from .. import audit, clock
from ..paging import count_of, page_of
from . import documents, gate
from .gate import RENEWAL_NOTICE_DAYS, is_current, signed_again

NOTICE_DAYS = RENEWAL_NOTICE_DAYS  # "expires in N days" within this many days
PAGE_SIZE = 50


# The chart runs these on every view: each statement is built once, the patient a parameter.
_SIGNATURES = (select(Signature, DocumentVersion)
               .join(DocumentVersion, DocumentVersion.id == Signature.version_id)
               .where(Signature.patient_id == bindparam("patient_id"))
               .order_by(Signature.signed_at.desc(), Signature.id.desc()))


def signatures_of(patient_id):
    """Every signature of one patient, newest first, with its document version (one query)."""
    return db.session.execute(_SIGNATURES, {"patient_id": patient_id}).all()


def signature_of_patient(patient_id, signature_id):
    """One signature of this patient, else None (another patient's id is simply not found)."""
    return db.session.scalar(select(Signature).where(Signature.id == signature_id,
                                                     Signature.patient_id == patient_id))


def signature_pdf(signature_id):
    """The stored PDF bytes of one signature (loaded only when asked for)."""
    return db.session.scalar(select(Signature.pdf).where(Signature.id == signature_id))


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


@functools.cache
def _chart_documents():
    # Cached, not built at import: in_use_statement is documents' own, read when first asked.
    return documents.in_use_statement().add_columns(FormAssignment).outerjoin(FormAssignment, and_(
        FormAssignment.document_id == Document.id,
        FormAssignment.patient_id == bindparam("patient_id"),
        FormAssignment.completed_at.is_(None)))


def chart_consents(patient, zone, now=None):
    """The chart's consents and health forms in two queries: the patient's signatures, and
    the documents in use with any open assignment of a form to this patient."""
    now = now or utcnow()
    signatures = signatures_of(patient.id)
    rows = db.session.execute(_chart_documents(), {"patient_id": patient.id}).all()
    current = gate.current_of(signatures, now)
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


def signed_counts(now=None):
    """Document id -> how many active patients hold a current signature of it (one query)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Signature.document_id, func.count(func.distinct(Signature.patient_id)))
        .join(Patient, Patient.id == Signature.patient_id)
        .where(Signature.kind == "consent", Patient.status == "active", is_current(now))
        .group_by(Signature.document_id))
    return dict(rows.all())


def consent_summary(now=None):
    """For each consent in use: (document, version, signed count, missing count).

    2 + one count per consent in use: constant in the number of patients and signatures.
    """
    now = now or utcnow()
    signed = signed_counts(now)
    return [(document, version, signed.get(document.id, 0),
             count_of(missing_statement(version, now)))
            for document, version in documents.published_consents()]


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
               ~signed_again())
        .order_by(Signature.expires_at, Signature.id)).all()


def recent_signatures(page, kind="consent"):
    """A Page of (signature, patient, version), newest first (a count and one query)."""
    return page_of(
        select(Signature, Patient, DocumentVersion)
        .join(Patient, Patient.id == Signature.patient_id)
        .join(DocumentVersion, DocumentVersion.id == Signature.version_id)
        .where(Signature.kind == kind)
        .order_by(Signature.signed_at.desc(), Signature.id.desc()), page, PAGE_SIZE)


def missing_statement(version, now=None):
    """Active patients this consent is for who have no current signature of it (a select of
    Patient, for the caller to count or page)."""
    now = now or utcnow()
    current = exists().where(Signature.patient_id == Patient.id,
                             Signature.document_id == version.document_id, is_current(now))
    statement = select(Patient).where(Patient.status == "active", ~current)
    born_18_years_ago = documents.adult_birthday_cutoff(clock.today(now))
    if version.signers == "adults":
        statement = statement.where(Patient.date_of_birth <= born_18_years_ago)
    elif version.signers == "guardians_of_minors":
        statement = statement.where(Patient.date_of_birth > born_18_years_ago)
    return statement.order_by(Patient.last_name, Patient.first_name, Patient.id)


def missing_patients(version, page, now=None):
    """A Page of the active patients this consent is for who have no current signature."""
    statement = missing_statement(version, now)
    return page_of(statement, page, PAGE_SIZE, scalars=True)


def record_listed(action, rows_patient_ids, page_number, origin, object_id=""):
    """Put a staff list on the audit trail by the chart ids it showed (never names)."""
    shown = ", ".join(str(patient_id) for patient_id in rows_patient_ids) or "none"
    audit.record(action, origin, object_type="document" if object_id else "",
                 object_id=object_id, detail=f"page: {page_number}; shown: {shown}")


class StoredFileDamaged(RuntimeError):
    """A stored PDF whose bytes no longer match the SHA-256 kept at """


def stored_pdf(signature, origin):
    """The signature's stored PDF, checked against its SHA-256 (the caller hands it out as an
    audited download); StoredFileDamaged, recorded as such, when it does not match."""
    pdf = signature_pdf(signature.id)
    if hashlib.sha256(pdf).hexdigest() != signature.pdf_sha256:
        audit.record("signature.integrity_failed", origin, patient_id=signature.patient_id,
                     object_type="signature", object_id=signature.id)
        raise StoredFileDamaged(signature.id)
    return pdf


def stored_scan(signature):
    """(bytes, content type) of a paper signature's scan, else None (the caller hands it out
    as an audited download)."""
    scan = db.session.scalar(select(Signature.scan).where(Signature.id == signature.id))
    if not scan:
        return None
    return scan, signature.scan_type


def file_name(signature, suffix="pdf"):
    """A download name with no personal name in it: consent-CODE.pdf, form-CODE.pdf."""
    return f"{signature.kind}-{signature.verification_code}.{suffix}"


def wet_form_file_name(patient, practice=None):
    """The name of a consent printed to sign by hand: the chart's account number and the
    practice's today, never a name (consent-for-signature-DEMO-1001-2026-03-02.pdf)."""
    account = "".join(c if c.isalnum() or c == "-" else "-" for c in patient.account_number)
    return f"consent-for-signature-{account}-{clock.today(practice=practice).isoformat()}.pdf"
