"""Signing consents and health forms as a patient: the gate, the signature and its evidence,
the stored and sealed PDF, renewal, and health form drafts. PDFs are read back with pypdf,
pdftotext, pdffonts, qpdf and pyHanko, as an archive or a court would."""

import base64
import io
import subprocess
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import START, AuthActions, csrf_token, post_form
from consent_data import fill, sign_page
from consent_data import page_text as text
from consent_data import sign_on_page as sign
from helpers import pdf_text
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import AuditEvent, Document, DocumentVersion, FormDraft, OutboxEmail, Signature
from portal.models.consents import SignatureChangedError
from portal.services import audit
from portal.services.consents import blocks, defaults, documents, gate, reports, seal, signing
from portal.services.practice import get_practice
from portal.services.setup import install_defaults

LETTER_POINTS = (612, 792)
@pytest.fixture
def robin_without_consent(make_account):
    """Robin Q. Quill, born 1980-04-09, account T-1001, with no consent signed yet."""
    return make_account(consented=False, middle_name="Q.")


@pytest.fixture
def signed_in(robin_without_consent, auth, client):
    response = auth.patient_sign_in("robin")
    assert response.status_code == 302
    return client


def consent_ids(app):
    with app.app_context():
        document, version = documents.portal_consent()
        db.session.commit()
        return document.id, version.id


def signatures(app):
    with app.app_context():
        rows = db.session.scalars(select(Signature).order_by(Signature.id)).all()
        db.session.expunge_all()
        return rows


def stored_pdf(app, signature_id):
    with app.app_context():
        return reports.signature_pdf(signature_id)


# -- the gate -------------------------------------------------------------------------------

def test_the_gate_sends_a_patient_to_the_consent_and_lets_them_go_once_signed(app, signed_in):
    document_id, _ = consent_ids(app)
    for page in ("/home", "/profile", "/consents", "/profile/activity"):
        response = signed_in.get(page)
        assert response.status_code == 302, page
        assert response.headers["Location"] == f"/consents/{document_id}/sign?required=1"
    shown = text(signed_in.get(f"/consents/{document_id}/sign?required=1"))
    assert get_message("consent_needed", title="Patient portal consent")[0].replace("'", "'") in shown
    assert "What you agree to" in shown and "Not for emergencies" in shown  # the whole text
    # Help pages and signing out stay open.
    assert signed_in.get("/policy").status_code == 200

    response, _ = sign(signed_in, document_id, name="  robin   QUILL ")
    assert response.status_code == 302
    listed = text(signed_in.get(response.headers["Location"]))
    assert get_message("consent_signed", title="Patient portal consent")[0] in listed
    assert "Medical history questionnaire" in listed and "Download PDF" in listed
    assert signed_in.get("/home").status_code == 200
    assert signed_in.get("/profile").status_code == 200


@pytest.mark.no_defaults  # a portal from before consents existed
def test_a_patient_from_before_consents_existed_is_asked_to_sign_on_their_next_visit(
        app, signed_in):
    """An upgraded portal has no documents yet: `portal setup` (install_defaults) makes the
    defaults, and on their next visit the gate sends the patient to the portal consent."""
    with app.app_context():
        assert db.session.scalar(select(func.count(Document.id))) == 0
        install_defaults()  # what `portal setup` runs after migrating
        db.session.commit()
    response = signed_in.get("/home")
    with app.app_context():
        document_id = db.session.scalar(select(Document.id).where(Document.is_portal_consent))
    assert response.headers["Location"] == f"/consents/{document_id}/sign?required=1"


def test_signing_out_stays_open_behind_the_gate(app, signed_in):
    consent_ids(app)
    response = signed_in.post("/sign-out", data={"csrf_token": csrf_token(signed_in, "/policy")})
    assert response.status_code == 302
    assert signed_in.get("/home").status_code == 302  # to sign in now, not to the consent
    assert signed_in.get("/home").headers["Location"].startswith("/sign-in")


def test_the_gate_returns_when_the_consent_expires_12_months_on(app, robin_without_consent, auth,
                                                                client, clock):
    document_id, _ = consent_ids(app)
    assert auth.patient_sign_in("robin").status_code == 302
    assert sign(client, document_id)[0].status_code == 302
    clock.move_to(START + timedelta(days=360))
    assert auth.patient_sign_in("robin").status_code == 302
    assert client.get("/home").status_code == 200  # 12 months not over yet
    clock.move_to(START + timedelta(days=366))
    assert auth.patient_sign_in("robin").status_code == 302
    response = client.get("/home")
    assert response.headers["Location"] == f"/consents/{document_id}/sign?required=1"


# -- signing and its evidence ---------------------------------------------------------------

def test_a_signed_consent_keeps_its_evidence_and_a_sealed_pdf(app, clock, signed_in):
    document_id, version_id = consent_ids(app)
    response, _ = sign(signed_in, document_id, name="Robin Q. Quill",
                       headers={"User-Agent": "Mozilla/5.0 Test"})
    [signature] = signatures(app)
    assert response.headers["Location"] == f"/consents?signed={signature.id}"
    with app.app_context():
        version = db.session.get(DocumentVersion, version_id)
        assert signature.version_id == version_id and signature.version_sha256 == version.sha256
        assert signature.version_sha256 == blocks.content_digest(version)
    assert (signature.signer_name, signature.signer_role, signature.method) == (
        "Robin Q. Quill", "patient", "online")
    assert signature.signed_at == START
    assert signature.signed_at_local == "2026-11-23T10:00:00-05:00"  # New York, the practice's zone
    assert signature.time_zone == "America/New_York"
    assert signature.ip_address == "127.0.0.1"
    assert signature.expires_at.date() == date(2027, 11, 23)  # 12 months
    assert signature.values == {"answers": {}, "attestations": []}

    pdf = stored_pdf(app, signature.id)
    words = pdf_text(pdf)
    code = signing.show_code(signature.verification_code)
    for expected in ("Patient portal consent", "Robin Q. Quill", "April 9, 1980", "04/09/1980",
                     "T-1001", "Signature record", "2026-11-23 15:00:00 UTC",
                     "2026-11-23T10:00:00-05:00", "127.0.0.1", code):
        assert expected in words, expected
    assert signature.version_sha256 in "".join(words.split())  # wrapped in its table cell
    pages = PdfReader(io.BytesIO(pdf)).pages
    for number, page in enumerate(pages, start=1):
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == LETTER_POINTS
        footer = page.extract_text()
        assert "Robin Q. Quill" in footer and code in footer
        assert f"Page {number} of {len(pages)}" in footer

    # The patient downloads exactly the stored bytes.
    download = signed_in.get(f"/consents/signed/{signature.id}.pdf")
    assert download.data == pdf
    assert download.headers["Content-Disposition"] == \
        f'attachment; filename="consent-{signature.verification_code}.pdf"'
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    with app.app_context():
        [exported] = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "signature.exported")).all()
        assert (exported.patient_id, exported.object_id) == (signature.patient_id, str(signature.id))
        assert exported.detail == f"format: pdf; bytes: {len(pdf)}"


def test_the_stored_pdf_is_archival_embedded_and_sealed(app, signed_in, tmp_path):
    document_id, _ = consent_ids(app)
    sign(signed_in, document_id)
    [signature] = signatures(app)
    pdf = stored_pdf(app, signature.id)
    path = tmp_path / "consent.pdf"
    path.write_bytes(pdf)
    assert subprocess.run(["qpdf", "--check", str(path)], capture_output=True).returncode == 0
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the emb column
    metadata = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"pdfaid:part" in metadata and b"pdfaid:conformance" in metadata  # PDF/A-3b

    flipped = bytearray(pdf)
    flipped[len(pdf) // 3] ^= 0x01  # one bit inside the signed range
    with app.app_context():
        assert seal.verify_pdf(pdf).ok  # intact, whole, and the practice's own seal
        assert not seal.verify_pdf(bytes(flipped)).intact


def test_a_name_that_is_not_the_charts_signs_nothing(app, signed_in):
    document_id, _ = consent_ids(app)
    response, _ = sign(signed_in, document_id, name="Robin Smith")
    assert response.status_code == 200
    assert "does not match our records" in text(response)
    assert 'class="error-summary"' in text(response)
    assert signatures(app) == []


def test_agreeing_is_required(app, signed_in):
    document_id, _ = consent_ids(app)
    response, _ = sign(signed_in, document_id, agree="")
    assert "Tick “I have read and agree” to sign." in text(response)
    assert signatures(app) == []


def test_a_second_submit_of_the_same_page_signs_once(app, signed_in):
    document_id, _ = consent_ids(app)
    first, data = sign(signed_in, document_id)
    again = signed_in.post(f"/consents/{document_id}/sign", data=data)
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert len(signatures(app)) == 1


def test_a_drawn_signature_is_kept_flattened_and_printed(app, signed_in):
    from PIL import Image, ImageDraw

    document_id, _ = consent_ids(app)
    image = Image.new("RGBA", (600, 160), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, 120), (200, 40), (380, 120), (560, 40)], fill="black", width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    data_url = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
    sign(signed_in, document_id, drawing=data_url)
    [signature] = signatures(app)
    with app.app_context():
        stored = db.session.get(Signature, signature.id).drawn_signature
    with Image.open(io.BytesIO(stored)) as kept:
        assert kept.mode == "L" and kept.size == (600, 160)  # grey, on white
    reader = PdfReader(io.BytesIO(stored_pdf(app, signature.id)))
    assert any(page.images for page in reader.pages)


def test_a_drawing_that_is_not_a_png_is_refused_with_a_message(app, signed_in):
    document_id, _ = consent_ids(app)
    response, _ = sign(signed_in, document_id, drawing="data:image/png;base64,bm90IGEgcG5n")
    assert "The drawn signature could not be read" in text(response)
    assert signatures(app) == []


def test_attestations_must_be_ticked(app, signed_in):
    document_id, _ = consent_ids(app)
    with app.app_context():
        document = db.session.get(Document, document_id)
        draft = documents.start_draft(document, audit.SYSTEM)
        documents.update_draft(draft, attestations=["I live in Illinois."])
        documents.publish(draft, audit.SYSTEM)
        db.session.commit()
    response, _ = sign(signed_in, document_id)
    assert "Tick every statement to sign: I live in Illinois." in text(response)
    assert signatures(app) == []
    response, _ = sign(signed_in, document_id, attest="0")
    assert response.status_code == 302
    [signature] = signatures(app)
    assert signature.values["attestations"] == ["I live in Illinois."]
    assert "I live in Illinois." in pdf_text(stored_pdf(app, signature.id))


def test_changing_the_document_after_signing_leaves_the_signed_pdf_byte_identical(app, signed_in):
    document_id, version_id = consent_ids(app)
    sign(signed_in, document_id)
    [signature] = signatures(app)
    before = stored_pdf(app, signature.id)
    with app.app_context():
        document = db.session.get(Document, document_id)
        draft = documents.start_draft(document, audit.SYSTEM)
        documents.update_draft(draft, title="Portal consent, revised", body="New words only.")
        documents.publish(draft, audit.SYSTEM)
        db.session.commit()
        old = db.session.get(DocumentVersion, version_id)
        assert "New words only." not in old.body and old.sha256 == signature.version_sha256
    assert stored_pdf(app, signature.id) == before
    assert signed_in.get(f"/consents/signed/{signature.id}.pdf").data == before


def test_a_page_left_open_across_a_new_version_asks_to_read_it_again(app, signed_in):
    document_id, _ = consent_ids(app)
    page, key, old_version = sign_page(signed_in, document_id)
    with app.app_context():
        draft = documents.start_draft(db.session.get(Document, document_id), audit.SYSTEM)
        documents.update_draft(draft, body="Revised text.")
        documents.publish(draft, audit.SYSTEM)
        db.session.commit()
    response = signed_in.post(f"/consents/{document_id}/sign", data={
        "csrf_token": csrf_token(signed_in, "/policy"), "submission_key": key,
        "version_id": old_version, "legal_name": "Robin Quill", "agree": "y"})
    assert response.status_code == 200 and "published a new version" in text(response)
    assert "Revised text." in text(response) and signatures(app) == []


def test_forged_versions_and_other_patients_copies_are_not_found(app, signed_in, make_account):
    document_id, _ = consent_ids(app)
    other = make_account(username="sam", account_number="T-2002", first_name="Sam",
                         email="sam@example.com")
    with app.app_context():
        [theirs] = db.session.scalars(select(Signature).where(
            Signature.patient_id == other.patient_id)).all()
        form_id = db.session.scalar(select(Document.id).where(Document.kind == "form"))
    assert signed_in.get(f"/consents/signed/{theirs.id}.pdf").status_code == 404
    assert signed_in.get("/consents/99999/sign").status_code == 404
    assert signed_in.get(f"/consents/{form_id}/sign").status_code == 404  # a form is not a consent
    _, key, _ = sign_page(signed_in, document_id)
    for forged in ("99999", "abc", ""):
        response = signed_in.post(f"/consents/{document_id}/sign", data={
            "csrf_token": csrf_token(signed_in, "/policy"), "submission_key": key,
            "version_id": forged, "legal_name": "Robin Quill", "agree": "y"})
        assert response.status_code == 404, forged
    assert len(signatures(app)) == 1  # Sam's only


def test_evidence_never_changes_once_stored(app, signed_in):
    document_id, _ = consent_ids(app)
    sign(signed_in, document_id)
    with app.app_context():
        signature = db.session.scalar(select(Signature))
        signature.reminder_sent_at = START  # workflow: allowed
        db.session.commit()
        signature.signer_name = "Someone Else"
        with pytest.raises(SignatureChangedError):
            db.session.commit()
        db.session.rollback()


def test_staff_cannot_use_the_patient_pages(app, staff_client):
    browser = staff_client("front_desk")
    assert browser.get("/consents").status_code == 403


# -- renewal --------------------------------------------------------------------------------

def test_30_days_before_expiry_a_reminder_shows_and_one_email_goes(app, clock, signed_in, outbox):
    document_id, _ = consent_ids(app)
    sign(signed_in, document_id)
    clock.move_to(START + timedelta(days=334))  # 31 days before the end: nothing yet
    with app.test_request_context():
        assert gate.send_renewal_reminders() == 0
    clock.move_to(START + timedelta(days=336))  # 29 days before
    with app.test_request_context():
        assert gate.send_renewal_reminders() == 1
        assert gate.send_renewal_reminders() == 0  # one email, not one a round
        [email] = db.session.scalars(select(OutboxEmail).where(
            OutboxEmail.template == "consent_renewal")).all()
        assert email.recipient == "robin.quill@example.com"
        assert "November 23, 2027" in email.body_text
        for private in ("T-1001", "1980", "Quill"):
            assert private not in email.body_text and private not in email.subject
    browser_now = app.test_client()


    AuthActions(browser_now).patient_sign_in("robin")
    home = text(browser_now.get("/home"))
    assert "ends on November 23, 2027" in home
    assert "Renew “Patient portal consent” now" in home
    consents = text(browser_now.get("/consents"))
    assert "Your consent “Patient portal consent” ends on November 23, 2027." in consents
    # Renewing: signing again ends the reminder, and the new consent runs 12 months on.
    assert sign(browser_now, document_id)[0].status_code == 302
    assert "ends on" not in text(browser_now.get("/home"))
    assert "Please sign it again" not in text(browser_now.get("/consents"))
    newest = signatures(app)[-1]
    assert newest.expires_at.date() == date(2028, 10, 25)


# -- health forms ---------------------------------------------------------------------------

def form_page(app):
    with app.app_context():
        defaults.ensure_defaults()
        db.session.commit()
        form_id = db.session.scalar(select(Document.id).where(Document.kind == "form"))
    return form_id


def test_a_health_form_saves_a_draft_resumes_and_submits_signed(app, signed_in):
    document_id, _ = consent_ids(app)
    sign(signed_in, document_id)
    form_id = form_page(app)
    saved = fill(signed_in, form_id, "save", f_medications="Lisinopril 10 mg daily",
                 f_conditions=["Asthma or COPD", "Diabetes"], f_last_surgery_month="03",
                 f_last_surgery_day="07", f_last_surgery_year="2019")
    assert saved.status_code == 302
    resumed = text(signed_in.get(f"/consents/forms/{form_id}"))
    assert "Lisinopril 10 mg daily" in resumed
    assert 'value="Diabetes" checked' in resumed and 'value="2019"' in resumed

    # Submitting without the required answers signs nothing and keeps what was typed.
    refused = fill(signed_in, form_id, "submit", f_medications="Lisinopril 10 mg daily",
                   legal_name="Robin Quill", agree="y")
    assert refused.status_code == 200
    assert "Answer this question: Are you allergic to any medicine?" in text(refused)
    assert "Answer this question: Do you smoke or use tobacco?" in text(refused)
    assert "Lisinopril 10 mg daily" in text(refused)
    assert len(signatures(app)) == 1

    bad = fill(signed_in, form_id, "submit", f_has_allergies="yes", f_smoking="Never",
               f_alcohol_drinks_per_week="lots", f_last_surgery_month="02",
               f_last_surgery_day="30", f_last_surgery_year="2019",
               legal_name="Robin Quill", agree="y")
    assert "Enter a number, such as 3 or 2.5." in text(bad)
    assert "Enter a real date" in text(bad)
    assert len(signatures(app)) == 1

    done = fill(signed_in, form_id, "submit", f_has_allergies="yes", f_allergies="Penicillin: hives",
                f_smoking="In the past", f_alcohol_drinks_per_week="2",
                f_medications="Lisinopril 10 mg daily", f_last_surgery_month="3",
                f_last_surgery_day="7", f_last_surgery_year="2019",
                legal_name="Robin Quill", agree="y")
    assert done.status_code == 302
    form_signature = signatures(app)[-1]
    assert form_signature.kind == "form" and form_signature.expires_at is None
    assert form_signature.values["answers"] == {
        "has_allergies": "yes", "allergies": "Penicillin: hives", "smoking": "In the past",
        "alcohol_drinks_per_week": "2", "medications": "Lisinopril 10 mg daily",
        "last_surgery": "2019-03-07"}
    words = pdf_text(stored_pdf(app, form_signature.id))
    for expected in ("Medical history questionnaire", "Penicillin: hives", "March 7, 2019",
                     "In the past", "Robin Quill", "T-1001", "Signature record"):
        assert expected in words, expected
    with app.app_context():
        assert db.session.scalar(select(func.count(FormDraft.id))) == 0  # the draft is done


def test_a_form_not_offered_to_the_patient_is_not_found(app, signed_in):
    document_id, _ = consent_ids(app)
    sign(signed_in, document_id)
    form_id = form_page(app)
    with app.app_context():
        db.session.get(Document, form_id).available_to_all = False
        db.session.commit()
    assert signed_in.get(f"/consents/forms/{form_id}").status_code == 404
    assert signed_in.get("/consents/forms/99999").status_code == 404


def test_signing_in_code_paths_sign_through_the_service(app, make_patient):
    """The service refuses a wrong name whoever calls it (the form is not the only guard)."""
    patient = make_patient()
    with app.test_request_context():
        _document, version = documents.portal_consent()
        with pytest.raises(signing.SigningError):
            signing.sign(patient, version, signer=signing.Signer("Not Robin"), answers={},
                         attestations=[], drawing=None, submission_key="x" * 20,
                         practice=get_practice(), origin=audit.SYSTEM)


def test_the_form_pages_post_with_their_tokens(app, signed_in):
    document_id, _ = consent_ids(app)
    response = post_form(signed_in, f"/consents/{document_id}/sign",
                         {"legal_name": "Robin Quill", "agree": "y"},
                         page_url=f"/consents/{document_id}/sign")
    assert response.status_code == 404  # no version posted: not a page this server drew


def test_ages_are_counted_on_the_practices_calendar(app, make_patient):
    """At 8 PM in New York it is already tomorrow in UTC: a patient whose 18th birthday is
    tomorrow is still a minor, for the gate and for the missing list alike."""
    patient = make_patient(date_of_birth=date(2008, 11, 24))
    evening = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # November 23, 8 PM in New York
    with app.test_request_context():
        adults = documents.new_document("consent", "Adults' consent", audit.SYSTEM)
        documents.update_draft(adults, body="For adults.", required=True, signers="adults",
                               validity_months=12)
        documents.publish(adults, audit.SYSTEM)
        portal_consent, _version = documents.portal_consent()
        documents.retire(portal_consent, audit.SYSTEM)  # only the adults' consent is asked for
        db.session.flush()
        assert gate.consent_due(patient, evening) is None
        missing = db.session.scalars(reports.missing_statement(adults, evening)).all()
        assert patient.id not in [row.id for row in missing]
        next_day = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # the birthday, in New York too
        assert gate.consent_due(patient, next_day)[1].title == "Adults' consent"
        assert patient.id in [row.id for row in db.session.scalars(
            reports.missing_statement(adults, next_day))]


@pytest.mark.parametrize("action", ["save", "submit"])
@pytest.mark.parametrize("answers, field_message", [
    ({"f_alcohol_drinks_per_week": "1e-999999"}, "Enter a number, such as 3 or 2.5."),
    ({"f_alcohol_drinks_per_week": "9" * 300}, "Enter a number, such as 3 or 2.5."),
    ({"f_alcohol_drinks_per_week": "0." + "0" * 40 + "1"}, "Enter a number, such as 3 or 2.5."),
    ({"f_alcohol_drinks_per_week": "1e999"}, "Enter a number, such as 3 or 2.5."),
    ({"f_last_surgery_month": "3", "f_last_surgery_day": "7",
      "f_last_surgery_year": "9" * 30}, "Enter a real date"),
    ({"f_last_surgery_month": "9" * 5000, "f_last_surgery_day": "7",
      "f_last_surgery_year": "2019"}, "Enter a real date"),
])
def test_a_huge_or_tiny_number_gets_the_fields_message_not_a_500(app, signed_in, action, answers,
                                                                 field_message):
    document_id, _ = consent_ids(app)
    sign(signed_in, document_id)
    form_id = form_page(app)
    response = fill(signed_in, form_id, action, f_has_allergies="no", f_smoking="Never",
                    legal_name="Robin Quill", agree="y", **answers)
    assert response.status_code == 200
    assert field_message in text(response)
    assert len(signatures(app)) == 1  # the consent alone: nothing submitted
    with app.app_context():
        assert db.session.scalar(select(func.count(FormDraft.id))) == 0  # nothing saved


def test_a_stored_number_answer_is_at_most_30_characters(app, signed_in):
    document_id, _ = consent_ids(app)
    sign(signed_in, document_id)
    form_id = form_page(app)
    longest = "123456." + "1" * 23  # 30 characters
    assert fill(signed_in, form_id, "save", f_alcohol_drinks_per_week=longest).status_code == 302
    with app.app_context():
        [draft] = db.session.scalars(select(FormDraft)).all()
        assert draft.values["alcohol_drinks_per_week"] == longest
    refused = fill(signed_in, form_id, "save", f_alcohol_drinks_per_week=longest + "1")
    assert "Enter a number, such as 3 or 2.5." in text(refused)


def test_an_old_emailed_link_lands_on_the_new_page(app, signed_in):
    """The pages moved from /documents and /forms to /consents: a link from an older email or
    a bookmark redirects permanently, with its query string, to the same page."""
    document_id, _ = consent_ids(app)
    response = signed_in.get(f"/documents/{document_id}/sign?required=1")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/consents/{document_id}/sign?required=1"
    page = text(signed_in.get(response.headers["Location"]))
    assert "Patient portal consent" in page and "Type your full legal name" in page
    assert signed_in.get("/documents").headers["Location"] == "/consents"
    with app.app_context():
        form_id = db.session.scalar(select(Document.id).where(Document.kind == "form"))
    assert signed_in.get(f"/forms/{form_id}").headers["Location"] == f"/consents/forms/{form_id}"
    assert signed_in.get("/documents/signed/7.pdf").headers["Location"] == "/consents/signed/7.pdf"


def test_the_admin_s_old_documents_pages_redirect_to_the_consents_pages(app, client, admin):
    response = client.get("/admin/documents/3/draft")
    assert response.status_code == 301 and response.headers["Location"] == "/admin/consents/3/draft"
    assert client.get("/admin/documents").headers["Location"] == "/admin/consents"
