"""The consent gate and renewal: which consents a patient still owes, which signatures still
count, and the reminder before one ends.

A signature counts until it expires (validity in months; 0 never expires), whichever version
it was.
"""

import calendar
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import Document, DocumentVersion, Patient, PatientAccount, Signature
from ...models.types import utcnow
from .. import clock
from . import documents

RENEWAL_NOTICE_DAYS = 30


def add_months(moment, months):
    """The same day `months` later (the month's last day when it is shorter)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expiry_for(version, signed_at):
    """When a signature of this version stops counting, or None when it never does."""
    return add_months(signed_at, version.validity_months) if version.validity_months else None


def is_current(now):
    """The condition on Signature: it still counts at `now` (no end, or an end still ahead)."""
    return or_(Signature.expires_at.is_(None), Signature.expires_at > now)


_later = aliased(Signature)
# Built once: an aliased subquery costs more to build than the query costs to run.
_SIGNED_AGAIN = exists().where(_later.patient_id == Signature.patient_id,
                               _later.document_id == Signature.document_id,
                               _later.signed_at > Signature.signed_at)


def signed_again():
    """The condition on Signature: the same patient signed the same document later."""
    return _SIGNED_AGAIN


def current_of(signatures, now):
    """{document id: the latest current consent signature} (is_current's rule), from
    (signature, version) rows already read newest first (reports.signatures_of)."""
    current = {}
    for signature, _version in signatures:
        if signature.kind == "consent" and signature.document_id not in current and (
                signature.expires_at is None or signature.expires_at > now):  # is_current
            current[signature.document_id] = signature
    return current


def renewal_of(signatures, now):
    """(signature, document title) of a consent to renew within 30 days, as renewal_due finds
    it, from (signature, version) rows already read newest first (reports.signatures_of)."""
    horizon = now + timedelta(days=RENEWAL_NOTICE_DAYS)
    newest = {}
    for signature, _version in signatures:
        newest.setdefault(signature.document_id, signature.signed_at)
    due = [(signature, version.title) for signature, version in signatures
           if signature.kind == "consent" and signature.expires_at is not None
           and now < signature.expires_at <= horizon
           and signature.signed_at >= newest[signature.document_id]]  # not signed again
    return min(due, key=lambda pair: pair[0].expires_at, default=None)


def in_renewal_window(signature, now):
    """A current consent signature that ends within 30 days: the patient may sign it again."""
    return (signature.expires_at is not None
            and signature.expires_at <= now + timedelta(days=RENEWAL_NOTICE_DAYS))


def may_sign_consent(patient_id, document_id, now=None):
    """(may sign, the latest current signature or None): a consent may be signed when the
    patient holds no current signature of it, or only one in its renewal window. Signing a
    consent that is current would only make a second copy of the same promise."""
    now = now or utcnow()
    current = db.session.scalar(
        select(Signature).where(Signature.patient_id == patient_id,
                                Signature.document_id == document_id, is_current(now))
        .order_by(Signature.signed_at.desc(), Signature.id.desc()).limit(1))
    return current is None or in_renewal_window(current, now), current


# The gate runs on every patient page: its statement is built once, with the patient and the
# moment as parameters.
_CONSENTS_OWED = (
    select(Document, DocumentVersion)
    .join(DocumentVersion, DocumentVersion.id == Document.current_version_id)
    .where(Document.kind == "consent", Document.retired_at.is_(None),
           DocumentVersion.required.is_(True),
           ~exists().where(Signature.patient_id == bindparam("patient_id"),
                           Signature.document_id == Document.id, is_current(bindparam("now"))))
    .order_by(Document.is_portal_consent.desc(), Document.id))


# Whether the signed-in patient may owe a required consent, as a fact of the session check's
# statement (web/login.py): one EXISTS on every patient page instead of a query of its own.
# Only when it is true does consent_due run its query (who may sign is a rule in Python).
MAY_OWE_CONSENT = exists(
    select(Document.id)
    .join(DocumentVersion, DocumentVersion.id == Document.current_version_id)
    .where(Document.kind == "consent", Document.retired_at.is_(None),
           DocumentVersion.required.is_(True),
           ~exists().where(Signature.patient_id == PatientAccount.patient_id,
                           Signature.document_id == Document.id, is_current(bindparam("now")))
           .correlate(Document, PatientAccount))  # the outer statement's account
).label("may_owe_consent")


def consent_due(patient, now=None):
    """The first required consent the patient must sign themselves now, as (document,
    version), else None: what the gate sends them to. One query."""
    now = now or utcnow()
    rows = db.session.execute(_CONSENTS_OWED, {"patient_id": patient.id, "now": now}).all()
    today = clock.today(now)
    for document, version in rows:
        if documents.patient_may_sign(version, patient, today):
            return document, version
    return None


# Consent signatures ending within 30 days (between :now and :horizon) that no newer
# signature replaced.
_RENEWAL_DUE_WHERE = (Signature.kind == "consent", Signature.expires_at > bindparam("now"),
                      Signature.expires_at <= bindparam("horizon"), ~_SIGNED_AGAIN)
_RENEWAL_DUE = (
    select(Signature, DocumentVersion.title)
    .join(DocumentVersion, DocumentVersion.id == Signature.version_id)
    .where(Signature.patient_id == bindparam("patient_id"), *_RENEWAL_DUE_WHERE)
    .order_by(Signature.expires_at).limit(1))


def _renewal_window(now):
    return {"now": now, "horizon": now + timedelta(days=RENEWAL_NOTICE_DAYS)}


def renewal_due(patient_id, now=None):
    """(signature, document title) of a consent to renew within 30 days, else None."""
    window = _renewal_window(now or utcnow())
    return db.session.execute(_RENEWAL_DUE, {"patient_id": patient_id, **window}).first()


def send_renewal_reminders(now=None, limit=100):
    """Email one reminder per consent ending within 30 days (no health information).

    One transaction per reminder, as the mail worker's other jobs: a reminder is marked sent
    with its email queued in the same commit. Returns how many were queued.
    """
    from ..mail import send_email
    from ..tokens import external_url

    now = now or utcnow()
    due_ids = db.session.scalars(
        select(Signature.id).where(Signature.reminder_sent_at.is_(None), *_RENEWAL_DUE_WHERE)
        .order_by(Signature.expires_at).limit(limit), _renewal_window(now)).all()
    db.session.commit()
    sent = 0
    for signature_id in due_ids:
        signature = db.session.get(Signature, signature_id, with_for_update=True)
        if signature is None or signature.reminder_sent_at is not None:
            db.session.rollback()
            continue
        signature.reminder_sent_at = now
        account = db.session.scalar(select(PatientAccount).where(
            PatientAccount.patient_id == signature.patient_id, PatientAccount.status == "active",
            PatientAccount.notify_forms.is_(True)))  # the patient's setting (issue 21)
        if account is not None and account.email:
            patient = db.session.get(Patient, signature.patient_id)
            zone = ZoneInfo(signature.time_zone)
            send_email(account.email, _l("Please renew your patient portal consent"),
                       "consent_renewal", name=patient.preferred_name or patient.first_name,
                       ends_on=signature.expires_at.astimezone(zone).strftime("%B %-d, %Y"),
                       link=external_url("/sign-in"))
            sent += 1
        db.session.commit()
    return sent
