"""Reading messages: the patient's inbox, sent list and conversation; the staff queue with its
filters and counts; the chart's latest conversations and the notices that did not reach the
patient. Every read of a conversation, and every page of the queue, goes on the audit trail.

A patient sees only their own conversations and never an internal note: every patient query
here filters both (patient_conversation; a conversation's messages: thread.py)."""

import functools
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, or_, select

from ... import database
from ...extensions import db
from ...models import Conversation, Message, MessageTopic, OutboxEmail, Patient, PatientAccount, StaffUser
from ...models.messages import POOLS, STATUSES
from .. import audit, permissions
from ..access import LARGEST_ID
from ..paging import Page, count_of, page_of
from ..proxies.viewing import PATIENT

PAGE_SIZE = 25
OPEN_STATUSES = tuple(status for status in STATUSES if status != "closed")
# The staff pool each role works (admins see every pool): services/permissions.py.
ROLE_POOLS = permissions.ROLE_POOLS


# --- The patient's side ---------------------------------------------------------------------

# Built once, the patient a parameter. The inbox reads the columns its rows show (not whole
# conversations: a third of its time) and counts on the conversations' index alone.
_MINE = {archived: (Conversation.patient_id == bindparam("patient_id"),
                    Conversation.patient_archived.is_(archived)) for archived in (False, True)}
_PATIENT_INBOX = {archived: (select(Conversation.id, Conversation.subject, Conversation.status,
                                    Conversation.last_message_at,
                                    Conversation.unread_for_patient.label("unread_for_patient"),
                                    MessageTopic.label.label("topic_label"))
                             .join(MessageTopic, MessageTopic.id == Conversation.topic_id)
                             .where(*_MINE[archived])
                             .order_by(Conversation.last_message_at.desc(),
                                       Conversation.id.desc()))
                  for archived in (False, True)}
_PATIENT_COUNTED = {archived: select(Conversation.id).where(*_MINE[archived])
                    for archived in (False, True)}


def patient_inbox(patient_id, page=1, archived=False, reader=PATIENT):
    """A Page of rows of the patient's conversations `reader` may see (id, subject, status,
    last_message_at, unread_for_patient, topic_label), newest first (a count and one
    query)."""
    archived, params = bool(archived), {"patient_id": patient_id}
    return page_of(reader.narrow_conversations(_PATIENT_INBOX[archived]), page, PAGE_SIZE,
                   columns=True, params=params,
                   total=count_of(reader.narrow_conversations(_PATIENT_COUNTED[archived]), params))


def patient_sent(patient_id, page=1, reader=PATIENT):
    """A Page of (message, conversation): what was sent from the patient's side, in the
    conversations `reader` may see, newest first (a count and one query, and one for the
    attachments)."""
    return page_of(select(Message, Conversation)
                   .join(Conversation, Conversation.id == Message.conversation_id)
                   .where(Conversation.patient_id == patient_id, Message.patient_account_id.is_not(None),
                          *reader.conversation_conditions())
                   .order_by(Message.id.desc()), page, PAGE_SIZE)


def unread_count(patient_id, reader=PATIENT):
    """How many of the patient's conversations `reader` may see have a reply not yet opened
    (the navigation's count for a chart other than the account's own)."""
    return db.session.scalar(select(func.count()).select_from(Conversation).where(
        Conversation.patient_id == patient_id, Conversation.unread_for_patient,
        *reader.conversation_conditions()))


# The navigation's "Messages (N)": the patient's conversations with a reply not yet opened, a
# fact of the session check's statement (web/login.py), so no page queries it on its own.
UNREAD_OF_ACCOUNT = select(func.count()).select_from(Conversation).where(
    Conversation.patient_id == PatientAccount.patient_id, Conversation.unread_for_patient,
).scalar_subquery().label("unread_messages")


def patient_conversation(patient_id, conversation_id, reader=PATIENT):
    """The patient's own conversation, if `reader` may see it, else None (the caller answers
    404)."""
    conversation = staff_conversation(conversation_id)  # any conversation; then, theirs only
    if conversation is None or conversation.patient_id != patient_id:
        return None
    if reader.narrowed and db.session.scalar(select(Conversation.id).where(
            Conversation.id == conversation.id, *reader.conversation_conditions())) is None:
        return None
    return conversation


# --- The staff side -------------------------------------------------------------------------

def staff_conversation(conversation_id, staff=None):
    """A conversation for staff, else None. With `staff`, raises permissions.Refused for one
    outside what their role may read (every pool, or their own pool only)."""
    if not 0 < conversation_id <= LARGEST_ID:
        return None
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is not None and staff is not None:
        permissions.require_conversation(staff, conversation)
    return conversation


_STAFF_MEMBERS = select(StaffUser).where(StaffUser.active).order_by(StaffUser.name)


def staff_members():
    """Active staff who may be assigned a conversation, by name."""
    return db.session.scalars(_STAFF_MEMBERS).all()


@dataclass
class QueueFilter:
    """The staff inbox's filters, as the page's GET form gives them."""
    pool: str = ""        # "" for every pool
    status: str = "active"  # new, open, waiting, closed, or active (new and open)
    assigned: str = ""    # "", "me", "unassigned"


def readable_pools(staff):
    """The pools whose conversations `staff` may read: every one, or their role's own."""
    if permissions.allows(staff, "read_all_conversations"):
        return list(POOLS)
    return [pool for pool in (ROLE_POOLS.get(staff.role),) if pool]


def default_pool(staff):
    """The pool a staff member's inbox opens on: their role's, or every pool for admins."""
    return ROLE_POOLS.get(staff.role, "")


def _own_pool_of(staff):
    """The one pool a role that reads only its own pool is kept to; None for a role that
    reads every pool, or when no staff member is given."""
    if staff is None or permissions.allows(staff, "read_all_conversations"):
        return None
    return ROLE_POOLS.get(staff.role, "")


# What a row of the staff inbox shows: columns, not whole rows of four tables (reading them
# into objects was a fifth of the page's time).
QUEUE_COLUMNS = (
    Conversation.id, Conversation.subject, Conversation.pool, Conversation.status,
    Conversation.waiting_since, Conversation.last_message_at, MessageTopic.label.label("topic"),
    MessageTopic.reply_business_days, Patient.last_name, Patient.first_name,
    Patient.account_number, StaffUser.name.label("assignee"))


def _queue_shape(staff, filters):
    """(the conditions the queue's statements have: their cache key; their parameters)"""
    own_pool, status = _own_pool_of(staff), filters.status  # own pool whatever the filter asks
    shape = (own_pool is not None,
             "active" if status == "active" else "one" if status in STATUSES else "",
             filters.pool in POOLS, filters.assigned if filters.assigned in ("me", "unassigned")
             else "")
    return shape, {"own_pool": own_pool, "status": status, "pool": filters.pool,
                   "staff_id": getattr(staff, "id", None)}


# Built once per shape of filter (building them cost more than running them in the inbox).
@functools.cache
def _queue_statements(own_pool, status, pool, assigned):
    conditions = [Conversation.pool == bindparam("own_pool")] if own_pool else []
    if status == "active":
        conditions.append(Conversation.status.in_(("new", "open")))
    elif status:
        conditions.append(Conversation.status == bindparam("status"))
    if pool:
        conditions.append(Conversation.pool == bindparam("pool"))
    if assigned == "me":
        conditions.append(Conversation.assigned_to_id == bindparam("staff_id"))
    elif assigned == "unassigned":
        conditions.append(Conversation.assigned_to_id.is_(None))
    count = select(func.count()).select_from(Conversation).where(*conditions)
    return count, {waiting: _queue_rows(conditions, waiting) for waiting in (True, False)}


def _queue_rows(conditions, waiting):
    order = ((Conversation.waiting_since, Conversation.id) if waiting
             else (Conversation.last_message_at.desc(), Conversation.id.desc()))
    # The page's conversations are chosen on their own table first, and only those 25 joined
    # to their patients: joined first, every matching row is joined, then sorted (8x slower).
    shown = (select(Conversation.id).where(*conditions).order_by(*order)
             .limit(PAGE_SIZE).offset(bindparam("offset")).subquery())
    return (select(*QUEUE_COLUMNS)
            .join(shown, shown.c.id == Conversation.id)
            .join(MessageTopic, MessageTopic.id == Conversation.topic_id)
            .join(Patient, Patient.id == Conversation.patient_id)
            .outerjoin(StaffUser, StaffUser.id == Conversation.assigned_to_id)
            .order_by(*order))


def staff_queue(staff, filters, page=1):
    """A Page of rows of QUEUE_COLUMNS: the waiting ones oldest first, the rest newest first.
    A count and one query, whatever the page size. A role that may not read every
    conversation sees its own pool's only, whatever the filter asks."""
    shape, values = _queue_shape(staff, filters)
    count, rows_of = _queue_statements(*shape)
    page = max(1, page or 1)
    total = database.read(count, values).scalar()
    if (page - 1) * PAGE_SIZE >= total:  # the clamp paging.page_of keeps: no OFFSET past the end
        return Page([], page, PAGE_SIZE, total)
    waiting = filters.status in ("active", "new", "open")
    rows = database.read(rows_of[waiting], {**values, "offset": (page - 1) * PAGE_SIZE})
    return Page(rows.all(), page, PAGE_SIZE, total)


@functools.cache
def _queue_counts_statement(own_pool):
    return (select(Conversation.pool, Conversation.status, func.count())
            # in, not !=: reads the index
            .where(Conversation.status.in_(OPEN_STATUSES),
                   *((Conversation.pool == bindparam("own_pool"),) if own_pool else ()))
            .group_by(Conversation.pool, Conversation.status))


def queue_counts(staff=None):
    """{(pool, status): count} of every conversation not closed (one query); with `staff`
    whose role reads only its own pool, that pool's only."""
    pool = _own_pool_of(staff)
    rows = database.read(_queue_counts_statement(pool is not None), {"own_pool": pool})
    return {(pool, status): count for pool, status, count in rows}


def record_queue_viewed(origin, filters, page):
    """Put a page of the shared inbox on the audit trail: the filters and the conversation ids
    it showed (never names or subjects)."""
    shown = ", ".join(str(row.id) for row in page.items) or "none"
    audit.record_read("message.queue_viewed", origin, object_type="conversation",
                      detail=f"pool: {filters.pool or 'all'}; status: {filters.status}; "
                             f"assigned: {filters.assigned or 'anyone'}; page: {page.page}; "
                             f"shown: {shown}")


# --- The chart ------------------------------------------------------------------------------

# The chart runs these on every view, and building a statement costs more than running it,
# so each is built once, with the chart (and the pool) as parameters.
@functools.cache
def _chart_conversations_statement(limit, own_pool):
    conditions = (Conversation.pool == bindparam("pool"),) if own_pool else ()
    return (select(Conversation).where(Conversation.patient_id == bindparam("patient_id"),
                                       *conditions)
            .order_by(Conversation.last_message_at.desc()).limit(limit))


def chart_conversations(patient_id, limit=10, staff=None):
    """The chart's latest conversations, newest first; with `staff` whose role reads only its
    own pool, that pool's only (the chart never links to one they may not open)."""
    pool = _own_pool_of(staff)
    return db.session.scalars(_chart_conversations_statement(limit, pool is not None),
                              {"patient_id": patient_id, "pool": pool}).all()


_UNDELIVERED = (select(OutboxEmail).where(
    OutboxEmail.patient_id == bindparam("patient_id"), OutboxEmail.sent_at.is_(None),
    or_(OutboxEmail.gave_up_at.is_not(None), and_(OutboxEmail.attempts > 0,
                                                  OutboxEmail.last_error != "")))
    .order_by(OutboxEmail.created_at.desc()))


def undelivered_notices(patient_id):
    """Emails about this chart the outbox could not deliver (gave up, or failing now)."""
    return db.session.scalars(_UNDELIVERED, {"patient_id": patient_id}).all()


# What went wrong with an email, for the chart, by the exception the mail worker recorded.
DELIVERY_PROBLEMS = (
    (("SMTPRecipientsRefused",),
     _l("The patient's email server refused the address. It may be mistyped or no longer in "
        "use: check it with the patient.")),
    (("SMTPAuthenticationError", "SMTPSenderRefused", "SMTPNotSupportedError", "SMTPHeloError"),
     _l("The practice's mail server refused to send it. The practice admin should check the "
        "mail settings.")),
    (("SMTPConnectError", "SMTPServerDisconnected", "ConnectionRefusedError", "TimeoutError",
      "gaierror", "SSLError", "SSLCertVerificationError", "OSError"),
     _l("The practice's mail server could not be reached.")),
    (("SMTPDataError", "SMTPResponseException"),
     _l("The receiving mail server turned the email away.")),
)


def delivery_problem(email):
    """Why an outbox email was not delivered, in words staff can act on (never its text)."""
    kind = (email.last_error or "").split(":", 1)[0].strip()
    for kinds, words in DELIVERY_PROBLEMS:
        if kind in kinds:
            return words
    return _l("The email could not be sent.")
