"""The batch print: every consent signed on some days, in one PDF for the paper charts.

A first page says what the file holds, in signing order, that it carries no seal, and where
each sealed original can be checked (the staff verification page, by the code printed on
every page). The consents follow, each from its own first page, so a page break comes only
between documents. A stored PDF whose keywords carry signing.WHOLE_PAGES_MARK is copied as it
is (qpdf, through pikepdf: 200 consents join in about a second): its words stay true in a
print and it keeps each signature with its record. An older stored PDF says "This PDF carries
the practice's digital seal" and may part a signature from its record, so it is drawn again
from the stored evidence (signed_document.html, unsealed, naming the verification page);
with the chart's name and account number as they are now, as the paper chart is filed.
"""

import base64
import io
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
from .signing import WHOLE_PAGES_MARK, show_code

MAX_BATCH = 500  # consents in one batch print: a larger file is hard to print and to hold
VERIFY_PATH = "/staff/consents/verify"  # where staff check a code or a PDF against the original


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
    order, with the stored PDFs and drawings loaded (one query)."""
    return db.session.execute(
        select(Signature, Patient, DocumentVersion)
        .options(undefer(Signature.pdf), undefer(Signature.drawn_signature))
        .join(Patient, Patient.id == Signature.patient_id)
        .join(DocumentVersion, DocumentVersion.id == Signature.version_id)
        .where(Signature.kind == "consent", Signature.signed_at >= start, Signature.signed_at < end)
        .order_by(Signature.signed_at, Signature.id)).all()


def batch_title(first, last):
    """The file's title and heading: the days it covers."""
    if first == last:
        return _("Signed consents, %(day)s", day=first.strftime("%B %-d, %Y"))
    return _("Signed consents, %(first)s to %(last)s", first=first.strftime("%B %-d, %Y"),
             last=last.strftime("%B %-d, %Y"))


def drawn_again(signature, patient, version, practice, verify_url):
    """An older signature's consent drawn again from its evidence, without a seal."""
    code = show_code(signature.verification_code)
    drawing = signature.drawn_signature
    return render_pdf(
        "signed_document", title=version.title, practice=practice,
        footer=f"{patient.full_name} · {_('Verification code')} {code}",
        signature=signature, patient=patient, version=version,
        blocks=blocks.body_blocks(version.body),
        answers=fields.answer_lines(version, signature.values.get("answers", {})),
        drawing=base64.b64encode(drawing).decode() if drawing else None, code=code,
        recorded_at=None, sealed=False, verify_url=verify_url)


def joined(first_page, rows, practice, verify_url, title):
    """One PDF: the first page, then each consent whole, the seals' invisible signature
    fields left out (they would point at nothing here), titled `title`."""
    import pikepdf

    out, sources = pikepdf.new(), [pikepdf.open(io.BytesIO(first_page))]
    for signature, patient, version in rows:  # kept open until the joined file is written
        sources.append(_as_is(signature.pdf) or pikepdf.open(io.BytesIO(
            drawn_again(signature, patient, version, practice, verify_url))))
    for source in sources:
        for page in source.pages:
            if "/Annots" in page.obj:
                page.obj.Annots = pikepdf.Array([
                    annot for annot in page.obj.Annots
                    if annot.get("/FT") != "/Sig" and annot.get("/Subtype") != "/Widget"])
        out.pages.extend(source.pages)
    out.docinfo["/Title"] = title
    buffer = io.BytesIO()
    out.save(buffer)
    for source in sources:
        source.close()
    return buffer.getvalue()


def _as_is(pdf):
    """The stored PDF opened, when its pages can be printed as they are; else None."""
    import pikepdf

    try:
        source = pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PdfError:
        return None
    if WHOLE_PAGES_MARK in str(source.docinfo.get("/Keywords", "")).split():
        return source
    source.close()
    return None


def batch_pdf(first, last, practice, origin):
    """(pdf bytes, count) of every consent signed on the local days `first`..`last`, in
    signing order after a page that lists them; (None, count) when none or more than
    MAX_BATCH.

    Each consent handed out goes on the audit trail under its patient (the caller commits).
    """
    start, end = local_days(first, last, clock.zone(practice))
    count = count_signed_between(start, end)
    if count == 0 or count > MAX_BATCH:
        return None, count
    rows = signed_between(start, end)
    title, verify_url = batch_title(first, last), external_url(VERIFY_PATH)
    first_page = render_pdf(
        "consent_batch", title=title, practice=practice, subject=title, count=count,
        verify_url=verify_url, consents=[(signature, patient, version, show_code(
            signature.verification_code)) for signature, patient, version in rows])
    pdf = joined(first_page, rows, practice, verify_url, title)
    for signature, _patient, _version in rows:
        audit.record_export(origin, "signature", signature.id, patient_id=signature.patient_id,
                            file_format="pdf")
    audit.record("consent.batch_printed", origin, object_type="consent_batch",
                 detail=f"from {first.isoformat()} to {last.isoformat()}; consents: {count}; "
                        f"bytes: {len(pdf)}")
    return pdf, count
