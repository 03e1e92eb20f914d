"""Whose record a signed-in account may open: its own chart, and the charts its current
grants reach. The patient guard (web/guards.py) asks on every request, so a grant ended,
paused or past its end stops at the account's next page, whatever a job has or has not done.

- A grant reaches its chart while it is active (the guardian signed up), not paused, and its
  end (ending.ends_on: the 18th birthday, or a court order's review date) has not come.
- The account's own chart comes first, then the others by first name.
"""

from dataclasses import dataclass

from sqlalchemy import exists, select

from ...extensions import db
from ...models import AuditEvent, Patient, PatientAccount, ProxyGrant
from .. import audit
from .ending import lapsed

# Read with the session (web/login.py ACCOUNT_FACTS): whether the account acts for anyone,
# so an account that acts only for itself pays nothing more on each page.
ACTS_FOR_OTHERS = exists(select(ProxyGrant.id).where(
    ProxyGrant.account_id == PatientAccount.id, ProxyGrant.status == "active",
).correlate(PatientAccount)).label("acts_for_others")


@dataclass(frozen=True)
class Chart:
    """One chart the account may open: `grant` is None for the account's own."""

    patient: Patient
    grant: ProxyGrant | None = None

    @property
    def own(self):
        return self.grant is None


def charts_for(account, today, acts_for_others=True):
    """The charts `account` may open today, its own first (one statement when it acts for
    others, none otherwise)."""
    charts = [Chart(account.patient)] if account.patient_id is not None else []
    if not acts_for_others:
        return charts
    rows = db.session.execute(
        select(ProxyGrant, Patient).join(Patient, Patient.id == ProxyGrant.patient_id)
        .where(ProxyGrant.account_id == account.id, ProxyGrant.status == "active",
               ProxyGrant.suspended_at.is_(None))
        .order_by(Patient.first_name, Patient.id)).all()
    return charts + [Chart(patient, grant) for grant, patient in rows
                     if not lapsed(grant, patient, today)]


def chosen(charts, patient_id):
    """The chart with `patient_id` among `charts`, else the first (None when there is none)."""
    for chart in charts:
        if chart.patient.id == patient_id:
            return chart
    return charts[0] if charts else None


def switch(charts, patient_id, origin):
    """The chart `patient_id` among `charts`, for the switcher, put on the audit trail as
    opened by this account (not committed); None when it is not one of them."""
    chart = next((chart for chart in charts if chart.patient.id == patient_id), None)
    if chart is not None:
        audit.record("proxy.chart_chosen", origin, patient_id=chart.patient.id,
                     object_type="proxy_grant" if chart.grant else "",
                     object_id=chart.grant.id if chart.grant else "")
    return chart


ACTIONS_SHOWN = 25


def actions_of(grant, limit=ACTIONS_SHOWN):
    """What the grant's account did on its chart, newest first, from the audit trail (staff
    read it on the grant's page): at most `limit` rows, none before it signed up."""
    if grant.account_id is None:
        return []
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.actor_kind == "patient",
                                 AuditEvent.actor_id == grant.account_id,
                                 AuditEvent.patient_id == grant.patient_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)).all()
