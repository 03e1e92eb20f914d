"""Health records on the staff side, beside the rules in entries.py: the names a staff
page shows next to entries (who released or held one, whose chart a held result is on) read in
one query per kind whatever the number of entries, and staff reads put on the audit trail."""

from dataclasses import dataclass

from sqlalchemy import select

from ...extensions import db
from ...models import Patient, StaffUser
from .. import audit
from .entries import held_entries


@dataclass(frozen=True)
class HeldResult:
    """A row of the held-results list: the entry, its chart, who held it and for how long."""

    entry: object
    patient: object
    held_by: str
    days: int


def staff_names(ids):
    """{staff id: name} for the ids given (None left out), in one query."""
    wanted = {staff_id for staff_id in ids if staff_id is not None}
    if not wanted:
        return {}
    return dict(db.session.execute(select(StaffUser.id, StaffUser.name)
                                   .where(StaffUser.id.in_(wanted))).all())


def hold_days(entry, now):
    """Whole days since the entry was held (0 on the day itself)."""
    return max((now - entry.held_at).days, 0) if entry.held_at else 0


def held_results(now):
    """Every held result as a HeldResult, the oldest hold first (three queries in all)."""
    entries = held_entries()
    patient_ids = {entry.patient_id for entry in entries}
    patients = {patient.id: patient for patient in db.session.scalars(
        select(Patient).where(Patient.id.in_(patient_ids)))} if patient_ids else {}
    names = staff_names(entry.held_by_id for entry in entries)
    return [HeldResult(entry, patients[entry.patient_id], names.get(entry.held_by_id, ""),
                       hold_days(entry, now)) for entry in entries]


def record_entry_viewed(origin, entry):
    """A staff member opened an entry: on the audit trail, like a read conversation."""
    audit.record("record.staff_viewed", origin, patient_id=entry.patient_id,
                 object_type="record_entry", object_id=entry.id,
                 detail=f"category: {entry.category}; status: {entry.status}")


def record_held_listed(origin, rows):
    """The held-results list was shown: which entries (ids only, never names or tests)."""
    shown = ", ".join(str(row.entry.id) for row in rows) or "none"
    audit.record("record.held_listed", origin, object_type="record_entry",
                 detail=f"shown: {shown}"[:2000])
