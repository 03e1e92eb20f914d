"""The seal key at rest and retired seal certificates (issue 19, part 5): the generated key
is stored encrypted under a passphrase from the instance secrets, an older clear one is
encrypted on first use, and `portal seal retire FINGERPRINT` keeps older PDFs verifiable
while new seals never use the retired certificate."""

import io
import os
import shutil
import stat
from pathlib import Path

import pytest
from conftest import post_form
from cryptography.hazmat.primitives.serialization import pkcs12
from seal_data import letter, make_p12, sealed_letter, signer_cert_der

from portal.config import ConfigurationError
from portal.services.consents import seal, seal_keys


def _open(path, password):
    return pkcs12.load_key_and_certificates(Path(path).read_bytes(),
                                            password.encode() if password else None)


def test_the_generated_key_is_encrypted_under_portal_seal_password(app, letterhead_practice):
    app.config["SEAL_PASSWORD"] = "a long passphrase from the instance secrets"
    sealed_letter(app)
    path = Path(app.instance_path) / "seal.p12"
    with pytest.raises(ValueError):
        _open(path, None)
    key, cert, _ = _open(path, "a long passphrase from the instance secrets")
    assert key.key_size == 3072
    assert not (Path(app.instance_path) / "seal_passphrase").exists()


def test_a_clear_key_from_an_older_install_is_encrypted_on_first_use(app, letterhead_practice,
                                                                    practice_p12):
    path = Path(app.instance_path) / "seal.p12"
    shutil.copy(practice_p12, path)
    _key, old_cert, _ = _open(path, None)  # as an older install left it: in clear
    before, sealed = sealed_letter(app)
    with pytest.raises(ValueError):
        _open(path, None)
    passphrase = (Path(app.instance_path) / "seal_passphrase").read_text().strip()
    _key, cert, _ = _open(path, passphrase)
    assert cert == old_cert  # the same key and certificate, now encrypted
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with app.app_context():
        assert seal.verify_pdf(sealed).ok


def _fingerprint(app):
    with app.app_context():
        return seal_keys.fingerprint(seal_keys.seal_certificate())


def test_retiring_the_generated_certificate(app, letterhead_practice, runner, tmp_path):
    _, old = sealed_letter(app)
    fingerprint = _fingerprint(app)
    listed = runner.invoke(args=["seal", "list"])
    assert listed.exit_code == 0 and f"{fingerprint}  " in listed.output
    assert "(in use)" in listed.output
    typed = ":".join(fingerprint[i:i + 2] for i in range(0, 64, 2)).upper()
    result = runner.invoke(args=["seal", "retire", typed])
    assert result.exit_code == 0, result.output
    assert "a new certificate is made at the next seal" in result.output
    assert not (Path(app.instance_path) / "seal.p12").exists()

    _, new = sealed_letter(app)  # new seals never use it
    assert signer_cert_der(new) != signer_cert_der(old)
    assert _fingerprint(app) != fingerprint
    with app.app_context():
        older, newer = seal.verify_pdf(old), seal.verify_pdf(new)
    assert older.ok and older.practice_seal and older.retired_at is not None
    assert newer.ok and newer.retired_at is None
    path = tmp_path / "old.pdf"
    path.write_bytes(old)
    output = runner.invoke(args=["verify-pdf", str(path)])
    assert output.exit_code == 0
    day = f"{older.retired_at:%Y-%m-%d}"
    assert f"Sealed with a retired certificate, before {day}." in output.output
    listed = runner.invoke(args=["seal", "list"]).output
    assert f"{fingerprint}  " in listed and f"(retired {day})" in listed


def test_the_staff_verify_page_names_a_retired_certificate(app, letterhead_practice, runner,
                                                           staff_client):
    _, old = sealed_letter(app)
    assert runner.invoke(args=["seal", "retire", _fingerprint(app)]).exit_code == 0
    browser = staff_client("front_desk", direct=True)
    page = post_form(browser, "/staff/consents/verify",
                     {"code": "", "upload": (io.BytesIO(old), "consent.pdf")},
                     content_type="multipart/form-data").get_data(as_text=True)
    assert "Sealed with a retired certificate, before" in page


def test_a_configured_retired_certificate_refuses_to_seal(app, letterhead_practice, runner, tmp_path):
    path = make_p12(tmp_path / "practice.p12", "Maple & Oak seal", "correct horse")
    app.config.update(SEAL_P12=str(path), SEAL_PASSWORD="correct horse")
    _, old = sealed_letter(app)
    fingerprint = _fingerprint(app)
    result = runner.invoke(args=["seal", "retire", fingerprint])
    assert result.exit_code == 0
    assert "sealing refuses until it names a new certificate" in result.output
    with app.app_context(), pytest.raises(ConfigurationError, match=f"{fingerprint}.*was retired"):
        seal.seal_pdf(letter(app), reason="Signed consent")
    with app.app_context():
        assert seal.verify_pdf(old).ok  # sealed before: still verifiable
    make_p12(path, "Maple & Oak seal 2027", "correct horse")  # the practice brings a new one
    _, new = sealed_letter(app)
    with app.app_context():
        assert seal.verify_pdf(new).ok


def test_an_unknown_fingerprint_is_refused(app, letterhead_practice, runner):
    sealed_letter(app)
    result = runner.invoke(args=["seal", "retire", "ab" * 32])
    assert result.exit_code == 1 and "No seal certificate of this practice" in result.output
    assert (Path(app.instance_path) / "seal.p12").exists()
