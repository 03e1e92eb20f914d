"""What the mail worker tells about proxies' access ending, 30 days before, once each:

- a guardian, before their access ends at the patient's 18th birthday (the email never names
  the patient: a guardian of three learns which record in the portal, where they sign in);
- a patient, before a representative's access ends on the day the patient chose (to invite
  them again if they wish).

Nothing clinical in either."""

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models import Patient, PatientAccount, ProxyGrant
from ...models.types import utcnow
from .. import clock
from ..mail import send_email
from ..tokens import external_url
from .ending import ends_on

NOTICE_DAYS = 30


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return date(day.year - years, 2, 28)


def send_ending_notices(today=None):
    """Email each signed-up guardian whose access ends at 18 within 30 days, once. Grants
    under a court order are left out (they end at a review date staff set). Returns how many
    were queued; the caller's worker commits each round."""
    today = today or clock.today()
    # Children who turn 18 in the next 30 days (a day's margin either side for 29 February;
    # ends_on decides exactly).
    born_after = _years_before(today, 18) - timedelta(days=1)
    born_by = _years_before(today + timedelta(days=NOTICE_DAYS), 18) + timedelta(days=1)
    rows = db.session.execute(
        select(ProxyGrant, Patient, PatientAccount)
        .join(Patient, Patient.id == ProxyGrant.patient_id)
        .join(PatientAccount, PatientAccount.id == ProxyGrant.account_id)
        .where(ProxyGrant.status == "active", ProxyGrant.continues_under == "",
               ProxyGrant.ending_notice_sent_at.is_(None), PatientAccount.status == "active",
               Patient.date_of_birth > born_after, Patient.date_of_birth <= born_by)).all()
    sent = 0
    for grant, patient, account in rows:
        ends = ends_on(grant, patient)
        if not today < ends <= today + timedelta(days=NOTICE_DAYS):
            continue
        grant.ending_notice_sent_at = utcnow()
        send_email(account.email, _l("Your access to a record in the patient portal ends soon"),
                   "guardian_access_ending", name=account.name,
                   ends_on=ends.strftime("%B %-d, %Y"), link=external_url("/sign-in"))
        sent += 1
    db.session.commit()
    return sent + _representatives_ending(today)


def _representatives_ending(today):
    """Email each patient whose representative's access ends within 30 days, once."""
    rows = db.session.execute(
        select(ProxyGrant, PatientAccount)
        .join(PatientAccount, PatientAccount.patient_id == ProxyGrant.patient_id)
        .where(ProxyGrant.kind == "representative", ProxyGrant.status == "active",
               ProxyGrant.ending_notice_sent_at.is_(None), PatientAccount.status == "active",
               ProxyGrant.access_ends_on >= today,
               ProxyGrant.access_ends_on < today + timedelta(days=NOTICE_DAYS))).all()
    for grant, account in rows:
        grant.ending_notice_sent_at = utcnow()
        send_email(account.email, _l("An authorization you gave in the patient portal ends soon"),
                   "representative_access_ending", name=account.name,
                   ends_on=grant.access_ends_on.strftime("%B %-d, %Y"),
                   link=external_url("/sign-in"))
    db.session.commit()
    return len(rows)
