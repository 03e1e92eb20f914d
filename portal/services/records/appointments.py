"""Changing an appointment the patient already sees (issue 21): staff correct its date, time,
provider or reason, or mark it cancelled, on the entry itself.

An appointment is a record entry like any other (categories.py), but unlike a result it
changes after release: a visit moves, a provider is away, the patient cancels by phone. The
entry keeps its number; the change is checked by the rule that checks a new entry
(categories.checked_facts), audited with the names of the fields that changed (never their
values), marks the entry new to the patient again, and tells the patient when they chose it
(patient_notices: "cancelled" when it has just become so, else "changed").
"""

from datetime import date

from flask_babel import lazy_gettext as _l

from .. import audit, patient_notices, permissions
from .categories import CATEGORIES, TITLE_MAX, RecordError, checked_facts

APPOINTMENT = "appointment"


def may_change(staff, entry, practice=None):
    """Whether `staff` may change this entry: a released appointment, by a role that may
    publish appointments."""
    return (entry.category == APPOINTMENT and entry.status == "released"
            and permissions.allows(staff, permissions.category_action(APPOINTMENT), practice))


def change(entry, values, origin):
    """Store what staff typed as the appointment's facts; False when nothing changed. Raises
    RecordError (nothing stored) or permissions.Refused. The caller commits."""
    permissions.require_origin(origin, permissions.category_action(APPOINTMENT))
    if entry.category != APPOINTMENT or entry.status != "released":
        raise RecordError(_l("Only an appointment the patient can see is changed here."))
    facts = checked_facts(CATEGORIES[APPOINTMENT], values)
    before = dict(entry.facts or {})
    changed = [name for name in facts if facts[name] != before.get(name)]
    if not changed:
        return False
    category = CATEGORIES[APPOINTMENT]
    entry.facts = facts
    entry.title = facts[category.title][:TITLE_MAX]
    entry.recorded_on = date.fromisoformat(facts[category.filed_by])
    entry.patient_seen_at = None  # new to the patient again
    audit.record("record.changed", origin, patient_id=entry.patient_id,
                 object_type="record_entry", object_id=entry.id,
                 detail=f"fields: {', '.join(changed)}")
    patient_notices.appointment_changed(entry, before.get("state"))
    return True
