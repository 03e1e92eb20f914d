"""Health records: what each category of entry holds, how staff publish, release and hold
entries, and what a patient may read (released entries of their own chart, nothing else).

Every category is described once, in CATEGORIES: its fields (label, kind, required), which
field names the entry on lists (`title`) and which date files it (`filed_by`). Staff forms,
patient pages, PDFs and checks all read that description, so a new field is added in one place.

Rules:
- Release is immediate by default: "Publish" releases at once, "Save as draft" keeps it for
  staff. US information-blocking rules expect results without delay.
- A provider may hold a lab result for review only when the practice allows it, and only with
  a written reason; staff see the hold and its age. A held entry is never on a patient page
  or file.
- Nothing is deleted: an entry entered in error is retracted (it leaves the patient's pages;
  staff still see it, marked).
- Every publication, release, hold and retraction is audited; so is every patient view.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..models import RecordEntry
from ..models.types import utcnow
from . import audit, permissions
from .access import LARGEST_ID
from .errors import FieldError
from .files import EXTENSIONS, MAX_IMAGE_PIXELS, FileRefused, clean_upload, kind_of
from .paging import page_of

PAGE_SIZE = 25
TITLE_MAX, TEXT_MAX, NOTES_MAX = 200, 500, 5000
MAX_FILE_MB = 10
MAX_NUMBER_CHARS = 30  # the longest number (an amount, a form's number answer) read or stored
MAX_DOLLARS = Decimal(10**9)  # an amount is below a billion dollars
AMOUNT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")  # 125, 125.00, .50, -40 (after $ and commas)
DOCUMENT_ENDINGS = ("pdf", "png", "jpg")  # what a published document may be (files.py)


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


# --- Publishing -----------------------------------------------------------------------------

def publish(patient, category_key, values, origin, *, release, file=None):
    """A new entry on `patient`'s chart from what staff typed: released now (`release`) or a
    draft. `file` (bytes) is a document's upload. The caller commits. Raises RecordError."""
    category = CATEGORIES.get(category_key)
    if category is None:
        raise RecordError(_l("Choose what kind of record this is."), "category")
    permissions.require_origin(origin, permissions.category_action(category.key))
    facts = checked_facts(category, values)
    entry = RecordEntry(patient_id=patient.id, category=category.key,
                        title=facts[category.title][:TITLE_MAX],
                        recorded_on=date.fromisoformat(facts[category.filed_by]), facts=facts,
                        abnormal=category.key == "lab" and facts.get("flag") not in ("", "normal"),
                        created_by_id=origin.account.id)
    if category.key == "document":
        _attach(entry, file)
    db.session.add(entry)
    db.session.flush()
    audit.record("record.published" if release else "record.drafted", origin,
                 patient_id=patient.id, object_type="record_entry", object_id=entry.id,
                 detail=f"category: {category.key}")
    if release:
        _release(entry, origin)
    return entry


def _attach(entry, data):
    if not data:
        raise RecordError(_l("Choose the file to publish."), "file")
    if len(data) > MAX_FILE_MB * 1024 * 1024:
        raise RecordError(_l("The file is larger than %(size)d MB.", size=MAX_FILE_MB), "file")
    content_type = kind_of(data, DOCUMENT_ENDINGS)
    if content_type is None:
        raise RecordError(_l("Only PDF, PNG and JPEG files can be published. The type is read "
                             "from the file itself, not its name."), "file")
    try:
        data = clean_upload(data, content_type)
    except FileRefused as refused:
        raise RecordError(_file_refusal(refused.reason), "file") from None
    entry.file_type, entry.file_size, entry.file_data = content_type, len(data), data
    entry.file_sha256 = hashlib.sha256(data).hexdigest()


def _file_refusal(reason):
    """What staff read when files.clean_upload refuses a document's file."""
    if reason == "too_large":
        return _l("The image is too large (more than %(megapixels)d megapixels). Save a smaller "
                  "copy and publish it.", megapixels=MAX_IMAGE_PIXELS // 1_000_000)
    if reason == "unreadable_pdf":
        return _l("The PDF could not be read. Save it again, without a password, and publish "
                  "the new copy.")
    return _l("The image could not be read. Save it again and publish the new copy.")


def _release(entry, origin, reason=""):
    was_held = entry.status == "held"
    entry.status, entry.released_at = "released", utcnow()
    entry.released_by_id = origin.account.id
    entry.held_at, entry.held_by_id = None, None
    audit.record("record.released", origin, patient_id=entry.patient_id,
                 object_type="record_entry", object_id=entry.id,
                 detail=f"held; reason: {reason}"[:2000] if was_held and reason else "")


def may_release(staff, entry, practice=None):
    """Whether `staff` may release this entry: a draft by whoever may publish its category; a
    held result by a provider (the holding one or any other) or, with a reason, an admin."""
    if entry.status == "draft":
        return permissions.allows(staff, permissions.category_action(entry.category), practice)
    if entry.status == "held":
        return permissions.allows(staff, "release_held", practice)
    return False


def release_needs_reason(staff, entry):
    """An admin releasing a provider's hold writes why (a provider need not)."""
    return entry.status == "held" and getattr(staff, "role", "") != "provider"


def release(entry, origin, reason=""):
    """Release a draft or a held result to the patient (the caller commits). False when it
    was released already or retracted. Raises permissions.Refused for a role that may not,
    and RecordError for an admin releasing a hold without a written reason."""
    if entry.status not in ("draft", "held"):
        return False
    staff = origin.account
    if staff is not None and not may_release(staff, entry):
        raise permissions.Refused("release_held" if entry.status == "held"
                                  else permissions.category_action(entry.category))
    reason = (reason or "").strip()
    if staff is not None and release_needs_reason(staff, entry) and len(reason) < 5:
        raise RecordError(_l("Write why you release a result a provider held (at least 5 "
                             "characters)."), "reason")
    _release(entry, origin, reason[:NOTES_MAX])
    return True


def may_hold(staff, practice, entry):
    """Whether `staff` may hold this entry for review: a provider, a lab result, a practice
    that allows holds, and an entry not yet released."""
    return (practice.result_holds_allowed and permissions.allows(staff, "hold", practice)
            and entry.category == "lab" and entry.status == "draft")


def hold(entry, reason, staff, practice, origin):
    """Hold a lab result for review, with the written reason (logged, shown to staff). Raises
    permissions.Refused for a role that may not hold, RecordError for the rest."""
    reason = (reason or "").strip()
    permissions.require(staff, "hold", practice)
    if not may_hold(staff, practice, entry):
        raise RecordError(_l("Only a provider may hold a lab result, when the practice allows "
                             "it, before it is released."), "reason")
    if len(reason) < 5:
        raise RecordError(_l("Write why the result is held (at least 5 characters)."), "reason")
    entry.status, entry.held_at, entry.held_by_id = "held", utcnow(), staff.id
    entry.hold_reason = reason[:NOTES_MAX]
    audit.record("record.held", origin, patient_id=entry.patient_id, object_type="record_entry",
                 object_id=entry.id, detail=f"reason: {reason}"[:2000])


def retract(entry, origin):
    """Take an entry entered in error off the patient's pages (it stays, marked, for staff).
    Raises permissions.Refused for a role that may not retract."""
    permissions.require_origin(origin, "retract")
    if entry.status == "retracted":
        return False
    entry.status = "retracted"
    audit.record("record.retracted", origin, patient_id=entry.patient_id,
                 object_type="record_entry", object_id=entry.id)
    return True


# --- Staff reading --------------------------------------------------------------------------

def _possible_id(entry_id):
    """An id a row could have (a URL may carry any number)."""
    return isinstance(entry_id, int) and 0 < entry_id <= LARGEST_ID


def chart_entries(patient_id, limit=50):
    """The chart's latest entries of every status, newest first (file bytes not read)."""
    return db.session.scalars(select(RecordEntry).where(RecordEntry.patient_id == patient_id)
                              .order_by(RecordEntry.recorded_on.desc(), RecordEntry.id.desc())
                              .limit(limit)).all()


def staff_entry(patient_id, entry_id):
    """One entry of this chart, whatever its status, else None."""
    if not _possible_id(entry_id):
        return None
    return db.session.scalar(select(RecordEntry).where(RecordEntry.id == entry_id,
                                                       RecordEntry.patient_id == patient_id))


def held_entries():
    """Every held result, the oldest hold first (the practice's review list)."""
    return db.session.scalars(select(RecordEntry).where(RecordEntry.status == "held")
                              .order_by(RecordEntry.held_at)).all()


# --- What a patient may read ----------------------------------------------------------------

def _released(patient_id):
    return (RecordEntry.patient_id == patient_id, RecordEntry.status == "released")


def patient_page(patient_id, category_key, page=1):
    """A Page of the patient's released entries of one category, newest first (a count and
    one query, whatever the number of entries)."""
    statement = (select(RecordEntry)
                 .where(*_released(patient_id), RecordEntry.category == category_key)
                 .order_by(RecordEntry.recorded_on.desc(), RecordEntry.id.desc()))
    return page_of(statement, page, PAGE_SIZE, scalars=True)


def patient_category_entries(patient_id, category_key):
    """Every released entry of one category, newest first (for the category's PDF)."""
    return db.session.scalars(select(RecordEntry)
                              .where(*_released(patient_id), RecordEntry.category == category_key)
                              .order_by(RecordEntry.recorded_on.desc(), RecordEntry.id.desc())).all()


def patient_entry(patient_id, entry_id):
    """One released entry of the patient's own chart, else None (drafts, held and retracted
    entries, and other patients' entries, are not there for them)."""
    if not _possible_id(entry_id):
        return None
    return db.session.scalar(select(RecordEntry).where(RecordEntry.id == entry_id,
                                                       *_released(patient_id)))


def overview(patient_id):
    """{category: (released count, new count)} for the patient's record page (one query)."""
    rows = db.session.execute(
        select(RecordEntry.category, func.count(),
               func.count(RecordEntry.id).filter(RecordEntry.patient_seen_at.is_(None)))
        .where(*_released(patient_id)).group_by(RecordEntry.category)).all()
    return {category: (total, new) for category, total, new in rows}


def mark_seen(entry):
    """The patient opened the entry: it is no longer new to them."""
    if entry.patient_seen_at is None:
        entry.patient_seen_at = utcnow()


def record_viewed(origin, patient_id, what, entries):
    """A patient page or file of the record, on the audit trail: which entries it showed."""
    ids = ", ".join(str(entry.id) for entry in entries) or "none"
    audit.record("record.viewed", origin, patient_id=patient_id, object_type="record_entry",
                 detail=f"{what}; shown: {ids}"[:2000])


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


def document_file(entry):
    """A document entry's stored file (bytes), or None when it has none or the bytes no longer
    match the SHA-256 taken at publication (a damaged copy is never handed out)."""
    data = entry.file_data if entry.category == "document" else None
    if not data or hashlib.sha256(data).hexdigest() != entry.file_sha256:
        return None
    return data


def file_name(entry, suffix=None):
    """A download's name: the category and the entry's number, never a personal name."""
    suffix = suffix or EXTENSIONS.get(entry.file_type, "bin")
    return f"{entry.category}-{entry.id}.{suffix}"
