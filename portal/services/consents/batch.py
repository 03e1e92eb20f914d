"""The batch print: every consent signed on some days, in one PDF for the paper charts.

The file is drawn again from each signature's stored evidence (the exact version signed, the
signer, the drawing, the times), one consent after another with a page break only between
them and each signature kept with its record. It is a print, not the evidence: the joined
file carries no seal and says so, and each consent names the page where its sealed original
(the PDF stored at signing) can be checked by the verification code printed on it. The
patient's name, birth date and account number are the chart's as they are now, as the paper
chart is filed under them.
"""

import base64
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from ...extensions import db
from ...models import DocumentVersion, Patient, Signature
from .. import audit, clock
from ..pdf import render_pdf
from ..tokens import external_url
from . import blocks, fields
from .signing import show_code

MAX_BATCH = 100  # consents in one batch print: drawn again in one request, so it must stay short
VERIFY_PATH = "/staff/consents/verify"  # where staff check a code or a PDF against the original


@dataclass(frozen=True)
class PrintedConsent:
    """One consent of the batch as pdf/consent_batch.html draws it."""

    signature: Signature
    patient: Patient
    version: DocumentVersion
    blocks: list
    answers: list
    drawing: str | None  # base64 PNG
    code: str  # as printed
    footer: str


def local_days(first, last, zone):
    """[start, end) in UTC covering the practice-local days `first` to `last` inclusive."""
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    return start, end


def count_signed_between(start, end):
    """How many consents were signed in [start, end)."""
    return db.session.scalar(select(func.count(Signature.id)).where(
        Signature.kind == "consent", Signature.signed_at >= start, Signature.signed_at < end))


def signed_between(start, end):
    """(signature, patient, version) of the consents signed in [start, end), in signing
    order, with the drawings loaded (one query)."""
    return db.session.execute(
        select(Signature, Patient, DocumentVersion).options(undefer(Signature.drawn_signature))
        .join(Patient, Patient.id == Signature.patient_id)
        .join(DocumentVersion, DocumentVersion.id == Signature.version_id)
        .where(Signature.kind == "consent", Signature.signed_at >= start, Signature.signed_at < end)
        .order_by(Signature.signed_at, Signature.id)).all()


def printed(signature, patient, version):
    """What the batch shows of one signature (see PrintedConsent)."""
    code = show_code(signature.verification_code)
    drawing = signature.drawn_signature
    return PrintedConsent(
        signature, patient, version, blocks.body_blocks(version.body),
        fields.answer_lines(version, signature.values.get("answers", {})),
        base64.b64encode(drawing).decode() if drawing else None, code,
        f"{patient.full_name} · {_('Verification code')} {code}")


def batch_title(first, last):
    """The file's title and heading: the days it covers."""
    if first == last:
        return _("Signed consents, %(day)s", day=first.strftime("%B %-d, %Y"))
    return _("Signed consents, %(first)s to %(last)s", first=first.strftime("%B %-d, %Y"),
             last=last.strftime("%B %-d, %Y"))


def batch_pdf(first, last, practice, origin):
    """(pdf bytes, count) of every consent signed on the local days `first`..`last`, in
    signing order; (None, count) when none or more than MAX_BATCH.

    Each consent handed out goes on the audit trail under its patient (the caller commits).
    """
    start, end = local_days(first, last, clock.zone(practice))
    count = count_signed_between(start, end)
    if count == 0 or count > MAX_BATCH:
        return None, count
    consents = [printed(*row) for row in signed_between(start, end)]
    title = batch_title(first, last)
    pdf = render_pdf("consent_batch", title=title, practice=practice, subject=title,
                     footer=consents[0].footer, consents=consents, count=count,
                     verify_url=external_url(VERIFY_PATH))
    for row in consents:
        audit.record_export(origin, "signature", row.signature.id,
                            patient_id=row.signature.patient_id, file_format="pdf")
    audit.record("consent.batch_printed", origin, object_type="consent_batch",
                 detail=f"from {first.isoformat()} to {last.isoformat()}; consents: {count}; "
                        f"bytes: {len(pdf)}")
    return pdf, count
