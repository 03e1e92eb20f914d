"""Signing a consent or a health form, and what a signature proves afterwards.

A signature stores the evidence (the exact version and its SHA-256, the answers, who signed
and in what role, for which patient, when in UTC and in the practice's time zone, from which
address and browser, the drawn image if any) and the PDF rendered once at that moment and
sealed with the practice's certificate. Nothing of it changes afterwards (the model refuses),
so a later template or document change cannot alter a signed copy.

Which consents a patient still owes, the renewal reminder and the gate are here too: a
signature counts until it expires (validity in months; 0 never expires), whichever version
it was.
"""

import base64
import calendar
import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import aliased, undefer

from ..database import lock_for_write
from ..extensions import db
from ..models import (
    Document,
    DocumentVersion,
    FormAssignment,
    FormDraft,
    Patient,
    PatientAccount,
    Signature,
)
from ..models.types import utcnow
from . import audit, documents, permissions, seal
from .errors import FieldError
from .pdf import render_pdf

RENEWAL_NOTICE_DAYS = 30
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I look-alikes
CODE_LENGTH = 10  # 50 bits, shown as two groups of five
MAX_DRAWN_BYTES = 300 * 1024
MAX_SCAN_BYTES = 10 * 1024 * 1024
SCAN_TYPES = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


class SigningError(FieldError):
    """What stops a signature, in words for the signer; `field` names the input it is about."""


# --- Small rules ----------------------------------------------------------------------------

def normalize_name(name):
    """A name compared as people mean it: case and extra spaces ignored."""
    return " ".join((name or "").split()).casefold()


def name_matches(patient, typed):
    """The typed legal name is the chart's, with or without the middle name."""
    typed = normalize_name(typed)
    with_middle = normalize_name(patient.full_name)
    without_middle = normalize_name(f"{patient.first_name} {patient.last_name}")
    return bool(typed) and typed in (with_middle, without_middle)


def new_submission_key():
    """The one-time key a signing page carries: a second submit of the page signs once."""
    return secrets.token_urlsafe(24)


def new_verification_code():
    """The short code printed on every page of a signed PDF, to find its record again."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(code):
    """A typed verification code as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:CODE_LENGTH + 2]


def show_code(code):
    """A verification code as printed: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


def local_today(now=None):
    """Today's date in the practice's time zone (ages and paper dates are counted there)."""
    from .practice import get_practice

    return (now or utcnow()).astimezone(ZoneInfo(get_practice().time_zone)).date()


def add_months(moment, months):
    """The same day `months` later (the month's last day when it is shorter)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expiry_for(version, signed_at):
    """When a signature of this version stops counting, or None when it never does."""
    return add_months(signed_at, version.validity_months) if version.validity_months else None


def clean_drawing(data_url):
    """A drawn signature (a PNG data URL from the pad) as a flattened grey PNG, or None.

    Re-encoded through Pillow onto white: nothing but pixels survives, and it prints in
    black and white. Raises SigningError for anything that is not a small PNG.
    """
    if not data_url:
        return None
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix) or len(data_url) > MAX_DRAWN_BYTES * 4 // 3 + len(prefix):
        raise SigningError(_l("The drawn signature could not be read. Clear it and draw it again, "
                              "or sign with your typed name alone."))
    from PIL import Image, UnidentifiedImageError

    try:
        raw = base64.b64decode(data_url[len(prefix):], validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            if image.format != "PNG" or image.width > 2000 or image.height > 1000:
                raise SigningError(_l("The drawn signature is too large. Clear it and draw it again."))
            image = image.convert("RGBA")
            flat = Image.new("RGBA", image.size, "white")
            flat.alpha_composite(image)
            if flat.convert("L").getextrema()[0] > 200:
                return None  # an empty pad: nothing drawn
            out = io.BytesIO()
            flat.convert("L").save(out, "PNG", optimize=True)
            return out.getvalue()
    except (ValueError, UnidentifiedImageError, OSError) as error:
        raise SigningError(_l("The drawn signature could not be read. Clear it and draw it again, "
                              "or sign with your typed name alone.")) from error


def check_scan(data, declared_name=""):
    """(bytes, content type) of a paper signature's scan, checked by its content."""
    if not data:
        return None, ""
    if len(data) > MAX_SCAN_BYTES:
        raise SigningError(_l("The scan is larger than 10 MB. Scan at a lower resolution or as a PDF."),
                           field="scan")
    for content_type, magic in SCAN_TYPES.items():
        if data.startswith(magic):
            return data, content_type
    raise SigningError(_l("The scan must be a PDF, JPEG or PNG file."), field="scan")


# --- Signing --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Signer:
    """Who signs: the typed name, the role, and the patient account or staff member acting."""

    name: str
    role: str = "patient"
    account: PatientAccount | None = None


@dataclass(frozen=True)
class ConsentInput:
    """What a signer filled in to sign a consent, for a service that signs on their behalf
    (enrollment)."""

    version: DocumentVersion
    name: str
    attestations: list
    drawing: bytes | None
    submission_key: str


def sign(patient, version, *, signer, answers, attestations, drawing, submission_key, practice,
         origin):
    """Sign `version` for `patient`: (signature, created). The caller commits.

    A submission key already used returns that signature (created False): a second submit
    of the same page signs once. Raises SigningError when the name does not match the chart
    or an attestation is missing.
    """
    existing = signature_for_key(submission_key)
    if existing is not None:
        return existing, False
    if signer.role == "patient" and not name_matches(patient, signer.name):
        raise SigningError(_l("The name you typed does not match our records. Type your full "
                              "legal name as the practice has it, for example %(example)s.",
                              example="Jane Q. Public"), field="legal_name")
    missing = [text for text in version.attestations or [] if text not in attestations]
    if missing:
        raise SigningError(_("Tick every statement to sign: %(text)s", text=missing[0]),
                           field="attest")
    lock_for_write(db.session, f"signature:{submission_key}")
    existing = signature_for_key(submission_key)
    if existing is not None:
        return existing, False
    signature = _store(patient, version, signer=signer, method="online",
                       values={"answers": answers, "attestations": list(attestations)},
                       drawing=drawing, submission_key=submission_key, practice=practice,
                       origin=origin)
    if version.fields:
        _close_form_work(patient.id, version.document_id, signature)
    return signature, True


def record_paper(patient, version, *, signer, signed_on, scan, scan_type, practice, origin):
    """Record a consent signed on paper on `signed_on` (a date), with its scan if any.

    It counts as the patient's current consent from that day. The caller commits. Raises
    permissions.Refused for a staff role that may not record wet signatures.
    """
    permissions.require_origin(origin, "review_forms", practice)
    if not normalize_name(signer.name):
        raise SigningError(_l("Enter the name of the person who signed."), field="signer_name")
    now = utcnow()
    if signed_on > local_today(now):
        raise SigningError(_l("The date signed cannot be in the future."), field="signed_on")
    # Noon that day in the practice's zone, or now when that is still to come today.
    signed_at = min(datetime.combine(signed_on, time(12), ZoneInfo(practice.time_zone))
                    .astimezone(UTC), now)
    ends = expiry_for(version, signed_at)
    if ends is not None and ends <= now:
        raise SigningError(_l("A consent signed on that day has already ended: it lasts "
                              "%(months)d months. Ask the patient to sign it again.",
                              months=version.validity_months), field="signed_on")
    return _store(patient, version, signer=signer, method="paper", values={"answers": {}, "attestations": []},
                  drawing=None, submission_key=new_submission_key(), practice=practice,
                  origin=origin, paper_signed_on=signed_on, scan=scan, scan_type=scan_type,
                  signed_at=signed_at)


def _store(patient, version, *, signer, method, values, drawing, submission_key, practice,
           origin, paper_signed_on=None, scan=None, scan_type="", signed_at=None):
    now = utcnow()
    signed_at = signed_at or now
    zone = ZoneInfo(practice.time_zone)
    document = db.session.get(Document, version.document_id)
    signature = Signature(
        patient_id=patient.id, document_id=version.document_id, version_id=version.id,
        version_sha256=version.sha256, kind=document.kind, method=method, values=values,
        signer_name=" ".join(signer.name.split()), signer_role=signer.role,
        signer_account_id=signer.account.id if signer.account is not None else None,
        recorded_by_id=origin.account.id if method == "paper" and origin.account else None,
        signed_at=signed_at, signed_at_local=signed_at.astimezone(zone).isoformat(timespec="seconds"),
        time_zone=practice.time_zone, paper_signed_on=paper_signed_on,
        ip_address=origin.ip or "", user_agent=(origin.user_agent or "")[:200],
        expires_at=expiry_for(version, signed_at) if document.kind == "consent" else None,
        verification_code=new_verification_code(), submission_key=submission_key,
        drawn_signature=drawing, scan=scan, scan_type=scan_type)
    signature.pdf = signed_pdf(signature, patient, version, practice, recorded_at=now)
    signature.pdf_sha256 = hashlib.sha256(signature.pdf).hexdigest()
    db.session.add(signature)
    db.session.flush()
    audit.record("document.signed" if method == "online" else "document.paper_recorded", origin,
                 patient_id=patient.id, object_type="signature", object_id=signature.id,
                 detail=f"document {document.id} version {version.number} as {signer.role}")
    return signature


def signed_pdf(signature, patient, version, practice, *, recorded_at):
    """The sealed PDF of a signature: rendered once, here, and stored."""
    code = show_code(signature.verification_code)
    drawing = signature.drawn_signature
    context = {
        "signature": signature, "patient": patient, "version": version,
        "blocks": documents.body_blocks(version.body),
        "answers": documents.answer_lines(version, signature.values.get("answers", {})),
        "drawing": base64.b64encode(drawing).decode() if drawing else None,
        "code": code, "recorded_at": recorded_at,
    }
    pdf = render_pdf("signed_document", title=version.title, practice=practice,
                     footer=f"{patient.full_name} · {_l('Verification code')} {code}",
                     keywords=f"verification:{signature.verification_code}",
                     subject=f"{version.title}, version {version.number}", **context)
    return seal.seal_pdf(pdf, reason=f"Signed {version.title} (verification {signature.verification_code})")


def signature_for_key(submission_key):
    """The signature a signing page's one-time key made, if any."""
    return db.session.scalar(select(Signature).where(Signature.submission_key == submission_key))


def signature_by_code(code):
    """The signature with this verification code (typed any way), else None."""
    return db.session.scalar(select(Signature).where(Signature.verification_code == normalize_code(code)))


def signature_pdf(signature_id):
    """The stored PDF bytes of one signature (loaded only when asked for)."""
    return db.session.scalar(select(Signature.pdf).where(Signature.id == signature_id))


def _close_form_work(patient_id, document_id, signature):
    """A submitted health form ends its draft and any open assignment."""
    db.session.execute(FormDraft.__table__.delete().where(
        FormDraft.patient_id == patient_id, FormDraft.document_id == document_id))
    for assignment in db.session.scalars(select(FormAssignment).where(
            FormAssignment.patient_id == patient_id, FormAssignment.document_id == document_id,
            FormAssignment.completed_at.is_(None))):
        assignment.completed_at, assignment.signature_id = utcnow(), signature.id


# --- What a patient owes --------------------------------------------------------------------

def is_current(now):
    """The condition on Signature: it still counts at `now` (no end, or an end still ahead)."""
    return or_(Signature.expires_at.is_(None), Signature.expires_at > now)


def signed_again():
    """The condition on Signature: the same patient signed the same document later."""
    later = aliased(Signature)
    return exists().where(later.patient_id == Signature.patient_id,
                          later.document_id == Signature.document_id,
                          later.signed_at > Signature.signed_at)


def current_signatures(patient_id, now=None):
    """{document id: the latest current signature} of the patient's consents."""
    now = now or utcnow()
    rows = db.session.scalars(
        select(Signature).where(Signature.patient_id == patient_id, Signature.kind == "consent",
                                is_current(now))
        .order_by(Signature.signed_at)).all()
    return {row.document_id: row for row in rows}


def consent_due(patient, now=None):
    """The first required consent the patient must sign themselves now, as (document,
    version), else None: what the gate sends them to. One query."""
    now = now or utcnow()
    current = exists().where(Signature.patient_id == patient.id,
                             Signature.document_id == Document.id, is_current(now))
    rows = db.session.execute(
        select(Document, DocumentVersion)
        .join(DocumentVersion, DocumentVersion.id == Document.current_version_id)
        .where(Document.kind == "consent", Document.retired_at.is_(None),
               DocumentVersion.required.is_(True), ~current)
        .order_by(Document.is_portal_consent.desc(), Document.id)).all()
    today = local_today(now)
    for document, version in rows:
        if documents.patient_may_sign(version, patient, today):
            return document, version
    return None


def _renewal_due_where(now):
    """Consent signatures ending within 30 days that no newer signature replaced."""
    return (Signature.kind == "consent", Signature.expires_at > now,
            Signature.expires_at <= now + timedelta(days=RENEWAL_NOTICE_DAYS), ~signed_again())


def renewal_due(patient_id, now=None):
    """(signature, document title) of a consent to renew within 30 days, else None."""
    now = now or utcnow()
    return db.session.execute(
        select(Signature, DocumentVersion.title)
        .join(DocumentVersion, DocumentVersion.id == Signature.version_id)
        .where(Signature.patient_id == patient_id, *_renewal_due_where(now))
        .order_by(Signature.expires_at).limit(1)).first()


def send_renewal_reminders(now=None, limit=100):
    """Email one reminder per consent ending within 30 days (no health information).

    One transaction per reminder, as the mail worker's other jobs: a reminder is marked sent
    with its email queued in the same commit. Returns how many were queued.
    """
    from .mail import send_email
    from .tokens import external_url

    now = now or utcnow()
    due_ids = db.session.scalars(
        select(Signature.id).where(Signature.reminder_sent_at.is_(None), *_renewal_due_where(now))
        .order_by(Signature.expires_at).limit(limit)).all()
    db.session.commit()
    sent = 0
    for signature_id in due_ids:
        signature = db.session.get(Signature, signature_id, with_for_update=True)
        if signature is None or signature.reminder_sent_at is not None:
            db.session.rollback()
            continue
        signature.reminder_sent_at = now
        account = db.session.scalar(select(PatientAccount).where(
            PatientAccount.patient_id == signature.patient_id, PatientAccount.status == "active"))
        if account is not None and account.email:
            patient = db.session.get(Patient, signature.patient_id)
            zone = ZoneInfo(signature.time_zone)
            send_email(account.email, _l("Please renew your patient portal consent"),
                       "consent_renewal", name=patient.preferred_name or patient.first_name,
                       ends_on=signature.expires_at.astimezone(zone).strftime("%B %-d, %Y"),
                       link=external_url("/sign-in"))
            sent += 1
        db.session.commit()
    return sent


# --- Health forms a patient fills in -------------------------------------------------------

@dataclass(frozen=True)
class OfferedForm:
    """A health form offered to a patient, with their saved draft and whether staff asked."""

    document: Document
    version: DocumentVersion
    draft: FormDraft | None
    assigned: bool


def forms_offered(patient_id):
    """Health forms this patient may fill in: those for everyone and those staff assigned
    them, with any saved draft (three queries, whatever the number of forms)."""
    assigned = set(db.session.scalars(select(FormAssignment.document_id).where(
        FormAssignment.patient_id == patient_id, FormAssignment.completed_at.is_(None))))
    drafts = {draft.document_id: draft for draft in db.session.scalars(
        select(FormDraft).where(FormDraft.patient_id == patient_id))}
    return [OfferedForm(document, version, drafts.get(document.id), document.id in assigned)
            for document, version in documents.published("form")
            if document.available_to_all or document.id in assigned]


def offered_form(patient_id, document_id):
    """The offered health form with this id, else None (not offered is not found)."""
    for offered in forms_offered(patient_id):
        if offered.document.id == document_id:
            return offered
    return None


def save_draft(patient_id, version, answers):
    """Keep a health form's answers to finish later (the caller commits)."""
    draft = db.session.scalar(select(FormDraft).where(
        FormDraft.patient_id == patient_id, FormDraft.document_id == version.document_id))
    if draft is None:
        draft = FormDraft(patient_id=patient_id, document_id=version.document_id)
        db.session.add(draft)
    draft.version_id, draft.values = version.id, dict(answers)
    db.session.flush()
    return draft


# --- Lists for pages ------------------------------------------------------------------------

def signatures_of(patient_id):
    """Every signature of one patient, newest first, with its document version (one query)."""
    return db.session.execute(
        select(Signature, DocumentVersion)
        .join(DocumentVersion, DocumentVersion.id == Signature.version_id)
        .where(Signature.patient_id == patient_id)
        .order_by(Signature.signed_at.desc(), Signature.id.desc())).all()


def signature_of_patient(patient_id, signature_id):
    """One signature of this patient, else None (another patient's id is simply not found)."""
    return db.session.scalar(select(Signature).where(Signature.id == signature_id,
                                                     Signature.patient_id == patient_id))


def signed_between(start, end):
    """Signed consents in [start, end) (aware datetimes), in signing order, with PDFs loaded."""
    return db.session.scalars(
        select(Signature).options(undefer(Signature.pdf))
        .where(Signature.kind == "consent", Signature.signed_at >= start, Signature.signed_at < end)
        .order_by(Signature.signed_at, Signature.id)).all()


def joined_pdf(signatures):
    """One PDF of the stored PDFs, each whole and in order, for the paper chart.

    The pages are copied with qpdf (pikepdf), not rendered again: 200 three-page consents
    join in about half a second. The joined file is for printing and carries no seal: each
    stored PDF keeps its own, and the verification code on every page leads back to it. The
    seals' invisible signature fields are left out, as they would point at nothing there.
    """
    import pikepdf

    joined = pikepdf.new()
    sources = []
    for signature in signatures:
        source = pikepdf.open(io.BytesIO(signature.pdf))
        sources.append(source)  # kept open until the joined file is written
        for page in source.pages:
            if "/Annots" in page.obj:
                kept = [annot for annot in page.obj.Annots if annot.get("/FT") != "/Sig"
                        and annot.get("/Subtype") != "/Widget"]
                page.obj.Annots = pikepdf.Array(kept)
        joined.pages.extend(source.pages)
    out = io.BytesIO()
    joined.save(out)
    for source in sources:
        source.close()
    return out.getvalue()


def missing_statement(version, now=None):
    """Active patients this consent is for who have no current signature of it (a select of
    Patient, for the caller to count or page)."""
    now = now or utcnow()
    current = exists().where(Signature.patient_id == Patient.id,
                             Signature.document_id == version.document_id, is_current(now))
    statement = select(Patient).where(Patient.status == "active", ~current)
    born_18_years_ago = documents.adult_birthday_cutoff(local_today(now))
    if version.signers == "adults":
        statement = statement.where(Patient.date_of_birth <= born_18_years_ago)
    elif version.signers == "guardians_of_minors":
        statement = statement.where(Patient.date_of_birth > born_18_years_ago)
    return statement.order_by(Patient.last_name, Patient.first_name, Patient.id)


