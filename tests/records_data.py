"""What the health-record tests share (issue 10): a sample entry of every category, a tiny
PDF, page text helpers, the staff's entry form (`post_entry_form`, `published_id`), a share's
steps (`make_share`, `enter_share_code`, `open_share`, `archive_of`), and the fixtures
`robin_account` (a patient's account, consent on file), `robin_client` (that account signed
in), `nurse` (a nurse, StaffUser) and `publish_entry` (a function that publishes to robin's
chart through the service). Registered for every test by `pytest_plugins` in
tests/conftest.py."""

import html
import io
import re
import zipfile

import pikepdf
import pytest
from conftest import PATIENT_PASSWORD, csrf_token, post_form
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.extensions import db
from portal.models import Patient, RecordEntry, StaffUser
from portal.services import audit
from portal.services.records import entries as record_entries
from portal.services.records import staff as record_staff

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
    """A blank one-page PDF, written the way services/uploads.strip_pdf writes an upload (a
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


def change(app, entry_id, action):
    """Run action(entry, origin) on an entry as its publisher, and commit."""
    with app.app_context():
        entry = db.session.get(RecordEntry, entry_id)
        staff = db.session.get(StaffUser, entry.created_by_id)
        action(entry, audit.Origin(staff, "127.0.0.1", "test"))
        db.session.commit()


@pytest.fixture
def robin_account(make_account):
    return make_account()


@pytest.fixture
def robin_client(robin_account, patient_client):
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
def publish_entry(app, robin_account, nurse):
    """publish_entry(category, release=True, patient_id=robin's, by=nurse, file=PDF, **values) ->
    the new entry's id, published as staff would (`file` only for a document)."""

    def make(category, release=True, patient_id=None, by=None, file=PDF, **values):
        with app.app_context():
            patient = db.session.get(Patient, patient_id or robin_account.patient_id)
            staff = db.session.get(StaffUser, (by or nurse).id)
            if category == "statement" and by is None:  # nurses publish no statements
                staff = _statement_publisher(staff)
            entry = record_entries.publish(patient, category, {**SAMPLES[category], **values},
                                    audit.Origin(staff, "127.0.0.1", "test"), release=release,
                                    file=file if category == "document" else None)
            db.session.commit()
            return entry.id

    return make


DOCUMENT = {"title": "Chest X-ray report", "kind": "Radiology report", "document_on": "03/01/2026"}
HOLD_REASON = "Discuss the result with the patient by phone first."
CATEGORIES = {
    "lab": (LAB, "Glucose, fasting", "03/02/2026", "High", "Lab result"),
    "immunization": ({"vaccine": "Influenza, quadrivalent", "given_on": "10/01/2025",
                      "dose": "0.5 mL", "lot": "FL-2231"},
                     "Influenza, quadrivalent", "10/01/2025", "FL-2231", "Immunization"),
    "medication": ({"name": "Metformin", "dose": "500 mg", "directions": "Twice a day with meals",
                    "started_on": "03/05/2026", "stopped_on": "", "prescriber": "Dr Alder"},
                   "Metformin", "03/05/2026", "Twice a day with meals", "Medication"),
    "allergy": ({"substance": "Penicillin", "reaction": "Hives", "severity": "moderate",
                 "noted_on": "01/15/2020"}, "Penicillin", "01/15/2020", "Moderate", "Allergy"),
    "problem": ({"name": "Type 2 diabetes", "state": "active", "noted_on": "03/02/2026",
                 "notes": "Diet first."}, "Type 2 diabetes", "03/02/2026", "Active",
                "Health problem"),
    "appointment": ({"day": "04/02/2026", "at": "2:30 PM", "provider": "Dr Alder",
                     "reason": "Diabetes follow-up", "state": "scheduled"},
                    "Diabetes follow-up", "04/02/2026", "14:30", "Appointment"),
    "visit": ({"visited_on": "03/02/2026", "provider": "Dr Alder", "reason": "Annual physical",
               "notes": "Well.", "follow_up": "Labs in 3 months."},
              "Annual physical", "03/02/2026", "Labs in 3 months.", "Visit summary"),
    "statement": ({"title": "Office visit", "statement_on": "03/10/2026", "amount": "$1,250.00",
                   "balance": "125"}, "Office visit", "03/10/2026", "$1,250.00", "Statement"),
    "document": (DOCUMENT, "Chest X-ray report", "03/01/2026", "Radiology report", "Document"),
}
SHARE_LINK = re.compile(r'id="share-link">http://portal\.test(/record-share\?s=[^<]+)<')
SHARE_CODE = re.compile(r'id="share-code">([A-Z0-9 ]+)<')
CODE_PAGE = "/record-share"
RECORD = "/record-share/record"


def new_url(patient_id, category=None):
    return f"/staff/patients/{patient_id}/records/new" + (f"?category={category}" if category
                                                          else "")


def post_entry_form(browser, patient_id, category, values, *, draft=False, file=None):
    """Send a category's form: "Publish now", or "Save as draft"; `file` is (name, bytes).
    A file's body is built here: the test client would spool a large one to a temporary file
    it leaves open."""
    url = new_url(patient_id, category)
    data = {**values, **({"draft": "Save as draft"} if draft else {"publish": "Publish now"})}
    if file is None:
        return post_form(browser, url, data)
    boundary, body = encode_multipart({"csrf_token": csrf_token(browser, url), **data,
                                       "file": FileStorage(io.BytesIO(file[1]), file[0])})
    return browser.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def published_id(response, patient_id):
    """The new entry's id, from the redirect to its page."""
    assert response.status_code == 302, response.get_data(as_text=True)
    found = re.fullmatch(rf"/staff/patients/{patient_id}/records/(\d+)", response.headers["Location"])
    return int(found.group(1))


def entries(app):
    with app.app_context():
        rows = db.session.scalars(select(RecordEntry).order_by(RecordEntry.id)).all()
        db.session.expunge_all()
        return rows


def make_share(patient, recipient="Dr. Lee, Lakeside Cardiology", scope="whole", days="7",
               categories=()):
    """Share robin's record through the form: (path of the link, access code, the page)."""
    page = post_form(patient, "/records/shares/new",
                     {"recipient": recipient, "scope": scope, "days": days,
                      "categories": list(categories), "current_password": PATIENT_PASSWORD})
    assert page.status_code == 201, words(page)
    link, code = SHARE_LINK.search(text(page)), SHARE_CODE.search(text(page))
    return link.group(1), code.group(1), page


def enter_share_code(provider, code):
    return provider.post(CODE_PAGE, data={"csrf_token": csrf_token(provider, CODE_PAGE),
                                          "code": code})


def open_share(app, link, code):
    """A new browser (the provider's) that opened the link and typed the code."""
    provider = app.test_client()
    assert provider.get(link).headers["Location"] == CODE_PAGE
    response = enter_share_code(provider, code)
    assert response.status_code == 302 and response.headers["Location"] == RECORD, words(response)
    return provider


def archive_of(provider):
    """The shared ZIP, downloaded (the response closed, as a server does), opened."""
    with provider.get(f"{RECORD}/download.zip") as response:
        assert response.status_code == 200
        assert response.headers["Content-Disposition"] == 'attachment; filename="health-record.zip"'
        return zipfile.ZipFile(io.BytesIO(response.data))


def staff_opened(app, staff, entry_id, times=1):
    """`staff` opens an entry's staff page `times` times, as record_staff puts it on the
    trail (the access-history tests)."""
    with app.app_context():
        member = db.session.get(StaffUser, staff.id)
        entry = db.session.get(RecordEntry, entry_id)
        for _ in range(times):
            record_staff.record_entry_viewed(audit.Origin(member, "127.0.0.1", "test"), entry)
        db.session.commit()
