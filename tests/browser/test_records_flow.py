"""The health record end to end in Chromium (issue 10): staff publish, the patient reads,
downloads and asks for a correction, staff record the outcome, the patient reads it.

A nurse (desktop) signs in, opens Robin Quill's chart from the patient list and, through the
chart's "Publish a record": publishes a potassium result flagged high with the lab form,
uploads a small real PDF as a document, and imports a CSV of two immunizations (the preview
lists both rows OK, then "Publish these 2 immunizations"). The patient (a 375 px phone) signs
in and finds each part of the record marked new on /records, opens the lab list and the result
(abnormal said in words), downloads the result's PDF (read with pdftotext) and the whole
record as a ZIP (record-summary.pdf, the document byte for byte, record.fhir.json read as
JSON), then reports something wrong on the result: an empty request shows the error summary,
the real one lands in Messages. The nurse (the nurse pool keeps lab results, and a nurse
works that pool) reads the request from the entry's "Correction requests", is refused a "Not
changed" without an explanation, then records it with one; the patient reads the outcome as
a reply and sees in "Who has opened your record" the nurse's read and their own downloads.
The walk runs with JavaScript on (axe-core on every patient page) and off; the phone pages fit
375 px with 44 px tap targets, and no page uses an id twice.

Over HTTPS (gunicorn with TLS, the nurse with two-step, the patient's phone without
JavaScript): the same walk without its refusals, every post over https without a Referer, the
document and the import's upload multipart and the import's confirmation url-encoded, both
downloads clicked from their links and fetched from the https address, and every cookie a
__Host- cookie. That walk's Chromium trusts the test certificate (see `trusting_browser`).
"""

import io
import json
import re
import zipfile

import pytest
from conftest import PATIENT_PASSWORD, turn_on_two_step
from helpers import pdf_text
from playwright.sync_api import expect

from portal.models import StaffUser
from portal.services.uploads import strip_pdf

from .helpers import (
    PostLog,
    assert_host_cookies,
    assert_unique_ids,
    chart_section,
    main_nav,
    staff_signs_in,
)

NURSE_EMAIL = "nurse@practice.test"
NURSE_NAME = "Nina Night"
LAB = {"Test name": "Potassium", "Result": "5.9", "Unit (optional)": "mmol/L",
       "Reference range (optional)": "3.5-5.1", "Collected on (optional)": "03/01/2026",
       "Resulted on": "03/02/2026"}
DOCUMENT = {"Title": "Knee MRI report", "Kind of document": "Radiology report",
            "Date": "02/20/2026"}
DOCUMENT_TEXT = "No tear of the meniscus is seen."
VACCINES = ("Tetanus, diphtheria, pertussis (Tdap)", "Hepatitis B")
# Headings by column name and by label, a quoted cell with commas, both date forms.
IMMUNIZATIONS_CSV = (
    "vaccine,Date given,dose,lot\r\n"
    f'"{VACCINES[0]}",09/15/2025,0.5 mL,TD-4471\r\n'
    f"{VACCINES[1]},2025-10-20,dose 2 of 3,HB-0932\r\n").encode()
WRONG = "The potassium was taken from a sample that sat for hours; it was 4.2 when repeated."
EXPLANATION = "The lab checked the sample: it was processed in time, so the 5.9 result stands."
DECIDED = "The outcome was recorded and the patient was sent it in the conversation."


@pytest.fixture(scope="module")
def document_pdf():
    """A small, real one-page PDF (WeasyPrint), as a scanner or another system would make."""
    from weasyprint import HTML

    return HTML(string=f"<h1>Knee MRI</h1><p>{DOCUMENT_TEXT}</p>").write_pdf()


def expect_status(page, text):
    expect(page.get_by_role("status").filter(has_text=text)).to_have_text(text)


def no_check():
    """A page check that checks nothing (the HTTPS walk's)."""


# -- staff ------------------------------------------------------------------------------------

def open_chart(staff, patient_id, ok=no_check):
    """From the patient list (where sign-in lands) to Robin Quill's chart."""
    main_nav(staff).get_by_role("link", name="Patients").click()
    staff.get_by_role("link", name="Quill, Robin").click()
    staff.wait_for_url(re.compile(rf"/staff/patients/{patient_id}$"))
    expect(staff.get_by_role("heading", level=1)).to_have_text("Robin Quill")
    ok()


def choose_kind(staff, patient_id, kind, ok=no_check):
    """On the chart: its health record, "Publish a record", then the kind of record (a link)."""
    chart_section(staff, "Health record", ok)
    record = staff.locator("#health-record")
    record.get_by_role("link", name="Publish a record for this patient").click()
    staff.wait_for_url(re.compile(rf"/staff/patients/{patient_id}/records/new$"))
    expect(staff.get_by_role("heading", level=1)).to_have_text("Publish a record")
    ok()
    staff.get_by_role("link", name=kind, exact=True).click()


def publish_lab(staff, patient_id, ok=no_check):
    """The lab form filled and published; ends on the new entry's staff page. Returns its id."""
    choose_kind(staff, patient_id, "Lab result", ok)
    expect(staff.get_by_role("heading", level=1)).to_have_text("Publish a record: Lab result")
    for label, value in LAB.items():
        staff.get_by_label(label, exact=True).fill(value)
    staff.get_by_label("Flag", exact=True).select_option(label="High")
    ok()
    staff.get_by_role("button", name="Publish now").click()
    staff.wait_for_url(re.compile(rf"/staff/patients/{patient_id}/records/\d+$"))
    expect_status(staff, "The record was published. The patient can see it now.")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Potassium")
    expect(staff.locator("main")).to_contain_text("Abnormal This result is outside its normal "
                                                  "range.")
    expect(staff.locator("dl.details").nth(1)).to_contain_text("Released on")
    expect(staff.locator("dl.details").nth(1)).to_contain_text(f"by {NURSE_NAME}")
    ok()
    return int(staff.url.rsplit("/", 1)[1])


def publish_document(staff, patient_id, data, ok=no_check):
    """The document form with a PDF chosen as a person would (the file input)."""
    staff.get_by_role("link", name="Back to the health record").click()
    choose_kind(staff, patient_id, "Document", ok)
    for label, value in DOCUMENT.items():
        staff.get_by_label(label, exact=True).fill(value)
    staff.get_by_label("File", exact=True).set_input_files(
        {"name": "knee-mri.pdf", "mimeType": "application/pdf", "buffer": data})
    staff.get_by_role("button", name="Publish now").click()
    staff.wait_for_url(re.compile(rf"/staff/patients/{patient_id}/records/\d+$"))
    expect_status(staff, "The record was published. The patient can see it now.")
    expect(staff.get_by_role("heading", level=1)).to_have_text(DOCUMENT["Title"])
    expect(staff.get_by_role("link", name="Download the file")).to_be_visible()
    expect(staff.locator("main")).to_contain_text(re.compile(r"\(application/pdf, [\d.]+ kB\)"))
    ok()


def import_immunizations(staff, patient_id, ok=no_check):
    """The CSV import: the file checked (the preview, every row OK), then published."""
    staff.goto(f"/staff/patients/{patient_id}")
    choose_kind(staff, patient_id, "Import lab results or immunizations from a CSV file", ok)
    staff.wait_for_url(re.compile(rf"/staff/patients/{patient_id}/records/import$"))
    expect(staff.get_by_role("heading", level=1)).to_have_text(
        "Import lab results or immunizations")
    staff.get_by_role("group", name="What the file holds").get_by_label("Immunizations").check()
    staff.get_by_label("CSV file").set_input_files(
        {"name": "immunizations.csv", "mimeType": "text/csv", "buffer": IMMUNIZATIONS_CSV})
    expect(staff.get_by_label("Publish now: the patient sees them at once")).to_be_checked()
    ok()
    staff.get_by_role("button", name="Check the file").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text(
        "Check the file before it is saved")
    expect(staff.locator(".results-count")).to_have_text("Immunizations: 2 rows")
    expect(staff.locator(".import-counts li")).to_have_text(["2 rows are fine",
                                                             "0 rows have problems"])
    rows = staff.locator("table.record-import-rows tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(VACCINES[0])
    expect(rows.nth(0)).to_contain_text("TD-4471")
    expect(rows.nth(1)).to_contain_text(VACCINES[1])
    expect(rows.locator("td:last-child")).to_have_text(["OK", "OK"])
    assert not staff.title().startswith("Error:"), staff.title()
    ok()
    staff.get_by_role("button", name="Publish these 2 immunizations").click()
    staff.wait_for_url(re.compile(rf"/staff/patients/{patient_id}/records$"))
    expect_status(staff, "Entries published from the file: 2. The patient can see them now.")
    chart = staff.locator("#health-record table tbody tr")
    expect(chart).to_have_count(4)
    for title in (*VACCINES, "Potassium", DOCUMENT["Title"]):
        expect(chart.filter(has_text=title)).to_contain_text("Released")
    ok()


def record_outcome(staff, patient_id, entry_id, conversation_id, ok=no_check, refuse_first=True):
    """On the chart: the result's page, its open request read, then "Not changed" recorded
    with an explanation (first without one, when `refuse_first`)."""
    staff.goto(f"/staff/patients/{patient_id}/records")
    staff.locator("#health-record").get_by_role("link", name="Potassium").click()
    staff.wait_for_url(re.compile(rf"/staff/patients/{patient_id}/records/{entry_id}$"))
    section = staff.locator("#corrections")
    expect(section).to_contain_text("Status: Open: waiting for an outcome.")
    ok()
    section.get_by_role("link", name="Read the request").click()
    staff.wait_for_url(re.compile(rf"/staff/messages/{conversation_id}$"))
    expect(staff.get_by_role("heading", level=1)).to_have_text("Correction request: Potassium")
    asked = staff.locator("li.message-patient .message-body")
    expect(asked).to_contain_text(f"Entry number: {entry_id}")
    expect(asked).to_contain_text(WRONG)
    ok()
    staff.go_back()
    staff.wait_for_url(re.compile(rf"/staff/patients/{patient_id}/records/{entry_id}$"))

    if refuse_first:
        section.get_by_label("Not changed: explain why below").check()
        section.get_by_role("button", name="Record the outcome and tell the patient").click()
        summary = staff.locator(".error-summary")
        expect(summary.get_by_role("link", name="Explain why the record is not changed.")) \
            .to_have_attribute("href", re.compile(r"^#correction-\d+-explanation$"))
        assert staff.title().startswith("Error:"), staff.title()
        expect(section.get_by_label("Not changed: explain why below")).to_be_checked()
        ok()
    section.get_by_label("Not changed: explain why below").check()
    section.get_by_label("Explanation for the patient").fill(EXPLANATION)
    section.get_by_role("button", name="Record the outcome and tell the patient").click()
    staff.wait_for_url(re.compile(rf"/staff/patients/{patient_id}/records/{entry_id}#corrections$"))
    expect_status(staff, DECIDED)
    expect(section).to_contain_text("Status: Not changed.")
    expect(section).to_contain_text(f"by {NURSE_NAME}.")
    expect(section.locator(".record-reason")).to_have_text(EXPLANATION)
    expect(section.locator("form.correction-outcome")).to_have_count(0)
    ok()


# -- the patient ------------------------------------------------------------------------------

def category_row(page, name):
    return page.locator("ul.record-categories li").filter(
        has=page.get_by_role("link", name=name, exact=True))


def read_the_result(page, ok=no_check):
    """Home -> Health record (everything new) -> the lab list -> the result. Returns its id."""
    main_nav(page).get_by_role("link", name="Health record").click()
    page.wait_for_url(re.compile(r"/records$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Health record")
    for name, count in (("Lab and test results", "1 entry"), ("Immunizations", "2 entries"),
                        ("Documents", "1 entry")):
        row = category_row(page, name)
        expect(row.locator(".record-count")).to_have_text(count)
        expect(row.locator(".tag")).to_have_text(count.split()[0] + " new")
    expect(category_row(page, "Medications").locator(".record-count")).to_have_text(
        "Nothing shared yet")
    ok()

    page.get_by_role("link", name="Lab and test results", exact=True).click()
    page.wait_for_url(re.compile(r"/records/lab$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lab and test results")
    row = page.locator("table.records tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_have_class(re.compile(r"\bunseen\b"))
    for shown in ("New", "Potassium", "5.9", "mmol/L", "3.5-5.1", "Abnormal: high", "03/02/2026"):
        expect(row).to_contain_text(shown)
    ok()

    row.get_by_role("link", name="Potassium").click()
    page.wait_for_url(re.compile(r"/records/lab/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New Potassium")
    expect(page.locator(".notice-abnormal")).to_have_text(
        "Abnormal: high. This result is outside the reference range. If you have questions, "
        "send the care team a message.")
    facts = page.locator("dl.record-facts")
    for label, value in (("Test name", "Potassium"), ("Result", "5.9"), ("Flag", "High"),
                         ("Reference range", "3.5-5.1"), ("Resulted on", "03/02/2026")):
        expect(facts).to_contain_text(f"{label}{value}")
    ok()
    return int(page.url.rsplit("/", 1)[1])


def download(page, link, tmp_path, name):
    """Click a download link; the download saved as `name`. Returns (download, bytes)."""
    with page.expect_download() as info:
        link.click()
    done = info.value
    path = tmp_path / name
    done.save_as(path)
    return done, path.read_bytes()


def download_the_result(page, entry_id, tmp_path):
    """The result's "Download as a PDF": the entry's facts, in words, under whose record."""
    done, data = download(page, page.get_by_role("link", name="Download as a PDF"), tmp_path,
                          "result.pdf")
    assert done.suggested_filename == f"lab-{entry_id}.pdf", done.suggested_filename
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for shown in ("Potassium", "Lab result", "Abnormal: high", "Patient: Robin Quill",
                  "Account number: T-1001", "Test name: Potassium", "Result: 5.9",
                  "Unit: mmol/L", "Reference range: 3.5-5.1", "Flag: High",
                  "Collected on: 03/01/2026", "Resulted on: 03/02/2026", "Shared by the practice on"):
        assert shown in text, (shown, text)
    return done


def download_the_record(page, tmp_path, document_pdf, ok=no_check):
    """/records: "Download my whole record (ZIP)", opened with zipfile and checked."""
    main_nav(page).get_by_role("link", name="Health record").click()
    page.wait_for_url(re.compile(r"/records$"))
    # The result was opened: no longer new; the rest still is.
    expect(category_row(page, "Lab and test results").locator(".tag")).to_have_count(0)
    expect(category_row(page, "Immunizations").locator(".tag")).to_have_text("2 new")
    ok()
    done, data = download(page, page.get_by_role("link", name="Download my whole record (ZIP)"),
                          tmp_path, "record.zip")
    assert done.suggested_filename == "health-record.zip", done.suggested_filename
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    names = archive.namelist()
    [document] = [name for name in names if name.startswith("documents/")]
    assert re.fullmatch(r"documents/document-\d+\.pdf", document), names
    assert sorted(names) == sorted(["record-summary.pdf", "record.fhir.json", "README.txt",
                                    document]), names
    # The file as stored, byte for byte: written again without scripts (services/uploads.py),
    # the same bytes every time.
    assert archive.read(document) == strip_pdf(document_pdf)
    assert DOCUMENT_TEXT in pdf_text(archive.read(document))

    summary = pdf_text(archive.read("record-summary.pdf"))
    for shown in ("Health record", "Patient: Robin Quill", "Account number: T-1001",
                  "Lab and test results Potassium Abnormal: high Result: 5.9",
                  *VACCINES, "Lot number: TD-4471", "Dose: dose 2 of 3", DOCUMENT["Title"],
                  "Kind of document: Radiology report"):
        assert shown in summary, (shown, summary)

    bundle = json.loads(archive.read("record.fhir.json"))
    assert bundle["resourceType"] == "Bundle"
    kinds = {}
    for item in bundle["entry"]:
        kinds.setdefault(item["resource"]["resourceType"], []).append(item["resource"])
    assert sorted(kinds) == ["DocumentReference", "Immunization", "Observation", "Patient"], kinds
    [observation] = kinds["Observation"]
    assert observation["code"]["text"] == "Potassium"
    assert observation["valueQuantity"]["value"] == 5.9
    assert observation["valueQuantity"]["unit"] == "mmol/L"
    assert observation["interpretation"][0]["text"] == "High"
    assert sorted(item["vaccineCode"]["text"] for item in kinds["Immunization"]) == sorted(VACCINES)
    assert sorted(item["occurrenceDateTime"] for item in kinds["Immunization"]) == [
        "2025-09-15", "2025-10-20"]
    [reference] = kinds["DocumentReference"]
    assert reference["type"]["text"] == "Radiology report"
    [patient] = kinds["Patient"]
    assert patient["name"][0]["text"] == "Robin Quill"
    return done


def ask_for_a_correction(page, entry_id, ok=no_check, refuse_first=True):
    """The result's "Report something wrong" form: empty (refused), then sent. Returns the
    new conversation's id."""
    page.goto(f"/records/lab/{entry_id}")
    page.get_by_role("link", name="Report something wrong").click()
    page.wait_for_url(re.compile(rf"/records/lab/{entry_id}/correction$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Report something wrong")
    expect(page.locator("main dl.details")).to_contain_text("TitlePotassium")
    expect(page.locator("main")).to_contain_text("Your request goes to the practice (Nurse)")
    ok()
    if refuse_first:
        page.get_by_role("button", name="Send to the practice").click()
        summary = page.locator(".error-summary")
        expect(summary.get_by_role("link", name="Write what is wrong.")).to_have_attribute(
            "href", "#text")
        assert page.title().startswith("Error:"), page.title()
        expect(page.get_by_label("What is wrong?")).to_have_attribute("aria-invalid", "true")
        ok()
    page.get_by_label("What is wrong?").fill(WRONG)
    page.get_by_role("button", name="Send to the practice").click()
    page.wait_for_url(re.compile(r"/messages/\d+$"))
    expect_status(page, "Your request was sent to the practice. They answer within 2 business "
                        "days, here in Messages.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Correction request: Potassium")
    mine = page.locator("li.message-mine .message-body")
    expect(mine).to_contain_text(f"Entry number: {entry_id}")
    expect(mine).to_contain_text(WRONG)
    ok()
    return int(page.url.rsplit("/", 1)[1])


def read_the_outcome(page, conversation_id, entry_id, ok=no_check):
    """Messages (1 unread) -> the conversation: the nurse's reply gives the outcome."""
    page.goto("/home")
    nav = main_nav(page)
    nav.get_by_role("link", name=re.compile(r"^Messages \(1 ?unread ?\)$")).click()
    page.wait_for_url(re.compile(r"/messages$"))
    row = page.locator("table.inbox tbody tr").filter(has_text="Correction request: Potassium")
    expect(row).to_contain_text("New reply")
    ok()
    row.get_by_role("link", name="Correction request: Potassium").click()
    page.wait_for_url(re.compile(rf"/messages/{conversation_id}$"))
    reply = page.locator("li.message-theirs")
    expect(reply).to_have_count(1)
    expect(reply).to_contain_text(NURSE_NAME)
    body = reply.locator(".message-body")
    expect(body).to_contain_text("We looked at your request and did not change your health "
                                 "record.")
    expect(body).to_contain_text(f"Entry number: {entry_id}")
    expect(body).to_contain_text(f"Why:\n\n{EXPLANATION}")
    ok()


def read_the_history(page, ok=no_check):
    """"Who has opened your record": the nurse's read (by role) and the patient's downloads."""
    main_nav(page).get_by_role("link", name="Health record").click()
    page.get_by_role("link", name="Who has opened your record").click()
    page.wait_for_url(re.compile(r"/records/history$"))
    history = page.locator("table.record-history tbody")
    for said in ("A nurse at the practice opened Potassium", "You downloaded your whole record",
                 "You downloaded Potassium as a PDF", "You opened Potassium",
                 "You opened your list of lab and test results"):
        expect(history).to_contain_text(said)
    expect(history).not_to_contain_text(NURSE_NAME)  # staff by role, never by name
    ok()


# -- over HTTP: staff on the desktop, the patient on a phone, with and without JavaScript ------

@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_publish_read_download_and_correct_the_record(
        app, open_context, make_account, make_staff, sign_in, patient_sign_in, save_practice,
        axe_check, assert_phone_layout, document_pdf, tmp_path, javascript):
    save_practice()
    robin = make_account()
    make_staff("nurse", email=NURSE_EMAIL, name=NURSE_NAME)
    patient_id = robin.patient_id

    def staff_ok():
        assert_unique_ids(staff)

    def patient_ok():
        assert_unique_ids(page)
        if javascript:  # axe-core runs inside the page: only with JavaScript on
            axe_check(page)
        assert_phone_layout(page)

    # -- The nurse publishes a result, a document and a file of immunizations. ----------------
    staff = open_context("desktop", java_script_enabled=javascript).new_page()
    sign_in(staff, NURSE_EMAIL)
    open_chart(staff, patient_id, staff_ok)
    chart_section(staff, "Health record", staff_ok)
    expect(staff.locator("#health-record")).to_contain_text("No records published to this "
                                                            "chart yet.")
    lab_id = publish_lab(staff, patient_id, staff_ok)
    publish_document(staff, patient_id, document_pdf, staff_ok)
    import_immunizations(staff, patient_id, staff_ok)

    # -- The patient reads and downloads on a phone. -----------------------------------------
    page = open_context("phone", java_script_enabled=javascript).new_page()
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    assert read_the_result(page, patient_ok) == lab_id
    download_the_result(page, lab_id, tmp_path)
    download_the_record(page, tmp_path, document_pdf, patient_ok)

    # -- ...says the result is wrong; the nurse answers on the chart; the patient reads it. --
    conversation_id = ask_for_a_correction(page, lab_id, patient_ok)
    record_outcome(staff, patient_id, lab_id, conversation_id, staff_ok)
    read_the_outcome(page, conversation_id, lab_id, patient_ok)
    read_the_history(page, patient_ok)


# -- over HTTPS: gunicorn with TLS, the nurse with two-step ------------------------------------

def test_the_record_walk_over_https(app, https_server, open_trusting_context, make_account,
                                    make_staff, staff_password, patient_sign_in, save_practice,
                                    document_pdf, tmp_path):
    base = https_server.url
    posts = PostLog(base)
    save_practice()
    robin = make_account()
    patient_id = robin.patient_id
    nurse = make_staff("nurse", email=NURSE_EMAIL, name=NURSE_NAME)
    secret, _codes = turn_on_two_step(app, StaffUser, nurse.id)

    staff_context = open_trusting_context("desktop")
    staff = posts.watch(staff_context.new_page())
    staff_signs_in(staff, NURSE_EMAIL, staff_password, secret)
    open_chart(staff, patient_id)
    lab_id = publish_lab(staff, patient_id)
    assert staff.url == f"{base}/staff/patients/{patient_id}/records/{lab_id}", staff.url
    publish_document(staff, patient_id, document_pdf)
    import_immunizations(staff, patient_id)
    assert_host_cookies(staff_context)

    # The patient, on a phone without JavaScript.
    context = open_trusting_context("phone", java_script_enabled=False)
    page = posts.watch(context.new_page())
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    assert page.url == f"{base}/home", page.url
    assert read_the_result(page) == lab_id
    entry_pdf = download_the_result(page, lab_id, tmp_path)
    assert entry_pdf.url == f"{base}/records/lab/{lab_id}.pdf", entry_pdf.url
    archive = download_the_record(page, tmp_path, document_pdf)
    assert archive.url == f"{base}/records/download.zip", archive.url
    conversation_id = ask_for_a_correction(page, lab_id, refuse_first=False)
    assert page.url == f"{base}/messages/{conversation_id}", page.url
    assert_host_cookies(context)

    record_outcome(staff, patient_id, lab_id, conversation_id, refuse_first=False)
    read_the_outcome(page, conversation_id, lab_id)
    assert_host_cookies(staff_context)
    assert_host_cookies(context)

    posted = posts.check()
    chart = f"/staff/patients/{patient_id}"
    for path in ("/staff/sign-in", "/sign-in/code", f"{chart}/records/new",
                 f"{chart}/records/import", f"{chart}/records/import/publish", "/sign-in",
                 f"/records/lab/{lab_id}/correction"):
        assert path in posted, (path, posted)
    assert any(re.fullmatch(rf"{chart}/records/{lab_id}/corrections/\d+", path)
               for path in posted), posted
    for url in (f"{base}{chart}/records/new?category=document", f"{base}{chart}/records/import"):
        [upload] = [post for post in posts.posts if post.url == url]
        assert upload.all_headers()["content-type"].startswith("multipart/form-data; boundary=")
    [confirm] = [post for post in posts.posts
                 if post.url == f"{base}{chart}/records/import/publish"]
    assert confirm.all_headers()["content-type"] == "application/x-www-form-urlencoded"
