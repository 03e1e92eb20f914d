"""The practice's seal on the PDFs it issues: a PAdES signature (pyHanko), and its check.

`seal_pdf` appends a PAdES B-B signature (ETSI.CAdES.detached, SHA-256) in an incremental
update: the bytes WeasyPrint wrote stay exactly as they were, the signature field is
invisible, and the document information and XMP metadata are left untouched, so the file is
still the PDF/A-3b WeasyPrint made. `verify_pdf` says whether a file carries an intact seal
that covers the whole file and was made with this practice's seal certificate.

The seal certificate is PORTAL_SEAL_P12 (a PKCS#12 file, its password PORTAL_SEAL_PASSWORD)
when set. Otherwise a self-signed one is made into instance/seal.p12 on first use:

- RSA 3072, not EC P-256: pyHanko marks a file signed with ECDSA as PDF 2.0 (ISO/TS 32002),
  which a PDF/A-3 file (PDF 1.7 based) must not claim. The same holds for a configured EC key.
- CN "Patient portal document seal", O the practice's name when the practice has been set up
  (the key may be made before that; the name stays as it was when the key was made).
- Valid for 30 years, so old consents still check.
- Encrypted (PKCS#12 with PBES2, AES-256 and PBKDF2-SHA256) under a passphrase from the
  instance secrets: PORTAL_SEAL_PASSWORD when set, else instance/seal_passphrase, made once
  (mode 0600) like instance/secret_key (issue 19). A copy of the file alone, in a backup or
  off a disk, does not give the key away. A seal.p12 an older install left in clear is
  encrypted in place the first time it is used. The file is mode 0600 inside the 0700
  instance folder, written whole under another name and linked into place
  (config._create_once), so two workers starting together never read half a file.

A certificate can be retired (`portal seal retire FINGERPRINT`, retire()): a marker file beside
its copy in instance/seal_certificates/ holds the date. PDFs it sealed before that date still
check, reported as sealed with a retired certificate; new seals never use it: the generated
key is removed (a new one is made at the next seal), and a configured PORTAL_SEAL_P12 holding
a retired certificate makes sealing refuse with a message that says so.

Prepared once per process, and again only when the seal file's path, modification time or
size changes: the key and certificates, loaded; the private key as a `cryptography` object
(pyHanko's SimpleSigner re-reads it from DER for every signature, and for RSA re-checks it:
~80 ms each time); the signing-certificate-v2 attribute, encoded once (pyHanko builds it
afresh, and asn1crypto re-encodes that new certificate reference every time an enclosing
structure is written: most of the time issue 8 measured); and the room reserved for the
signature (pyHanko otherwise makes a whole dry-run signature per document to size it).
Warm, a seal takes ~12 ms here; pyHanko's defaults took ~370 ms with the same RSA 3072 key.
"""

import asyncio
import concurrent.futures
import functools
import hashlib
import io
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from flask import current_app

from ..config import ConfigurationError, _create_once, _write_private

SEAL_FILE = "seal.p12"
PASSPHRASE_FILE = "seal_passphrase"  # noqa: S105 - a file name: the generated seal's passphrase
RETIRED = ".retired"  # seal_certificates/<fingerprint>.retired holds the retirement's date
PAST_SEALS = "seal_certificates"  # every seal certificate used, to check older PDFs
SEAL_NAME = "Patient portal document seal"
SEAL_YEARS = 30
FIELD_NAME = "PracticeSeal"
DIGEST = "sha256"
# Where verify_pdf finds the verification code: this document-information key, else a
# "verification:CODE" word in the keywords (what services/signing.py writes).
VERIFICATION_CODE_KEY = "/PortalVerificationCode"

DAMAGED = "The seal's signature data is damaged."

_lock = threading.Lock()
_cached = None  # (cache key, _Seal)


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

    seal = _seal_for_signing()
    writer = _prepared_classes().Writer(io.BytesIO(pdf_bytes))
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


def seal_certificate():
    """The practice's current seal certificate (asn1crypto), or None if none was made yet."""
    path = _seal_path()
    if not current_app.config.get("SEAL_P12") and not path.exists():
        return None
    return _seal().signer.signing_cert


def _known_certificates():
    """Every seal certificate this practice has used: the current one and those it replaced,
    kept in instance/seal_certificates/ when first used, so a consent sealed before the
    practice changed its certificate still checks as the practice's own."""
    from asn1crypto import x509

    current = seal_certificate()
    known = {} if current is None else {current.dump(): current}
    folder = Path(current_app.instance_path) / PAST_SEALS
    if folder.is_dir():
        for path in sorted(folder.glob("*.der")):
            try:
                cert = x509.Certificate.load(path.read_bytes())
                known.setdefault(cert.dump(), cert)
            except (OSError, ValueError):
                continue  # an unreadable file trusts nothing
    return list(known.values())


def _remember(cert):
    """Keep a copy of a seal certificate in use (once), for _known_certificates."""
    folder = Path(current_app.instance_path) / PAST_SEALS
    der = cert.dump()
    path = folder / f"{fingerprint(cert)}.der"
    if not path.exists():
        folder.mkdir(mode=0o700, exist_ok=True)
        _create_once(path, der)


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
        found.update(_check(seal, _known_certificates()))
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
    retired = retired_at(cert)
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
        "signer": _describe(cert.subject),
        "signed_at": signed_at.astimezone(UTC) if signed_at is not None else None,
    }


def _describe(name):
    """'CN, O' of a certificate subject, or its full text when it has neither."""
    native = name.native
    parts = [native.get(key) for key in ("common_name", "organization_name")]
    return ", ".join(part for part in parts if part) or name.human_friendly


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


# -- the seal certificate, loaded once per process -----------------------------------------

def _seal_path():
    configured = current_app.config.get("SEAL_P12")
    return Path(configured) if configured else Path(current_app.instance_path) / SEAL_FILE


def _seal():
    """The prepared seal for the current settings, loading or making it when needed."""
    global _cached
    configured = current_app.config.get("SEAL_P12")
    path = _seal_path()
    password = current_app.config.get("SEAL_PASSWORD") if configured else _passphrase()
    if not configured and not path.exists():
        _create_once(path, _new_seal_p12(_practice_name(), password))
    with _lock:
        key = _file_key(path, password)
        if _cached is None or _cached[0] != key:
            data = path.read_bytes()
            if not configured and _in_clear(data):
                data = _encrypt(data, password)
                _write_private(path, data)  # an older install's clear key, encrypted now
                key = _file_key(path, password)
            _cached = (key, _Seal.load(data, password))
            _remember(_cached[1].signer.signing_cert)
        return _cached[1]


def _file_key(path, password):
    try:
        stat = path.stat()
    except OSError as error:
        raise ConfigurationError(
            f"PORTAL_SEAL_P12 names {path}, which cannot be read ({error.strerror}).") from error
    return (str(path), stat.st_mtime_ns, stat.st_size, password)


def _seal_for_signing():
    """The seal to sign with, never a retired certificate: a retired generated key makes way
    for a new one; a configured one is refused with the reason."""
    global _cached
    seal = _seal()
    retired = retired_at(seal.signer.signing_cert)
    if retired is None:
        return seal
    if current_app.config.get("SEAL_P12"):
        raise ConfigurationError(
            f"The seal certificate in PORTAL_SEAL_P12 (fingerprint "
            f"{fingerprint(seal.signer.signing_cert)}) was retired on {retired:%Y-%m-%d}: "
            "nothing is sealed with it again. Set PORTAL_SEAL_P12 to a new certificate.")
    with _lock:
        _seal_path().unlink(missing_ok=True)  # a retired generated key: a new one is made
        _cached = None
    return _seal()


def _passphrase():
    """The generated seal's passphrase: PORTAL_SEAL_PASSWORD, else instance/seal_passphrase,
    made once (mode 0600) like the secret key."""
    configured = current_app.config.get("SEAL_PASSWORD")
    if configured:
        return configured
    path = Path(current_app.instance_path) / PASSPHRASE_FILE
    if not path.exists():
        _create_once(path, secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip()


def _in_clear(p12_bytes):
    """True for a PKCS#12 file that opens without a password."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        pkcs12.load_key_and_certificates(p12_bytes, None)
    except ValueError:
        return False
    return True


def _encryption(password):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    return (serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(100_000).key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256()).build(password.encode()))


def _encrypt(p12_bytes, password):
    """The same key and certificates as a PKCS#12 file encrypted under `password`."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    key, cert, others = pkcs12.load_key_and_certificates(p12_bytes, None)
    return pkcs12.serialize_key_and_certificates(SEAL_NAME.encode(), key, cert, others or None,
                                                 _encryption(password))


def fingerprint(cert):
    """A certificate's SHA-256 fingerprint (of its DER bytes), as lower-case hex."""
    return hashlib.sha256(cert.dump()).hexdigest()


def _retired_path(fingerprint_hex):
    return Path(current_app.instance_path) / PAST_SEALS / f"{fingerprint_hex}{RETIRED}"


def retired_at(cert):
    """When this seal certificate was retired (UTC), or None."""
    try:
        text = _retired_path(fingerprint(cert)).read_text().strip()
    except OSError:
        return None
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)  # a damaged marker: retired, trust nothing new


class SealError(ValueError):
    """A seal command that cannot be done; the message says why."""


def fingerprint_text(text):
    """A typed fingerprint as lower-case hex: colons, spaces and case ignored."""
    return "".join(ch for ch in (text or "").lower() if ch in "0123456789abcdef")


def retire(typed, now=None):
    """Retire the practice's seal certificate with this SHA-256 fingerprint (hex, colons and
    case ignored). Returns (subject, retired at, whether a new key replaces the generated
    one). Raises SealError for a fingerprint of no certificate the practice has used."""
    wanted = fingerprint_text(typed)
    cert = next((cert for cert in _known_certificates() if fingerprint(cert) == wanted), None)
    if cert is None or len(wanted) != 64:
        raise SealError(f"No seal certificate of this practice has the fingerprint "
                        f"{typed!r}. `portal seal list` shows them.")
    _remember(cert)
    _create_once(_retired_path(wanted), (now or datetime.now(UTC)).isoformat() + "\n")
    current = seal_certificate()
    generated = not current_app.config.get("SEAL_P12")
    replaced = generated and current is not None and fingerprint(current) == wanted
    if replaced:
        global _cached
        with _lock:
            _seal_path().unlink(missing_ok=True)
            _cached = None
    return _describe(cert.subject), retired_at(cert), replaced


def certificates():
    """Every seal certificate the practice has used: (fingerprint, subject, retired at or
    None, in use now), the one in use first."""
    current = seal_certificate()
    rows = [(fingerprint(cert), _describe(cert.subject), retired_at(cert),
             current is not None and cert.dump() == current.dump())
            for cert in _known_certificates()]
    return sorted(rows, key=lambda row: not row[3])


def _practice_name():
    """The practice's name once an admin has set it up (for the new certificate's O)."""
    from ..extensions import db
    from ..models import Practice
    from .practice import PRACTICE_ID

    practice = db.session.get(Practice, PRACTICE_ID)
    return practice.name if practice is not None else None


def _new_seal_p12(practice_name, password=None):
    """A new self-signed seal certificate and its RSA 3072 key, as a PKCS#12 file encrypted
    under `password` (in clear without one: only tests make such a file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, SEAL_NAME)]
    if practice_name:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, practice_name[:64]))
    name = x509.Name(attributes)
    now = datetime.now(UTC)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False,
                          crl_sign=False, encipher_only=False, decipher_only=False)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365 * SEAL_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .sign(key, hashes.SHA256()))
    return pkcs12.serialize_key_and_certificates(
        SEAL_NAME.encode(), key, cert, None,
        _encryption(password) if password else serialization.NoEncryption())


class _Seal:
    """A signer with everything that does not change between documents prepared."""

    def __init__(self, signer, bytes_reserved):
        self.signer = signer
        self.bytes_reserved = bytes_reserved

    @classmethod
    def load(cls, p12_bytes, password):
        """Open the PKCS#12 data and prepare its key and certificates for signing."""
        from asn1crypto import keys, x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.serialization import pkcs12
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        try:
            key, cert, others = pkcs12.load_key_and_certificates(
                p12_bytes, password.encode() if password else None)
        except ValueError as error:
            raise ConfigurationError(
                "The seal certificate (PORTAL_SEAL_P12) cannot be opened: the file is not a "
                "PKCS#12 file, or PORTAL_SEAL_PASSWORD is not its password.") from error
        if key is None or cert is None:
            raise ConfigurationError(
                "PORTAL_SEAL_P12 must hold the seal's private key and its certificate.")
        der = serialization.Encoding.DER
        key_info = keys.PrivateKeyInfo.load(key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        signing_cert = x509.Certificate.load(cert.public_bytes(der))
        registry = SimpleCertificateStore()
        registry.register_multiple([x509.Certificate.load(other.public_bytes(der))
                                    for other in others])
        prepared = _prepared_classes()
        signer = prepared.Signer(signing_cert=signing_cert, signing_key=key_info,
                                 cert_registry=registry)
        signer.key_object = key
        signer.signed_attr_prov_spec = prepared.Attributes(signing_cert)
        # Room for the signature container, fixed once instead of estimated per document: the
        # certificates, twice the key's size for the signature, 1 KiB for the attributes and
        # framing; all twice over, for the hex encoding.
        certificates = sum(len(c.dump()) for c in {signing_cert, *registry})
        signature = 2 * getattr(key, "key_size", 4096) // 8
        return cls(signer, 2 * (certificates + signature + 1024))


@functools.cache
def _prepared_classes():
    """The pyHanko subclasses the seal uses, defined on first use (pyHanko takes about a
    second to import, so the portal only pays for it when it seals or checks a PDF)."""
    from asn1crypto import tsp
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import attributes, signers
    from pyhanko.sign.general import as_signing_certificate_v2

    digests = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}

    class EncodedAttribute(attributes.CMSAttributeProvider):
        """A signed attribute whose value was encoded once, ahead of every signature."""

        attribute_type = "signing_certificate_v2"

        def __init__(self, value):
            self.value = value

        async def build_attr_value(self, dry_run=False):
            return self.value

    class Attributes(attributes.SignedAttributeProviderSpec):
        """PAdES signed attributes: signing-certificate-v2 (pyHanko adds the content type and
        the message digest; PAdES forbids a signing-time attribute)."""

        def __init__(self, signing_cert):
            encoded = as_signing_certificate_v2(signing_cert, DIGEST).dump()
            self.provider = EncodedAttribute(tsp.SigningCertificateV2.load(encoded))

        def signed_attr_providers(self, data_digest, digest_algorithm):
            yield self.provider

    class Signer(signers.SimpleSigner):
        """SimpleSigner signing with `key_object`, made once, instead of a key re-read from
        DER (and, for RSA, re-checked) on every signature."""

        key_object = None

        def sign_raw(self, data, digest_algorithm):
            key = self.key_object
            algorithm = digests.get(digest_algorithm)
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            if algorithm and mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
                return key.sign(data, padding.PKCS1v15(), algorithm())
            if algorithm and mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
                return key.sign(data, ec.ECDSA(algorithm()))
            return super().sign_raw(data, digest_algorithm)

    class Writer(IncrementalPdfFileWriter):
        """An incremental writer that leaves the document's metadata as it was: pyHanko would
        set the XMP producer to itself and append itself to the information dictionary's
        producer, and PDF/A forbids the two to differ."""

        def _update_meta(self):
            return None

    return SimpleNamespace(Writer=Writer, Signer=Signer, Attributes=Attributes)
