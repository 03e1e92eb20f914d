"""The patient's home as a to-do list: what waits for them, in the order a patient acts on it.

`waiting_for` returns plain data, and the home's template only draws it: consents to sign or
renew, health forms to fill in, unread replies, what is new in the health record, the next
appointment and the balance due. Each section costs at most one query, and every section runs
its query whether or not it finds anything, so the home costs the same statements with
everything waiting as with nothing.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, bindparam, exists, func, or_, select

from .. import database
from ..extensions import db
from ..models import Document, DocumentVersion, FormAssignment, FormDraft, RecordEntry, Signature
from ..models.types import utcnow
from . import clock
from .consents import documents
from .consents.gate import RENEWAL_NOTICE_DAYS
from .messages import inbox
from .proxies.viewing import PATIENT, reader_of
from .records.categories import CATEGORIES

# Categories with a section of their own: not counted again among what is new.
OWN_SECTIONS = ("appointment", "statement")


@dataclass(frozen=True)
class ConsentToDo:
    """A consent to sign (`ends` None) or to renew before `ends` (an aware UTC moment)."""

    document_id: int
    title: str
    ends: object = None


@dataclass(frozen=True)
class FormToDo:
    """A health form to fill in; `started` when the patient saved a draft of it."""

    document_id: int
    title: str
    started: bool


@dataclass(frozen=True)
class NewInRecord:
    """How many released entries of one category the patient has not opened, and how many of
    those are abnormal."""

    category: object  # categories.Category
    count: int
    abnormal: int


@dataclass(frozen=True)
class NextAppointment:
    """The soonest scheduled appointment still ahead, and how many are ahead in all.
    `place` is empty when staff did not say where (the page then shows the practice)."""

    entry_id: int
    day: date
    at: str
    provider: str
    place: str
    upcoming: int

    @property
    def time(self):
        """The time as people read it: "2:30 PM" for the stored "14:30"."""
        hours, minutes = (int(part) for part in self.at.split(":"))
        return f"{(hours - 1) % 12 + 1}:{minutes:02d} {'AM' if hours < 12 else 'PM'}"


@dataclass(frozen=True)
class BalanceDue:
    """What the newest statement says is owed ("$40.00"), and that statement's date."""

    amount: str
    statement_on: date


@dataclass(frozen=True)
class Waiting:
    """Everything the home shows, section by section; an empty section is left out."""

    consents: list = field(default_factory=list)
    forms: list = field(default_factory=list)
    unread: int = 0
    new_in_record: list = field(default_factory=list)
    appointment: NextAppointment | None = None
    balance: BalanceDue | None = None

    @property
    def anything(self):
        """Whether any section has something in it."""
        return bool(self.consents or self.forms or self.unread or self.new_in_record
                    or self.appointment or self.balance)


def waiting_for(patient, unread, practice, now=None, reader=PATIENT):
    """What waits for `patient` (a Waiting) that `reader` may see, as of `now`. `unread`: how
    many conversations have a reply they have not opened (the patient guard has counted it
    already for the navigation, so it is not counted twice). Five queries, whatever is found."""
    now = now or utcnow()
    signs = reader.may_sign  # a representative who may not sign has no forms to do
    return Waiting(consents=consents_to_do(patient, now, practice) if signs else [],
                   forms=forms_to_do(patient.id) if signs else [], unread=unread or 0,
                   new_in_record=new_in_record(patient.id, reader),
                   appointment=next_appointment(patient.id, now, practice, reader),
                   balance=balance_due(patient.id, reader))


def others_waiting(charts, chosen, practice, now=None):
    """[(chart, Waiting)] for each chart of `charts` but the `chosen` one, in their order:
    what waits for each other person the account acts for (a parent of three sees each
    child's at once), as their reader may see it. Six queries a chart; none for an account
    that opens one chart."""
    now = now or utcnow()
    shown = []
    for chart in charts:
        if chart is chosen:
            continue
        reader = reader_of(chart)
        unread = inbox.unread_count(chart.patient.id, reader) if reader.may_message else 0
        shown.append((chart, waiting_for(chart.patient, unread, practice, now, reader)))
    return shown


# The home runs on every visit, and building a statement costs more than running it here, so
# each section's statement is built once, with the patient and the moment as parameters.
_PATIENT, _NOW = bindparam("patient_id"), bindparam("now")


def _signatures_of(*conditions):
    """exists(): a consent signature of this patient for the document in the outer query."""
    return exists().where(Signature.patient_id == _PATIENT, Signature.kind == "consent",
                          Signature.document_id == Document.id, *conditions)


_CONSENT_ENDS = (select(func.max(Signature.expires_at))
                 .where(Signature.patient_id == _PATIENT, Signature.kind == "consent",
                        Signature.document_id == Document.id, Signature.expires_at > _NOW)
                 .scalar_subquery())
_CONSENTS = (select(Document.id, DocumentVersion, _CONSENT_ENDS.label("ends"),
                    _signatures_of().label("signed_before"))
             .join(DocumentVersion, DocumentVersion.id == Document.current_version_id)
             .where(Document.kind == "consent", Document.retired_at.is_(None),
                    ~_signatures_of(Signature.expires_at.is_(None)))
             .order_by(DocumentVersion.title, Document.id))


def consents_to_do(patient, now, practice=None):
    """[ConsentToDo] in the order to act: consents this patient signs themselves that have no
    current signature and are required or were signed before (an ended one), then consents
    whose signature ends within 30 days, soonest first. An optional consent never signed is
    the patient's choice, offered on the consents page, not a to-do. One query."""
    rows = db.session.execute(_CONSENTS, {"patient_id": patient.id, "now": now}).all()
    today, renew_from = clock.today(now, practice), now + timedelta(days=RENEWAL_NOTICE_DAYS)
    to_sign, to_renew = [], []
    for document_id, version, ends_at, signed_before in rows:
        if not documents.patient_may_sign(version, patient, today):
            continue
        if ends_at is None and (version.required or signed_before):
            to_sign.append(ConsentToDo(document_id, version.title))
        elif ends_at is not None and ends_at <= renew_from:
            to_renew.append(ConsentToDo(document_id, version.title, ends_at))
    return to_sign + sorted(to_renew, key=lambda item: item.ends)


_ASKED = exists().where(FormAssignment.patient_id == _PATIENT,
                       FormAssignment.document_id == Document.id,
                       FormAssignment.completed_at.is_(None))
_SUBMITTED = exists().where(Signature.patient_id == _PATIENT, Signature.kind == "form",
                           Signature.document_id == Document.id)
_FORMS = (select(Document.id, DocumentVersion.title, FormDraft.id.is_not(None))
          .join(DocumentVersion, DocumentVersion.id == Document.current_version_id)
          .outerjoin(FormDraft, and_(FormDraft.patient_id == _PATIENT,
                                     FormDraft.document_id == Document.id))
          .where(Document.kind == "form", Document.retired_at.is_(None),
                 or_(_ASKED, and_(Document.available_to_all.is_(True), ~_SUBMITTED)))
          .order_by(DocumentVersion.title, Document.id))


def forms_to_do(patient_id):
    """[FormToDo] by title: health forms in use that staff asked this patient to fill in
    (and they have not submitted since), or that every patient fills in and this patient
    never submitted; a saved draft marks one started. One query."""
    rows = database.read(_FORMS, {"patient_id": patient_id}).all()
    return [FormToDo(document_id, title, bool(started)) for document_id, title, started in rows]


_NEW_IN_RECORD = (
    select(RecordEntry.category, func.count(),
           func.count(RecordEntry.id).filter(RecordEntry.abnormal.is_(True)))
    .where(RecordEntry.patient_id == _PATIENT, RecordEntry.status == "released",
           RecordEntry.patient_seen_at.is_(None), RecordEntry.category.not_in(OWN_SECTIONS))
    .group_by(RecordEntry.category))


def new_in_record(patient_id, reader=PATIENT):
    """[NewInRecord] in the record's order of categories: released entries the patient has
    not opened yet, appointments and statements left to their own sections. One query."""
    rows = database.read(reader.narrow_entries(_NEW_IN_RECORD),
                         {"patient_id": patient_id}).all()
    counts = {category: (count, abnormal) for category, count, abnormal in rows}
    return [NewInRecord(category, *counts[key]) for key, category in CATEGORIES.items()
            if key in counts]


_at, _TODAY = RecordEntry.facts["at"].as_string(), bindparam("today")
_NEXT_APPOINTMENT = (
    select(RecordEntry.id, RecordEntry.recorded_on, RecordEntry.facts, func.count().over())
    .where(RecordEntry.patient_id == _PATIENT, RecordEntry.category == "appointment",
           RecordEntry.status == "released",
           RecordEntry.facts["state"].as_string() == "scheduled",
           or_(RecordEntry.recorded_on > _TODAY,
               and_(RecordEntry.recorded_on == _TODAY, _at > bindparam("time_now"))))
    .order_by(RecordEntry.recorded_on, _at, RecordEntry.id).limit(1))


def next_appointment(patient_id, now, practice=None, reader=PATIENT):
    """The soonest released appointment still scheduled and still ahead where the practice
    is (today's only when its time has not come), with how many are ahead; else None. One
    query (the count is a window over the same rows)."""
    local = clock.local(now, practice)
    today, time_now = local.date(), local.strftime("%H:%M")
    row = database.read(reader.narrow_entries(_NEXT_APPOINTMENT),
                        {"patient_id": patient_id, "today": today, "time_now": time_now}).first()
    if row is None:
        return None
    entry_id, day, facts, upcoming = row
    return NextAppointment(entry_id, day, facts.get("at", ""), facts.get("provider", ""),
                           facts.get("place", ""), upcoming)


_BALANCE = (select(RecordEntry.recorded_on, RecordEntry.facts)
            .where(RecordEntry.patient_id == _PATIENT, RecordEntry.category == "statement",
                   RecordEntry.status == "released")
            .order_by(RecordEntry.recorded_on.desc(), RecordEntry.id.desc()).limit(1))


def balance_due(patient_id, reader=PATIENT):
    """The balance on the patient's newest released statement when it is more than zero
    (each statement carries the account's balance on its date), else None. One query."""
    row = database.read(reader.narrow_entries(_BALANCE),
                        {"patient_id": patient_id}).first()
    if row is None:
        return None
    statement_on, facts = row
    try:
        owed = Decimal(str((facts or {}).get("balance") or "0"))
    except InvalidOperation:
        return None
    if owed <= 0:
        return None
    return BalanceDue(f"${owed:,.2f}", statement_on)
