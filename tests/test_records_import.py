"""The CSV import of lab results or immunizations (issue 10, item 1): a file is previewed row by
row ("OK" or the problem in words, numbered as a spreadsheet shows it) and saved only when
every row is fine, in one transaction, read again in full from what the preview sends back;
headings by name or label, a BOM, Windows-1252; 500 rows and 1 MB at most; CSRF, patients and
unknown charts kept out; one audit row for the import."""

import html
import io
import re

import pytest
from conftest import csrf_token, post_form
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.extensions import db
from portal.models import Patient, RecordEntry, StaffUser
from portal.services import audit
from portal.services.records import categories, csv_import
from portal.services.records import entries as record_entries

LAB_HEADINGS = "test,value,unit,reference_range,flag,collected_on,resulted_on"
LAB_ROWS = ('"Glucose, fasting",126,mg/dL,70-99,high,03/01/2026,03/02/2026',
            "Hemoglobin A1c,6.1,%,4.0-5.6,high,03/01/2026,2026-03-03",
            "Potassium,4.2,mmol/L,3.5-5.1,normal,,03/02/2026")
LAB_CSV = "\r\n".join((LAB_HEADINGS, *LAB_ROWS)).encode()
VACCINE_CSV = (b"vaccine,given_on,dose,lot\n"
               b'"Influenza, quadrivalent",10/01/2025,0.5 mL,FL-2231\n'
               b"Tdap,2024-05-12,,\n")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


@pytest.fixture
def patient(make_patient):
    return make_patient(account_number="REC-1")


@pytest.fixture
def nurse_client(staff_client):
    return staff_client("nurse", direct=True)


def import_url(patient_id, step=""):
    return f"/staff/patients/{patient_id}/records/import" + (f"/{step}" if step else "")


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


def upload(browser, patient_id, data, category="lab", release="publish", name="results.csv"):
    """The upload form sent with a file (`data` bytes, or None for no file chosen)."""
    url = import_url(patient_id)
    fields = {"csrf_token": csrf_token(browser, url), "release": release}
    if category:
        fields["category"] = category
    if data is not None:
        fields["file"] = FileStorage(io.BytesIO(data), name)
    boundary, body = encode_multipart(fields)
    return browser.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def hidden_fields(page):
    """The confirm form's hidden inputs (category, release, text) as the browser would send
    them."""
    return {name: html.unescape(value) for name, value in re.findall(
        r'<input id="(\w+)" name="\1" type="hidden" value="([^"]*)">', page)}


def confirm(browser, patient_id, preview, **forged):
    """Press the preview's save button (or send `forged` fields in its place)."""
    fields = {**hidden_fields(preview.get_data(as_text=True)), **forged}
    return post_form(browser, import_url(patient_id, "publish"), fields,
                     page_url=import_url(patient_id))


def entries(app):
    with app.app_context():
        rows = db.session.scalars(select(RecordEntry).order_by(RecordEntry.id)).all()
        db.session.expunge_all()
        return rows


def row_texts(page):
    """Each row of the preview table as one line of text."""
    body = page.split('<table class="stack record-import-rows">')[1].split("<tbody>")[1]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in re.findall(r"<tr[^>]*>.*?</tr>", body, re.S)]


# -- the pages -------------------------------------------------------------------------------

def test_the_kinds_of_record_page_links_to_the_import(nurse_client, patient):
    page = text_of(nurse_client.get(f"/staff/patients/{patient.id}/records/new"))
    assert (f'<a href="{import_url(patient.id)}">Import lab results or immunizations from a CSV '
            "file</a>") in page
    form = text_of(nurse_client.get(import_url(patient.id)))
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form
    assert re.search(r'type="radio" value="lab"', form) and "Lab results" in form
    assert re.search(r'type="radio" value="immunization"', form) and "Immunizations" in form
    assert re.search(r'<input checked[^>]*id="release-0"[^>]*value="publish"', form)
    assert "Save as drafts" in form and not re.search(r"<script(?![^>]*\bsrc=)", form)
    assert f"<pre class=\"record-example\">{LAB_HEADINGS},panel\n" in form  # panel: optional (issue 21)
    assert "vaccine,given_on,dose,lot" in form
    for column in ("resulted_on", "Resulted on", "reference_range", "given_on", "Lot number"):
        assert column in form
    assert "A CSV file (comma-separated values) of at most 1 MB and 500 rows." in form
    assert all("data-label=" in cell for cell in re.findall(r"<td[^>]*>", form))


# -- a good file -----------------------------------------------------------------------------

def test_a_lab_file_is_previewed_then_published_on_this_chart(app, nurse_client, patient, audit_trail):
    preview = upload(nurse_client, patient.id, LAB_CSV)
    page = text_of(preview)
    assert preview.status_code == 200 and "Check the file before it is saved" in page
    assert "3 rows are fine" in page and "0 rows have problems" in page
    assert "There is a problem" not in page
    assert row_texts(page) == [
        "2 Glucose, fasting 126 mg/dL 70-99 high 03/01/2026 03/02/2026 OK",
        "3 Hemoglobin A1c 6.1 % 4.0-5.6 high 03/01/2026 2026-03-03 OK",
        "4 Potassium 4.2 mmol/L 3.5-5.1 normal 03/02/2026 OK"]
    assert re.search(r'<button type="submit" class="button">Publish these 3 results</button>', page)
    form = re.search(r'<form method="post" novalidate class="record-buttons"[^>]*>', page).group(0)
    assert "enctype" not in form  # url-encoded: a 1 MB text field is too large for multipart
    assert entries(app) == [] and "record.imported" not in audit_trail.actions()

    response = confirm(nurse_client, patient.id, preview)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/patients/{patient.id}/records"
    chart = text_of(nurse_client.get(f"/staff/patients/{patient.id}/records"))
    assert "Entries published from the file: 3. The patient can see them now." in chart
    saved = entries(app)
    assert [(entry.patient_id, entry.category, entry.status, entry.title) for entry in saved] == [
        (patient.id, "lab", "released", "Glucose, fasting"),
        (patient.id, "lab", "released", "Hemoglobin A1c"),
        (patient.id, "lab", "released", "Potassium")]
    assert saved[1].facts["resulted_on"] == "2026-03-03" and saved[1].abnormal
    assert not saved[2].abnormal and saved[2].facts["collected_on"] == ""
    [imported] = audit_trail.rows("record.imported")
    assert imported.patient_id == patient.id and imported.actor_id == nurse_client.staff.id
    assert imported.detail == "category: lab; rows: 3; released"
    assert audit_trail.actions().count("record.released") == 3


def test_a_file_saved_as_drafts_waits_for_release(app, nurse_client, patient, audit_trail):
    preview = upload(nurse_client, patient.id, LAB_CSV, release="draft")
    page = text_of(preview)
    assert "Save these 3 results as drafts" in page and "Publish these" not in page
    assert hidden_fields(preview.get_data(as_text=True))["release"] == "draft"
    confirm(nurse_client, patient.id, preview)
    assert "Entries saved as drafts from the file: 3. The patient does not see them until they " \
           "are released." in text_of(nurse_client.get(f"/staff/patients/{patient.id}"))
    assert [entry.status for entry in entries(app)] == ["draft", "draft", "draft"]
    assert "record.released" not in audit_trail.actions()
    assert audit_trail.rows("record.imported")[0].detail == "category: lab; rows: 3; drafts"


def test_immunizations_are_imported(app, nurse_client, patient, audit_trail):
    preview = upload(nurse_client, patient.id, VACCINE_CSV, category="immunization")
    page = text_of(preview)
    assert "2 rows are fine" in page and "Publish these 2 immunizations" in page
    assert row_texts(page)[1] == "3 Tdap 2024-05-12 OK"
    confirm(nurse_client, patient.id, preview)
    assert [(entry.category, entry.status, entry.title, entry.facts["lot"])
            for entry in entries(app)] == [
        ("immunization", "released", "Influenza, quadrivalent", "FL-2231"),
        ("immunization", "released", "Tdap", "")]
    assert audit_trail.rows("record.imported")[0].detail == "category: immunization; rows: 2; " \
                                                           "released"


def test_headings_may_be_labels_in_any_case_and_choices_their_words(app, nurse_client, patient):
    data = (b"RESULTED ON, Test name ,Result,Flag,reference range\n"
            b"03/02/2026,Glucose,126,High,70-99\n")
    preview = upload(nurse_client, patient.id, data)
    assert "1 row is fine" in text_of(preview)
    confirm(nurse_client, patient.id, preview)
    [entry] = entries(app)
    assert (entry.title, entry.facts["flag"], entry.facts["reference_range"], entry.abnormal) == \
        ("Glucose", "high", "70-99", True)


def test_a_byte_order_mark_is_not_part_of_the_first_heading(app, nurse_client, patient):
    preview = upload(nurse_client, patient.id, b"\xef\xbb\xbf" + LAB_CSV)
    assert "3 rows are fine" in text_of(preview)
    confirm(nurse_client, patient.id, preview)
    assert len(entries(app)) == 3


def test_a_windows_1252_file_is_read_and_saved_as_written(app, nurse_client, patient):
    data = ("vaccine,given_on,dose,lot\n"
            "Hépatite B – dose 2,2025-01-15,0.5 mL,LOT-Ü1\n").encode("cp1252")
    preview = upload(nurse_client, patient.id, data, category="immunization")
    page = text_of(preview)
    assert "Hépatite B – dose 2" in page and "1 row is fine" in page
    confirm(nurse_client, patient.id, preview)
    [entry] = entries(app)
    assert (entry.title, entry.facts["lot"]) == ("Hépatite B – dose 2", "LOT-Ü1")


# -- rows with problems ----------------------------------------------------------------------

BAD_LAB_CSV = "\n".join((
    LAB_HEADINGS,
    LAB_ROWS[0],
    "Sodium,140,mmol/L,135-145,normal,03/01/2026,31/02/2026",     # row 3: a bad date
    "",                                                            # row 4: blank, skipped
    "Potassium,4.2,mmol/L,3.5-5.1,very high,03/01/2026,03/02/2026",  # row 5: no such flag
    ",4.2,mmol/L,3.5-5.1,normal,03/01/2026,03/02/2026",           # row 6: no test name
    "Chloride,101,mmol/L,98-107,normal,03/01/2026,03/02/2026,extra",  # row 7: a cell too many
)).encode()
BAD_ROWS = {
    3: "Resulted on: Enter the date as MM/DD/YYYY.",
    5: "Flag: Use one of: Normal, High, Low, Abnormal, Critical.",
    6: "Test name: Enter test name.",
    7: "This row has more cells than the first row has headings.",
}


def test_rows_with_problems_are_shown_numbered_and_nothing_is_saved(app, nurse_client, patient,
                                                                    audit_trail):
    response = upload(nurse_client, patient.id, BAD_LAB_CSV)
    page = text_of(response)
    assert response.status_code == 200 and "<title>Error: " in page
    assert "1 row is fine" in page and "4 rows have problems" in page
    assert "Nothing has been saved." in page
    for number, problem in BAD_ROWS.items():
        assert f'<a href="#row-{number}">Row {number}: {problem}</a>' in page
    rows = row_texts(page)
    assert [row.split()[0] for row in rows] == ["2", "3", "5", "6", "7"]
    assert rows[0].endswith(" OK") and rows[1].endswith("Error: " + BAD_ROWS[3])
    assert "31/02/2026" in rows[1] and "very high" in rows[2]
    assert "Publish these" not in page and "/records/import/publish" not in page
    assert f'<a class="button" href="{import_url(patient.id)}">Choose another file</a>' in page
    assert entries(app) == []

    # The save step reads the text again: a forged POST of the bad file saves nothing either.
    forged = confirm(nurse_client, patient.id, response, category="lab", release="publish",
                     text=BAD_LAB_CSV.decode())
    assert forged.status_code == 200
    assert '<a href="#row-3">Row 3: Resulted on: Enter the date as MM/DD/YYYY.</a>' in \
        text_of(forged)
    assert entries(app) == []
    assert [action for action in audit_trail.actions() if action.startswith("record.")] == []


def test_the_service_reads_and_refuses_without_a_request(app, patient, make_staff):
    """The rule below the pages: a batch with any problem is never published."""
    staff = make_staff("nurse", email="nurse@practice.test")
    with app.app_context():
        batch = csv_import.read("lab", BAD_LAB_CSV)
        assert [(row.number, row.fine) for row in batch.rows] == [
            (2, True), (3, False), (5, False), (6, False), (7, False)]
        assert (batch.problems, batch.valid) == (4, False)
        origin = audit.Origin(db.session.get(StaffUser, staff.id), "127.0.0.1", "test")
        with pytest.raises(csv_import.CsvError):
            csv_import.publish_batch(db.session.get(Patient, patient.id), batch, origin,
                                        release=True)
        db.session.commit()
    assert entries(app) == []


def test_a_failure_part_way_through_saving_leaves_nothing(app, nurse_client, patient, monkeypatch):
    preview = upload(nurse_client, patient.id, LAB_CSV)
    publish, calls = record_entries.publish, []

    def fails_on_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise categories.RecordError("refused", "test")
        return publish(*args, **kwargs)

    monkeypatch.setattr(record_entries, "publish", fails_on_the_third)
    with pytest.raises(categories.RecordError):
        confirm(nurse_client, patient.id, preview)
    assert len(calls) == 3 and entries(app) == []


def test_a_forged_category_or_text_is_checked_again(app, nurse_client, patient):
    preview = upload(nurse_client, patient.id, LAB_CSV)
    as_vaccines = confirm(nurse_client, patient.id, preview, category="immunization")
    assert "The file has columns this import does not know" in text_of(as_vaccines)
    assert "Choose lab results or immunizations." in text_of(
        confirm(nurse_client, patient.id, preview, category="medication"))
    assert "The file is empty." in text_of(confirm(nurse_client, patient.id, preview, text=""))
    assert entries(app) == []


# -- files refused whole ---------------------------------------------------------------------

@pytest.mark.parametrize("data, message", [
    (LAB_HEADINGS.encode() + b",notes,Doctor\n" + LAB_ROWS[0].encode() + b",x,y\n",
     "The file has columns this import does not know: “notes”, “Doctor”. Use the columns "
     "listed on this page."),
    (b"test,value,unit\nGlucose,126,mg/dL\n",
     "The file has no column for “flag”, “resulted_on”, which every row needs."),
    (b"test,Test name,value,flag,resulted_on\nA,B,1,high,03/02/2026\n",
     "The file has more than one column for “test”."),
    (b"test,,value,flag,resulted_on\nA,,1,high,03/02/2026\n",
     "Every column needs a heading in the first row: column 2 has none."),
    (b"", "The file is empty."),
    (b"\r\n \r\n,,,\r\n", "The file is empty."),
    (LAB_HEADINGS.encode() + b"\n\n", "The file has headings but no rows under them."),
    (PNG, "This is not a CSV file. In the spreadsheet, save it as “CSV” (comma-separated "
          "values) and choose that file."),
    ("test,value".encode("utf-16"), "This is not a CSV file."),
    (None, "Choose the CSV file to import."),
], ids=["unknown-columns", "missing-columns", "repeated-column", "blank-heading", "empty",
        "blank-lines", "headings-only", "png", "utf-16", "no-file"])
def test_a_file_that_cannot_be_read_is_refused_whole(app, nurse_client, patient, data, message):
    response = upload(nurse_client, patient.id, data)
    page = text_of(response)
    assert response.status_code == 200 and "<title>Error: " in page
    assert re.search(r'<a href="#file">' + re.escape(message), page)
    assert 'id="file-error"' in page and "Check the file before it is saved" not in page
    assert entries(app) == []


def test_the_kind_of_file_must_be_chosen(app, nurse_client, patient):
    page = text_of(upload(nurse_client, patient.id, LAB_CSV, category=None))
    assert '<a href="#category-0">Choose lab results or immunizations.</a>' in page
    page = text_of(upload(nurse_client, patient.id, LAB_CSV, category="medication"))
    assert '<a href="#category-0">Choose lab results or immunizations.</a>' in page


def lab_file(rows, size=None):
    """A lab file of `rows` good rows, padded with spaces in a cell to `size` bytes."""
    lines = [LAB_HEADINGS] + [f"Test {number},{number},mg/dL,1-9,normal,03/01/2026,03/02/2026"
                              for number in range(rows)]
    data = "\n".join(lines).encode()
    if size is not None:  # spaces around a cell are trimmed before it is checked
        data = data.replace(b"mg/dL", b"mg/dL" + b" " * ((size - len(data)) // rows))
        data += b" " * (size - len(data))
    return data


def test_500_rows_in_1_mb_are_read_and_saved(app, nurse_client, patient, audit_trail):
    data = lab_file(500, size=1024 * 1024)
    assert len(data) == 1048576 and data.count(b"\n") == 500
    preview = upload(nurse_client, patient.id, data, release="draft")
    page = text_of(preview)
    assert "500 rows are fine" in page and "Save these 500 results as drafts" in page
    confirm(nurse_client, patient.id, preview)
    assert len(entries(app)) == 500
    assert audit_trail.rows("record.imported")[0].detail == "category: lab; rows: 500; drafts"


@pytest.mark.parametrize("data, message", [
    (lab_file(501), "The file has more than 500 rows. Split it into files of at most 500 rows."),
    (lab_file(3, size=1024 * 1024 + 1),
     "The file is larger than 1 MB. Split it into smaller files."),
], ids=["501-rows", "over-1-mb"])
def test_more_than_500_rows_or_1_mb_is_refused(app, nurse_client, patient, data, message):
    page = text_of(upload(nurse_client, patient.id, data))
    assert f'<a href="#file">{message}</a>' in page
    text = data.decode()
    refused = post_form(nurse_client, import_url(patient.id, "publish"),
                        {"category": "lab", "release": "publish", "text": text},
                        page_url=import_url(patient.id))
    assert message in text_of(refused)
    assert entries(app) == []


# -- who may ask -----------------------------------------------------------------------------

def test_every_post_needs_its_csrf_token(app, nurse_client, patient):
    boundary, body = encode_multipart({"category": "lab", "release": "publish",
                                       "file": FileStorage(io.BytesIO(LAB_CSV), "r.csv")})
    assert nurse_client.post(import_url(patient.id), data=body,
                      content_type=f"multipart/form-data; boundary={boundary}").status_code == 400
    assert nurse_client.post(import_url(patient.id, "publish"), data={
        "category": "lab", "release": "publish", "text": LAB_CSV.decode()}).status_code == 400
    assert entries(app) == []


def test_a_patient_account_cannot_reach_the_import(app, make_account, patient_client):
    account = make_account()
    robin = patient_client()
    assert robin.get(import_url(account.patient_id)).status_code == 403
    for url in (import_url(account.patient_id), import_url(account.patient_id, "publish")):
        response = post_form(robin, url, {"category": "lab", "release": "publish",
                                          "text": LAB_CSV.decode()}, page_url="/profile")
        assert response.status_code == 403
    assert entries(app) == []


def test_an_unknown_chart_is_not_found(app, nurse_client, patient):
    for patient_id in (999, 99999999999999999999999):
        assert nurse_client.get(import_url(patient_id)).status_code == 404
        response = post_form(nurse_client, import_url(patient_id, "publish"),
                             {"category": "lab", "release": "publish", "text": LAB_CSV.decode()},
                             page_url=import_url(patient.id))
        assert response.status_code == 404
    assert entries(app) == []
