"""Notices the patient chose (issue 21): an email, per kind, only when the account's setting
for that kind is on, and never with health information in it.

Kinds and their settings (PatientAccount):
- notify_results: a record entry released (a result, a document, a visit summary... every
  category but appointments). The first release of a quiet spell is told at once; what is
  released in the hour after a notice waits, and goes in one more notice at that hour's end.
  So a panel of 12 results is one email, or two when it straddles the hour, never 12.
- notify_appointments: an appointment published (released) as scheduled, changed or
  cancelled, and a reminder the day before (practice time, from REMINDER_HOUR).
- notify_forms: a health form assigned, and the consent renewal reminder (consents/gate.py).
- notify_messages: a reply from the care team (messages/conversations.py).

Every notice is one template (email/portal_notice) and one subject, "Something new is in your
patient portal"; only a sentence naming the kind differs (never what: no test, no date, no
provider). Notices told at once join the caller's transaction (the outbox is transactional).
The gathered results notices and the reminders are the mail worker's jobs (services/worker.py);
each claims its work with a conditional write, so two workers never send the same notice.
"""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import AppointmentReminder, PatientAccount, RecordEntry
from ..models.types import utcnow
from . import clock
from .mail import send_email
from .tokens import external_url

SUBJECT = _l("Something new is in your patient portal")
GATHER = timedelta(hours=1)  # at most one results notice an hour, after the first
REMINDER_HOUR = 8  # day-before reminders go from 08:00 practice time, never in the night
SENTENCES = {
    "results": _l("Something new has been added to your health record."),
    "appointment_published": _l("An appointment was added to your portal."),
    "appointment_changed": _l("One of your appointments was changed."),
    "appointment_cancelled": _l("One of your appointments was cancelled."),
    "appointment_reminder": _l("A reminder about an upcoming appointment is waiting for you."),
    "form_assigned": _l("The practice has asked you to fill in a form."),
}
SETTINGS = {"results": "notify_results", "appointment": "notify_appointments",
            "form": "notify_forms"}


def _wanting(patient_id, setting):
    """The chart's active account with an address that chose this kind, else None."""
    return db.session.scalar(select(PatientAccount).where(
        PatientAccount.patient_id == patient_id, PatientAccount.status == "active",
        PatientAccount.email != "", getattr(PatientAccount, setting).is_(True)))


def _send(account, sentence_key):
    email = send_email(account.email, SUBJECT, "portal_notice",
                       sentence=SENTENCES[sentence_key], link=external_url("/sign-in"))
    email.patient_id = account.patient_id
    return email


def _tell_now(patient_id, kind, sentence_key):
    account = _wanting(patient_id, SETTINGS[kind])
    return _send(account, sentence_key) if account is not None else None


def entry_released(entry):
    """A record entry was released to the patient (entries.py calls this for every release,
    drafts and held results alike; nothing calls it for a draft or a hold). An appointment
    is told at once when it is scheduled; anything else waits for the results job."""
    if entry.category == "appointment":
        if (entry.facts or {}).get("state") == "scheduled":
            _tell_now(entry.patient_id, "appointment", "appointment_published")
        return
    # Only the first release since the last notice marks the account; later ones ride along.
    db.session.execute(update(PatientAccount).where(
        PatientAccount.patient_id == entry.patient_id, PatientAccount.notify_results.is_(True),
        PatientAccount.results_waiting_since.is_(None)).values(results_waiting_since=utcnow()))


def appointment_changed(entry, was_state):
    """A released appointment was edited by staff: told as cancelled when it has just become
    so, else as changed. Nothing is told of an appointment the patient cannot see."""
    if entry.status != "released":
        return None
    state = (entry.facts or {}).get("state")
    if state == "cancelled" and was_state != "cancelled":
        return _tell_now(entry.patient_id, "appointment", "appointment_cancelled")
    return _tell_now(entry.patient_id, "appointment", "appointment_changed")


def form_assigned(patient_id):
    """Staff asked the patient to fill in a health form."""
    return _tell_now(patient_id, "form", "form_assigned")


def setting_saved(account):
    """The notice settings were saved: results waiting for a notice the patient turned off
    are dropped, so nothing of them is sent if it is turned on again."""
    if not account.notify_results:
        account.results_waiting_since = None


# --- The mail worker's jobs -----------------------------------------------------------------

def _results_due(now):
    return (PatientAccount.results_waiting_since.is_not(None),
            PatientAccount.results_waiting_since <= now,
            or_(PatientAccount.results_noticed_at.is_(None),
                PatientAccount.results_noticed_at <= now - GATHER))


def send_results_notices(now=None, limit=100):
    """Queue one results notice for every account whose gathering is due, each in its own
    transaction. The claim is a conditional update (the due condition again), so a second
    worker updates nothing and sends nothing. Returns how many were queued."""
    now = now or utcnow()
    due_ids = db.session.scalars(select(PatientAccount.id).where(*_results_due(now))
                                 .order_by(PatientAccount.results_waiting_since)
                                 .limit(limit)).all()
    db.session.commit()
    sent = 0
    for account_id in due_ids:
        claimed = db.session.execute(
            update(PatientAccount).where(PatientAccount.id == account_id, *_results_due(now))
            .values(results_waiting_since=None, results_noticed_at=now)).rowcount
        account = db.session.get(PatientAccount, account_id) if claimed == 1 else None
        if account is not None and account.notify_results and account.status == "active" \
                and account.email:
            _send(account, "results")
            sent += 1
        db.session.commit()
    return sent


def send_appointment_reminders(now=None, limit=100):
    """Queue the day-before reminder of each scheduled appointment tomorrow (practice time),
    from REMINDER_HOUR, to accounts that chose appointment notices. The AppointmentReminder
    row (unique per appointment and day) is the claim: a rerun or a second worker cannot add
    it again. Returns how many were queued."""
    now = now or utcnow()
    local_now = clock.local(now)
    if local_now.hour < REMINDER_HOUR:
        return 0
    tomorrow = local_now.date() + timedelta(days=1)
    rows = db.session.execute(
        select(RecordEntry.id, RecordEntry.facts, PatientAccount.id)
        .join(PatientAccount, PatientAccount.patient_id == RecordEntry.patient_id)
        .outerjoin(AppointmentReminder, and_(AppointmentReminder.entry_id == RecordEntry.id,
                                             AppointmentReminder.day == tomorrow))
        .where(RecordEntry.category == "appointment", RecordEntry.status == "released",
               RecordEntry.recorded_on == tomorrow, AppointmentReminder.id.is_(None),
               PatientAccount.notify_appointments.is_(True), PatientAccount.status == "active",
               PatientAccount.email != "")
        .order_by(RecordEntry.id).limit(limit)).all()
    db.session.commit()
    sent = 0
    for entry_id, facts, account_id in rows:
        if (facts or {}).get("state") != "scheduled":
            continue
        sent += _remind(entry_id, tomorrow, account_id, now)
    return sent


def _remind(entry_id, day, account_id, now):
    """Claim and queue one reminder in one transaction; 0 when another worker has it."""
    try:
        db.session.add(AppointmentReminder(entry_id=entry_id, day=day, sent_at=now))
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return 0
    _send(db.session.get(PatientAccount, account_id), "appointment_reminder")
    db.session.commit()
    return 1
