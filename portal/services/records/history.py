"""Who opened or downloaded a patient's health record, for the patient, in plain words (issue
10, item 5).

Read from the audit trail, nothing kept apart: the rows about this patient's record entries
(HISTORY_ACTIONS). Practice staff are named by their role, never by name ("A nurse at the
practice opened Glucose, fasting"); the patient's own reads say "You"; a provider's, through a
share, by whom the patient shared it with ("Someone with the link you shared with Dr. Lee
downloaded ..."). An entry the patient cannot see is never named. An entry never released
to them (a draft, a held result, one retracted before release) leaves no line at all: staff
opening or downloading it stays on the audit trail only, and its lines appear once the entry
is released, at the times they happened (issue 19). An entry retracted after release keeps its
lines, worded "an entry that is not shared with you".

A page costs two queries whatever its size: the events with their staff roles and the total
(one query, a window count), then the titles of the entries they name.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, cast, func, or_, select

from ...extensions import db
from ...models import AuditEvent, PatientAccount, RecordEntry, RecordShare, StaffUser
from .. import audit
from ..access import LARGEST_ID
from ..paging import Page
from .categories import CATEGORIES

PAGE_SIZE = 25
# The audit rows that are an opening or a download of the record (entries.py, staff.py,
# the patient's and staff's download views, and the whole-record ZIP).
HISTORY_ACTIONS = ("record.viewed", "record.staff_viewed", "record_entry.exported",
                   "record_category.exported", "record_file.exported",
                   "record_document.exported", "record_archive.exported",
                   "record_share.opened", "record_share.code_refused")
# Practice staff as the patient reads them: by role, never by name.
ROLE_WORDS = {"nurse": _l("A nurse at the practice"),
              "provider": _l("A provider at the practice"),
              "front_desk": _l("Front desk staff"),
              "billing": _l("Billing staff"),
              "admin": _l("A practice administrator")}
SOMEONE_AT_THE_PRACTICE = _l("Someone at the practice")
# A parent or guardian (proxy access), by their name: "X on behalf of Y" in the patient's words.
ON_YOUR_BEHALF = _l("%(name)s, on your behalf,")
# A provider the patient shared the record with, by the name the patient gave the share.
WITH_YOUR_SHARE = _l("Someone with the link you shared with %(recipient)s")
# What happened, as (the patient's own words, a staff member's words).
SENTENCES = {
    "opened": (_l("You opened %(title)s"), _l("%(who)s opened %(title)s")),
    "opened_list": (_l("You opened your list of %(category)s"),
                    _l("%(who)s opened your list of %(category)s")),
    "downloaded_pdf": (_l("You downloaded %(title)s as a PDF"),
                       _l("%(who)s downloaded %(title)s as a PDF")),
    "downloaded_category": (_l("You downloaded your %(category)s as a PDF"),
                            _l("%(who)s downloaded your %(category)s as a PDF")),
    "downloaded_file": (_l("You downloaded the original file of %(title)s"),
                        _l("%(who)s downloaded the original file of %(title)s")),
    "downloaded_archive": (_l("You downloaded your whole record"),
                           _l("%(who)s downloaded your whole record")),
    # A share of some parts downloaded as one ZIP: only what it shows (issue 21).
    "downloaded_shared_parts": (None, _l("%(who)s downloaded the shared parts: %(parts)s")),
    # A share's own rows are never the patient's: no words of their own.
    "share_opened": (None, _l("%(who)s opened it with the access code")),
    "share_code_refused": (None, _l("%(who)s typed a wrong access code")),
}
# The entry each kind of row names in object_id; record.viewed names it in its detail.
ENTRY_IN_OBJECT_ID = {"record.staff_viewed": "opened", "record_entry.exported": "downloaded_pdf",
                      "record_file.exported": "downloaded_file",
                      "record_document.exported": "downloaded_file"}
# A share's own rows: the code accepted or refused.
SHARE_ROWS = {"record_share.opened": "share_opened",
              "record_share.code_refused": "share_code_refused"}


@dataclass(frozen=True)
class HistoryRow:
    """One line of the history: when, and what happened in words."""

    at: datetime
    text: str


@dataclass(frozen=True)
class _Event:
    at: datetime
    actor: str          # "you", "staff", "share", "proxy" or "other"
    who: str | int | None  # a staff member's role, whom a share is for, a proxy's account id
    kind: str           # a key of SENTENCES
    entry_id: int | None = None
    category: str = ""
    parts: tuple = ()   # the categories a share of some parts shows


def _entry_id(text):
    text = (text or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) <= LARGEST_ID else None


def _viewed(detail):
    """(kind, entry id, category) of a record.viewed detail: "entry lab; shown: 12" (one entry
    opened) or "list lab; shown: 12, 13" (a category's list)."""
    what, _sep, shown = (detail or "").partition("; shown: ")
    verb, _sep, category = what.partition(" ")
    if verb == "entry":
        return "opened", _entry_id(shown.split(",")[0]), category
    return "opened_list", None, category


def _actor(row, account_id):
    """Who acted, as the history words it: staff, the patient ("you"), a provider through
    a share, or another portal account acting for the patient (a parent or guardian:
    "proxy", named by the name the practice has for them)."""
    if row.actor_kind in ("staff", "share"):
        return row.actor_kind
    if row.actor_kind == "patient" and row.actor_id is not None:
        return "you" if row.actor_id == account_id else "proxy"
    return "other"


def _event(row, account_id):
    actor = _actor(row, account_id)
    who = {"share": row.recipient, "proxy": row.actor_id}.get(actor, row.role)
    if row.action in SHARE_ROWS:
        return _Event(row.at, actor, who, SHARE_ROWS[row.action])
    if row.action == "record.viewed":
        kind, entry_id, category = _viewed(row.detail)
        return _Event(row.at, actor, who, kind, entry_id, category)
    if row.action == "record_category.exported":
        return _Event(row.at, actor, who, "downloaded_category", category=row.object_id)
    if row.action == "record_archive.exported":
        if actor == "share" and not row.whole_record:
            return _Event(row.at, actor, who, "downloaded_shared_parts",
                          parts=tuple(row.categories or ()))
        return _Event(row.at, actor, who, "downloaded_archive")
    return _Event(row.at, actor, who, ENTRY_IN_OBJECT_ID[row.action], _entry_id(row.object_id))


def _never_released(patient_id):
    """The patient's entries never released to them (drafts, held results, entries retracted
    before release), as the object ids their audit rows carry."""
    return select(cast(RecordEntry.id, String)).where(RecordEntry.patient_id == patient_id,
                                                      RecordEntry.released_at.is_(None))


def _statement(patient_id, hide_account_id=None):
    """The patient's history rows, newest first. Of the record.viewed rows only a list or an
    entry opened: a PDF or the ZIP is one download (its export row), not also a view, and the
    correction form's view follows the entry's own. A row naming an entry never released is
    left out (staff work on a draft or a held result is no hint to the patient). With
    `hide_account_id`, that account's own rows are left out too."""
    statement = (
        select(AuditEvent.id, AuditEvent.at, AuditEvent.action, AuditEvent.actor_kind,
               AuditEvent.actor_id, AuditEvent.object_id, AuditEvent.detail, StaffUser.role,
               RecordShare.recipient, RecordShare.whole_record, RecordShare.categories,
               func.count().over().label("total"))
        .outerjoin(StaffUser, and_(AuditEvent.actor_kind == "staff",
                                   StaffUser.id == AuditEvent.actor_id))
        .outerjoin(RecordShare, and_(AuditEvent.actor_kind == "share",
                                     RecordShare.id == AuditEvent.actor_id))
        .where(AuditEvent.patient_id == patient_id, AuditEvent.action.in_(HISTORY_ACTIONS),
               or_(AuditEvent.action != "record.viewed", AuditEvent.detail.like("list %"),
                   AuditEvent.detail.like("entry %")),
               or_(AuditEvent.action.not_in(tuple(ENTRY_IN_OBJECT_ID)),
                   AuditEvent.object_id.not_in(_never_released(patient_id))))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    if hide_account_id is not None:  # actor_id may be NULL (a visitor): coalesce, never drop
        statement = statement.where(or_(AuditEvent.actor_kind != "patient",
                                        func.coalesce(AuditEvent.actor_id, 0) != hide_account_id))
    return statement


def _titles(patient_id, events):
    """{entry id: title} of the named entries the patient may see now (released, theirs)."""
    ids = {event.entry_id for event in events if event.entry_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(RecordEntry.id, RecordEntry.title).where(
        RecordEntry.id.in_(ids), RecordEntry.patient_id == patient_id,
        RecordEntry.status == "released")).all())


def _category_words(key):
    category = CATEGORIES.get(key)
    if category is None:
        return _("record")
    plural = str(category.plural)
    return plural[:1].lower() + plural[1:]


def _proxy_names(events):
    """{account id: the holder's full name} of the proxies among `events` (one query, none
    when there are none)."""
    ids = {event.who for event in events if event.actor == "proxy"}
    if not ids:
        return {}
    accounts = db.session.scalars(select(PatientAccount).where(PatientAccount.id.in_(ids)))
    return {account.id: account.full_name for account in accounts}


def _words(event, titles, names):
    you, staff = SENTENCES[event.kind]
    values = {"title": titles.get(event.entry_id) or _("an entry that is not shared with you"),
              "category": _category_words(event.category),
              "parts": ", ".join(_category_words(key) for key in CATEGORIES
                                 if key in event.parts)}
    if event.actor == "you":
        return you % values
    if event.actor == "staff":
        who = ROLE_WORDS.get(event.who, SOMEONE_AT_THE_PRACTICE)
    elif event.actor == "share":
        who = WITH_YOUR_SHARE % {"recipient": event.who}
    elif event.actor == "proxy":
        who = ON_YOUR_BEHALF % {"name": names.get(event.who) or _("Someone")}
    else:
        who = _("Someone")
    return staff % {**values, "who": who}


def history_page(patient_id, account_id, page=1, hide_own=False):
    """A Page of HistoryRow: who opened or downloaded the patient's record and when, newest
    first, 25 a page. `account_id` is the patient's own portal account (its rows say "You";
    `hide_own` leaves them out). Two queries whatever the page size."""
    page = max(1, page or 1)
    statement = _statement(patient_id, account_id if hide_own else None)
    rows = db.session.execute(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    events = [_event(row, account_id) for row in rows]
    titles, names = _titles(patient_id, events), _proxy_names(events)
    total = rows[0].total if rows else 0
    return Page([HistoryRow(event.at, _words(event, titles, names)) for event in events], page,
                PAGE_SIZE, total)


def record_history_viewed(origin, patient_id, page):
    """The patient read a page of their access history: on the audit trail (not on the
    history itself)."""
    audit.record_read("record.history_viewed", origin, patient_id=patient_id,
                      object_type="audit_log", detail=f"page: {page.page}; rows: {len(page.items)}")
