"""Consent data made through the services for the browser tests (as records_data.py is for
the health record): the run's seal certificate, a scan, the default documents, the practice's
today, a paper signature, a form assigned, a document added or revised, the public check's
switch and the verification codes as printed."""

import io
import re

from conftest import csrf_token

from portal.extensions import db
from portal.models import Document, Patient
from portal.services import audit, clock
from portal.services.consents import defaults, documents, signing
from portal.services.consents import fields as form_fields
from portal.services.consents import forms as consent_forms
from portal.services.practice import get_practice

ORIGIN = audit.Origin(None, "203.0.113.7", "Test browser 1.0")
_SEAL = {}


def seal_p12(tmp_path_factory):
    """One seal certificate for the whole run (an RSA 3072 key takes a moment to make); with
    SEAL_P12 set the app loads it once per process instead of making one per test."""
    from portal.services.consents import seal_keys

    if "path" not in _SEAL:
        path = tmp_path_factory.mktemp("seal") / "seal.p12"
        path.write_bytes(seal_keys.new_seal_p12("Riverside Family Medicine"))
        _SEAL["path"] = path
    return _SEAL["path"]


def scan_png():
    """A small real PNG, as a scanner would make it (grey, 60 x 20 px)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (60, 20), 200).save(out, "PNG")
    return out.getvalue()


def default_documents(app):
    """The portal consent and the medical history form, published: {"consent": id, "form": id}."""
    with app.app_context():
        defaults.ensure_defaults()
        db.session.commit()
        consent, _version = documents.portal_consent()
        [(form, _form_version)] = documents.published("form")
        return {"consent": consent.id, "form": form.id}


def practice_today(app):
    """Today's date in the practice's time zone."""
    with app.app_context():
        return clock.today()


def record_on_paper(app, patient_id, document_id, signed_on, name="Morgan Quill",
                    role="guardian", scan=None):
    """A paper signature of the document's current version, signed on `signed_on` (with a
    PNG scan if `scan` is given)."""
    from portal.models import Document, Patient

    with app.test_request_context():
        patient = db.session.get(Patient, patient_id)
        version = documents.current_version(db.session.get(Document, document_id))
        signature = signing.record_paper(
            patient, version, signer=signing.Signer(name, role), signed_on=signed_on,
            scan=scan, scan_type="image/png" if scan else "", practice=get_practice(),
            origin=ORIGIN)
        db.session.commit()
        return signature.id


def assign_form(app, patient_id, document_id, staff):
    from portal.models import Patient

    with app.app_context():
        consent_forms.assign_form(db.session.get(Patient, patient_id), document_id, staff,
                                  audit.SYSTEM)
        db.session.commit()


def add_document(app, kind, title, *, body="", fields=(), publish=True, **terms):
    """A document of the admin's (the defaults come with it), its first version published
    unless `publish` is False: its id. `fields`: a health form's questions."""
    with app.app_context():
        version = documents.new_document(kind, title, audit.SYSTEM)
        documents.update_draft(version, body=body, **terms)
        for field in fields:
            form_fields.save_field(version, field, audit.SYSTEM)
        if publish:
            documents.publish(version, audit.SYSTEM)
        db.session.commit()
        return version.document_id


def start_next_version(app, document_id):
    """Open the draft of the document's next version, as "Edit" does."""
    from portal.models import Document

    with app.app_context():
        documents.start_draft(db.session.get(Document, document_id), audit.SYSTEM)
        db.session.commit()


def public_verification(app, on=True):
    """The practice's switch for the public /verify page."""
    with app.app_context():
        practice = get_practice()
        practice.public_verification = on
        db.session.add(practice)
        db.session.commit()


def codes_of(app, patient_id):
    """The verification codes of the patient's signatures, oldest first, as printed."""
    from sqlalchemy import select

    from portal.models import Signature

    with app.app_context():
        return [signing.show_code(code) for code in db.session.scalars(
            select(Signature.verification_code).where(Signature.patient_id == patient_id)
            .order_by(Signature.id))]


def verification_code(app, signature_id):
    """The signature's code as printed on its PDF (ABCDE-23456)."""
    from portal.models import Signature

    with app.app_context():
        return signing.show_code(db.session.get(Signature, signature_id).verification_code)


def sign(app, patient_id, document_id, name=None):
    """Sign the document's current version online for the patient, now; the signature id."""
    with app.test_request_context():
        patient = db.session.get(Patient, patient_id)
        version = documents.current_version(db.session.get(Document, document_id))
        signature, created = signing.sign(
            patient, version, signer=signing.Signer(name or patient.full_name), answers={},
            attestations=list(version.attestations or []), drawing=None,
            submission_key=signing.new_submission_key(), practice=get_practice(), origin=ORIGIN)
        db.session.commit()
        assert created
        return signature.id


# -- the patient's signing pages, through the test client ----------------------------------------

KEY = re.compile(r'name="submission_key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="submission_key"')
VERSION = re.compile(r'name="version_id" value="(\d+)"')


def page_text(response):
    """A response's text with apostrophes as typed."""
    return response.get_data(as_text=True).replace("&#39;", "'")


def sign_page(client, document_id):
    """(page text, its one-time key, its version id) of a consent's signing page."""
    page = page_text(client.get(f"/consents/{document_id}/sign"))
    found = KEY.search(page)
    return page, next(group for group in found.groups() if group), VERSION.search(page).group(1)


def sign_on_page(client, document_id, name="Robin Quill", **extra):
    """Sign a consent on its page as the signed-in patient: (response, the data posted)."""
    page, key, version_id = sign_page(client, document_id)
    data = {"csrf_token": csrf_token(client, f"/consents/{document_id}/sign"),
            "submission_key": key, "version_id": version_id, "legal_name": name, "agree": "y",
            **extra}
    return client.post(f"/consents/{document_id}/sign", data=data), data


def fill(client, form_id, action, **answers):
    """Save ("save") or submit ("submit") a health form on its page with `answers`."""
    page = page_text(client.get(f"/consents/forms/{form_id}"))
    key = next(group for group in KEY.search(page).groups() if group)
    data = {"csrf_token": csrf_token(client, f"/consents/forms/{form_id}"), "action": action,
            "version_id": VERSION.search(page).group(1), "submission_key": key, **answers}
    return client.post(f"/consents/forms/{form_id}", data=data)
