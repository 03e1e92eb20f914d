"""What a signed document proves afterwards: finding its signature by the verification code
printed on every page, checking an uploaded PDF's seal and bytes, and the public page's answer.
"""

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select

from ...extensions import db
from ...models import DocumentVersion, Patient, Signature
from .. import audit
from . import seal
from .signing import normalize_code


@dataclass
class Found:
    """A signature found by its code, with what staff are shown of it."""

    signature: Signature
    version: DocumentVersion
    patient: Patient
    title: str = ""


def find_by_code(code):
    """The signature with this verification code (typed any way), else None (one query)."""
    code = normalize_code(code)
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
    digest = hashlib.sha256(data or b"").hexdigest()
    if b"%PDF-" not in (data or b"")[:1024]:
        return UploadCheck("not_pdf", sha256=digest)
    result = seal.verify_pdf(data)
    if not result.signed and result.problem and "not a readable" in result.problem:
        return UploadCheck("not_pdf", seal=result, sha256=digest)
    code = normalize_code(result.verification_code or "")
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
    code = normalize_code(code)
    if not code:
        return None
    row = db.session.execute(select(Signature.id, Signature.patient_id, Signature.signed_at)
                             .where(Signature.verification_code == code)).first()
    if row is None:
        return None
    audit.record("signature.publicly_verified", origin, patient_id=row.patient_id,
                 object_type="signature", object_id=row.id)
    return row.signed_at.astimezone(zone).date()
