"""Status wherever something was signed (issue 21, part 5): a consent that is current shows
its signed copy and end date at its own address, never a second signature, until its renewal
window opens; a submitted health form shows "Submitted on DATE" and its signed copy, and a
new copy is offered only when the practice asks for it again (a new assignment)."""

from datetime import timedelta

import pytest
from conftest import START, AuthActions, count_queries, csrf_token
from consent_data import assign_form, default_documents, fill, page_text, sign_on_page, sign_page
from sqlalchemy import select

from portal.extensions import db
from portal.models import Signature
from portal.services.consents import signing

FORM_TITLE = "Medical history questionnaire"
ANSWERS = {"f_has_allergies": "yes", "f_allergies": "Penicillin: hives",
           "f_smoking": "In the past", "f_alcohol_drinks_per_week": "2",
           "f_medications": "Lisinopril 10 mg daily", "legal_name": "Robin Quill", "agree": "y"}


@pytest.fixture
def robin_without_consent(make_account):
    """Robin Q. Quill, born 1980-04-09, account T-1001, with no consent signed yet."""
    return make_account(consented=False, middle_name="Q.")


@pytest.fixture
def in_use(app):
    """The default documents: {"consent": document id, "form": document id}."""
    return default_documents(app)


@pytest.fixture
def signed_in(clock, in_use, robin_without_consent, auth, client):
    """Robin signed in at START (the clock stands there), nothing signed yet."""
    assert auth.patient_sign_in("robin").status_code == 302
    return client


def signatures_of(app, patient_id, kind):
    with app.app_context():
        found = db.session.scalars(select(Signature).where(
            Signature.patient_id == patient_id, Signature.kind == kind)
            .order_by(Signature.id)).all()
        db.session.expunge_all()
        return found


def post_signature(client, document_id, version_id, name="Robin Quill"):
    """A signature posted to a consent's address with a fresh page key, as a second browser
    tab or a replayed form would send it."""
    return client.post(f"/consents/{document_id}/sign", data={
        "csrf_token": csrf_token(client, "/policy"), "submission_key": signing.new_submission_key(),
        "version_id": version_id, "legal_name": name, "agree": "y"})


# -- a consent that is current -----------------------------------------------------------------

def test_a_current_consent_shows_its_signed_copy_and_end_date_not_a_second_signature(
        app, signed_in, in_use, robin_without_consent):
    _page, _key, version_id = sign_page(signed_in, in_use["consent"])
    assert sign_on_page(signed_in, in_use["consent"])[0].status_code == 302
    [signature] = signatures_of(app, robin_without_consent.patient_id, "consent")

    page = page_text(signed_in.get(f"/consents/{in_use['consent']}/sign"))
    assert "You signed this on November 23, 2026." in page
    assert "It is current until November 23, 2027." in page  # 12 months, practice time
    assert f'href="/consents/signed/{signature.id}.pdf"' in page
    assert "You can sign it again in the 30 days before it ends." in page
    assert 'name="legal_name"' not in page and 'name="submission_key"' not in page
    assert "What you agree to" in page  # the text signed stays readable
    copy = signed_in.get(f"/consents/signed/{signature.id}.pdf")
    assert copy.status_code == 200 and copy.data.startswith(b"%PDF")

    # The list says the same, with the copy, and offers no "Read and sign".
    listed = page_text(signed_in.get("/consents"))
    assert "current until November 23, 2027" in listed
    assert "Read and sign “Patient portal consent”" not in listed
    assert "Renew “Patient portal consent”" not in listed


def test_a_signature_posted_to_a_current_consent_is_refused_and_stores_nothing(
        app, signed_in, in_use, robin_without_consent, audit_trail):
    _page, _key, version_id = sign_page(signed_in, in_use["consent"])
    first, data = sign_on_page(signed_in, in_use["consent"])
    assert first.status_code == 302
    signed_rows = len(audit_trail.rows("document.signed"))

    refused = post_signature(signed_in, in_use["consent"], version_id)
    assert refused.status_code == 200
    shown = page_text(refused)
    assert ("You already signed “Patient portal consent”. It is current until November 23, "
            "2027, so there is nothing to sign now.") in shown
    assert "<title>Error:" in shown and 'name="legal_name"' not in shown
    assert len(signatures_of(app, robin_without_consent.patient_id, "consent")) == 1
    assert len(audit_trail.rows("document.signed")) == signed_rows

    # The page that signed, sent again, still lands where it did the first time.
    again = signed_in.post(f"/consents/{in_use['consent']}/sign", data=data)
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert len(signatures_of(app, robin_without_consent.patient_id, "consent")) == 1


def test_a_consent_in_its_renewal_window_or_ended_can_be_signed_again(
        app, signed_in, in_use, robin_without_consent, clock, client):
    assert sign_on_page(signed_in, in_use["consent"])[0].status_code == 302
    # 31 days before the end: still current, not yet to renew.
    clock.move_to(START + timedelta(days=334))
    assert AuthActions(client).patient_sign_in("robin").status_code == 302
    page = page_text(client.get(f"/consents/{in_use['consent']}/sign"))
    assert 'name="legal_name"' not in page and "current until November 23, 2027" in page
    # 29 days before: the renewal window is open and the page asks for a signature.
    clock.move_to(START + timedelta(days=336))
    assert AuthActions(client).patient_sign_in("robin").status_code == 302
    page = page_text(client.get(f"/consents/{in_use['consent']}/sign"))
    assert 'name="legal_name"' in page
    assert "Renew “Patient portal consent”" in page_text(client.get("/consents"))
    assert sign_on_page(client, in_use["consent"])[0].status_code == 302
    assert len(signatures_of(app, robin_without_consent.patient_id, "consent")) == 2
    # Renewed: current again, so not offered again.
    page = page_text(client.get(f"/consents/{in_use['consent']}/sign"))
    assert 'name="legal_name"' not in page and "It is current until October 25, 2028." in page
    # Ended (13 months after the renewal): the gate sends the patient to sign, and they can.
    clock.move_to(START + timedelta(days=336 + 400))
    assert AuthActions(client).patient_sign_in("robin").status_code == 302
    assert "required=1" in client.get("/home").headers["Location"]
    assert sign_on_page(client, in_use["consent"])[0].status_code == 302
    assert len(signatures_of(app, robin_without_consent.patient_id, "consent")) == 3


def test_each_patient_sees_their_own_signed_copy_on_the_consent_s_page(
        app, signed_in, in_use, robin_without_consent, make_account, auth):
    assert sign_on_page(signed_in, in_use["consent"])[0].status_code == 302
    [robins] = signatures_of(app, robin_without_consent.patient_id, "consent")
    sam = make_account(username="sam", account_number="T-2002", first_name="Sam",
                       email="sam@example.com")
    [sams] = signatures_of(app, sam.patient_id, "consent")
    other = app.test_client()
    assert AuthActions(other).patient_sign_in("sam").status_code == 302
    page = page_text(other.get(f"/consents/{in_use['consent']}/sign"))
    assert f"/consents/signed/{sams.id}.pdf" in page
    assert f"/consents/signed/{robins.id}.pdf" not in page
    assert other.get(f"/consents/signed/{robins.id}.pdf").status_code == 404


# -- a submitted health form -----------------------------------------------------------------

def test_a_submitted_form_shows_when_and_its_copy_and_reopens_only_when_asked_again(
        app, signed_in, in_use, robin_without_consent, make_staff, clock):
    assert sign_on_page(signed_in, in_use["consent"])[0].status_code == 302
    form_url = f"/consents/forms/{in_use['form']}"
    assert fill(signed_in, in_use["form"], "submit", **ANSWERS).status_code == 302
    [submitted] = signatures_of(app, robin_without_consent.patient_id, "form")

    page = page_text(signed_in.get(form_url))
    assert "Submitted on November 23, 2026." in page
    assert f'href="/consents/signed/{submitted.id}.pdf"' in page
    assert 'name="f_medications"' not in page and 'name="legal_name"' not in page
    listed = page_text(signed_in.get("/consents"))
    assert "submitted on November 23, 2026" in listed
    assert f"Fill in “{FORM_TITLE}”" not in listed

    # A second copy posted anyway signs nothing and says why.
    refused = signed_in.post(form_url, data={
        "csrf_token": csrf_token(signed_in, "/policy"), "action": "submit",
        "submission_key": signing.new_submission_key(), "version_id": str(submitted.version_id),
        **ANSWERS})
    assert refused.status_code == 200
    assert (f"You already submitted “{FORM_TITLE}”. You can fill it in again when your care "
            "team asks you to.") in page_text(refused)
    assert len(signatures_of(app, robin_without_consent.patient_id, "form")) == 1

    # The practice asks again: a blank copy is offered, and the old one stays listed.
    clock.tick(60)
    assign_form(app, robin_without_consent.patient_id, in_use["form"], make_staff(role="nurse"))
    listed = page_text(signed_in.get("/consents"))
    assert "your care team asked you to fill in a new copy" in listed
    assert f"Fill in “{FORM_TITLE}”" in listed and "submitted on November 23, 2026" in listed
    page = page_text(signed_in.get(form_url))
    assert 'name="f_medications"' in page and "Lisinopril" not in page
    assert fill(signed_in, in_use["form"], "submit", **ANSWERS).status_code == 302
    assert len(signatures_of(app, robin_without_consent.patient_id, "form")) == 2
    assert 'name="f_medications"' not in page_text(signed_in.get(form_url))


def test_a_draft_is_marked_started_and_the_forms_list_costs_the_same_queries_when_submitted(
        app, signed_in, in_use):
    assert sign_on_page(signed_in, in_use["consent"])[0].status_code == 302
    before = count_queries(app, lambda: signed_in.get("/consents"))
    assert fill(signed_in, in_use["form"], "save", f_medications="Aspirin").status_code == 302
    assert "started, answers saved" in page_text(signed_in.get("/consents"))
    assert fill(signed_in, in_use["form"], "submit", **ANSWERS).status_code == 302
    assert "started, answers saved" not in page_text(signed_in.get("/consents"))
    assert count_queries(app, lambda: signed_in.get("/consents")) == before
