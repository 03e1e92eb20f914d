"""Who has opened the record (issue 10, item 5): the patient reads, newest first and 25 a page,
every opening and download of their health record from the audit trail, in plain words:
practice staff by role and never by name, their own as "You", an entry they cannot see never
named; another patient's events never appear; the page costs the same queries for 3 events as
for 30."""

import re

from conftest import count_queries, stored
from records_data import change, staff_opened, text

from portal.extensions import db
from portal.models import Patient, PatientAccount, RecordEntry, StaffUser
from portal.services import audit
from portal.services.practice import get_practice
from portal.services.records import entries


def history(robin_client, page=None):
    """The history page's lines (its "What happened" cells), top to bottom."""
    response = robin_client.get("/records/history" + (f"?page={page}" if page else ""))
    assert response.status_code == 200
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in
            re.findall(r'<td data-label="What happened">(.*?)</td>', text(response), re.S)]


def test_views_and_downloads_by_staff_and_the_patient_in_words(
        app, robin_client, robin_account, nurse, publish_entry, make_staff, staff_client, audit_trail):
    lab = publish_entry("lab", test="Glucose, fasting")
    document = publish_entry("document", title="Chest X-ray report")
    draft = publish_entry("lab", release=False, test="Draft result")
    assert robin_client.get("/records/lab").status_code == 200
    assert robin_client.get(f"/records/lab/{lab}").status_code == 200
    assert robin_client.get(f"/records/lab/{lab}.pdf").status_code == 200
    assert robin_client.get("/records/lab.pdf").status_code == 200
    assert robin_client.get(f"/records/documents/{document}/file").status_code == 200
    with app.app_context():  # the whole-record ZIP, as its download puts it on the trail
        account = db.session.get(PatientAccount, robin_account.id)
        audit.record_export(audit.Origin(account, "127.0.0.1", "test"), "record_archive",
                            patient_id=robin_account.patient_id, file_format="zip", byte_count=999)
        db.session.commit()
    staff = staff_client(staff=nurse, direct=True)
    assert staff.get(f"/staff/patients/{robin_account.patient_id}/records/{lab}").status_code == 200
    desk = staff_client("front_desk", name="Frank Front", direct=True)
    assert desk.get(f"/staff/patients/{robin_account.patient_id}/records/{document}/file") \
        .status_code == 200
    doctor = staff_client("provider", name="Dora Doctor", email="doc@practice.test",
                          direct=True)
    assert doctor.get(f"/staff/patients/{robin_account.patient_id}/records/{draft}").status_code == 200

    assert history(robin_client) == [  # the provider opened a draft: no line (issue 19)
        "Front desk staff downloaded the original file of Chest X-ray report",
        "A nurse at the practice opened Glucose, fasting",
        "You downloaded your whole record",
        "You downloaded the original file of Chest X-ray report",
        "You downloaded your lab and test results as a PDF",
        "You downloaded Glucose, fasting as a PDF",
        "You opened Glucose, fasting",
        "You opened your list of lab and test results",
    ]
    page = text(robin_client.get("/records/history"))
    for name in ("Nina Night", "Frank Front", "Dora Doctor", "nurse@practice.test",
                 "Draft result"):
        assert name not in page
    assert audit_trail.rows("record.history_viewed")[-1].patient_id == robin_account.patient_id


def test_the_overview_links_to_the_history_and_it_starts_empty(robin_client):
    assert 'href="/records/history"' in text(robin_client.get("/records"))
    page = text(robin_client.get("/records/history"))
    assert "<h1>Who has opened your record</h1>" in page
    assert "No one has opened your record yet." in page


def test_another_patient_s_events_never_appear(app, robin_client, robin_account, nurse, publish_entry,
                                               make_account, patient_client):
    make_account(username="morgan", account_number="T-2002", email="morgan@example.com")
    with app.app_context():
        morgan_chart = db.session.scalar(
            db.select(Patient.id).where(Patient.account_number == "T-2002"))
    theirs = publish_entry("lab", patient_id=morgan_chart, test="Morgan's potassium")
    mine = publish_entry("lab", test="Glucose, fasting")
    other = patient_client("morgan")
    assert other.get(f"/records/lab/{theirs}").status_code == 200
    assert other.get(f"/records/lab/{theirs}.pdf").status_code == 200
    staff_opened(app, nurse, theirs)
    staff_opened(app, nurse, mine)
    assert history(robin_client) == ["A nurse at the practice opened Glucose, fasting"]
    assert history(other) == ["A nurse at the practice opened Morgan's potassium",
                              "You downloaded Morgan's potassium as a PDF",
                              "You opened Morgan's potassium"]


def test_25_lines_a_page_newest_first(app, robin_client, nurse, publish_entry):
    first = publish_entry("lab", test="First test")
    staff_opened(app, nurse, first)
    later = publish_entry("lab", test="Later test")
    staff_opened(app, nurse, later, times=26)
    page_one = history(robin_client)
    assert len(page_one) == 25
    assert set(page_one) == {"A nurse at the practice opened Later test"}
    assert "Page 1 of 2" in text(robin_client.get("/records/history"))
    page_two = history(robin_client, 2)
    assert page_two == ["A nurse at the practice opened Later test",
                        "A nurse at the practice opened First test"]
    assert "There is nothing on this page." in text(robin_client.get("/records/history?page=9"))


def test_the_page_runs_the_same_queries_for_3_and_30_events(app, robin_client, publish_entry, make_staff):
    roles = ("nurse", "provider", "front_desk", "billing", "admin")
    members = [make_staff(role, email=f"{role}.2@practice.test") for role in roles]
    counts = []
    for number in (3, 27):
        for index in range(number):
            entry_id = publish_entry("lab", test=f"Test {index}")
            staff_opened(app, members[index % len(members)], entry_id)
        robin_client.get("/records/history")  # warm: the first request loads what every one caches
        counts.append(count_queries(app, lambda: robin_client.get("/records/history")))
    assert counts[0] == counts[1]
    assert len(history(robin_client)) == 25
    assert {line.split(" opened ")[0] for line in history(robin_client)} == {
        "A nurse at the practice", "A provider at the practice", "Front desk staff",
        "Billing staff", "A practice administrator"}


def test_staff_are_refused_the_patient_s_history(staff_client, client):
    assert staff_client("nurse", direct=True).get("/records/history").status_code == 403
    assert client.get("/records/history").status_code == 302


def _hold(app, entry_id, provider):
    with app.app_context():
        entry = db.session.get(RecordEntry, entry_id)
        member = db.session.get(StaffUser, provider.id)
        entries.hold(entry, "Tell the patient in person first", member, get_practice(),
                     audit.Origin(member, "127.0.0.1", "test"))
        db.session.commit()
    assert stored(app, RecordEntry, entry_id).status == "held"


def test_staff_opening_a_held_or_draft_entry_leaves_no_line_until_it_is_released(
        app, robin_client, robin_account, nurse, publish_entry, make_staff, staff_client, save_practice):
    save_practice(result_holds_allowed=True)
    provider = make_staff("provider", email="doc@practice.test", name="Dora Doctor")
    held = publish_entry("lab", release=False, by=provider, test="Potassium, held")
    _hold(app, held, provider)
    draft = publish_entry("lab", release=False, test="Sodium, draft")
    doctor = staff_client(staff=provider, direct=True)
    for entry in (held, draft):
        assert doctor.get(f"/staff/patients/{robin_account.patient_id}/records/{entry}").status_code == 200
    staff_opened(app, nurse, held, times=2)
    staff_opened(app, nurse, draft)

    assert history(robin_client) == []
    page = text(robin_client.get("/records/history"))
    assert "No one has opened your record yet." in page
    for hint in ("not shared with you", "Potassium", "Sodium"):
        assert hint not in page

    change(app, held, entries.release)
    assert history(robin_client) == ["A nurse at the practice opened Potassium, held",
                                     "A nurse at the practice opened Potassium, held",
                                     "A provider at the practice opened Potassium, held"]
    change(app, draft, entries.retract)  # retracted before release: never a line
    assert len(history(robin_client)) == 3


def test_an_entry_retracted_after_release_keeps_its_lines_unnamed(app, robin_client, nurse,
                                                                  publish_entry):
    lab = publish_entry("lab", test="Glucose, fasting")
    staff_opened(app, nurse, lab)
    change(app, lab, entries.retract)
    assert history(robin_client) == [
        "A nurse at the practice opened an entry that is not shared with you"]
