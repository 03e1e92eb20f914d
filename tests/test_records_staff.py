"""Health records on the staff side (issue 10, part 1): publishing each category through its
form and seeing it on the chart; a refused field keeping what was typed; drafts, release and
retraction; holds for review (a practice setting, providers only, a written reason) and the
practice's held list with each hold's age; documents typed by their bytes and downloaded
safely, on the audit trail; CSRF, patients and other charts kept out."""

import re
from datetime import timedelta

import pytest
from conftest import post_form
from helpers import PRACTICE_SETTINGS
from records_data import (
    CATEGORIES,
    DOCUMENT,
    HOLD_REASON,
    PDF,
    entries,
    new_url,
    post_entry_form,
    published_id,
    text,
)
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import AuditEvent, Practice, RecordEntry
from portal.services.practice import PRACTICE_ID

LAB = {"test": "Glucose, fasting", "value": "126", "unit": "mg/dL", "reference_range": "70-99",
       "flag": "high", "collected_on": "03/01/2026", "resulted_on": "03/02/2026"}
# category: (what staff type, the title on lists, the date it is filed under, a fact shown
# on the entry page in words, the category's label)
@pytest.fixture(autouse=True)
def practice(app):
    """The practice's row, holds not allowed (the default) until a test allows them."""
    with app.app_context():
        db.session.add(Practice(id=PRACTICE_ID, name="Maple Street Family Practice"))
        db.session.commit()


@pytest.fixture
def patient(make_patient):
    return make_patient(account_number="REC-1")


def allow_holds(app, allowed=True):
    with app.app_context():
        db.session.get(Practice, PRACTICE_ID).result_holds_allowed = allowed
        db.session.commit()


def entry_url(patient_id, entry_id, action=""):
    return f"/staff/patients/{patient_id}/records/{entry_id}" + (f"/{action}" if action else "")


def act(browser, patient_id, entry_id, action, **data):
    """A button on the entry page (release, retract, hold), its token read from that page."""
    return post_form(browser, entry_url(patient_id, entry_id, action), data,
                     page_url=entry_url(patient_id, entry_id))


def chart_rows(browser, patient_id):
    """The rows of the chart's health-record table, each as one line of text."""
    page = text(browser.get(f"/staff/patients/{patient_id}/records"))
    section = re.search(r'<section class="chart-record".*?</section>', page, re.S).group(0)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in re.findall(r"<tr>.*?</tr>", section.split("<tbody>")[1], re.S)] \
        if "<tbody>" in section else []


# -- publishing ------------------------------------------------------------------------------

def test_the_chart_offers_every_kind_of_record_as_plain_links(staff_client, patient):
    nurse = staff_client("admin", direct=True)  # an admin may publish every kind (issue 19)
    chart = text(nurse.get(f"/staff/patients/{patient.id}/records"))
    assert "Health record" in chart and "No records published to this chart yet." in chart
    assert f'href="{new_url(patient.id)}"' in chart
    page = text(nurse.get(new_url(patient.id)))
    links = re.findall(r'<a href="/staff/patients/\d+/records/new\?category=(\w+)">([^<]+)</a>', page)
    assert [key for key, _label in links] == list(CATEGORIES)
    assert [label for _key, label in links] == [row[4] for row in CATEGORIES.values()]
    assert nurse.get(new_url(patient.id, "nonsense")).status_code == 404


def test_a_category_s_form_is_built_from_its_fields(staff_client, patient):
    page = text(staff_client("nurse", direct=True).get(new_url(patient.id, "lab")))
    assert re.search(r'<select[^>]*aria-required="true"[^>]*name="flag"', page)
    assert re.search(r'<option( selected)? value="">Choose one</option>\s*<option value="normal">',
                     page)
    assert "Unit (optional)" in page and "Test name (optional)" not in page
    assert "MM/DD/YYYY, for example 03/14/2026." in page and 'type="file"' not in page
    assert re.search(r'name="publish" type="submit" value="Publish now"', page)
    assert re.search(r'name="draft" type="submit" value="Save as draft"', page)
    statement = text(staff_client("billing", direct=True).get(new_url(patient.id, "statement")))
    assert re.search(r'inputmode="decimal"[^>]*name="amount"', statement)
    visit = text(staff_client("provider", direct=True).get(new_url(patient.id, "visit")))
    assert re.search(r'<textarea[^>]*name="notes"', visit)
    document = text(staff_client("front_desk", direct=True).get(new_url(patient.id, "document")))
    assert 'enctype="multipart/form-data"' in document and 'type="file"' in document
    assert "A PDF, PNG or JPEG file of at most 10 MB." in document


@pytest.mark.parametrize("category", list(CATEGORIES))
def test_each_category_publishes_through_its_form_and_shows_on_the_chart(
        app, staff_client, patient, category, audit_trail):
    values, title, filed_on, fact, label = CATEGORIES[category]
    # An admin may publish every kind (issue 19); each role's kinds: test_permissions.py.
    nurse = staff_client("admin", direct=True, name="Nurse Birch")
    response = post_entry_form(nurse, patient.id, category, values,
                       file=("report.pdf", PDF) if category == "document" else None)
    entry_id = published_id(response, patient.id)
    page = text(nurse.get(entry_url(patient.id, entry_id)))
    assert "The record was published. The patient can see it now." in page
    assert f"<h1>{title}</h1>" in page and fact in page and label in page
    assert re.search(r"Released on \d\d/\d\d/\d{4} by Nurse Birch", page)
    [row] = chart_rows(nurse, patient.id)
    assert row.startswith(title) and f"{label} {filed_on} Released" in row
    assert ("Abnormal" in row) == (category == "lab")
    [entry] = entries(app)
    assert (entry.category, entry.status, entry.title) == (category, "released", title)
    assert audit_trail.actions()[-4:-1] == ["record.published", "record.released",
                                            "record.staff_viewed"]


def test_a_refused_field_keeps_what_was_typed_and_saves_nothing(app, staff_client, patient,
                                                                 audit_trail):
    nurse = staff_client("nurse", direct=True)
    response = post_entry_form(nurse, patient.id, "lab", {**LAB, "resulted_on": "13/45/2026"})
    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page and "<title>Error: " in page
    assert '<a href="#resulted_on">Enter the date as MM/DD/YYYY.</a>' in page
    assert re.search(r'<p class="field-error" id="resulted_on-error">.*Enter the date', page)
    assert re.search(r'aria-invalid="true"[^>]*name="resulted_on"[^>]*value="13/45/2026"', page)
    for typed in ('value="Glucose, fasting"', 'value="70-99"', 'value="03/01/2026"',
                  '<option selected value="high">'):
        assert typed in page
    assert entries(app) == []
    assert [action for action in audit_trail.actions() if action.startswith("record.")] == []


@pytest.mark.parametrize("amount", ["1e999", "-1e999", "inf", "nan", "1e-999999", "9" * 300,
                                    "1" * 31, "$1,000,000,000.00", "1e2", "12 dollars"])
def test_an_amount_that_is_no_amount_is_refused_not_a_500(app, staff_client, patient, amount):
    billing = staff_client("billing", direct=True)
    response = post_entry_form(billing, patient.id, "statement",
                       {**CATEGORIES["statement"][0], "amount": amount})
    assert response.status_code == 200
    page = text(response)
    assert '<a href="#amount">Enter an amount in dollars, for example 125.00.</a>' in page
    assert entries(app) == []


@pytest.mark.parametrize("amount, stored", [("$999,999,999.99", "999999999.99"),
                                            ("0.005", "0.01"), ("12.345", "12.35"),
                                            ("-40", "-40.00"), (".5", "0.50")])
def test_an_amount_is_read_exactly_to_the_cent(app, staff_client, patient, amount, stored):
    billing = staff_client("billing", direct=True)
    published_id(post_entry_form(billing, patient.id, "statement",
                         {**CATEGORIES["statement"][0], "amount": amount}), patient.id)
    [entry] = entries(app)
    assert entry.facts["amount"] == stored


def test_a_draft_waits_for_release(app, staff_client, patient, audit_trail):
    nurse = staff_client("nurse", direct=True, name="Nurse Birch")
    entry_id = published_id(post_entry_form(nurse, patient.id, "lab", LAB, draft=True), patient.id)
    page = text(nurse.get(entry_url(patient.id, entry_id)))
    assert "The record was saved as a draft." in page
    assert "The patient does not see this entry until it is released." in page
    assert "<dd>Draft</dd>" in page and "Release to the patient" in page
    assert "Hold for review" not in page  # the practice does not allow holds
    assert chart_rows(nurse, patient.id)[0].endswith("Draft")
    response = act(nurse, patient.id, entry_id, "release")
    assert response.headers["Location"] == entry_url(patient.id, entry_id)
    page = text(nurse.get(entry_url(patient.id, entry_id)))
    assert "The record was released. The patient can see it now." in page
    assert re.search(r"Released on \d\d/\d\d/\d{4} by Nurse Birch", page)
    assert "Release to the patient" not in page
    assert entries(app)[0].status == "released"
    act(nurse, patient.id, entry_id, "release")
    assert "Only a draft or a held result can be released." in text(
        nurse.get(entry_url(patient.id, entry_id)))
    assert [action for action in audit_trail.actions() if action in (
        "record.drafted", "record.published", "record.released")] == ["record.drafted",
                                                                      "record.released"]


def test_retract_an_entry_entered_in_error(app, staff_client, patient, audit_trail):
    nurse = staff_client("nurse", direct=True)
    entry_id = published_id(post_entry_form(nurse, patient.id, "allergy", CATEGORIES["allergy"][0]),
                            patient.id)
    assert "Retract: entered in error" in text(nurse.get(entry_url(patient.id, entry_id)))
    act(nurse, patient.id, entry_id, "retract")
    page = text(nurse.get(entry_url(patient.id, entry_id)))
    assert "The entry was retracted as entered in error." in page
    assert "This entry was retracted because it was entered in error." in page
    assert "<dd>Retracted (entered in error)</dd>" in page and "Penicillin" in page
    assert "Retract: entered in error" not in page and "Release to the patient" not in page
    assert chart_rows(nurse, patient.id)[0].endswith("Retracted (entered in error)")
    [retracted] = audit_trail.rows("record.retracted")
    assert (retracted.patient_id, retracted.object_id) == (patient.id, str(entry_id))
    post_form(nurse, entry_url(patient.id, entry_id, "retract"), {},
              page_url=f"/staff/patients/{patient.id}")
    assert "That entry was already retracted." in text(nurse.get(entry_url(patient.id, entry_id)))
    assert entries(app)[0].status == "retracted" and len(audit_trail.rows("record.retracted")) == 1


# -- holds for review -------------------------------------------------------------------------

def test_only_a_provider_holds_a_lab_result_and_only_when_the_practice_allows(
        app, staff_client, patient):
    provider = staff_client("provider", direct=True, name="Dr Alder", email="doc@practice.test")
    entry_id = published_id(post_entry_form(provider, patient.id, "lab", LAB, draft=True), patient.id)
    assert "Hold for review" not in text(provider.get(entry_url(patient.id, entry_id)))
    page = text(act(provider, patient.id, entry_id, "hold", reason=HOLD_REASON))
    assert "Only a provider may hold a lab result, when the practice allows it" in page
    assert entries(app)[0].status == "draft"

    allow_holds(app)
    nurse = staff_client("nurse", direct=True)
    assert "Hold for review" not in text(nurse.get(entry_url(patient.id, entry_id)))
    act(nurse, patient.id, entry_id, "hold", reason=HOLD_REASON)
    assert entries(app)[0].status == "draft"
    vaccine = published_id(post_entry_form(provider, patient.id, "immunization",
                                   CATEGORIES["immunization"][0], draft=True), patient.id)
    assert "Hold for review" not in text(provider.get(entry_url(patient.id, vaccine)))
    assert "Hold for review" in text(provider.get(entry_url(patient.id, entry_id)))


@pytest.mark.parametrize("reason", ["", "   ", "soon"])
def test_a_hold_needs_a_written_reason(app, staff_client, patient, reason):
    allow_holds(app)
    provider = staff_client("provider", direct=True)
    entry_id = published_id(post_entry_form(provider, patient.id, "lab", LAB, draft=True), patient.id)
    response = act(provider, patient.id, entry_id, "hold", reason=reason)
    page = text(response)
    assert response.status_code == 200 and "There is a problem" in page
    assert '<a href="#reason">Write why the result is held (at least 5 characters).</a>' in page
    assert entries(app)[0].status == "draft"


def test_a_held_result_is_listed_with_its_age_until_released(app, staff_client, patient,
                                                             audit_trail):
    allow_holds(app)
    provider = staff_client("provider", direct=True, name="Dr Alder", email="doc@practice.test")
    entry_id = published_id(post_entry_form(provider, patient.id, "lab", LAB, draft=True), patient.id)
    response = act(provider, patient.id, entry_id, "hold", reason=HOLD_REASON)
    assert response.headers["Location"] == entry_url(patient.id, entry_id)
    page = text(provider.get(entry_url(patient.id, entry_id)))
    assert "The result is held for review." in page
    assert re.search(r"Held for review since \d\d/\d\d/\d{4} by Dr Alder \(held 0 days\)", page)
    assert HOLD_REASON in page and "Release to the patient" in page
    with app.app_context():  # three days pass
        entry = db.session.get(RecordEntry, entry_id)
        entry.held_at -= timedelta(days=3)
        db.session.commit()

    nurse = staff_client("nurse", direct=True)
    assert 'href="/staff/records/held"' in text(nurse.get("/staff/patients"))
    listing = text(nurse.get("/staff/records/held"))
    assert "1 held result" in listing
    row = " ".join(re.sub(r"<[^>]+>", " ", listing.split("<tbody>")[1]).split())
    for shown in ("Robin Quill (REC-1)",
                  "Glucose, fasting", "Abnormal", "Dr Alder", HOLD_REASON, "held 3 days"):
        assert shown in row
    assert f'href="{entry_url(patient.id, entry_id)}"' in listing
    [listed] = audit_trail.rows("record.held_listed")
    assert listed.detail == f"shown: {entry_id}"
    [held] = audit_trail.rows("record.held")
    assert held.detail == f"reason: {HOLD_REASON}"

    # A nurse may not release a provider's hold (issue 19); any provider may.
    assert act(nurse, patient.id, entry_id, "release").status_code == 403
    act(staff_client("provider", direct=True), patient.id, entry_id, "release")
    assert entries(app)[0].status == "released"
    assert "No results are held for review." in text(nurse.get("/staff/records/held"))


def test_the_admin_lets_providers_hold_results(app, client, admin):
    page = text(client.get("/admin/settings"))
    assert "Let providers hold a lab result for review, with a written reason" in page
    assert 'href="/staff/records/held"' not in page
    assert post_form(client, "/admin/settings",
                     {**PRACTICE_SETTINGS, "result_holds_allowed": "y"}).status_code == 302
    with app.app_context():
        assert db.session.get(Practice, PRACTICE_ID).result_holds_allowed is True
    assert 'href="/staff/records/held"' in text(client.get("/admin/settings"))
    post_form(client, "/admin/settings", PRACTICE_SETTINGS)
    with app.app_context():
        assert db.session.get(Practice, PRACTICE_ID).result_holds_allowed is False


# -- documents -------------------------------------------------------------------------------

@pytest.mark.parametrize("name, data, message", [
    ("report.pdf", b"<html><script>alert(1)</script></html>",
     "Only PDF, PNG and JPEG files can be published. The type is read from the file itself, "
     "not its name."),
    ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024 - 4), "The file is larger than 10 MB."),
    (None, None, "Choose the file to publish."),
])
def test_a_document_that_cannot_be_published_is_refused_on_its_file(
        app, staff_client, patient, name, data, message):
    nurse = staff_client("nurse", direct=True)
    response = post_entry_form(nurse, patient.id, "document", DOCUMENT,
                       file=(name, data) if name else None)
    page = text(response)
    assert response.status_code == 200 and f'<a href="#file">{message}</a>' in page
    assert 'value="Chest X-ray report"' in page and 'value="Radiology report"' in page
    assert entries(app) == []


def test_a_document_is_typed_by_its_bytes_and_downloads_safely(app, staff_client, patient,
                                                               audit_trail):
    nurse = staff_client("nurse", direct=True)
    entry_id = published_id(post_entry_form(nurse, patient.id, "document", DOCUMENT,
                                    file=("scan.png", PDF)), patient.id)
    page = text(nurse.get(entry_url(patient.id, entry_id)))
    assert f'href="{entry_url(patient.id, entry_id, "file")}"' in page
    response = nurse.get(entry_url(patient.id, entry_id, "file"))
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="document-{entry_id}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    [exported] = audit_trail.rows("record_document.exported")
    assert (exported.patient_id, exported.object_id) == (patient.id, str(entry_id))
    assert exported.detail == f"format: pdf; bytes: {len(PDF)}"
    assert exported.actor_label == nurse.staff.email

    lab_id = published_id(post_entry_form(nurse, patient.id, "lab", LAB), patient.id)
    assert nurse.get(entry_url(patient.id, lab_id, "file")).status_code == 404
    with app.app_context():  # a stored copy that no longer matches is never handed out
        db.session.execute(update(RecordEntry).where(RecordEntry.id == entry_id)
                           .values(file_sha256="0" * 64))
        db.session.commit()
    damaged = nurse.get(entry_url(patient.id, entry_id, "file"))
    assert damaged.status_code == 409 and "This file cannot be downloaded" in text(damaged)
    assert len(audit_trail.rows("record_document.exported")) == 1


# -- who may ask -----------------------------------------------------------------------------

def test_every_post_needs_its_csrf_token(app, staff_client, patient):
    allow_holds(app)
    provider = staff_client("provider", direct=True)
    entry_id = published_id(post_entry_form(provider, patient.id, "lab", LAB, draft=True), patient.id)
    assert provider.post(new_url(patient.id, "lab"),
                         data={**LAB, "publish": "Publish now"}).status_code == 400
    for action in ("release", "retract", "hold"):
        assert provider.post(entry_url(patient.id, entry_id, action),
                             data={"reason": HOLD_REASON}).status_code == 400
    assert len(entries(app)) == 1 and entries(app)[0].status == "draft"


def test_a_patient_account_cannot_reach_the_staff_record_pages(app, make_account, staff_client,
                                                                patient_client):
    account = make_account()
    nurse = staff_client("nurse", direct=True)
    entry_id = published_id(post_entry_form(nurse, account.patient_id, "document", DOCUMENT,
                                    file=("report.pdf", PDF)), account.patient_id)
    robin = patient_client()
    for url in (new_url(account.patient_id), new_url(account.patient_id, "lab"),
                entry_url(account.patient_id, entry_id),
                entry_url(account.patient_id, entry_id, "file"), "/staff/records/held"):
        assert robin.get(url).status_code == 403, url
    for action in ("release", "retract", "hold"):
        response = post_form(robin, entry_url(account.patient_id, entry_id, action),
                             {"reason": HOLD_REASON}, page_url="/profile")
        assert response.status_code == 403
    assert entries(app)[0].status == "released"


def test_another_chart_s_entry_is_not_found_under_this_chart(app, staff_client, patient,
                                                              make_patient):
    other = make_patient(account_number="REC-2", first_name="Sam")
    nurse = staff_client("nurse", direct=True)
    theirs = published_id(post_entry_form(nurse, other.id, "document", DOCUMENT,
                                  file=("report.pdf", PDF)), other.id)
    for url in (entry_url(patient.id, theirs), entry_url(patient.id, theirs, "file"),
                entry_url(patient.id, 99999999999999999999999), entry_url(999, theirs),
                new_url(999), new_url(999, "lab")):
        assert nurse.get(url).status_code == 404, url
    for action in ("release", "retract", "hold"):
        response = post_form(nurse, entry_url(patient.id, theirs, action),
                             {"reason": HOLD_REASON}, page_url=entry_url(other.id, theirs))
        assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "record_document.exported")) == 0
    assert entries(app)[0].status == "released"
