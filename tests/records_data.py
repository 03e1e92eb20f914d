"""What the health-record tests share (issue 10): a sample entry of every category, a tiny
PDF, page and PDF text helpers, and the fixtures `robin` (a patient with an account),
`robin_client` (robin signed in), `nurse` and `publish` (staff publishing to robin's chart).
Registered for every test by `pytest_plugins` in tests/conftest.py."""

import html
import io
import re
import subprocess

import pikepdf
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Patient, RecordEntry, StaffUser
from portal.services import audit
from portal.services.records import entries

LAB = {"test": "Glucose, fasting", "value": "126", "unit": "mg/dL", "reference_range": "70-99",
       "flag": "high", "collected_on": "03/01/2026", "resulted_on": "03/02/2026"}
# One entry of each category; each test changes the title and date it needs.
SAMPLES = {
    "lab": LAB,
    "immunization": {"vaccine": "Influenza", "given_on": "10/01/2025", "dose": "0.5 mL",
                     "lot": "FL123"},
    "medication": {"name": "Lisinopril", "dose": "10 mg", "directions": "Once a day",
                   "started_on": "01/05/2026", "prescriber": "Dr Alder"},
    "allergy": {"substance": "Penicillin", "reaction": "Hives", "severity": "moderate",
                "noted_on": "02/01/2024"},
    "problem": {"name": "Hypertension", "state": "active", "noted_on": "01/05/2026"},
    "appointment": {"day": "03/10/2026", "at": "09:30", "provider": "Dr Alder",
                    "reason": "Follow-up", "state": "completed"},
    "visit": {"visited_on": "03/01/2026", "provider": "Dr Alder", "reason": "Annual physical",
              "notes": "Blood pressure a little high.", "follow_up": "Come back in 3 months."},
    "statement": {"title": "Office visit", "statement_on": "03/05/2026", "amount": "125.00",
                  "balance": "40.00"},
    "document": {"title": "Chest X-ray report", "kind": "Radiology report",
                 "document_on": "03/03/2026"},
}


def one_page_pdf():
    """A blank one-page PDF, written the way services/files.strip_pdf writes an upload (a
    deterministic /ID, streams as they are): a clean upload of it is stored byte for byte."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    out = io.BytesIO()
    pdf.save(out, linearize=False, compress_streams=False, deterministic_id=True,
             stream_decode_level=pikepdf.StreamDecodeLevel.none)
    return out.getvalue()


PDF = one_page_pdf()


def text(response):
    return html.unescape(response.get_data(as_text=True))


def words(response):
    """The page's text without tags, its whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def pdf_text(data):
    result = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


def change(app, entry_id, action):
    """Run action(entry, origin) on an entry as its publisher, and commit."""
    with app.app_context():
        entry = db.session.get(RecordEntry, entry_id)
        staff = db.session.get(StaffUser, entry.created_by_id)
        action(entry, audit.Origin(staff, "127.0.0.1", "test"))
        db.session.commit()


@pytest.fixture
def robin(make_account):
    return make_account()


@pytest.fixture
def robin_client(robin, patient_client):
    return patient_client("robin")


@pytest.fixture
def nurse(make_staff):
    return make_staff("nurse", email="nurse@practice.test", name="Nina Night")


def _statement_publisher(like):
    """An admin or billing member to publish statements (issue 19: nurses may not), made once
    (with `like`'s password) when the practice has neither."""
    found = db.session.scalar(select(StaffUser).where(StaffUser.role.in_(("admin", "billing")))
                              .order_by(StaffUser.id))
    if found is not None:
        return found
    member = StaffUser(email="billing.publisher@practice.test", name="Bea Billing",
                       role="billing", password_hash=like.password_hash)
    db.session.add(member)
    db.session.flush()
    return member


@pytest.fixture
def publish(app, robin, nurse):
    """publish(category, release=True, patient_id=robin's, by=nurse, file=PDF, **values) ->
    the new entry's id, published as staff would (`file` only for a document)."""

    def make(category, release=True, patient_id=None, by=None, file=PDF, **values):
        with app.app_context():
            patient = db.session.get(Patient, patient_id or robin.patient_id)
            staff = db.session.get(StaffUser, (by or nurse).id)
            if category == "statement" and by is None:  # nurses publish no statements
                staff = _statement_publisher(staff)
            entry = entries.publish(patient, category, {**SAMPLES[category], **values},
                                    audit.Origin(staff, "127.0.0.1", "test"), release=release,
                                    file=file if category == "document" else None)
            db.session.commit()
            return entry.id

    return make
