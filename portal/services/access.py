"""Who may see what. Every route that shows patient data asks here, never on its own.

The web layer's guards (web/guards.py) turn these answers into sign-in pages, 403s and 404s.
"""

from ..extensions import db
from ..models import Patient

LARGEST_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


def is_staff(account, roles=()):
    """True for a staff account (with one of `roles`, when given)."""
    return getattr(account, "kind", None) == "staff" and (not roles or account.role in roles)


def is_patient(account):
    """True for a patient's own portal account."""
    return getattr(account, "kind", None) == "patient"


def chart_for_staff(staff, patient_id):
    """The chart `staff` asked for, or None (no such chart, or not staff). Every staff role
    may see charts."""
    # An id beyond the column's range names no chart (and must not reach the database).
    if not is_staff(staff) or not 0 < patient_id <= LARGEST_ID:
        return None
    return db.session.get(Patient, patient_id)


def chart_row(model, patient_id, row_id):
    """The `model` row `row_id` when it belongs to the chart `patient_id`, else None (no such
    row, another chart's, or an id beyond the column's range)."""
    row = db.session.get(model, row_id) if 0 < row_id <= LARGEST_ID else None
    return row if row is not None and row.patient_id == patient_id else None
