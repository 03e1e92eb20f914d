"""The whole health record as one ZIP (/records/download.zip): a PDF of every released entry,
the documents byte for byte, a FHIR R4 Bundle that fhir.resources reads back, and a README;
nothing unreleased or of another chart in any of them; a damaged document left out and said
so; a safe, audited download streamed from a temporary file."""

import io
import json
import re
import zipfile
from collections import Counter

import pytest
from fhir.resources import fhirtypes
from helpers import pdf_text
from records_data import PDF, change

from portal.extensions import db
from portal.models import RecordEntry
from portal.services.practice import get_practice, update_practice
from portal.services.records import entries, export

ORDER = ("lab", "immunization", "medication", "allergy", "problem", "appointment", "visit",
         "statement", "document")
OTHER_PDF = PDF.replace(b"Catalog", b"Catalog /Lang (en)")

# fhir.resources 6.4, the last release of FHIR R4 models, refuses a relative url such as
# "documents/document-12.pdf" (where a DocumentReference's file is in the archive), which R4
# allows; 6.5 fixed it by reading such a value as a path from "/". The same fix here, made
# before any model is built (a pydantic 1 model keeps the validator it was built with).
_url_as_before = fhirtypes.Url.validate


def _url_or_relative_path(cls, value, field, config):
    try:
        return _url_as_before(value, field, config)
    except ValueError:
        if fhirtypes.Url.path_regex.match("/" + value):
            return value
        raise


fhirtypes.Url.validate = classmethod(_url_or_relative_path)


def download(robin_client):
    """The ZIP's response (closed, so its temporary file is) and the archive, opened."""
    with robin_client.get("/records/download.zip") as response:
        data = response.get_data()
    return response, data, zipfile.ZipFile(io.BytesIO(data))


def fhir_bundle(archive):
    """record.fhir.json read by fhir.resources (FHIR R4), and as plain JSON."""
    from fhir.resources.bundle import Bundle

    text = archive.read("record.fhir.json").decode()
    return Bundle.parse_raw(text), json.loads(text)


def resources(data, kind):
    return [item["resource"] for item in data["entry"] if item["resource"]["resourceType"] == kind]


# -- the archive ------------------------------------------------------------------------------

def test_the_whole_record_downloads_as_one_audited_zip(robin_client, robin_account, publish_entry,
                                                       audit_trail):
    ids = {category: publish_entry(category) for category in ORDER}
    response, data, archive = download(robin_client)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == 'attachment; filename="health-record.zip"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Length"] == str(len(data))
    document = f"documents/document-{ids['document']}.pdf"
    assert sorted(archive.namelist()) == sorted(
        ["record-summary.pdf", "record.fhir.json", "README.txt", document])
    assert archive.read(document) == PDF

    summary = pdf_text(archive.read("record-summary.pdf"))
    for fact in ("Health record", "Patient: Robin Quill", "Account number: T-1001",
                 "Lab and test results Glucose, fasting Abnormal: high Result: 126",
                 "Unit: mg/dL", "Reference range: 70-99", "Flag: High",
                 "Immunizations Influenza Date given: 10/01/2025", "Lot number: FL123",
                 "Medications Lisinopril Dose: 10 mg", "Directions: Once a day",
                 "Allergies Penicillin Reaction: Hives Severity: Moderate",
                 "Health problems Hypertension Status: Active",
                 "Appointments Follow-up Date: 03/10/2026 Time: 09:30 Provider: Dr Alder",
                 "Visit summaries Annual physical", "Notes: Blood pressure a little high.",
                 "Bills and statements Balance due: $40.00, as on your latest statement.",
                 "Office visit Statement date: 03/05/2026 Amount: $125.00",
                 "Documents Chest X-ray report Kind of document: Radiology report",
                 f"File: {document}"):
        assert fact in summary, fact

    [row] = audit_trail.rows("record_archive.exported")
    assert (row.object_type, row.object_id, row.patient_id) == ("record_archive", "",
                                                                robin_account.patient_id)
    assert row.detail == f"format: zip; bytes: {len(data)}" and row.actor_kind == "patient"
    [viewed] = audit_trail.rows("record.viewed")
    assert viewed.detail == "zip; shown: " + ", ".join(str(ids[key]) for key in ORDER)


def test_the_readme_says_what_is_there_and_that_bills_are_not_in_fhir(robin_client, publish_entry):
    publish_entry("lab")
    publish_entry("lab", test="Potassium")
    publish_entry("document")
    readme = download(robin_client)[2].read("README.txt").decode()
    assert "It holds only what the practice has shared with you:\n- Lab and test results: 2\n" in readme
    assert "- Medications: 0\n" in readme and "- Documents: 1\n" in readme
    assert "record-summary.pdf\n" in readme and "record.fhir.json\n" in readme
    assert "Bills and statements are not in it: they are in record-summary.pdf." in readme
    assert "1 document as the practice published it." in readme
    assert "Left out" not in readme


def test_an_empty_record_still_downloads(robin_client, robin_account):
    _response, _data, archive = download(robin_client)
    assert sorted(archive.namelist()) == ["README.txt", "record-summary.pdf", "record.fhir.json"]
    assert pdf_text(archive.read("record-summary.pdf")).count("Nothing shared yet.") == 9
    bundle, data = fhir_bundle(archive)
    assert [item.resource.resource_type for item in bundle.entry] == ["Patient"]
    assert "0 documents as the practice published them." in archive.read("README.txt").decode()


def test_a_damaged_document_is_left_out_and_the_readme_says_so(robin_client, publish_entry, app):
    kept = publish_entry("document", title="Kept scan")
    damaged = publish_entry("document", title="Damaged scan", document_on="02/14/2026",
                      file=OTHER_PDF)
    with app.app_context():
        db.session.get(RecordEntry, damaged).file_data = OTHER_PDF + b"changed"
        db.session.commit()
    _response, _data, archive = download(robin_client)
    assert sorted(archive.namelist()) == ["README.txt", f"documents/document-{kept}.pdf",
                                          "record-summary.pdf", "record.fhir.json"]
    readme = archive.read("README.txt").decode()
    assert "These documents could not be included: the stored copy no longer matches the one " \
        "the practice published. Ask the practice for a new copy.\n- Damaged scan (02/14/2026)" \
        in readme
    summary = pdf_text(archive.read("record-summary.pdf"))
    assert "Damaged scan" in summary
    assert "The file is not in this download: the stored copy is damaged." in summary
    _bundle, data = fhir_bundle(archive)
    attachments = {item["description"]: item["content"][0]["attachment"]
                   for item in resources(data, "DocumentReference")}
    assert attachments["Kept scan"]["url"] == f"documents/document-{kept}.pdf"
    assert attachments["Damaged scan"] == {"contentType": "application/pdf",
                                           "title": "Damaged scan"}


# -- the FHIR copy ----------------------------------------------------------------------------

def test_the_fhir_copy_is_an_r4_bundle_of_every_released_entry(robin_client, robin_account, publish_entry):
    ids = {category: publish_entry(category) for category in ORDER}
    publish_entry("lab", test="Strep screen", value="Negative", unit="", reference_range="",
            flag="normal", collected_on="")
    publish_entry("medication", name="Amoxicillin", started_on="01/02/2020", stopped_on="01/12/2020")
    publish_entry("appointment", reason="Flu shot", day="11/02/2026", at="14:15", state="scheduled")
    bundle, data = fhir_bundle(download(robin_client)[2])
    assert bundle.type == "collection"
    assert Counter(item.resource.resource_type for item in bundle.entry) == {
        "Patient": 1, "Observation": 2, "Immunization": 1, "MedicationStatement": 2,
        "AllergyIntolerance": 1, "Condition": 1, "Encounter": 3, "DocumentReference": 1}

    [patient] = resources(data, "Patient")
    assert patient["name"][0]["text"] == "Robin Quill" and patient["birthDate"] == "1980-04-09"
    assert patient["identifier"][0]["value"] == "T-1001" and patient["gender"] == "unknown"
    patient_url = data["entry"][0]["fullUrl"]
    assert patient_url.startswith("urn:uuid:")
    for item in data["entry"][1:]:
        resource = item["resource"]
        assert (resource.get("subject") or resource.get("patient")) == {"reference": patient_url}

    strep, glucose = resources(data, "Observation")  # both resulted on 03/02: the newer first
    assert glucose["id"] == f"lab-{ids['lab']}" and glucose["status"] == "final"
    assert glucose["code"] == {"text": "Glucose, fasting"}
    assert glucose["valueQuantity"] == {"value": 126, "unit": "mg/dL"}
    assert glucose["referenceRange"] == [{"text": "70-99"}]
    assert glucose["interpretation"][0]["coding"][0]["code"] == "H"
    assert glucose["effectiveDateTime"] == "2026-03-01" and glucose["issued"].endswith("+00:00")
    assert strep["valueString"] == "Negative" and "referenceRange" not in strep
    assert strep["effectiveDateTime"] == "2026-03-02"
    assert strep["interpretation"][0]["coding"][0]["code"] == "N"

    [vaccine] = resources(data, "Immunization")
    assert (vaccine["status"], vaccine["vaccineCode"], vaccine["occurrenceDateTime"],
            vaccine["lotNumber"]) == ("completed", {"text": "Influenza"}, "2025-10-01", "FL123")
    assert vaccine["note"] == [{"text": "Dose: 0.5 mL"}]

    lisinopril, amoxicillin = resources(data, "MedicationStatement")
    assert lisinopril["medicationCodeableConcept"] == {"text": "Lisinopril"}
    assert lisinopril["dosage"] == [{"text": "10 mg, Once a day"}]
    assert lisinopril["effectivePeriod"] == {"start": "2026-01-05"}
    assert lisinopril["status"] == "active"
    assert amoxicillin["effectivePeriod"] == {"start": "2020-01-02", "end": "2020-01-12"}
    assert amoxicillin["status"] == "completed"

    [allergy] = resources(data, "AllergyIntolerance")
    assert allergy["code"] == {"text": "Penicillin"} and allergy["criticality"] == "low"
    assert allergy["reaction"] == [{"manifestation": [{"text": "Hives"}], "severity": "moderate"}]
    assert allergy["recordedDate"] == "2024-02-01"

    [problem] = resources(data, "Condition")
    assert problem["code"] == {"text": "Hypertension"} and problem["recordedDate"] == "2026-01-05"
    assert problem["clinicalStatus"]["coding"][0]["code"] == "active"

    encounters = {item["reasonCode"][0]["text"]: item for item in resources(data, "Encounter")}
    assert encounters["Follow-up"]["status"] == "finished"
    # 09:30 in the practice's zone (America/New_York, on summer time from March 8, 2026).
    assert encounters["Follow-up"]["period"] == {"start": "2026-03-10T09:30:00-04:00"}
    assert encounters["Follow-up"]["participant"] == [{"individual": {"display": "Dr Alder"}}]
    assert encounters["Flu shot"]["status"] == "planned"
    assert encounters["Flu shot"]["period"] == {"start": "2026-11-02T14:15:00-05:00"}
    visit = encounters["Annual physical"]
    assert visit["status"] == "finished" and visit["period"] == {"start": "2026-03-01"}
    assert "Notes: Blood pressure a little high." in visit["text"]["div"]

    [document] = resources(data, "DocumentReference")
    assert (document["status"], document["description"], document["type"]) == (
        "current", "Chest X-ray report", {"text": "Radiology report"})
    attachment = document["content"][0]["attachment"]
    assert attachment["url"] == f"documents/document-{ids['document']}.pdf"
    assert (attachment["contentType"], attachment["title"], attachment["size"]) == (
        "application/pdf", "Chest X-ray report", len(PDF))
    assert document["context"] == {"period": {"start": "2026-03-03"}}
    assert "Office visit" not in json.dumps(data)  # statements are in the PDF only


@pytest.mark.parametrize("state, status", [("scheduled", "planned"), ("completed", "finished"),
                                           ("cancelled", "cancelled"), ("missed", "cancelled")])
def test_appointment_states_become_encounter_statuses(robin_client, publish_entry, state, status):
    publish_entry("appointment", state=state)
    _bundle, data = fhir_bundle(download(robin_client)[2])
    [encounter] = resources(data, "Encounter")
    assert encounter["status"] == status


@pytest.mark.parametrize("severity, criticality", [("mild", "low"), ("moderate", "low"),
                                                   ("severe", "high")])
def test_allergy_severity_becomes_criticality(robin_client, publish_entry, severity, criticality):
    publish_entry("allergy", severity=severity)
    _bundle, data = fhir_bundle(download(robin_client)[2])
    [allergy] = resources(data, "AllergyIntolerance")
    assert allergy["criticality"] == criticality
    assert allergy["reaction"][0]["severity"] == severity


# -- what never goes in ------------------------------------------------------------------------

def test_nothing_unreleased_or_of_another_patient_is_in_the_zip(robin_client, publish_entry, app,
                                                                make_staff, make_account):
    provider = make_staff("provider", email="doc@practice.test")
    with app.app_context():
        update_practice(get_practice(), {"result_holds_allowed": True})
        db.session.commit()
    shown = publish_entry("lab", test="Released result")
    publish_entry("lab", release=False, test="Draft result")
    held = publish_entry("lab", release=False, by=provider, test="Held result")
    retracted = publish_entry("lab", test="Retracted result")
    draft_scan = publish_entry("document", release=False, title="Draft scan", file=OTHER_PDF)
    retracted_scan = publish_entry("document", title="Retracted scan", file=OTHER_PDF)
    publish_entry("immunization", release=False, vaccine="Draft vaccine")

    def hold(entry, origin):
        entries.hold(entry, "Discuss with the patient first", origin.account, get_practice(),
                     origin)

    change(app, held, hold)
    change(app, retracted, entries.retract)
    change(app, retracted_scan, entries.retract)
    morgan = make_account(username="morgan", account_number="T-2002",
                          email="morgan@example.com", first_name="Morgan")
    other_lab = publish_entry("lab", patient_id=morgan.patient_id, test="Morgan's glucose")
    other_scan = publish_entry("document", patient_id=morgan.patient_id, title="Morgan's X-ray",
                         file=OTHER_PDF)

    _response, _data, archive = download(robin_client)
    assert sorted(archive.namelist()) == ["README.txt", "record-summary.pdf", "record.fhir.json"]
    summary = pdf_text(archive.read("record-summary.pdf"))
    text = archive.read("record.fhir.json").decode() + archive.read("README.txt").decode()
    assert "Released result" in summary and "Released result" in text
    for hidden in ("Draft result", "Held result", "Retracted result", "Draft scan",
                   "Retracted scan", "Draft vaccine", "Morgan", "T-2002"):
        assert hidden not in summary and hidden not in text, hidden
    for number in (held, retracted, draft_scan, retracted_scan, other_lab, other_scan):
        assert not re.search(rf"(lab|document)-{number}\b", text), number
    _bundle, data = fhir_bundle(archive)
    assert [item["id"] for item in resources(data, "Observation")] == [f"lab-{shown}"]
    assert resources(data, "DocumentReference") == []


def test_only_signed_in_patients_download_their_record(publish_entry, staff_client, client):
    publish_entry("lab")
    assert staff_client("provider", email="doc@practice.test").get(
        "/records/download.zip").status_code == 403
    assert client.get("/records/download.zip").status_code == 302  # sign in first


# -- the page and the download itself ----------------------------------------------------------

def test_the_overview_offers_the_whole_record(robin_client):
    page = robin_client.get("/records").get_data(as_text=True)
    assert 'href="/records/download.zip" download' in page
    assert "Download my whole record (ZIP)" in page
    assert "One file holding a PDF of everything shared with you, the documents as published, " \
        "and a copy in FHIR" in page


def test_a_large_archive_goes_to_disk_is_streamed_and_closed(robin_client, publish_entry, monkeypatch):
    built = []

    def spy(*args, **kwargs):
        built.append(build(*args, **kwargs))
        return built[-1]

    build = export.build_archive
    monkeypatch.setattr(export, "SPOOL_BYTES", 1024)
    monkeypatch.setattr(export, "build_archive", spy)
    entry_id = publish_entry("document")
    response = robin_client.get("/records/download.zip")
    [made] = built
    assert made.file._rolled  # past 1,024 bytes it is a temporary file, not memory
    assert response.is_streamed and not made.file.closed
    data = response.get_data()
    response.close()
    assert made.file.closed
    assert zipfile.ZipFile(io.BytesIO(data)).read(f"documents/document-{entry_id}.pdf") == PDF
