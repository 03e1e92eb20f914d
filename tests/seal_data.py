"""What the seal tests share: a seal file as the portal makes it (made once per module), a
PKCS#12 a practice might bring, the practice's letterhead, a letter and a sealed letter, and the
certificate a sealed PDF names. Registered for every test by `pytest_plugins` in
tests/conftest.py, as records_data.py is."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from portal.services.consents import seal, seal_keys
from portal.services.pdf import render_pdf
from portal.services.practice import get_practice, update_practice

PRACTICE = "Maple & Oak Family Medicine"
TITLE = "Consent to treatment"


@pytest.fixture(scope="module")
def practice_p12(tmp_path_factory):
    """A seal file as the portal makes it (RSA 3072 takes a moment: made once per module)."""
    path = tmp_path_factory.mktemp("seal") / "seal.p12"
    path.write_bytes(seal_keys.new_seal_p12(PRACTICE))
    return path


def make_p12(path, common_name, password):
    """A PKCS#12 file as a practice might bring one (EC P-256: quick to make)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
            .sign(key, hashes.SHA256()))
    encryption = (serialization.BestAvailableEncryption(password.encode()) if password
                  else serialization.NoEncryption())
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"seal", key, cert, None, encryption))
    return path


@pytest.fixture
def letterhead_practice(app):
    from portal.extensions import db

    with app.app_context():
        update_practice(get_practice(), {"name": PRACTICE, "address_line1": "12 Orchard Lane",
                                         "city": "Springfield", "state": "IL",
                                         "postal_code": "62701", "phone": "555-201-0100"})
        db.session.commit()


def letter(app, title=TITLE):
    with app.test_request_context():
        return render_pdf("letter", title=title, practice=get_practice(),
                          paragraphs=["I agree to the treatment described to me."])


def sealed_letter(app, reason="Signed consent"):
    pdf = letter(app)
    with app.app_context():
        return pdf, seal.seal_pdf(pdf, reason=reason, location="Springfield, IL")


def signer_cert_der(pdf):
    from pyhanko.pdf_utils.reader import PdfFileReader

    return PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[-1].signer_cert.dump()
