"""Record entries: how staff publish, release, hold and retract them, and what a patient may
read (released entries of their own chart, nothing else). What each category holds is in
categories.py.

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

import functools
import hashlib
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select

from ... import database
from ...extensions import db
from ...models import RecordEntry
from ...models.types import utcnow
from .. import audit, patient_notices, permissions
from ..access import LARGEST_ID
from ..paging import page_of
from ..proxies.viewing import PATIENT
from ..uploads import EXTENSIONS, MAX_IMAGE_PIXELS, FileRefused, clean_upload, kind_of
from .categories import CATEGORIES, NOTES_MAX, TITLE_MAX, RecordError, checked_facts

PAGE_SIZE = 25
MAX_FILE_MB = 10
DOCUMENT_ENDINGS = ("pdf", "png", "jpg")  # what a published document may be (files.py)


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
    """What staff read when uploads.clean_upload refuses a document's file."""
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
    patient_notices.entry_released(entry)  # the patient's chosen notice, if any


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


@functools.cache
def _chart_entries_statement(limit):
    # The chart runs it on every view: built once per limit, the patient a parameter. It reads
    # the columns its table shows: 50 whole entries, their facts parsed, were a tenth of a chart.
    return (select(RecordEntry.id, RecordEntry.title, RecordEntry.category, RecordEntry.status,
                   RecordEntry.recorded_on, RecordEntry.abnormal)
            .where(RecordEntry.patient_id == bindparam("patient_id"))
            .order_by(RecordEntry.recorded_on.desc(), RecordEntry.id.desc()).limit(limit))


def chart_entries(patient_id, limit=50):
    """Rows (id, title, category, status, recorded_on, abnormal) of the chart's latest entries
    of every status, newest first."""
    return database.read(_chart_entries_statement(limit), {"patient_id": patient_id}).all()


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


# The patient's record pages run these on every view: built once, the patient (and the
# category) parameters.
_CATEGORY_PAGE = (select(RecordEntry)
                  .where(*_released(bindparam("patient_id")),
                         RecordEntry.category == bindparam("category"))
                  .order_by(RecordEntry.recorded_on.desc(), RecordEntry.id.desc()))
_OVERVIEW = (select(RecordEntry.category, func.count(),
                    func.count(RecordEntry.id).filter(RecordEntry.patient_seen_at.is_(None)))
             .where(*_released(bindparam("patient_id"))).group_by(RecordEntry.category))


def patient_page(patient_id, category_key, page=1, reader=PATIENT):
    """A Page of the patient's released entries of one category that `reader` may see,
    newest first (a count and one query, whatever the number of entries)."""
    return page_of(reader.narrow_entries(_CATEGORY_PAGE), page, PAGE_SIZE,
                   scalars=True, params={"patient_id": patient_id, "category": category_key})


def patient_category_entries(patient_id, category_key, reader=PATIENT):
    """Every released entry of one category that `reader` may see, newest first (for the
    category's PDF and the ZIP)."""
    return db.session.scalars(select(RecordEntry)
                              .where(*_released(patient_id), RecordEntry.category == category_key,
                                     *reader.entry_conditions())
                              .order_by(RecordEntry.recorded_on.desc(), RecordEntry.id.desc())).all()


def patient_entry(patient_id, entry_id, reader=PATIENT):
    """One released entry of the patient's own chart that `reader` may see, else None
    (drafts, held and retracted entries, other patients' entries, and for a guardian what is
    confidential, are not there for them)."""
    if not _possible_id(entry_id):
        return None
    return db.session.scalar(select(RecordEntry).where(RecordEntry.id == entry_id,
                                                       *_released(patient_id),
                                                       *reader.entry_conditions()))


def overview(patient_id, reader=PATIENT):
    """{category: (released count, new count)} of what `reader` may see, for the record
    page (one query)."""
    rows = db.session.execute(reader.narrow_entries(_OVERVIEW),
                              {"patient_id": patient_id}).all()
    return {category: (total, new) for category, total, new in rows}


def mark_seen(entry):
    """The patient opened the entry: it is no longer new to them."""
    if entry.patient_seen_at is None:
        entry.patient_seen_at = utcnow()


def record_viewed(origin, patient_id, what, entries):
    """A patient page or file of the record, on the audit trail: which entries it showed."""
    ids = ", ".join(str(entry.id) for entry in entries) or "none"
    audit.record_read("record.viewed", origin, patient_id=patient_id, object_type="record_entry",
                      detail=f"{what}; shown: {ids}"[:2000])



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
