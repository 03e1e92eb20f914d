"""The staff batch print (issue 21, part 5): its days start as today in the practice's zone;
a first page lists the consents, then they follow each other with a page break only between
them and each signature kept with its record; the joined file claims no seal, says where each
sealed original can be checked, and has a title. An older stored PDF, which claimed the seal,
is drawn again without the claim. Read back with pypdf and pdftotext."""

import io
import re
from datetime import UTC, date, datetime

import pytest
from conftest import add_patients, post_form
from consent_data import add_document, default_documents, sign
from consent_data import seal_p12 as run_seal_p12
from helpers import pdf_text
from pypdf import PdfReader

from portal.extensions import db
from portal.models import Document, Signature
from portal.services.consents import documents, reports, signing

SEAL_CLAIM = "This PDF carries the practice's digital seal"
SHORT = {"body": "We may photograph a skin condition for your chart. The photos stay in your "
                 "record and are never published.", "required": False}


@pytest.fixture
def in_use(app, tmp_path_factory):
    """The default documents, with the run's seal certificate."""
    app.config["SEAL_P12"] = str(run_seal_p12(tmp_path_factory))
    return default_documents(app)


def batch_form(first, last):
    return {"first-month": str(first.month), "first-day": str(first.day),
            "first-year": str(first.year), "last-month": str(last.month),
            "last-day": str(last.day), "last-year": str(last.year)}


def print_batch(browser, first, last):
    response = post_form(browser, "/staff/consents/batch", batch_form(first, last))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data


def page_texts(pdf):
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def squeezed(words):
    """Text without white space: an address may wrap anywhere in a PDF."""
    return "".join(words.split())


def code_of(app, signature_id):
    with app.app_context():
        return signing.show_code(db.session.get(Signature, signature_id).verification_code)


def test_the_days_start_as_today_where_the_practice_is(app, staff_client, clock):
    # 03:30 UTC on December 8 is still December 7 in New York, the practice's zone.
    clock.move_to(datetime(2026, 12, 8, 3, 30, tzinfo=UTC))
    page = staff_client().get("/staff/consents/batch").get_data(as_text=True)
    for field in ("first", "last"):
        assert re.search(rf'id="{field}-month"[^>]*value="12"', page), field
        assert re.search(rf'id="{field}-day"[^>]*value="7"', page), field
        assert re.search(rf'id="{field}-year"[^>]*value="2026"', page), field
    assert "carries no seal" in page


def test_two_short_consents_print_on_two_full_pages_with_a_title_and_no_seal_claim(
        app, staff_client, make_patient, in_use, clock, audit_trail):
    photos = add_document(app, "consent", "Clinical photographs", **SHORT)
    texts = add_document(app, "consent", "Text message reminders",
                         body="We may send appointment reminders to your mobile phone.")
    ada = make_patient(first_name="Ada", last_name="Lindqvist", account_number="T-501")
    ben = make_patient(first_name="Ben", last_name="Okafor", account_number="T-502")
    signed = [sign(app, ada.id, photos), sign(app, ben.id, texts)]

    browser = staff_client()
    pdf = print_batch(browser, date(2026, 11, 23), date(2026, 11, 23))
    pages = page_texts(pdf)
    assert len(pages) == 3  # the list, then one page each: a break only between them
    assert "Signed consents, November 23, 2026" in pages[0]  # the visible heading
    assert "2 consents, in the order they were signed." in pages[0]
    for page, title, name, signature_id in zip(
            pages[1:], ("Clinical photographs", "Text message reminders"),
            ("Ada Lindqvist", "Ben Okafor"), signed, strict=True):
        assert title in page and name in page and "Signature record" in page
        assert f"Verification code: {code_of(app, signature_id)}" in page
        assert f"{name}, T-50" in pages[0] and code_of(app, signature_id) in pages[0]
    assert all(len(page) > 500 for page in pages)  # no page holds a stray line or two
    words = pdf_text(pdf)
    assert SEAL_CLAIM not in words and "carries no digital seal" in words
    assert squeezed("Each consent's sealed original can be checked at "
                    f"{app.config['BASE_URL']}/staff/consents/verify with the verification code "
                    "printed on it.") in squeezed(words)
    assert PdfReader(io.BytesIO(pdf)).metadata.title == "Signed consents, November 23, 2026"
    with app.app_context():  # the stored original's words stay true in a print
        stored = pdf_text(reports.signature_pdf(signed[0]))
    assert SEAL_CLAIM not in stored
    assert "The practice sealed this document when it was signed" in stored
    # The verification page it names is the one staff open.
    assert browser.get("/staff/consents/verify").status_code == 200
    assert [row.object_id for row in audit_trail.rows("signature.exported")] == \
        [str(signature_id) for signature_id in signed]


def test_a_signature_is_never_parted_from_its_record(app, staff_client, make_patient, in_use,
                                                    clock):
    """Consents of growing length: wherever one ends on its page, the signature, the record
    and its verification code are on one page, and each consent starts a page of its own."""
    paragraph = ("This paragraph explains one part of the consent in plain words, so that "
                 "the text fills the page line by line. ")
    ids = []
    for number in range(6):
        body = "\n\n".join(paragraph * 3 for _ in range(4 + number * 2))
        document_id = add_document(app, "consent", f"Consent number {number}", body=body)
        patient = make_patient(first_name=f"Pat{number}", account_number=f"T-6{number}")
        ids.append(sign(app, patient.id, document_id))
    pages = page_texts(print_batch(staff_client(), date(2026, 11, 23), date(2026, 11, 23)))
    starts = [index for index, page in enumerate(pages) if "Version 1 Patient:" in page]
    assert len(starts) == 6 and starts[0] == 1  # after the page that lists them
    for number, signature_id in enumerate(ids):
        [page] = [page for page in pages if "I have read and agree to this document." in page
                  and f"Consent number {number}," in page]
        assert f"Verification code: {code_of(app, signature_id)}" in page
        assert "Signature record" in page
    assert all(len(page) > 300 for page in pages)
    assert SEAL_CLAIM not in " ".join(pages)


def test_an_older_stored_pdf_that_claims_the_seal_is_drawn_again_without_the_claim(
        app, staff_client, make_patient, in_use, clock, monkeypatch):
    """Signatures stored before issue 21 said "This PDF carries the practice's digital seal":
    true of them, false of a joined file. The batch draws such a consent again."""
    from portal.services.pdf import render_pdf

    def stored_the_old_way(signature, patient, version, practice, *, recorded_at):
        return render_pdf("letter", title=version.title, practice=practice, paragraphs=[
            f"{SEAL_CLAIM}. Any change to it after signing shows as a broken signature."])

    monkeypatch.setattr(signing, "signed_pdf", stored_the_old_way)
    patient = make_patient(first_name="Cleo", last_name="Marsh", account_number="T-700")
    old = sign(app, patient.id, in_use["consent"])
    with app.app_context():
        assert SEAL_CLAIM in pdf_text(reports.signature_pdf(old))
    words = pdf_text(print_batch(staff_client(), date(2026, 11, 23), date(2026, 11, 23)))
    assert SEAL_CLAIM not in words
    code = code_of(app, old)
    assert squeezed("This is a print of the signature kept in the portal, without a seal. Its "
                    f"sealed original can be checked at {app.config['BASE_URL']}/staff/consents/"
                    f"verify with the verification code {code}.") in squeezed(words)
    assert "Patient portal consent" in words and "What you agree to" in words  # its text
    assert "Signed for: Cleo Marsh, T-700" in words and f"Verification code: {code}" in words


def test_more_than_500_consents_are_printed_in_parts(app, staff_client, in_use, clock):
    # The count is under test, not the PDFs: rows as signing stores them, with a stand-in PDF.
    with app.app_context():
        version = documents.current_version(db.session.get(Document, in_use["consent"]))
        now = datetime.now(UTC)
        for patient_id in add_patients(app, 501):
            db.session.add(Signature(
                patient_id=patient_id, document_id=version.document_id, version_id=version.id,
                version_sha256=version.sha256, kind="consent", values={}, signer_name="Stand In",
                signed_at=now, signed_at_local=now.isoformat(), time_zone="UTC",
                verification_code=signing.new_verification_code(),
                submission_key=signing.new_submission_key(), pdf=b"%PDF- stand-in",
                pdf_sha256=""))
        db.session.commit()
    response = post_form(staff_client(), "/staff/consents/batch",
                         batch_form(date(2026, 11, 23), date(2026, 11, 23)))
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert ("501 consents were signed on those days; print at most 500 at a time. Choose fewer "
            "days.") in response.get_data(as_text=True)


def test_two_portal_consents_take_four_full_pages_after_the_list(app, staff_client, make_patient,
                                                                 in_use, clock):
    """The issue's count: two portal consents took 6 pages, a third of them nearly blank."""
    for number in range(2):
        patient = make_patient(first_name=f"Dana{number}", account_number=f"T-80{number}")
        sign(app, patient.id, in_use["consent"])
    pages = page_texts(print_batch(staff_client(), date(2026, 11, 23), date(2026, 11, 23)))
    assert len(pages) == 5
    assert all(len(page) > 500 for page in pages)
    assert [index for index, page in enumerate(pages) if "Signature record" in page] == [2, 4]
