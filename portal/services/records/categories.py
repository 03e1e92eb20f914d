"""What each category of record entry holds, and how its facts are read and worded.

Every category is described once, in CATEGORIES: its fields (label, kind, required), which
field names the entry on lists (`title`) and which date files it (`filed_by`). Staff forms,
patient pages, PDFs, imports and checks all read that description, so a new field is added in
one place. checked_facts turns what staff typed into stored facts; fact_text words a stored
fact for people.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l

from ..errors import FieldError

TITLE_MAX, TEXT_MAX, NOTES_MAX = 200, 500, 5000
MAX_NUMBER_CHARS = 30  # the longest number (an amount, a form's number answer) read or stored
MAX_DOLLARS = Decimal(10**9)  # an amount is below a billion dollars
AMOUNT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")  # 125, 125.00, .50, -40 (after $ and commas)


class RecordError(FieldError):
    """Staff input that cannot be published: `message` for people, `field` it is about."""


@dataclass(frozen=True)
class Field:
    """One fact of an entry. kind: text, long (notes), date, time, number, money or choice."""

    name: str
    label: object
    kind: str = "text"
    required: bool = False
    choices: tuple = ()  # (value, label) for kind "choice"
    hint: object = ""


@dataclass(frozen=True)
class Category:
    """A kind of record entry: its names for people and its fields, in the order shown."""

    key: str
    label: object          # one entry: "Lab result"
    plural: object         # the page: "Lab and test results"
    title: str             # the field that names an entry on lists
    filed_by: str          # the date field an entry is filed (and sorted) under
    fields: tuple = field(default_factory=tuple)

    def field(self, name):
        """The Field called `name`."""
        return next(item for item in self.fields if item.name == name)


LAB_FLAGS = (("normal", _l("Normal")), ("high", _l("High")), ("low", _l("Low")),
             ("abnormal", _l("Abnormal")), ("critical", _l("Critical")))
SEVERITIES = (("mild", _l("Mild")), ("moderate", _l("Moderate")), ("severe", _l("Severe")))
PROBLEM_STATES = (("active", _l("Active")), ("resolved", _l("Resolved")))
APPOINTMENT_STATES = (("scheduled", _l("Scheduled")), ("completed", _l("Completed")),
                      ("cancelled", _l("Cancelled")), ("missed", _l("Missed")))

CATEGORIES = {category.key: category for category in (
    Category("lab", _l("Lab result"), _l("Lab and test results"), "test", "resulted_on", (
        Field("test", _l("Test name"), required=True),
        Field("value", _l("Result"), required=True),
        Field("unit", _l("Unit")),
        Field("reference_range", _l("Reference range"), hint=_l("For example 70-99")),
        Field("flag", _l("Flag"), "choice", True, LAB_FLAGS),
        Field("collected_on", _l("Collected on"), "date"),
        Field("resulted_on", _l("Resulted on"), "date", True),
        # The panel a result was published with (services/records/panels.py).
        Field("panel", _l("Panel"), hint=_l("For example: Basic metabolic panel")),
    )),
    Category("immunization", _l("Immunization"), _l("Immunizations"), "vaccine", "given_on", (
        Field("vaccine", _l("Vaccine"), required=True),
        Field("given_on", _l("Date given"), "date", True),
        Field("dose", _l("Dose"), hint=_l("For example 0.5 mL, or dose 2 of 2")),
        Field("lot", _l("Lot number")),
    )),
    Category("medication", _l("Medication"), _l("Medications"), "name", "started_on", (
        Field("name", _l("Medication"), required=True),
        Field("dose", _l("Dose"), required=True),
        Field("directions", _l("Directions"), "long"),
        Field("started_on", _l("Started on"), "date", True),
        Field("stopped_on", _l("Stopped on"), "date"),
        Field("prescriber", _l("Prescriber")),
    )),
    Category("allergy", _l("Allergy"), _l("Allergies"), "substance", "noted_on", (
        Field("substance", _l("Allergic to"), required=True),
        Field("reaction", _l("Reaction")),
        Field("severity", _l("Severity"), "choice", True, SEVERITIES),
        Field("noted_on", _l("Noted on"), "date", True),
    )),
    Category("problem", _l("Health problem"), _l("Health problems"), "name", "noted_on", (
        Field("name", _l("Problem"), required=True),
        Field("state", _l("Status"), "choice", True, PROBLEM_STATES),
        Field("noted_on", _l("Noted on"), "date", True),
        Field("notes", _l("Notes"), "long"),
    )),
    Category("appointment", _l("Appointment"), _l("Appointments"), "reason", "day", (
        Field("day", _l("Date"), "date", True),
        Field("at", _l("Time"), "time", True),
        Field("provider", _l("Provider"), required=True),
        # Where to go; left empty, the patient's home shows the practice's address.
        Field("place", _l("Where"), hint=_l("For example: Main office, second floor")),
        Field("reason", _l("Reason"), required=True),
        Field("state", _l("Status"), "choice", True, APPOINTMENT_STATES),
    )),
    Category("visit", _l("Visit summary"), _l("Visit summaries"), "reason", "visited_on", (
        Field("visited_on", _l("Visit date"), "date", True),
        Field("provider", _l("Provider"), required=True),
        Field("reason", _l("Reason for the visit"), required=True),
        Field("notes", _l("Notes"), "long"),
        Field("follow_up", _l("Follow-up"), "long"),
    )),
    Category("statement", _l("Statement"), _l("Bills and statements"), "title", "statement_on", (
        Field("title", _l("Statement"), required=True, hint=_l("For example: Office visit")),
        Field("statement_on", _l("Statement date"), "date", True),
        Field("amount", _l("Amount"), "money", True),
        Field("balance", _l("Balance due"), "money", True),
    )),
    Category("document", _l("Document"), _l("Documents"), "title", "document_on", (
        Field("title", _l("Title"), required=True, hint=_l("For example: Chest X-ray report")),
        Field("kind", _l("Kind of document"), required=True,
              hint=_l("For example: Radiology report")),
        Field("document_on", _l("Date"), "date", True),
    )),
)}


# --- Checking what staff typed --------------------------------------------------------------

def _parse(item, raw):
    """One field's typed text as stored (str, ISO date, "HH:MM", or cents as a string), or
    raise RecordError."""
    text = (raw or "").strip() if isinstance(raw, str) else raw
    if text in ("", None):
        if item.required:
            raise RecordError(_l("Enter %(field)s.", field=str(item.label).lower()), item.name)
        return ""
    if item.kind in ("text",) and len(text) > TITLE_MAX:
        raise RecordError(_l("Use at most %(max)d characters.", max=TITLE_MAX), item.name)
    if item.kind == "long" and len(text) > NOTES_MAX:
        raise RecordError(_l("Use at most %(max)d characters.", max=NOTES_MAX), item.name)
    if item.kind == "date":
        day = text if isinstance(text, date) else _date(text)
        if day is None:
            raise RecordError(_l("Enter the date as MM/DD/YYYY."), item.name)
        return day.isoformat()
    if item.kind == "time":
        moment = text if isinstance(text, time) else _time(text)
        if moment is None:
            raise RecordError(_l("Enter the time as HH:MM, for example 14:30."), item.name)
        return moment.strftime("%H:%M")
    if item.kind == "money":
        cents = _cents(text)
        if cents is None:
            raise RecordError(_l("Enter an amount in dollars, for example 125.00."), item.name)
        return f"{cents / 100:.2f}"
    if item.kind == "choice" and text not in dict(item.choices):
        raise RecordError(_l("Choose one of the options."), item.name)
    return text


def _date(text):
    for pattern in ("%m/%d/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _time(text):
    for pattern in ("%H:%M", "%I:%M %p", "%I:%M%p"):
        try:
            return datetime.strptime(text.upper(), pattern).time()
        except ValueError:
            continue
    return None


def _cents(text):
    """Whole cents of a typed amount (half a cent rounds up), or None. Read as a Decimal, never
    a float: `1e999` is no amount (a float would be infinite), and neither is anything longer
    than MAX_NUMBER_CHARS."""
    cleaned = str(text).replace("$", "").replace(",", "").strip()
    if len(cleaned) > MAX_NUMBER_CHARS or not AMOUNT.fullmatch(cleaned):
        return None  # no exponent, infinity or NaN: an amount is written out in digits
    value = Decimal(cleaned)
    if abs(value) >= MAX_DOLLARS:
        return None
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def checked_facts(category, values):
    """{field: stored value} for `values` (field name: typed text), or raise RecordError on the
    first field that cannot be stored."""
    return {item.name: _parse(item, values.get(item.name)) for item in category.fields}


def fact_text(item, value):
    """One stored fact as people read it: choices in words, dates as MM/DD/YYYY, money as
    $1,234.50; "" for an empty fact."""
    if value in ("", None):
        return ""
    if item.kind == "choice":
        return str(dict(item.choices).get(value, value))
    if item.kind == "date":
        return date.fromisoformat(value).strftime("%m/%d/%Y")
    if item.kind == "money":
        return f"${float(value):,.2f}"
    return value


def facts_for_people(entry):
    """[(label, text)] of an entry's facts in its category's order (fact_text), empty facts
    left out."""
    facts = entry.facts or {}
    shown = [(str(item.label), fact_text(item, facts.get(item.name)))
             for item in CATEGORIES[entry.category].fields]
    return [(label, text) for label, text in shown if text]
