"""Requests to correct the health record (issue 10, item 6): a patient reports that an entry of
their record is wrong, staff record the outcome.

A request is a secure-message conversation (services/messages/conversations.py makes it, with all of its
rules: lengths, the one-time key, the staff inbox, the reply time) and a RecordCorrection row
tying it to the entry. Rules:
- A patient may ask only about a released entry of their own chart (the caller finds it with
  entries.patient_entry: anything else is a 404 before this module is reached).
- The request goes to the staff pool that keeps that part of the record (CORRECTION_POOLS,
  the one place that says so), and names the entry: its kind, title, date and number.
- Staff record one outcome per request: corrected, or not changed with a written
  explanation. The outcome is posted in the conversation as a staff reply, so the patient
  reads it there and gets the usual "new message" email.
- Both steps are on the audit trail; the patient's and staff's words stay in the messages,
  never in the audit detail.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...database import lock_for_write
from ...extensions import db
from ...models import RecordCorrection
from ...models.types import utcnow
from .. import audit, permissions
from ..access import LARGEST_ID
from ..errors import FieldError
from ..messages import conversations, inbox, limits
from .categories import CATEGORIES
from .staff import staff_names

TEXT_MAX = 2000      # what the patient writes
OUTCOME_MAX = 2000   # what staff write with the outcome
# The staff pool each kind of entry goes to when a patient says it is wrong.
CORRECTION_POOLS = {
    "lab": "nurse", "immunization": "nurse", "medication": "nurse", "allergy": "nurse",
    "problem": "nurse", "visit": "nurse",
    "appointment": "front_desk", "document": "front_desk",
    "statement": "billing",
}
OUTCOMES = ("corrected", "not_changed")
STATUS_WORDS = {"open": _l("Open: waiting for an outcome"), "corrected": _l("Corrected"),
                "not_changed": _l("Not changed")}


class CorrectionError(FieldError):
    """A request or an outcome that cannot be saved: `message` for people, `field` it is
    about ("text" for the patient's words; "outcome" or "explanation" for staff)."""


def pool_for(entry):
    """The staff pool that answers a correction request about `entry`."""
    return CORRECTION_POOLS[entry.category]


def _checked(text, limit, empty_message, field):
    text = (text or "").strip()
    if not text:
        raise CorrectionError(empty_message, field)
    if len(text) > limit:
        raise CorrectionError(_l("Shorten this to %(limit)s characters or fewer (it has "
                                 "%(count)s).", limit=f"{limit:,}", count=f"{len(text):,}"),
                              field)
    return text


def reference(entry):
    """The lines that name an entry in a message: its kind, title, date and number."""
    category = CATEGORIES[entry.category]
    return "\n".join((
        _("Kind of record: %(kind)s", kind=category.label),
        _("Title: %(title)s", title=entry.title),
        _("Date: %(date)s", date=entry.recorded_on.strftime("%m/%d/%Y")),
        _("Entry number: %(number)s", number=entry.id),
    ))


def _subject(entry):
    subject = _("Correction request: %(title)s", title=entry.title)
    if len(subject) > limits.SUBJECT_MAX:
        subject = subject[:limits.SUBJECT_MAX - 1].rstrip() + "…"
    return subject


def request_correction(account, entry, text, *, submission_key=None, origin):
    """The patient (`account`) says `entry` (a released entry of their own chart) is wrong:
    a new conversation to the entry's pool naming the entry, with their words, and a
    RecordCorrection. Returns (correction, conversation); the same page sent twice (its
    `submission_key`) returns the first request. Raises CorrectionError or MessageError;
    the caller commits."""
    text = _checked(text, TEXT_MAX, _l("Write what is wrong."), "text")
    body = "\n\n".join((_("I am asking for a correction to this item of my health record:"),
                        reference(entry), _("What is wrong:"), text))
    conversation = conversations.start_in_pool(account, pool_for(entry), subject=_subject(entry),
                                               body=body, submission_key=submission_key,
                                               origin=origin)
    earlier = db.session.scalar(select(RecordCorrection).where(
        RecordCorrection.conversation_id == conversation.id))
    if earlier is not None:
        return earlier, conversation
    correction = RecordCorrection(entry_id=entry.id, patient_id=entry.patient_id,
                                  conversation_id=conversation.id, status="open")
    db.session.add(correction)
    db.session.flush()
    audit.record("record.correction_requested", origin, patient_id=entry.patient_id,
                 object_type="record_correction", object_id=correction.id,
                 detail=f"entry {entry.id}; conversation {conversation.id}; "
                        f"pool: {conversation.pool}")
    return correction, conversation


# --- Staff ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CorrectionRow:
    """A request as the entry's staff page lists it: the row, its status in words and the
    name of whoever recorded the outcome ("" while it is open)."""

    correction: object
    status: str
    decided_by: str


def entry_requests(entry_id):
    """The entry's correction requests, oldest first, as CorrectionRow (two queries, whatever
    the number of requests)."""
    corrections = db.session.scalars(select(RecordCorrection)
                                     .where(RecordCorrection.entry_id == entry_id)
                                     .order_by(RecordCorrection.id)).all()
    names = staff_names(correction.decided_by_id for correction in corrections)
    return [CorrectionRow(correction, str(STATUS_WORDS[correction.status]),
                          names.get(correction.decided_by_id, "")) for correction in corrections]


def entry_request(entry, correction_id):
    """One correction request about `entry`, else None (another entry's is not there)."""
    if not isinstance(correction_id, int) or not 0 < correction_id <= LARGEST_ID:
        return None
    return db.session.scalar(select(RecordCorrection).where(
        RecordCorrection.id == correction_id, RecordCorrection.entry_id == entry.id))


def _outcome_reply(entry, outcome, explanation):
    """The staff reply that tells the patient the outcome, naming the entry again."""
    if outcome == "corrected":
        lines = [_("We have corrected your health record, as you asked. The item you asked "
                   "about:"), reference(entry)]
    else:
        lines = [_("We looked at your request and did not change your health record. The "
                   "item you asked about:"), reference(entry)]
    if explanation:
        lines += [_("Why:") if outcome == "not_changed" else _("What we changed:"), explanation]
    return "\n\n".join(lines)


def decide(staff, correction, entry, outcome, explanation, origin):
    """Record the outcome of an open request: "corrected" (the explanation optional) or
    "not_changed" (the explanation required), and tell the patient in the conversation as
    `staff`'s reply. Raises CorrectionError (nothing saved), or permissions.Refused for a role
    that may not publish the entry's kind of record; the caller commits."""
    permissions.require(staff, permissions.category_action(entry.category))
    lock_for_write(db.session, f"record-correction:{correction.id}")
    db.session.refresh(correction)  # another member may have decided it meanwhile
    if correction.status != "open":
        raise CorrectionError(_l("This request already has an outcome."))
    if outcome not in OUTCOMES:
        raise CorrectionError(_l("Choose the outcome."), "outcome")
    explanation = (explanation or "").strip()
    if outcome == "not_changed":
        explanation = _checked(explanation, OUTCOME_MAX,
                               _l("Explain why the record is not changed."), "explanation")
    elif explanation:
        explanation = _checked(explanation, OUTCOME_MAX, "", "explanation")
    conversation = inbox.staff_conversation(correction.conversation_id)
    conversations.staff_reply(staff, conversation, body=_outcome_reply(entry, outcome, explanation),
                              origin=origin)
    correction.status, correction.outcome = outcome, explanation
    correction.decided_by_id, correction.decided_at = staff.id, utcnow()
    audit.record("record.correction_decided", origin, patient_id=correction.patient_id,
                 object_type="record_correction", object_id=correction.id,
                 detail=f"entry {entry.id}; conversation {conversation.id}; outcome: {outcome}")
    return correction
