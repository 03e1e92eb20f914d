"""The practice's seal on the PDFs it issues: a PAdES signature (pyHanko), and its check.

`seal_pdf` appends a PAdES B-B signature (ETSI.CAdES.detached, SHA-256) in an incremental
update: the bytes WeasyPrint wrote stay exactly as they were, the signature field is
invisible, and the document information and XMP metadata are left untouched, so the file is
still the PDF/A-3b WeasyPrint made. `verify_pdf` says whether a file carries an intact seal
that covers the whole file and was made with this practice's seal certificate.

The key and its certificates are kept by seal_keys.py; seal_signer.py prepares the signer.
"""

import asyncio
import concurrent.futures
import io
from dataclasses import dataclass
from datetime import UTC, datetime

from ...config import ConfigurationError
from . import seal_keys
from .seal_signer import DIGEST, prepared_classes

FIELD_NAME = "PracticeSeal"
# Where verify_pdf finds the verification code: this document-information key, else a
# "verification:CODE" word in the keywords (what services/consents/signing.py writes).
VERIFICATION_CODE_KEY = "/PortalVerificationCode"

DAMAGED = "The seal's signature data is damaged."


@dataclass(frozen=True)
class VerifyResult:
    """What verify_pdf found. `ok`: an intact seal of this practice covering the whole file."""

    signed: bool = False
    intact: bool = False
    covers_whole_file: bool = False
    practice_seal: bool = False  # made with a seal certificate this practice has used
    retired_at: datetime | None = None  # that certificate was retired then (sealed before it)
    modification_level: str | None = None  # pyHanko's judgement of changes after sealing
    signer: str | None = None  # the sealing certificate's subject
    signed_at: datetime | None = None  # UTC, as the sealer reported it
    title: str | None = None
    subject: str | None = None
    keywords: str | None = None
    verification_code: str | None = None
    problem: str | None = None  # a sentence for a person when the file is not a sealed PDF

    @property
    def ok(self):
        """True when the seal is intact, ours, and nothing was added to the file after it."""
        return self.signed and self.intact and self.covers_whole_file and self.practice_seal


def seal_pdf(pdf_bytes, *, reason, location=None):
    """`pdf_bytes` with the practice's seal appended (an invisible PAdES signature)."""
    from pyhanko.sign import fields, signers

    seal = seal_keys.for_signing()
    writer = prepared_classes().Writer(io.BytesIO(pdf_bytes))
    name = _free_field_name(writer)
    meta = signers.PdfSignatureMetadata(
        field_name=name, reason=reason, location=location, md_algorithm=DIGEST,
        subfilter=fields.SigSeedSubFilter.PADES)
    pdf_signer = signers.PdfSigner(meta, seal.signer,
                                   new_field_spec=fields.SigFieldSpec(name, box=None))
    return _outside_event_loop(
        lambda: pdf_signer.sign_pdf(writer, bytes_reserved=seal.bytes_reserved).getvalue())


def _outside_event_loop(work):
    """Run `work` here, or in a thread of its own when this thread runs an event loop.

    pyHanko's plain functions call asyncio.run(), which refuses to start inside a running
    loop: a gunicorn worker has none, but a caller inside async code (or a test process
    where Playwright keeps one) would otherwise fail.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def verify_pdf(pdf_bytes):
    """Check the (last) seal on a PDF and read the metadata it sealed.

    Never raises for a bad file: the result says what is wrong. Only an unusable
    PORTAL_SEAL_P12 raises ConfigurationError. The certificate is compared with every seal
    certificate the practice has used, so a PDF sealed before the seal file was replaced
    still reports practice_seal True.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        reader.root  # noqa: B018 - reads the catalog, or fails on a damaged file
    except Exception:  # any damage to the file is an answer, not an error
        return VerifyResult(problem="This is not a readable PDF file.")
    try:
        signatures = reader.embedded_signatures
    except Exception:  # the signature value cannot even be parsed
        return VerifyResult(signed=True, problem=DAMAGED, **_metadata(pdf_bytes))
    if not signatures:
        return VerifyResult(problem="This PDF carries no seal.", **_metadata(pdf_bytes))
    seal = signatures[-1]
    try:
        end = seal.byte_range[2] + seal.byte_range[3]
    except (IndexError, TypeError):
        end = len(pdf_bytes)
    found = dict(signed=True, **_metadata(pdf_bytes[:end]))  # what was sealed, not added later
    try:
        found.update(_check(seal, seal_keys.known_certificates()))
    except ConfigurationError:
        raise
    except Exception:  # a damaged signature is a broken seal
        return VerifyResult(problem=DAMAGED, **found)
    return VerifyResult(**found)


def _check(signature, ours):
    """The validation facts about one embedded signature, pinned to our certificates."""
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=list(ours))
    status = _outside_event_loop(lambda: validate_pdf_signature(signature, context))
    cert = signature.signer_cert
    signed_at = status.signer_reported_dt
    retired = seal_keys.retired_at(cert)
    # A seal dated after its certificate was retired is not the practice's: it never seals
    # with a retired certificate again.
    after_retirement = retired is not None and (signed_at is None or signed_at >= retired)
    return {
        "intact": bool(status.intact and status.valid),
        "covers_whole_file": status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        "practice_seal": any(cert.dump() == known.dump() for known in ours)
        and not after_retirement,
        "retired_at": retired,
        "modification_level": status.modification_level.name.lower()
        if status.modification_level is not None else None,
        "signer": seal_keys.describe(cert.subject),
        "signed_at": signed_at.astimezone(UTC) if signed_at is not None else None,
    }


def _metadata(pdf_bytes):
    """Title, subject, keywords and the verification code from the document information."""
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
            info = {key: str(value) for key, value in pdf.docinfo.items()}
    except Exception:  # unreadable metadata is simply absent
        return {}

    def text(key):
        return info.get(key)

    keywords = text("/Keywords")
    return {"title": text("/Title"), "subject": text("/Subject"), "keywords": keywords,
            "verification_code": text(VERIFICATION_CODE_KEY) or _code_in(keywords)}


def _code_in(keywords):
    """The code of a "verification:CODE" keyword (as the signing service writes it), if any."""
    for word in (keywords or "").replace(",", " ").split():
        label, _, code = word.partition(":")
        if label.lower() == "verification" and code:
            return code
    return None


def _free_field_name(writer):
    """FIELD_NAME, or FIELD_NAME2, 3... when the document already carries a seal."""
    try:
        fields = writer.root["/AcroForm"]["/Fields"]
    except KeyError:
        fields = []
    taken = {str(field.get_object().get("/T")) for field in fields}
    number = 1
    while (name := FIELD_NAME + (str(number) if number > 1 else "")) in taken:
        number += 1
    return name
