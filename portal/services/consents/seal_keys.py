"""The practice's seal key and certificates: where they are kept, how they are encrypted,
which ones this practice has used, and retiring one. The seal itself is seal.py.

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
"""

import hashlib
import secrets
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app

from ...config import ConfigurationError, _create_once, _write_private
from .seal_signer import PreparedSeal

SEAL_FILE = "seal.p12"
PASSPHRASE_FILE = "seal_passphrase"  # noqa: S105 - a file name: the generated seal's passphrase
RETIRED = ".retired"  # seal_certificates/<fingerprint>.retired holds the retirement's date
PAST_SEALS = "seal_certificates"  # every seal certificate used, to check older PDFs
SEAL_NAME = "Patient portal document seal"
SEAL_YEARS = 30

_lock = threading.Lock()
_cached = None  # (cache key, PreparedSeal)


def seal_certificate():
    """The practice's current seal certificate (asn1crypto), or None if none was made yet."""
    path = _seal_path()
    if not current_app.config.get("SEAL_P12") and not path.exists():
        return None
    return current_seal().signer.signing_cert


def known_certificates():
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
    """Keep a copy of a seal certificate in use (once), for known_certificates."""
    folder = Path(current_app.instance_path) / PAST_SEALS
    der = cert.dump()
    path = folder / f"{fingerprint(cert)}.der"
    if not path.exists():
        folder.mkdir(mode=0o700, exist_ok=True)
        _create_once(path, der)


def describe(name):
    """'CN, O' of a certificate subject, or its full text when it has neither."""
    native = name.native
    parts = [native.get(key) for key in ("common_name", "organization_name")]
    return ", ".join(part for part in parts if part) or name.human_friendly


def _seal_path():
    configured = current_app.config.get("SEAL_P12")
    return Path(configured) if configured else Path(current_app.instance_path) / SEAL_FILE


def current_seal():
    """The prepared seal for the current settings, loading or making it when needed."""
    global _cached
    configured = current_app.config.get("SEAL_P12")
    path = _seal_path()
    password = current_app.config.get("SEAL_PASSWORD") if configured else _passphrase()
    if not configured and not path.exists():
        _create_once(path, new_seal_p12(_practice_name(), password))
    with _lock:
        key = _file_key(path, password)
        if _cached is None or _cached[0] != key:
            data = path.read_bytes()
            if not configured and _in_clear(data):
                data = _encrypt(data, password)
                _write_private(path, data)  # an older install's clear key, encrypted now
                key = _file_key(path, password)
            _cached = (key, PreparedSeal.load(data, password))
            _remember(_cached[1].signer.signing_cert)
        return _cached[1]


def _file_key(path, password):
    try:
        stat = path.stat()
    except OSError as error:
        raise ConfigurationError(
            f"PORTAL_SEAL_P12 names {path}, which cannot be read ({error.strerror}).") from error
    return (str(path), stat.st_mtime_ns, stat.st_size, password)


def for_signing():
    """The seal to sign with, never a retired certificate: a retired generated key makes way
    for a new one; a configured one is refused with the reason."""
    global _cached
    seal = current_seal()
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
    return current_seal()


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
    cert = next((cert for cert in known_certificates() if fingerprint(cert) == wanted), None)
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
    return describe(cert.subject), retired_at(cert), replaced


def certificates():
    """Every seal certificate the practice has used: (fingerprint, subject, retired at or
    None, in use now), the one in use first."""
    current = seal_certificate()
    rows = [(fingerprint(cert), describe(cert.subject), retired_at(cert),
             current is not None and cert.dump() == current.dump())
            for cert in known_certificates()]
    return sorted(rows, key=lambda row: not row[3])


def _practice_name():
    """The practice's name once an admin has set it up (for the new certificate's O)."""
    from ...extensions import db
    from ...models import Practice
    from ..practice import PRACTICE_ID

    practice = db.session.get(Practice, PRACTICE_ID)
    return practice.name if practice is not None else None


def new_seal_p12(practice_name, password=None):
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
