"""The patient's health record, through the pages: the overview's counts and "new" marks, each
category newest first (appointments upcoming and past, bills with the balance due), abnormal
results in words, opening an entry, the PDFs and a document's original file as safe, audited
downloads, and what never reaches the patient: drafts, held and retracted entries, another
patient's entries, and staff on these URLs."""

import re
from datetime import UTC, datetime

import pytest
from conftest import count_queries
from freezegun import freeze_time
from helpers import pdf_text
from records_data import PDF, change, text, words

from portal.extensions import db
from portal.models import RecordEntry
from portal.services.messages.topics import offered_topics
from portal.services.practice import get_practice, update_practice
from portal.services.records import categories, entries


def title_of(category, title):
    return {categories.CATEGORIES[category].title: title}


def overview_line(page, label):
    """The overview's line for one category, as read: "Lab and test results 2 entries 1 new"."""
    for item in re.findall(r"<li>(.*?)</li>", text(page), re.S):
        line = " ".join(re.sub(r"<[^>]+>", " ", item).split())
        if line.startswith(label):
            return line
    raise AssertionError(f"no line for {label}")


# -- the overview ------------------------------------------------------------------------------

def test_the_overview_counts_each_category_and_its_new_entries(robin_client, publish_entry, app):
    first = publish_entry("lab")
    publish_entry("lab", test="Cholesterol")
    publish_entry("immunization")
    publish_entry("lab", release=False, test="Draft result")
    page = robin_client.get("/records")
    assert page.status_code == 200
    assert overview_line(page, "Lab and test results") == "Lab and test results 2 entries 2 new"
    assert overview_line(page, "Immunizations") == "Immunizations 1 entry 1 new"
    assert overview_line(page, "Medications") == "Medications Nothing shared yet"
    assert 'href="/records/lab"' in text(page) and 'href="/records/statement"' in text(page)
    assert 'aria-current="page">Health record</a>' in text(page)

    assert robin_client.get(f"/records/lab/{first}").status_code == 200
    page = robin_client.get("/records")
    assert overview_line(page, "Lab and test results") == "Lab and test results 2 entries 1 new"


# -- category pages ----------------------------------------------------------------------------

@pytest.mark.parametrize("category, label, older, newer", [
    ("lab", "Lab and test results", {"resulted_on": "01/10/2026"}, {"resulted_on": "02/10/2026"}),
    ("immunization", "Immunizations", {"given_on": "01/10/2025"}, {"given_on": "02/10/2025"}),
    ("medication", "Medications", {"started_on": "01/10/2026"}, {"started_on": "02/10/2026"}),
    ("allergy", "Allergies", {"noted_on": "01/10/2020"}, {"noted_on": "02/10/2020"}),
    ("problem", "Health problems", {"noted_on": "01/10/2026"}, {"noted_on": "02/10/2026"}),
    ("appointment", "Appointments", {"day": "01/10/2026"}, {"day": "02/10/2026"}),
    ("visit", "Visit summaries", {"visited_on": "01/10/2026"}, {"visited_on": "02/10/2026"}),
    ("statement", "Bills and statements", {"statement_on": "01/10/2026"},
     {"statement_on": "02/10/2026"}),
    ("document", "Documents", {"document_on": "01/10/2026"}, {"document_on": "02/10/2026"}),
])
def test_each_category_lists_its_released_entries_newest_first(robin_client, publish_entry, audit_trail,
                                                               category, label, older, newer):
    newer_id = publish_entry(category, **newer, **title_of(category, "Newer entry"))
    older_id = publish_entry(category, **older, **title_of(category, "Older entry"))
    publish_entry(category, release=False, **newer, **title_of(category, "Draft entry"))
    page = robin_client.get(f"/records/{category}")
    assert page.status_code == 200
    body = text(page)
    assert f"<h1>{label}</h1>" in body
    assert body.index("Newer entry") < body.index("Older entry")
    assert "Draft entry" not in body
    assert f'href="/records/{category}/{newer_id}"' in body
    assert 'class="stack records"' in body and 'data-label="' in body
    assert body.count("New</strong>") == 2  # neither opened yet, marked in words
    [row] = audit_trail.rows("record.viewed")
    assert row.detail == f"list {category}; shown: {newer_id}, {older_id}"
    assert row.object_type == "record_entry" and row.actor_kind == "patient"


def test_lab_results_show_value_unit_range_and_abnormal_in_words(robin_client, publish_entry):
    high = publish_entry("lab", test="Glucose, fasting", flag="high")
    publish_entry("lab", test="Potassium", value="3.1", unit="mmol/L", reference_range="3.5-5.1",
            flag="low")
    publish_entry("lab", test="Sodium", value="140", unit="mmol/L", reference_range="135-145",
            flag="normal")
    page = words(robin_client.get("/records/lab"))
    assert "Glucose, fasting 03/02/2026 126 mg/dL 70-99 Abnormal: high" in page
    assert "Potassium 03/02/2026 3.1 mmol/L 3.5-5.1 Abnormal: low" in page
    assert "Sodium 03/02/2026 140 mmol/L 135-145 Normal" in page
    assert page.count("Abnormal") == 2
    entry = words(robin_client.get(f"/records/lab/{high}"))
    assert "Abnormal: high. This result is outside the reference range." in entry


def test_25_entries_a_page(robin_client, publish_entry):
    for day in range(1, 28):
        publish_entry("lab", test=f"Test {day:02d}", resulted_on=f"01/{day:02d}/2026")
    first = text(robin_client.get("/records/lab"))
    assert first.count('href="/records/lab/') == 25 and "Page 1 of 2" in first
    assert "Test 27" in first and "Test 03" in first and "Test 02" not in first
    second = text(robin_client.get("/records/lab?page=2"))
    assert second.count('href="/records/lab/') == 2 and "Test 01" in second
    assert "There is nothing on this page." in text(robin_client.get("/records/lab?page=9"))


def test_a_category_page_runs_the_same_queries_for_3_and_30_entries(robin_client, publish_entry, app):
    counts = []
    for number in (3, 27):
        for _ in range(number):
            publish_entry("lab")
        robin_client.get("/records/lab")  # warm: the first request loads what every request caches
        counts.append(count_queries(app, lambda: robin_client.get("/records/lab")))
    assert counts[0] == counts[1]


def test_appointments_split_upcoming_and_past_by_the_practice_s_today(app, robin_account, publish_entry,
                                                                      patient_client):
    # 03:00 UTC on Nov 24 is still Nov 23 in the practice's zone (America/New_York).
    with freeze_time(datetime(2026, 11, 24, 3, 0, tzinfo=UTC)):
        robin_client = patient_client("robin")
        publish_entry("appointment", day="11/23/2026", reason="Today's check", state="scheduled")
        publish_entry("appointment", day="12/20/2026", reason="Later check", state="scheduled")
        publish_entry("appointment", day="12/01/2026", reason="Sooner check", state="scheduled")
        publish_entry("appointment", day="11/22/2026", reason="Yesterday's check")
        page = words(robin_client.get("/records/appointment"))
    upcoming, past = page.split("Upcoming", 1)[1].split("Past", 1)
    assert upcoming.index("Today's check 11/23/2026 09:30 Dr Alder Scheduled") \
        < upcoming.index("Sooner check") < upcoming.index("Later check")
    assert "Yesterday's check 11/22/2026 09:30 Dr Alder Completed" in past
    assert "Today's check" not in past and "Yesterday's check" not in upcoming


def test_the_bills_page_shows_the_balance_due_and_a_billing_question_link(app, robin_client,
                                                                          publish_entry):
    publish_entry("statement", title="Office visit", amount="125.00", balance="40.00")
    publish_entry("statement", title="Lab work", statement_on="02/01/2026", amount="1,250.50",
            balance="1,212.50")
    page = robin_client.get("/records/statement")
    # The newest statement's balance, not a sum: each statement carries the account's balance.
    assert "Balance due: $40.00, as on your latest statement." in words(page)
    assert "Office visit 03/05/2026 $125.00 $40.00" in words(page)
    assert "Lab work 02/01/2026 $1,250.50 $1,212.50" in words(page)
    with app.app_context():
        [billing] = [topic for topic in offered_topics() if topic.pool == "billing"]
        billing_id, billing_label = billing.id, billing.label
    link = re.search(r'<a class="button" href="([^"]+)">Ask a billing question</a>', text(page))
    assert link.group(1) == f"/messages/new?topic={billing_id}"
    compose = text(robin_client.get(link.group(1)))
    assert f"<strong>Topic:</strong> {billing_label}." in compose


# -- one entry ---------------------------------------------------------------------------------

def test_opening_an_entry_shows_its_facts_marks_it_seen_and_is_audited(robin_client, publish_entry, app,
                                                                       audit_trail):
    entry_id = publish_entry("visit")
    assert "New</strong>" in text(robin_client.get("/records/visit"))
    page = robin_client.get(f"/records/visit/{entry_id}")
    assert page.status_code == 200
    body = words(page)
    for fact in ("Visit date 03/01/2026", "Provider Dr Alder", "Reason for the visit Annual "
                 "physical", "Notes Blood pressure a little high.",
                 "Follow-up Come back in 3 months."):
        assert fact in body
    assert f'href="/records/visit/{entry_id}.pdf"' in text(page)
    with app.app_context():
        assert db.session.get(RecordEntry, entry_id).patient_seen_at is not None
    assert "New</strong>" not in text(robin_client.get("/records/visit"))
    assert [row.detail for row in audit_trail.rows("record.viewed")] == [
        f"list visit; shown: {entry_id}", f"entry visit; shown: {entry_id}",
        f"list visit; shown: {entry_id}"]


def test_an_entry_pdf_holds_its_facts_downloads_safely_audited(robin_client, robin_account,
                                                               publish_entry, app, audit_trail):
    entry_id = publish_entry("lab")
    response = robin_client.get(f"/records/lab/{entry_id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="lab-{entry_id}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    found = pdf_text(response.data)
    with app.app_context():
        practice_name = get_practice().name
    for fact in (practice_name, "Glucose, fasting", "Lab result", "Abnormal: high",
                 "Result: 126", "Unit: mg/dL", "Reference range: 70-99", "Flag: High",
                 "Resulted on: 03/02/2026", "Patient: Robin Quill", "Account number: T-1001"):
        assert fact in found
    [row] = audit_trail.rows("record_entry.exported")
    assert (row.object_id, row.patient_id) == (str(entry_id), robin_account.patient_id)
    assert row.detail == f"format: pdf; bytes: {len(response.data)}"


def test_a_category_pdf_holds_every_released_entry_and_no_other(robin_client, publish_entry, app,
                                                                audit_trail):
    newer = publish_entry("lab", test="Glucose, fasting", resulted_on="03/02/2026")
    older = publish_entry("lab", test="Potassium", value="4.2", flag="normal",
                    resulted_on="01/02/2026")
    publish_entry("lab", release=False, test="Draft result")
    response = robin_client.get("/records/lab.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="lab-records.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    found = pdf_text(response.data)
    assert "Lab and test results" in found
    assert found.index("Glucose, fasting") < found.index("Potassium")
    assert "Abnormal: high" in found and "Result: 4.2" in found and "Draft result" not in found
    [row] = audit_trail.rows("record_category.exported")
    assert row.object_id == "lab" and row.detail == f"format: pdf; bytes: {len(response.data)}"
    assert audit_trail.rows("record.viewed")[-1].detail == f"pdf lab; shown: {newer}, {older}"


def test_the_statements_pdf_shows_the_balance_due(robin_client, publish_entry):
    publish_entry("statement", balance="40.00")
    publish_entry("statement", title="Lab work", balance="12.50")
    found = pdf_text(robin_client.get("/records/statement.pdf").data)
    assert "Balance due: $12.50, as on your latest statement." in found


def test_a_document_s_original_file_downloads_safely_audited(robin_client, publish_entry, app,
                                                            audit_trail):
    entry_id = publish_entry("document")
    page = text(robin_client.get(f"/records/document/{entry_id}"))
    assert f'href="/records/documents/{entry_id}/file"' in page
    response = robin_client.get(f"/records/documents/{entry_id}/file")
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="document-{entry_id}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    [row] = audit_trail.rows("record_file.exported")
    assert row.object_id == str(entry_id) and row.detail == f"format: pdf; bytes: {len(PDF)}"

    lab_id = publish_entry("lab")
    assert robin_client.get(f"/records/documents/{lab_id}/file").status_code == 404
    with app.app_context():
        db.session.get(RecordEntry, entry_id).file_data = PDF + b"changed"
        db.session.commit()
    refused = robin_client.get(f"/records/documents/{entry_id}/file")
    assert refused.status_code == 404 and "This file cannot be downloaded" in text(refused)
    assert len(audit_trail.rows("record_file.exported")) == 1


# -- what never reaches the patient -------------------------------------------------------------

def test_drafts_held_and_retracted_entries_are_on_no_page_or_pdf(robin_client, publish_entry, app,
                                                                 make_staff):
    provider = make_staff("provider", email="doc@practice.test")
    with app.app_context():
        update_practice(get_practice(), {"result_holds_allowed": True})
        db.session.commit()
    shown = publish_entry("lab", test="Released result")
    draft = publish_entry("lab", release=False, test="Draft result")
    held = publish_entry("lab", release=False, by=provider, test="Held result")
    retracted = publish_entry("lab", test="Retracted result")

    def hold(entry, origin):
        entries.hold(entry, "Discuss with the patient first", origin.account, get_practice(),
                     origin)

    change(app, held, hold)
    change(app, retracted, entries.retract)
    assert overview_line(robin_client.get("/records"), "Lab and test results") \
        == "Lab and test results 1 entry 1 new"
    listed = text(robin_client.get("/records/lab"))
    everything = pdf_text(robin_client.get("/records/lab.pdf").data)
    for title in ("Draft result", "Held result", "Retracted result"):
        assert title not in listed and title not in everything
    assert "Released result" in listed and "Released result" in everything
    for hidden in (draft, held, retracted):
        assert robin_client.get(f"/records/lab/{hidden}").status_code == 404
        assert robin_client.get(f"/records/lab/{hidden}.pdf").status_code == 404
    assert robin_client.get(f"/records/lab/{shown}").status_code == 200


def test_another_patient_gets_404_on_every_entry_pdf_and_file_of_the_first(
        robin_client, publish_entry, make_account, patient_client):
    lab = publish_entry("lab", test="Robin's glucose")
    document = publish_entry("document", title="Robin's X-ray")
    make_account(username="morgan", account_number="T-2002", email="morgan@example.com")
    other = patient_client("morgan")
    for url in (f"/records/lab/{lab}", f"/records/lab/{lab}.pdf", f"/records/document/{document}",
                f"/records/document/{document}.pdf", f"/records/documents/{document}/file"):
        assert other.get(url).status_code == 404, url
    assert "Robin's glucose" not in text(other.get("/records/lab"))
    assert "Robin's X-ray" not in pdf_text(other.get("/records/document.pdf").data)


@pytest.mark.parametrize("url", [
    "/records/nonsense", "/records/nonsense.pdf", "/records/immunization/{lab}",
    "/records/immunization/{lab}.pdf", "/records/lab/99999999999999999999999",
    "/records/lab/0", "/records/documents/99999999999999999999999/file",
])
def test_unknown_categories_and_mismatched_urls_are_not_found(robin_client, publish_entry, url):
    lab = publish_entry("lab")
    assert robin_client.get(url.format(lab=lab)).status_code == 404


def test_staff_are_refused_the_patient_s_record_urls(publish_entry, staff_client, client):
    lab = publish_entry("lab")
    document = publish_entry("document")
    urls = ("/records", "/records/lab", f"/records/lab/{lab}", f"/records/lab/{lab}.pdf",
            "/records/lab.pdf", f"/records/documents/{document}/file")
    staff = staff_client("provider", email="doc@practice.test")
    for url in urls:
        assert staff.get(url).status_code == 403, url
        assert client.get(url).status_code == 302, url  # not signed in: sign in first
