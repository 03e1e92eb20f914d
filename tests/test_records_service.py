"""The health-record rules in services/records.py, below the pages: what each category keeps,
what a patient may read (released entries of their own chart only), holds and retraction."""

from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Patient, Practice, RecordEntry, StaffUser
from portal.services import audit, permissions
from portal.services.practice import get_practice
from portal.services.records import categories, entries

LAB = {"test": "Glucose, fasting", "value": "126", "unit": "mg/dL", "reference_range": "70-99",
       "flag": "high", "collected_on": "03/01/2026", "resulted_on": "03/02/2026"}


@pytest.fixture
def chart(app, make_patient, make_staff):
    """(patient, staff origin, provider) inside an app context."""
    patient = make_patient(account_number="REC-1")
    nurse = make_staff("nurse", email="nurse@practice.test")
    provider = make_staff("provider", email="doc@practice.test", name="Dr Alder")
    with app.app_context():
        yield (db.session.get(Patient, patient.id), db.session.get(StaffUser, nurse.id),
               db.session.get(StaffUser, provider.id))


def origin(staff):
    return audit.Origin(staff, "127.0.0.1", "test")


def test_a_lab_result_keeps_its_facts_flag_and_date(chart):
    patient, nurse, _ = chart
    entry = entries.publish(patient, "lab", LAB, origin(nurse), release=True)
    db.session.commit()
    assert (entry.title, entry.recorded_on, entry.status) == ("Glucose, fasting", date(2026, 3, 2),
                                                              "released")
    assert entry.abnormal and entry.facts["resulted_on"] == "2026-03-02"
    assert categories.facts_for_people(entry)[:5] == [
        ("Test name", "Glucose, fasting"), ("Result", "126"), ("Unit", "mg/dL"),
        ("Reference range", "70-99"), ("Flag", "High")]
    normal = entries.publish(patient, "lab", {**LAB, "flag": "normal"}, origin(nurse), release=True)
    assert not normal.abnormal


@pytest.mark.parametrize("category, values, field, message", [
    ("lab", {**LAB, "value": " "}, "value", "Enter result."),
    ("lab", {**LAB, "resulted_on": "13/45/2026"}, "resulted_on", "Enter the date as MM/DD/YYYY."),
    ("lab", {**LAB, "flag": "purple"}, "flag", "Choose one of the options."),
    ("statement", {"title": "Visit", "statement_on": "03/01/2026", "amount": "twelve",
                   "balance": "0"}, "amount", "Enter an amount in dollars, for example 125.00."),
    ("appointment", {"day": "03/01/2026", "at": "25:99", "provider": "Dr A", "reason": "Check",
                     "state": "scheduled"}, "at", "Enter the time as HH:MM, for example 14:30."),
    ("nonsense", {}, "category", "Choose what kind of record this is."),
])
def test_bad_input_names_its_field_and_saves_nothing(chart, make_staff, category, values, field,
                                                    message):
    patient, nurse, _provider = chart
    if category == "statement":  # billing publishes statements, nurses do not (issue 19)
        nurse = db.session.get(StaffUser, make_staff("billing", email="bill@practice.test").id)
    with pytest.raises(categories.RecordError) as refused:
        entries.publish(patient, category, values, origin(nurse), release=True)
    assert (refused.value.field, str(refused.value.message)) == (field, message)
    db.session.rollback()
    assert db.session.scalars(select(RecordEntry)).all() == []


def test_a_patient_reads_only_released_entries_of_their_own_chart(chart, make_patient):
    patient, nurse, provider = chart
    other = db.session.get(Patient, make_patient(account_number="REC-2").id)
    released = entries.publish(patient, "lab", LAB, origin(nurse), release=True)
    draft = entries.publish(patient, "lab", LAB, origin(nurse), release=False)
    retracted = entries.publish(patient, "lab", LAB, origin(nurse), release=True)
    entries.retract(retracted, origin(nurse))
    theirs = entries.publish(other, "lab", LAB, origin(nurse), release=True)
    db.session.commit()
    page = entries.patient_page(patient.id, "lab")
    assert [entry.id for entry in page.items] == [released.id] and page.total == 1
    assert entries.patient_entry(patient.id, released.id) is released
    for hidden in (draft, retracted, theirs):
        assert entries.patient_entry(patient.id, hidden.id) is None
    assert entries.overview(patient.id) == {"lab": (1, 1)}
    entries.mark_seen(released)
    assert entries.overview(patient.id) == {"lab": (1, 0)}


def test_holds_need_the_practice_s_leave_a_provider_and_a_reason(chart):
    patient, nurse, provider = chart
    practice = db.session.get(Practice, 1) or get_practice()
    entry = entries.publish(patient, "lab", LAB, origin(provider), release=False)
    practice.result_holds_allowed = False
    with pytest.raises(categories.RecordError):
        entries.hold(entry, "Discuss with the patient first", provider, practice, origin(provider))
    practice.result_holds_allowed = True
    with pytest.raises(permissions.Refused):  # providers only (issue 19)
        entries.hold(entry, "Discuss with the patient first", nurse, practice, origin(nurse))
    with pytest.raises(categories.RecordError) as short:
        entries.hold(entry, "no", provider, practice, origin(provider))
    assert short.value.field == "reason"
    entries.hold(entry, "Discuss with the patient first", provider, practice, origin(provider))
    db.session.commit()
    assert entry.status == "held" and entry.held_by_id == provider.id
    assert entries.held_entries() == [entry]
    assert entries.patient_entry(patient.id, entry.id) is None
    assert entries.release(entry, origin(provider)) and entry.status == "released"
    assert entries.patient_entry(patient.id, entry.id) is entry
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    shown = [action for action in actions if action.startswith("record.")]
    assert shown == ["record.drafted", "record.held", "record.released"]


def test_a_document_is_typed_by_its_bytes_and_images_lose_their_metadata(chart):
    import io

    from PIL import Image

    patient, nurse, _ = chart
    values = {"title": "Chest X-ray report", "kind": "Radiology report", "document_on": "03/01/2026"}
    with pytest.raises(categories.RecordError) as refused:
        entries.publish(patient, "document", values, origin(nurse), release=True,
                        file=b"<html><script>alert(1)</script></html>")
    assert refused.value.field == "file"
    image = Image.new("RGB", (4, 4), "white")
    exif = Image.Exif()
    exif[0x010F] = "Camera maker with a secret"
    raw = io.BytesIO()
    image.save(raw, "JPEG", exif=exif)
    entry = entries.publish(patient, "document", values, origin(nurse), release=True,
                            file=raw.getvalue())
    assert entry.file_type == "image/jpeg" and b"secret" not in entry.file_data
    assert entries.file_name(entry) == f"document-{entry.id}.jpg"
