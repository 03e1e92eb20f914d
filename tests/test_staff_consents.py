"""Consents and health forms on the staff side (issue 8, parts 7, 9 and 10): a chart's signed
PDFs, printing a consent for a wet signature and recording it (with a scan checked by its
content), the practice-wide lists, the batch print of the consents of some days, checking a code or an
uploaded PDF, the public check, and assigning and reviewing health forms."""

import hashlib
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import START, add_patients, count_queries, post_form
from consent_data import default_documents, sign
from freezegun import freeze_time
from helpers import pdf_text
from pypdf import PdfReader
from sqlalchemy import func, select, text
from werkzeug.datastructures import FileStorage

from portal.extensions import db
from portal.models import Document, FormAssignment, Signature
from portal.services import paging
from portal.services.consents import documents, reports, seal_keys, signing
from portal.services.practice import get_practice

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)


@pytest.fixture(scope="module")
def seal_p12(tmp_path_factory):
    """One seal certificate for the module (RSA 3072 takes a moment), valid from 2020 so the
    frozen clock of these tests is inside its validity."""
    path = tmp_path_factory.mktemp("seal") / "seal.p12"
    with freeze_time("2020-01-01"):
        path.write_bytes(seal_keys.new_seal_p12("Test practice"))
    return path


@pytest.fixture
def in_use(app, seal_p12):
    """The default documents (the portal consent, valid 12 months, and the medical history
    form): {"consent": document id, "form": document id}."""
    app.config["SEAL_P12"] = str(seal_p12)
    return default_documents(app)


def signature_row(app, signature_id):
    with app.app_context():
        row = db.session.get(Signature, signature_id)
        values = {"pdf": row.pdf, "code": row.verification_code, "sha": row.pdf_sha256,
                  "version_sha": row.version_sha256, "row": row}
        db.session.expunge(row)
        return values


def signature_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Signature.id)))


def squeezed(words):
    """Text without any white space: a long hash may wrap anywhere in a PDF table."""
    return "".join(words.split())


def paper_url(patient_id, document_id):
    return f"/staff/patients/{patient_id}/consents/{document_id}/paper"


def paper_form(app, document_id, **values):
    with app.app_context():
        version_id = db.session.get(Document, document_id).current_version_id
    return {"version_id": str(version_id), "signer_name": "Morgan Quill",
            "signer_role": "guardian", "signed_on-month": "11", "signed_on-day": "20",
            "signed_on-year": "2026", **values}


# -- a paper signature ------------------------------------------------------------------------

def test_a_parent_s_paper_signature_for_a_minor_is_stored_sealed_and_counts(
        app, staff_client, make_patient, in_use, clock, audit_trail):
    minor = make_patient(first_name="Ada", last_name="Quill", date_of_birth=date(2015, 6, 1),
                         account_number="T-2001")
    browser = staff_client("nurse")
    chart = browser.get(f"/staff/patients/{minor.id}/consents").get_data(as_text=True)
    assert "1 required consent is missing:" in chart and "Record a paper signature" in chart
    page = browser.get(paper_url(minor.id, in_use["consent"])).get_data(as_text=True)
    assert "Ada Quill" in page and "T-2001" in page and "06/01/2015" in page
    # A minor's consent: a parent or guardian by default, whose name staff type.
    assert re.search(r'<input checked[^>]*value="guardian"', page)
    assert re.search(r'<input[^>]*id="signer_name"[^>]*value=""', page)

    response = post_form(browser, paper_url(minor.id, in_use["consent"]),
                         paper_form(app, in_use["consent"],
                                    scan=(io.BytesIO(PNG), "signed-paper.png")),
                         content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/patients/{minor.id}/consents"

    with app.app_context():
        [stored] = db.session.scalars(select(Signature)).all()
        signature_id = stored.id
        assert (stored.method, stored.signer_role, stored.signer_name) == ("paper", "guardian",
                                                                           "Morgan Quill")
        assert stored.paper_signed_on == date(2026, 11, 20) and stored.scan_type == "image/png"
        assert stored.recorded_by_id == browser.staff.id and stored.scan == PNG
    found = signature_row(app, signature_id)
    words = pdf_text(found["pdf"])
    for expected in ("Ada Quill", "June 1, 2015", "06/01/2015", "T-2001", "Morgan Quill",
                     "Parent or guardian", "Signature record", "Signed on paper",
                     signing.show_code(found["code"])):
        assert expected in words, expected
    assert found["version_sha"] in squeezed(words)
    assert hashlib.sha256(found["pdf"]).hexdigest() == found["sha"]
    assert [row.patient_id for row in audit_trail.rows("document.paper_recorded")] == [minor.id]

    # It is the patient's current consent: no longer missing, anywhere.
    chart = browser.get(f"/staff/patients/{minor.id}/consents").get_data(as_text=True)
    assert "required consent is missing" not in chart and "Morgan Quill" in chart
    missing = browser.get(f"/staff/consents/{in_use['consent']}/missing").get_data(as_text=True)
    assert "Quill, Ada" not in missing and "0 patients" in missing
    with app.app_context():
        version = documents.current_version(db.session.get(Document, in_use["consent"]))
        assert paging.count_of(reports.missing_statement(version)) == 0

    scan = browser.get(f"/staff/patients/{minor.id}/signatures/{signature_id}/scan/download")
    assert scan.status_code == 200 and scan.data == PNG and scan.mimetype == "image/png"
    assert scan.headers["Content-Disposition"] == \
        f'attachment; filename="consent-{found["code"]}.scan.png"'
    assert [row.patient_id for row in audit_trail.rows("signature_scan.exported")] == [minor.id]


def test_a_scan_named_png_that_holds_text_is_refused_and_nothing_is_saved(
        app, staff_client, make_patient, in_use, clock):
    patient = make_patient()
    browser = staff_client()
    response = post_form(browser, paper_url(patient.id, in_use["consent"]),
                         paper_form(app, in_use["consent"], signer_name="Robin Q. Quill",
                                    signer_role="patient",
                                    scan=(io.BytesIO(b"just some text, not a picture"), "scan.png")),
                         content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="error-summary"' in page and "The scan must be a PDF, JPEG or PNG file." in page
    assert 'value="Robin Q. Quill"' in page and 'value="20"' in page  # typed values kept
    assert signature_count(app) == 0


def post_multipart(browser, url, values):
    """A multipart POST with the CSRF token, its body built here: the test client would
    spool a large body to a temporary file it leaves open when the app answers 413."""
    from conftest import csrf_token
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart({"csrf_token": csrf_token(browser, url), **values})
    return browser.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_a_scan_over_10_mb_is_refused_and_nothing_is_saved(app, staff_client, make_patient,
                                                            in_use, clock):
    patient = make_patient()
    browser = staff_client()
    url = paper_url(patient.id, in_use["consent"])
    too_big = b"%PDF-" + bytes(10 * 1024 * 1024 - 4)  # 10 MB and one byte
    # Requests may be 25 MB (MAX_CONTENT_LENGTH), so the scan's own check answers on the form.
    response = post_multipart(browser, url, paper_form(
        app, in_use["consent"], scan=FileStorage(io.BytesIO(too_big), "a.pdf")))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "The scan is larger than 10 MB." in page
    assert 'value="Morgan Quill"' in page
    assert signature_count(app) == 0
    # A request over 25 MB gets the portal's 413 page.
    huge = b"%PDF-" + bytes(25 * 1024 * 1024)
    response = post_multipart(browser, url, paper_form(
        app, in_use["consent"], scan=FileStorage(io.BytesIO(huge), "a.pdf")))
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)
    assert signature_count(app) == 0


def test_a_date_signed_in_the_future_is_refused(app, staff_client, make_patient, in_use, clock):
    patient = make_patient()
    browser = staff_client()
    # START is November 23, 2026 at 10:00 in New York: the 24th is tomorrow there.
    response = post_form(browser, paper_url(patient.id, in_use["consent"]),
                         paper_form(app, in_use["consent"], **{"signed_on-day": "24"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "The date signed cannot be in the future." in page
    assert 'href="#signed_on-month"' in page
    assert signature_count(app) == 0


def test_a_paper_consent_that_has_already_ended_is_refused(app, staff_client, make_patient,
                                                          in_use, clock):
    """The portal consent lasts 12 months: paper signed 13 months ago is no current consent."""
    patient = make_patient()
    browser = staff_client()
    response = post_form(browser, paper_url(patient.id, in_use["consent"]),
                         paper_form(app, in_use["consent"], **{"signed_on-month": "10",
                                                               "signed_on-year": "2025"}))
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 200
    assert "A consent signed on that day has already ended: it lasts 12 months." in page
    assert signature_count(app) == 0


def test_paper_signed_this_morning_is_never_dated_in_the_future(app, staff_client, make_patient,
                                                                in_use, clock):
    """START is 10:00 in New York: noon on the paper's day is still to come, so now it is."""
    patient = make_patient()
    browser = staff_client()
    response = post_form(browser, paper_url(patient.id, in_use["consent"]),
                         paper_form(app, in_use["consent"], **{"signed_on-day": "23"}))
    assert response.status_code == 302
    with app.app_context():
        signature = db.session.scalar(select(Signature))
        assert signature.signed_at == START and signature.paper_signed_on == date(2026, 11, 23)


def test_the_wet_signature_pdf_is_prefilled_with_blank_lines(app, staff_client, make_patient,
                                                             in_use, audit_trail):
    patient = make_patient(first_name="Avery", last_name="Lindqvist",
                           date_of_birth=date(1984, 3, 14), account_number="T-3003")
    browser = staff_client()
    response = browser.get(f"/staff/patients/{patient.id}/consents/{in_use['consent']}"
                           "/wet-signature.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ") and " " not in disposition.split("; ", 1)[1]
    assert "Lindqvist" not in disposition and "Avery" not in disposition
    reader = PdfReader(io.BytesIO(response.data))
    assert [(float(page.mediabox.width), float(page.mediabox.height))
            for page in reader.pages][0] == (612, 792)  # US Letter
    words = pdf_text(response.data)
    for expected in ("Avery Lindqvist", "March 14, 1984", "03/14/1984", "T-3003",
                     "Patient portal consent", "Signature", "Printed name", "Date"):
        assert expected in words, expected
    assert "Verification code" not in words  # nothing is signed yet
    [row] = audit_trail.rows("wet_signature_form.exported")
    assert row.patient_id == patient.id and row.actor_id == browser.staff.id


# -- signed PDFs -------------------------------------------------------------------------------

def test_a_signed_pdf_downloads_checked_audited_and_never_cached(app, staff_client,
                                                                 make_patient, in_use, audit_trail):
    patient = make_patient()
    signature_id = sign(app, patient.id, in_use["consent"])
    found = signature_row(app, signature_id)
    browser = staff_client()
    response = browser.get(f"/staff/patients/{patient.id}/signatures/{signature_id}.pdf")
    assert response.status_code == 200 and response.data == found["pdf"]
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="consent-{found["code"]}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    [row] = audit_trail.rows("signature.exported")
    assert (row.patient_id, row.object_id) == (patient.id, str(signature_id))
    assert row.detail == f"format: pdf; bytes: {len(found['pdf'])}"


def test_a_stored_pdf_changed_in_the_database_is_refused_and_logged(
        app, staff_client, make_patient, in_use, audit_trail):
    patient = make_patient()
    signature_id = sign(app, patient.id, in_use["consent"])
    changed = bytearray(signature_row(app, signature_id)["pdf"])
    changed[2000] ^= 0x01
    with app.app_context():
        db.session.execute(text("UPDATE signatures SET pdf = :pdf WHERE id = :id"),
                           {"pdf": bytes(changed), "id": signature_id})
        db.session.commit()
    browser = staff_client()
    response = browser.get(f"/staff/patients/{patient.id}/signatures/{signature_id}.pdf")
    assert response.status_code == 302 and response.mimetype != "application/pdf"
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "failed its integrity check" in page
    assert [row.object_id for row in audit_trail.rows("signature.integrity_failed")] == \
        [str(signature_id)]
    assert audit_trail.rows("signature.exported") == []


@pytest.mark.parametrize("path", ["signatures/{id}.pdf", "signatures/{id}/scan/download"])
def test_another_patient_s_signature_is_not_found(app, staff_client, make_patient, in_use,
                                                  path, audit_trail):
    owner = make_patient()
    other = make_patient(account_number="T-9999", first_name="Sam")
    signature_id = sign(app, owner.id, in_use["consent"])
    browser = staff_client()
    response = browser.get(f"/staff/patients/{other.id}/" + path.format(id=signature_id))
    assert response.status_code == 404
    assert [row.patient_id for row in audit_trail.rows("patient.access_refused")] == [other.id]
    assert audit_trail.rows("signature.exported") == []


# -- the practice-wide lists ------------------------------------------------------------------

def test_the_practice_page_shows_missing_and_ending_within_30_days(
        app, staff_client, make_patient, in_use, clock, audit_trail):
    soon = make_patient(first_name="Soon", last_name="Ending", account_number="T-1")
    later = make_patient(first_name="Later", last_name="Ending", account_number="T-2")
    unsigned = make_patient(first_name="Never", last_name="Signed", account_number="T-3")
    clock.move_to(START - timedelta(days=340))  # valid 12 months: ends in 25 or 26 days
    sign(app, soon.id, in_use["consent"])
    clock.move_to(START - timedelta(days=300))  # ends in about 65 days
    sign(app, later.id, in_use["consent"])
    clock.move_to(START)
    browser = staff_client()
    page = browser.get("/staff/consents").get_data(as_text=True)
    ending = page.split("Ending in the next 30 days", 1)[1].split("Latest signatures")[0]
    assert "Ending, Soon" in ending and "Ending, Later" not in ending
    assert "in 25 days" in ending
    assert "1 patient" in page  # the one missing
    missing = browser.get(f"/staff/consents/{in_use['consent']}/missing").get_data(as_text=True)
    assert "Signed, Never" in missing and "Ending, Soon" not in missing
    assert "Ending, Later" not in missing
    assert f'/staff/patients/{unsigned.id}/consents' in missing
    chart = browser.get(f"/staff/patients/{soon.id}/consents").get_data(as_text=True)
    assert "(expires in 25 days)" in chart

    clock.move_to(START + timedelta(days=26))  # the first one has ended
    browser = staff_client(staff=browser.staff, direct=True)  # a new session, 26 days on
    page = browser.get("/staff/consents").get_data(as_text=True)
    missing = browser.get(f"/staff/consents/{in_use['consent']}/missing").get_data(as_text=True)
    assert "Ending, Soon" in missing and "Signed, Never" in missing
    assert "Ending, Soon" not in page.split("Ending in the next 30 days", 1)[1].split(
        "Latest signatures")[0]
    # The lists are on the audit trail by chart id: those ending soon, then the latest signed.
    assert audit_trail.rows("consent.report_viewed")[0].detail == \
        f"page: 1; shown: {soon.id}, {later.id}"


def test_the_practice_page_runs_as_many_queries_for_20_signatures_as_for_2(
        app, staff_client, in_use, clock, monkeypatch):
    # The list is under test, not the PDFs: a stand-in PDF keeps 20 signatures quick.
    monkeypatch.setattr(signing, "signed_pdf", lambda *args, **kwargs: b"%PDF-1.7 stand-in")
    ids = add_patients(app, 20)
    for patient_id in ids[:2]:
        clock.move_to(START - timedelta(days=340))
        sign(app, patient_id, in_use["consent"])
    clock.move_to(START)
    browser = staff_client()
    two = count_queries(app, lambda: browser.get("/staff/consents"))
    for patient_id in ids[2:]:
        clock.move_to(START - timedelta(days=340))
        sign(app, patient_id, in_use["consent"])
    clock.move_to(START)
    page = browser.get("/staff/consents").get_data(as_text=True)
    assert page.count("Open PDF") == 20
    twenty = count_queries(app, lambda: browser.get("/staff/consents"))
    assert twenty == two


def test_the_chart_runs_as_many_queries_for_20_signatures_as_for_2(
        app, staff_client, make_patient, in_use, monkeypatch):
    monkeypatch.setattr(signing, "signed_pdf", lambda *args, **kwargs: b"%PDF-1.7 stand-in")
    patient = make_patient()
    for _ in range(2):
        sign(app, patient.id, in_use["consent"])
    browser = staff_client()
    section = f"/staff/patients/{patient.id}/consents"
    two = count_queries(app, lambda: browser.get(section))
    for _ in range(18):
        sign(app, patient.id, in_use["form"])
    assert browser.get(section).get_data(as_text=True).count("Open PDF") == 20
    assert count_queries(app, lambda: browser.get(section)) == two


# -- batch print -------------------------------------------------------------------------------

def batch_form(first, last):
    return {"first-month": str(first.month), "first-day": str(first.day),
            "first-year": str(first.year), "last-month": str(last.month),
            "last-day": str(last.day), "last-year": str(last.year)}


def test_the_batch_print_holds_the_consents_of_the_days_in_signing_order(
        app, staff_client, make_patient, in_use, clock, audit_trail):
    patients = [make_patient(account_number=f"T-{n}", first_name=f"Pat{n}") for n in range(4)]
    # Practice time is New York: 03:00 UTC on the 11th is still the 10th there.
    moments = [datetime(2026, 11, 10, 3, 0, tzinfo=UTC),  # Nov 9, local: before the range
               datetime(2026, 11, 10, 15, 0, tzinfo=UTC), datetime(2026, 11, 12, 9, 0, tzinfo=UTC),
               datetime(2026, 11, 13, 4, 59, tzinfo=UTC)]  # Nov 12, 23:59 local: the last day
    signed = []
    for patient, moment in zip(patients, moments, strict=True):
        clock.move_to(moment)
        signed.append(sign(app, patient.id, in_use["consent"]))
    clock.move_to(START)
    browser = staff_client()
    response = post_form(browser, "/staff/consents/batch",
                         batch_form(date(2026, 11, 10), date(2026, 11, 12)))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="consents-2026-11-10-to-2026-11-12.pdf"'
    # The three of those days, in signing order; the one of the day before is not there.
    words = pdf_text(response.data)
    codes = [signing.show_code(signature_row(app, signature_id)["code"]) for signature_id in signed]
    assert codes[0] not in words
    places = [words.index(f"Verification code: {code}") for code in codes[1:]]
    assert places == sorted(places)
    assert "Signed consents, November 10, 2026 to November 12, 2026" in words
    assert [row.object_id for row in audit_trail.rows("signature.exported")] == \
        [str(signature_id) for signature_id in signed[1:]]
    [row] = audit_trail.rows("consent.batch_printed")
    assert row.detail.startswith("from 2026-11-10 to 2026-11-12; consents: 3; bytes: ")


def test_a_batch_print_without_consents_says_so(app, staff_client, in_use, clock):
    browser = staff_client()
    response = post_form(browser, "/staff/consents/batch",
                         batch_form(date(2026, 10, 1), date(2026, 10, 31)))
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "No consents were signed on those days" in response.get_data(as_text=True)
    response = post_form(browser, "/staff/consents/batch",
                         batch_form(date(2026, 10, 31), date(2026, 10, 1)))
    assert "The last day must be on or after the first day." in response.get_data(as_text=True)


# -- verification -------------------------------------------------------------------------------

def test_a_code_shows_what_was_signed_by_whom_and_when(app, staff_client, make_patient, in_use,
                                                       audit_trail):
    patient = make_patient(first_name="Avery", last_name="Lindqvist",
                           date_of_birth=date(1984, 3, 14), account_number="T-3003")
    signature_id = sign(app, patient.id, in_use["consent"])
    found = signature_row(app, signature_id)
    browser = staff_client()
    typed = signing.show_code(found["code"]).lower()  # as a person might type it
    page = post_form(browser, "/staff/consents/verify", {"code": typed}).get_data(as_text=True)
    for expected in ("Patient portal consent", "Avery Lindqvist", "03/14/1984", "T-3003",
                     "203.0.113.7", found["version_sha"], found["sha"], "Signed online",
                     "(Patient)", " UTC"):
        assert expected in page, expected
    [row] = audit_trail.rows("signature.verified")
    assert (row.patient_id, row.detail) == (patient.id, "by: code")

    page = post_form(browser, "/staff/consents/verify", {"code": "ZZZZZ-ZZZZZ"}).get_data(as_text=True)
    assert "No signed document has this verification code." in page
    assert "Lindqvist" not in page


def upload(browser, data, name="consent.pdf"):
    return post_form(browser, "/staff/consents/verify",
                     {"code": "", "upload": (io.BytesIO(data), name)},
                     content_type="multipart/form-data").get_data(as_text=True)


def test_an_uploaded_pdf_is_compared_with_the_stored_one_and_its_seal_read(
        app, staff_client, make_patient, in_use, audit_trail):
    patient = make_patient(first_name="Avery", last_name="Lindqvist", account_number="T-3003")
    found = signature_row(app, sign(app, patient.id, in_use["consent"]))
    browser = staff_client()

    page = upload(browser, found["pdf"])
    assert "The file is byte for byte the PDF stored at signing." in page
    assert "The practice's seal is intact and covers the whole file." in page
    assert "Avery Lindqvist" in page and "T-3003" in page

    changed = bytearray(found["pdf"])
    changed[len(changed) // 3] ^= 0x01  # one byte inside the sealed range
    page = upload(browser, bytes(changed))
    assert "The file does not match the PDF stored at signing" in page
    assert "byte for byte" not in page and "seal is intact and covers" not in page

    page = upload(browser, b"hello, this is a text file", "notes.pdf")
    assert "This file is not a PDF" in page
    unsealed = found["pdf"][:found["pdf"].index(b"%%EOF") + 5]  # as written before sealing
    page = upload(browser, unsealed)
    assert "This PDF does not carry the practice's seal" in page
    assert len(audit_trail.rows("signature.verified")) == 4
    assert audit_trail.rows("signature.verified")[0].detail == \
        "by: upload; result: identical; seal: intact"


def test_a_pdf_without_the_seal_is_told_apart(app, staff_client, in_use):
    from portal.services.pdf import render_pdf

    with app.test_request_context():
        plain = render_pdf("letter", title="A letter", practice=get_practice(),
                           paragraphs=["Nothing signed here."])
    page = upload(staff_client(), plain)
    assert "This PDF does not carry the practice's seal" in page


# -- the public check ---------------------------------------------------------------------------

def public_verification(app, on):
    with app.app_context():
        practice = get_practice()
        practice.public_verification = on
        db.session.add(practice)
        db.session.commit()


def test_the_public_check_is_not_there_unless_the_practice_turns_it_on(client, app):
    assert client.get("/verify").status_code == 404
    assert client.post("/verify", data={"code": "ABCDE-23456"}).status_code in (400, 404)


def test_the_public_check_says_only_valid_and_the_day(client, app, make_patient, in_use, clock,
                                                      audit_trail):
    patient = make_patient(first_name="Avery", last_name="Lindqvist")
    found = signature_row(app, sign(app, patient.id, in_use["consent"]))
    public_verification(app, True)
    assert client.get("/verify").status_code == 200
    page = post_form(client, "/verify", {"code": signing.show_code(found["code"])}).get_data(
        as_text=True)
    assert "Valid: signed on November 23, 2026." in page
    for secret in ("Lindqvist", "Avery", "Patient portal consent", "T-1001"):
        assert secret not in page
    page = post_form(client, "/verify", {"code": "ZZZZZ-ZZZZZ"}).get_data(as_text=True)
    assert "No signed document has this code." in page and "Valid" not in page
    [row] = audit_trail.rows("signature.publicly_verified")
    assert row.actor_kind == "anonymous" and row.patient_id == patient.id


def test_the_public_check_allows_10_codes_per_address_in_15_minutes(client, app, in_use, clock):
    public_verification(app, True)
    for number in range(10):
        response = post_form(client, "/verify", {"code": f"ZZZZZ-ZZZZ{number}"})
        assert response.status_code == 200, number
    assert post_form(client, "/verify", {"code": "ZZZZZ-ZZZZA"}).status_code == 429
    clock.tick(timedelta(minutes=15, seconds=1))
    assert post_form(client, "/verify", {"code": "ZZZZZ-ZZZZA"}).status_code == 200


def test_the_public_check_needs_the_csrf_token(client, app, in_use):
    public_verification(app, True)
    assert client.post("/verify", data={"code": "ZZZZZ-ZZZZZ"}).status_code == 400


# -- health forms -------------------------------------------------------------------------------

def test_staff_assign_a_health_form_once(app, staff_client, make_patient, in_use, audit_trail):
    patient = make_patient()
    browser = staff_client()
    chart_url = f"/staff/patients/{patient.id}/consents"
    assert "Assign a health form" in browser.get(chart_url).get_data(as_text=True)
    url = f"/staff/patients/{patient.id}/forms/assign"
    for _ in range(2):
        response = post_form(browser, url, {"document_id": str(in_use["form"])},
                             page_url=chart_url)
        assert response.headers["Location"] == chart_url
    page = browser.get(chart_url).get_data(as_text=True)
    assert "already assigned and not yet filled in" in page
    assert "Medical history" in page.split("Health forms assigned", 1)[1]
    with app.app_context():
        [assignment] = db.session.scalars(select(FormAssignment)).all()
        assert (assignment.patient_id, assignment.document_id, assignment.assigned_by_id) == \
            (patient.id, in_use["form"], browser.staff.id)
    assert [row.patient_id for row in audit_trail.rows("form.assigned")] == [patient.id]


def test_the_review_list_and_mark_reviewed(app, staff_client, make_patient, in_use, clock,
                                           audit_trail):
    first = make_patient(first_name="First", last_name="Filled", account_number="T-1")
    second = make_patient(first_name="Second", last_name="Filled", account_number="T-2")
    first_form = sign(app, first.id, in_use["form"])
    clock.tick(timedelta(hours=1))
    sign(app, second.id, in_use["form"])
    sign(app, second.id, in_use["consent"])  # consents are not reviewed here
    browser = staff_client("provider", name="Dr. Rivera")
    page = browser.get("/staff/forms/review").get_data(as_text=True)
    assert "2 forms waiting for review" in page
    assert page.index("Filled, First") < page.index("Filled, Second")  # oldest first
    assert f"/staff/patients/{first.id}/signatures/{first_form}.pdf" in page

    url = f"/staff/patients/{first.id}/forms/{first_form}/reviewed"
    response = post_form(browser, url, {}, page_url="/staff/forms/review")
    assert response.headers["Location"] == "/staff/forms/review"
    with app.app_context():
        stored = db.session.get(Signature, first_form)
        assert stored.reviewed_at == START + timedelta(hours=1)
        assert stored.reviewed_by_id == browser.staff.id
    assert [row.patient_id for row in audit_trail.rows("form.reviewed")] == [first.id]
    page = browser.get("/staff/forms/review").get_data(as_text=True)
    assert "1 form waiting for review" in page and "Filled, First" not in page
    page = browser.get("/staff/forms/review?show=reviewed").get_data(as_text=True)
    assert "1 form reviewed" in page and "Filled, First" in page and "Dr. Rivera" in page
    # Marking it again changes nothing; another chart's id for it is not found.
    post_form(browser, url, {}, page_url="/staff/forms/review")
    assert len(audit_trail.rows("form.reviewed")) == 1
    other = f"/staff/patients/{second.id}/forms/{first_form}/reviewed"
    assert post_form(browser, other, {}, page_url="/staff/forms/review").status_code == 404


def test_consent_pages_are_for_staff_only(client, app, make_account, in_use, auth):
    account = make_account()
    auth.patient_sign_in(account.username)
    for url in ("/staff/consents", "/staff/consents/verify", "/staff/consents/batch",
                "/staff/forms/review"):
        assert client.get(url).status_code == 403, url
