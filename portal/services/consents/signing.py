"""Signing a consent or a health form, typed online or recorded from paper, with the PDF
stored at that moment.

A signature stores the evidence (the exact version and its SHA-256, the answers, who signed
and in what role, for which patient, when in UTC and in the practice's time zone, from which
address and browser, the drawn image if any) and the PDF rendered once at that moment and
sealed with the practice's certificate. Nothing of it changes afterwards (the model refuses),
so a later template or document change cannot alter a signed copy.
"""

import base64
import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...database import lock_for_write
from ...extensions import db
from ...models import Document, DocumentVersion, PatientAccount, Signature
from ...models.types import utcnow
from .. import audit, clock, codes, permissions
from ..errors import FieldError
from ..legal_names import holder_name_matches, typed_name_matches
from ..pdf import render_pdf
from . import blocks, fields, forms, seal
from .gate import expiry_for, may_sign_consent

CODE_LENGTH = 10  # 50 bits of codes.ALPHABET, shown as two groups of five
MAX_DRAWN_BYTES = 300 * 1024
MAX_SCAN_BYTES = 10 * 1024 * 1024
# In a stored PDF's keywords: its pages claim nothing the batch print would make untrue (no
# "this PDF carries the seal") and keep each signature with its record, so the batch joins
# them as they are. Older stored PDFs are drawn again there (services/consents/batch.py).
WHOLE_PAGES_MARK = "print:as-is"
SCAN_TYPES = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


class SigningError(FieldError):
    """What stops a signature, in words for the signer; `field` names the input it is about."""


def normalize_name(name):
    """A name compared as people mean it: case and extra spaces ignored."""
    return " ".join((name or "").split()).casefold()


def name_matches(patient, typed):
    """The typed legal name names the chart's patient (the rule: legal_names)."""
    return typed_name_matches(patient.first_name, patient.middle_name, patient.last_name, typed)


def new_submission_key():
    """The one-time key a signing page carries: a second submit of the page signs once."""
    return secrets.token_urlsafe(24)


def new_verification_code():
    """The short code printed on every page of a signed PDF, to find its record again."""
    return codes.new_code(CODE_LENGTH)


def normalize_code(code):
    """A typed verification code as stored: upper case, without spaces or dashes."""
    return codes.normalize(code)[:CODE_LENGTH + 2]


def show_code(code):
    """A verification code as printed: two groups of five."""
    return codes.grouped(code, 5, "-")


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


@dataclass(frozen=True)
class Signer:
    """Who signs: the typed name, the role, and the patient account or staff member acting."""

    name: str
    role: str = "patient"
    account: PatientAccount | None = None


@dataclass(frozen=True)
class SigningInput:
    """What a patient filled in on a signing page (portal/forms.SigningFields builds it):
    the version shown, the typed name, the statements ticked, the drawing, the page's key."""

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
    if signer.role in ("guardian", "representative") and signer.account is not None:
        if not holder_name_matches(signer.account, signer.name):
            raise SigningError(_l("The name you typed does not match the name the practice "
                                  "has for you. Type your own first and family names; you "
                                  "sign for %(name)s.", name=patient.full_name),
                               field="legal_name")
    elif signer.role == "patient" and not name_matches(patient, signer.name):
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
        forms.close_form_work(patient.id, version.document_id, signature)
    return signature, True


def _refuse_a_second_copy(patient, version, practice):
    """SigningError when the patient already holds what signing would make: a consent that
    is current and not yet in its renewal window, or a health form submitted that the
    practice has not asked for again."""
    document = db.session.get(Document, version.document_id)
    if document.kind == "consent":
        may_sign, current = may_sign_consent(patient.id, document.id)
        if not may_sign:
            raise SigningError(already_signed(version, current, practice))
    elif not forms.may_submit(patient.id, document)[0]:
        raise SigningError(forms.already_submitted(version))


def already_signed(version, current, practice):
    """Why a current consent is not signed again, with the day it ends (plain text: the
    title is the practice's)."""
    if current.expires_at is None:
        return _("You already signed “%(title)s”. It stays current, so there is nothing to "
                 "sign now.", title=version.title)
    return _("You already signed “%(title)s”. It is current until %(date)s, so there is "
             "nothing to sign now.", title=version.title,
             date=clock.local(current.expires_at, practice).strftime("%B %-d, %Y"))


def sign_as_patient(patient, filled, *, account, answers, practice, origin, only_when_due=False,
                    role=None):
    """Sign what was filled in on a signing page (a SigningInput) with `account`: the
    consents page, a health form and enrollment all sign this way. `role` is the signer's
    ("guardian" or "representative" for someone acting for the patient; by default the
    patient's own account signs as "patient"). Returns (signature, created) as sign does.

    With `only_when_due` (the consents pages) a second copy is refused with a SigningError:
    a consent still current and not in its renewal window, a health form already submitted
    that the practice has not asked for again. A second submit of the same page still
    returns the signature it made.
    """
    if only_when_due and signature_for_key(filled.submission_key) is None:
        lock_for_write(db.session, f"signing:{patient.id}:{filled.version.document_id}")
        _refuse_a_second_copy(patient, filled.version, practice)
    role = role or ("patient" if account.patient_id == patient.id else "guardian")
    return sign(patient, filled.version, signer=Signer(filled.name, role, account),
                answers=answers, attestations=filled.attestations, drawing=filled.drawing,
                submission_key=filled.submission_key, practice=practice, origin=origin)


def record_paper(patient, version, *, signer, signed_on, scan, scan_type, practice, origin):
    """Record a consent signed on paper on `signed_on` (a date), with its scan if any.

    It counts as the patient's current consent from that day. The caller commits. Raises
    permissions.Refused for a staff role that may not record wet signatures.
    """
    permissions.require_origin(origin, "review_forms", practice)
    if not normalize_name(signer.name):
        raise SigningError(_l("Enter the name of the person who signed."), field="signer_name")
    now = utcnow()
    if signed_on > clock.today(now, practice):
        raise SigningError(_l("The date signed cannot be in the future."), field="signed_on")
    # Noon that day in the practice's zone, or now when that is still to come today.
    signed_at = min(datetime.combine(signed_on, time(12), clock.zone(practice))
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
    document = db.session.get(Document, version.document_id)
    signature = Signature(
        patient_id=patient.id, document_id=version.document_id, version_id=version.id,
        version_sha256=version.sha256, kind=document.kind, method=method, values=values,
        signer_name=" ".join(signer.name.split()), signer_role=signer.role,
        signer_account_id=signer.account.id if signer.account is not None else None,
        recorded_by_id=origin.account.id if method == "paper" and origin.account else None,
        signed_at=signed_at, signed_at_local=clock.local(signed_at, practice).isoformat(timespec="seconds"),
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
        "blocks": blocks.body_blocks(version.body),
        "answers": fields.answer_lines(version, signature.values.get("answers", {})),
        "drawing": base64.b64encode(drawing).decode() if drawing else None,
        "code": code, "recorded_at": recorded_at, "sealed": True,
    }
    pdf = render_pdf("signed_document", title=version.title, practice=practice,
                     footer=f"{patient.full_name} · {_l('Verification code')} {code}",
                     keywords=f"verification:{signature.verification_code} {WHOLE_PAGES_MARK}",
                     subject=f"{version.title}, version {version.number}", **context)
    return seal.seal_pdf(pdf, reason=f"Signed {version.title} (verification {signature.verification_code})")


def signature_for_key(submission_key):
    """The signature a signing page's one-time key made, if any."""
    return db.session.scalar(select(Signature).where(Signature.submission_key == submission_key))
