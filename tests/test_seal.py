"""The practice's seal on its PDFs (pyHanko PAdES): made once and kept private, appended without
touching the document, checked by `verify_pdf` and `portal verify-pdf`, and told apart from a
changed file, a file with additions, a foreign seal, an unsigned PDF and a file that is no PDF."""

import concurrent.futures
import io
import os
import re
import shutil
import stat
import statistics
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from pypdf import PdfReader, PdfWriter
from seal_data import TITLE, letter, make_p12, sealed_letter, signer_cert_der

from portal.config import ConfigurationError
from portal.services.consents import seal, seal_keys

SEAL_SUBJECT = "Patient portal document seal, Maple & Oak Family Medicine"
@pytest.fixture
def sealing(app, letterhead_practice, practice_p12):
    """The app with its seal already made (the module's copy in its instance folder)."""
    shutil.copy(practice_p12, Path(app.instance_path) / "seal.p12")
    return app


def verify(app, pdf):
    with app.app_context():
        return seal.verify_pdf(pdf)


def pyhanko_status(pdf):
    """pyHanko's own verdict, trusting the certificate the file carries. In a thread of its
    own: pyHanko calls asyncio.run(), and the browser tests leave Playwright's loop running."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    signature = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[-1]
    context = ValidationContext(trust_roots=[signature.signer_cert])
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(validate_pdf_signature, signature, context).result()


def flip(pdf, offset):
    changed = bytearray(pdf)
    changed[offset] ^= 0x01
    return bytes(changed)


def test_a_sealed_pdf_verifies_and_keeps_the_original_bytes(sealing):
    pdf, sealed = sealed_letter(sealing)
    assert sealed.startswith(pdf) and len(sealed) > len(pdf)  # an incremental update
    result = verify(sealing, sealed)
    assert result.ok and result.signed and result.intact and result.covers_whole_file
    assert result.practice_seal and result.problem is None
    assert result.signer == SEAL_SUBJECT
    assert result.title == TITLE
    assert abs(datetime.now(UTC) - result.signed_at) < timedelta(minutes=1)
    status = pyhanko_status(sealed)
    assert status.bottom_line and status.coverage.name == "ENTIRE_FILE"


def test_the_seal_is_an_invisible_pades_signature_and_the_file_stays_pdf_a(sealing):
    pdf, sealed = sealed_letter(sealing)
    before, after = PdfReader(io.BytesIO(pdf)), PdfReader(io.BytesIO(sealed))
    [field] = after.trailer["/Root"]["/AcroForm"]["/Fields"]
    field = field.get_object()
    assert field["/T"] == "PracticeSeal" and field["/FT"] == "/Sig"
    assert [float(n) for n in field["/Rect"]] == [0, 0, 0, 0]
    assert field["/F"] & 4  # printable, as PDF/A wants of every annotation
    assert field["/V"]["/SubFilter"] == "/ETSI.CAdES.detached"
    assert field["/V"]["/Reason"] == "Signed consent"
    # The metadata WeasyPrint wrote (PDF/A-3b identification included) is left as it was.
    assert after.metadata == before.metadata

    def xmp(reader):
        return reader.trailer["/Root"]["/Metadata"].get_object().get_data()

    assert xmp(after) == xmp(before)
    assert b'pdfaid:part="3"' in xmp(after) and b'pdfaid:conformance="B"' in xmp(after)
    assert "/Version" not in after.trailer["/Root"]  # still PDF 1.7, as PDF/A-3 is


def test_qpdf_finds_no_errors_and_every_font_is_embedded(sealing, tmp_path):
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed_letter(sealing)[1])
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No syntax or stream encoding errors found" in check.stdout
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    header, rule, rows = lines[0], lines[1], lines[2:]
    start = header.index("emb")
    assert rule[start - 1] == " " and len(rows) >= 1
    assert [row[start:start + 3] for row in rows] == ["yes"] * len(rows)


@pytest.mark.parametrize("find", [
    lambda pdf: pdf.index(b"stream\n") + 40,  # a page stream, in the first signed range
    lambda pdf: pdf.rindex(b"Signed consent") + 3,  # the reason, in the second one
], ids=["document", "signature dictionary"])
def test_one_changed_byte_in_the_sealed_part_breaks_the_seal(sealing, find):
    _, sealed = sealed_letter(sealing)
    offset = find(sealed)
    changed = flip(sealed, offset)
    result = verify(sealing, changed)
    assert result.signed and not result.intact and not result.ok
    assert not pyhanko_status(changed).intact


def test_bytes_appended_after_the_seal_are_reported(sealing):
    _, sealed = sealed_letter(sealing)
    result = verify(sealing, sealed + b"\n% a note added later\n")
    assert result.intact and not result.covers_whole_file and not result.ok


def test_an_update_after_the_seal_is_reported_and_the_sealed_title_shown(sealing):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    _, sealed = sealed_letter(sealing)
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    info = writer.trailer["/Info"]
    info["/Title"] = generic.TextStringObject("A different document")
    writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)
    assert PdfReader(out).metadata.title == "A different document"
    result = verify(sealing, out.getvalue())
    assert result.intact and not result.covers_whole_file and not result.ok
    assert result.modification_level != "none"
    assert result.title == TITLE  # what was sealed, not what was added


def test_files_without_a_seal_are_told_apart(sealing):
    nothing = verify(sealing, b"not a PDF at all")
    assert not nothing.signed and not nothing.ok and nothing.problem == "This is not a readable PDF file."
    unsealed = verify(sealing, letter(sealing))
    assert not unsealed.signed and unsealed.problem == "This PDF carries no seal."
    assert unsealed.title == TITLE


@pytest.mark.parametrize("metadata, code", [
    ({"/Keywords": "verification:7KQ2M9XD"}, "7KQ2M9XD"),
    ({"/Keywords": "consent, verification:7KQ2M9XD", "/PortalVerificationCode": "AB12CD34"},
     "AB12CD34"),
])
def test_the_verification_code_and_patient_are_read_back(sealing, metadata, code):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(letter(sealing))))
    writer.add_metadata({"/Subject": "Robin Quill", **metadata})
    out = io.BytesIO()
    writer.write(out)
    with sealing.app_context():
        result = seal.verify_pdf(seal.seal_pdf(out.getvalue(), reason="Signed consent"))
    assert result.ok and result.subject == "Robin Quill" and result.verification_code == code
    assert result.keywords == metadata["/Keywords"]


def test_sealing_twice_adds_a_second_seal(sealing):
    _, sealed = sealed_letter(sealing)
    with sealing.app_context():
        twice = seal.seal_pdf(sealed, reason="Countersigned")
    fields = PdfReader(io.BytesIO(twice)).trailer["/Root"]["/AcroForm"]["/Fields"]
    assert [f.get_object()["/T"] for f in fields] == ["PracticeSeal", "PracticeSeal2"]
    assert verify(sealing, twice).ok


def test_the_generated_seal_is_private_made_once_and_reused(app, letterhead_practice):
    path = Path(app.instance_path) / "seal.p12"
    pdf = letter(app)
    with app.app_context():
        assert seal_keys.seal_certificate() is None  # nothing is made just to look
        first = seal.seal_pdf(pdf, reason="Signed consent")
    kept = path.read_bytes()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(ValueError):  # encrypted: never a key in clear (issue 19)
        pkcs12.load_key_and_certificates(kept, None)
    passphrase = (Path(app.instance_path) / "seal_passphrase").read_text().strip()
    assert stat.S_IMODE(os.stat(Path(app.instance_path) / "seal_passphrase").st_mode) == 0o600
    key, cert, _ = pkcs12.load_key_and_certificates(kept, passphrase.encode())
    assert key.key_size == 3072
    assert cert.subject.rfc4514_string() == "O=Maple & Oak Family Medicine,CN=Patient portal document seal"
    assert cert.not_valid_after_utc - cert.not_valid_before_utc > timedelta(days=365 * 29)
    with app.app_context():
        second = seal.seal_pdf(pdf, reason="Signed consent")
    assert path.read_bytes() == kept
    assert signer_cert_der(first) == signer_cert_der(second)
    leftovers = sorted(p.name for p in Path(app.instance_path).glob("*seal*"))
    assert leftovers == ["seal.p12", "seal_certificates", "seal_passphrase"]  # no half-written copies


def test_a_configured_p12_is_used_and_a_replaced_one_picked_up(sealing, tmp_path):
    path = make_p12(tmp_path / "practice.p12", "Maple & Oak seal", "correct horse")
    sealing.config.update(SEAL_P12=str(path), SEAL_PASSWORD="correct horse")
    _, sealed = sealed_letter(sealing)
    result = verify(sealing, sealed)
    assert result.ok and result.signer == "Maple & Oak seal"
    make_p12(path, "Maple & Oak seal 2026", "correct horse")  # the practice renews it
    _, renewed = sealed_letter(sealing)
    assert verify(sealing, renewed).signer == "Maple & Oak seal 2026"
    old = verify(sealing, sealed)  # sealed with the certificate the practice used before
    assert old.intact and old.covers_whole_file and old.practice_seal and old.ok
    assert len(list((Path(sealing.instance_path) / "seal_certificates").glob("*.der"))) == 2


@pytest.mark.parametrize("password, missing, message", [
    ("wrong password", False, "PORTAL_SEAL_PASSWORD is not its password"),
    ("correct horse", True, "PORTAL_SEAL_P12 names .*missing.p12, which cannot be read"),
])
def test_a_bad_configured_p12_says_which_setting_to_fix(sealing, tmp_path, password, missing,
                                                        message):
    path = tmp_path / "missing.p12"
    if not missing:
        make_p12(path, "Maple & Oak seal", "correct horse")
    sealing.config.update(SEAL_P12=str(path), SEAL_PASSWORD=password)
    pdf = letter(sealing)
    with sealing.app_context(), pytest.raises(ConfigurationError, match=message):
        seal.seal_pdf(pdf, reason="Signed consent")


def test_a_seal_made_with_another_certificate_is_not_the_practices(sealing, runner, tmp_path):
    sealing.config.update(SEAL_P12=str(make_p12(tmp_path / "other.p12", "Someone else", None)))
    _, foreign = sealed_letter(sealing)
    # As if sealed by another installation: this practice never kept that certificate.
    shutil.rmtree(Path(sealing.instance_path) / "seal_certificates")
    sealing.config.update(SEAL_P12=None)
    result = verify(sealing, foreign)
    assert result.intact and result.covers_whole_file
    assert not result.practice_seal and not result.ok and result.signer == "Someone else"
    path = tmp_path / "foreign.pdf"
    path.write_bytes(foreign)
    output = runner.invoke(args=["verify-pdf", str(path)])
    assert output.exit_code == 1
    assert "Seal: intact, covers the whole file, but it is NOT this practice's seal." in output.output
    assert "Sealed by: Someone else (an unknown certificate, NOT this practice's seal)" in output.output


def test_a_warm_seal_takes_well_under_a_tenth_of_a_second(sealing):
    pdf, _ = sealed_letter(sealing)  # loads the seal and pyHanko
    timings = []
    with sealing.app_context():
        for _ in range(5):
            start = time.perf_counter()
            seal.seal_pdf(pdf, reason="Signed consent")
            timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.1


def test_cli_reports_an_intact_seal(sealing, runner, tmp_path):
    path = tmp_path / "consent.pdf"
    path.write_bytes(sealed_letter(sealing)[1])
    result = runner.invoke(args=["verify-pdf", str(path)])
    assert result.exit_code == 0, result.output
    assert "Seal: intact, covers the whole file\n" in result.output
    assert f"Sealed by: {SEAL_SUBJECT} (this practice's seal)" in result.output
    assert re.search(r"Sealed at: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", result.output)
    assert f"Title: {TITLE}" in result.output


@pytest.mark.parametrize("change, expected", [
    (lambda pdf: flip(pdf, pdf.index(b"stream\n") + 40),
     "Seal: BROKEN — the file was changed after sealing."),
    (lambda pdf: flip(pdf, pdf.rindex(b"/Contents <") + 12),
     "Seal: BROKEN. The seal's signature data is damaged."),
    (lambda pdf: pdf + b"\n% added\n", "Seal: intact, but it does NOT cover the whole file"),
    (lambda pdf: b"hello", "Seal: none. This is not a readable PDF file."),
])
def test_cli_exits_1_for_a_changed_or_unsealed_file(sealing, runner, tmp_path, change, expected):
    path = tmp_path / "consent.pdf"
    path.write_bytes(change(sealed_letter(sealing)[1]))
    result = runner.invoke(args=["verify-pdf", str(path)])
    assert result.exit_code == 1, result.output
    assert expected in result.output


def test_cli_refuses_a_missing_file(runner, tmp_path):
    result = runner.invoke(args=["verify-pdf", str(tmp_path / "nowhere.pdf")])
    assert result.exit_code == 2 and "does not exist" in result.output
