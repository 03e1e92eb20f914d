"""Patient charts: finding, creating and changing them, each change on the audit trail."""

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select

from ..extensions import db
from ..models import Patient
from ..models.patients import CHART_STATUSES, sorted_name
from . import audit
from .typed_input import normalize_account_number, parse_date

CHART_FIELDS = (
    "account_number", "first_name", "middle_name", "last_name", "preferred_name",
    "date_of_birth", "sex", "email", "phone", "address_line1", "address_line2", "city",
    "state", "postal_code", "status",
)
PAGE_SIZE = 25
# The list without a search is the one opened most: built once (see paging.count_of too). It
# reads the columns the list shows, not whole charts (a list of 25 objects cost three times as
# much to load).
_ALL_CHARTS = (select(Patient.id, Patient.first_name, Patient.last_name, Patient.preferred_name,
                      Patient.account_number, Patient.date_of_birth, Patient.status)
               .order_by(Patient.last_name, Patient.first_name, Patient.id))


@dataclass(frozen=True)
class ListedChart:
    """A chart as the patient list shows it: the name as lists sort it, the status in words."""

    id: int
    name: str
    preferred_name: str
    account_number: str
    date_of_birth: date
    status: str


def listed_charts(rows):
    """search_statement's rows as ListedCharts (the status words translated once a page)."""
    statuses = {key: str(label) for key, label in CHART_STATUSES.items()}
    return [ListedChart(row.id, sorted_name(row.last_name, row.first_name), row.preferred_name,
                        row.account_number, row.date_of_birth, statuses.get(row.status, row.status))
            for row in rows]


def search_statement(query):
    """The charts matching a search box entry, ordered by name (the list's columns of them).

    A date finds birthdays; anything else matches the account number exactly or every
    word against the names (first, middle, last, preferred), case-insensitively.
    """
    statement = _ALL_CHARTS
    query = (query or "").strip()
    if not query:
        return statement
    born = parse_date(query)
    if born is not None:
        return statement.where(Patient.date_of_birth == born)
    words = [word for word in re.split(r"[\s,]+", query.casefold()) if word]
    by_name = and_(*(Patient.search_name.contains(word, autoescape=True) for word in words))
    return statement.where(or_(Patient.account_number == normalize_account_number(query), by_name))


def account_number_taken(number, except_id=None):
    """True when another chart (not `except_id`) has this account number."""
    statement = select(Patient.id).where(Patient.account_number == normalize_account_number(number))
    if except_id is not None:
        statement = statement.where(Patient.id != except_id)
    return db.session.scalar(statement) is not None


def _apply(patient, values):
    """Set chart fields from `values`; return the names of those that changed."""
    values = dict(values, account_number=normalize_account_number(values.get("account_number")))
    changed = []
    for name in CHART_FIELDS:
        if name in values and getattr(patient, name) != values[name]:
            setattr(patient, name, values[name])
            changed.append(name)
    patient.search_name = " ".join(
        part.casefold()
        for part in (patient.first_name, patient.middle_name, patient.last_name,
                     patient.preferred_name)
        if part
    )
    return changed


def create_patient(values, origin):
    """Add a chart (the caller has validated `values` and commits)."""
    patient = Patient()
    _apply(patient, values)
    db.session.add(patient)
    db.session.flush()
    audit.record("patient.created", origin, patient_id=patient.id, object_type="patient",
                 object_id=patient.id)
    return patient


def update_patient(patient, values, origin):
    """Change a chart; return the changed field names (audited by name, never by value).

    When "email" is among them, the caller also voids the invitations sent to the old
    address (invitations.void_for_email_change): invitations sit above charts."""
    changed = _apply(patient, values)
    if changed:
        audit.record("patient.updated", origin, patient_id=patient.id, object_type="patient",
                     object_id=patient.id, detail="changed: " + ", ".join(changed))
    return changed


def record_chart_viewed(patient, origin, section):
    """Put a staff member's view of a section of the chart (blueprints/staff/chart.py) on the
    audit trail."""
    audit.record_read("patient.viewed", origin, patient_id=patient.id, object_type="patient",
                      object_id=patient.id, detail=section)


def record_edit_form_viewed(patient, origin):
    """The edit form shows the whole chart, so opening it is a view of the chart."""
    audit.record("patient.edit_viewed", origin, patient_id=patient.id, object_type="patient",
                 object_id=patient.id)


def search_kind(query):
    """Which kind of search a search box entry is, never the entry itself.

    "none" (the whole list), "birth_date", or "name_or_account" (see search_statement).
    """
    query = (query or "").strip()
    if not query:
        return "none"
    return "birth_date" if parse_date(query) is not None else "name_or_account"


def record_list_viewed(patients, query, page_number, origin):
    """One audit row per page of the patient list: which charts were shown, by id.

    The search text may be a name or a date of birth, so only its kind is recorded.
    """
    kind = search_kind(query)
    shown = ", ".join(str(patient.id) for patient in patients) or "none"
    audit.record_read("patient.searched" if kind != "none" else "patient.listed", origin,
                      object_type="patient_list",
                      detail=f"search: {kind}; page: {page_number}; shown: {shown}")


def age_on(born, today):
    """Whole years between a birth date and `today`."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


