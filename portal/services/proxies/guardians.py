"""A minor's parents and guardians, as staff record them, and the chart's list of them.

- A guardian is added to a minor's chart only (under 18 today in the practice's zone). An
  adult chooses their own representatives.
- Each guardian is separate, with an email of their own: two current guardians of one child
  never share one, since each will sign in to an account of their own.
- A guardian cannot be born after the child.
- A current "do not grant access" entry (blocks.py) refuses a guardian it names.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import ProxyGrant
from .. import audit, permissions
from ..consents.documents import is_adult
from ..errors import FieldError
from .blocks import blocking, current_blocks
from .changes import current_grant_with_email
from .ending import ends_on, lapsed


@dataclass(frozen=True)
class Guardian:
    """A parent or guardian as staff typed them (the form's fields, checked by the form)."""

    full_name: str
    relationship: str
    email: str
    date_of_birth: date
    document: str


@dataclass(frozen=True)
class GrantRow:
    """A grant as the chart shows it: `ends_on` is the first day without access (the 18th
    birthday, or the day after a court order's review date); `lapsed` when that day has come."""

    grant: ProxyGrant
    ends_on: date
    lapsed: bool


@dataclass(frozen=True)
class ChartAccess:
    """What the chart's "Family and access" section shows: every grant (current first, then
    ended, newest first within each) and the current "do not grant access" entries."""

    grants: list  # of GrantRow
    blocks: list


def chart_access(patient, today):
    """The chart's grants, each with its end, and current blocks (two statements)."""
    grants = db.session.scalars(
        select(ProxyGrant).where(ProxyGrant.patient_id == patient.id)
        .order_by((ProxyGrant.status == "ended"), ProxyGrant.added_at.desc(),
                  ProxyGrant.id.desc())).all()
    rows = [GrantRow(grant, ends_on(grant, patient), lapsed(grant, patient, today))
            for grant in grants]
    return ChartAccess(rows, current_blocks(patient.id))


def uses_email(patient_id, email):
    """Whether a parent or guardian of the chart, current or ended, uses `email`: the
    patient's own invitation never goes there (a teen's or a new adult's account is theirs
    alone)."""
    return db.session.scalar(select(ProxyGrant.id).where(
        ProxyGrant.patient_id == patient_id, ProxyGrant.email == (email or "").strip().lower())
        .limit(1)) is not None


def add_guardian(patient, guardian, staff, origin, today):
    """Record a parent or guardian on a minor's chart, not committed. Raises FieldError (on
    the field it is about) when a rule refuses it, and permissions.Refused for a role that
    may not."""
    permissions.require(staff, "proxies")
    if is_adult(patient, today):
        raise FieldError(_("%(name)s is 18 or over: an adult patient chooses their own "
                           "representatives.", name=patient.full_name))
    if guardian.date_of_birth > today:
        raise FieldError(_("The date of birth cannot be in the future."), "date_of_birth")
    if guardian.date_of_birth >= patient.date_of_birth:
        raise FieldError(_("Check the date of birth: a parent or guardian is born before the "
                           "child."), "date_of_birth")
    email = guardian.email.lower()
    block = blocking(patient.id, guardian.full_name, email)
    if block is not None:
        raise FieldError(_("This chart says not to grant access to %(name)s (%(basis)s).",
                           name=block.full_name, basis=block.basis))
    taken = current_grant_with_email(patient.id, email)
    if taken is not None:
        raise FieldError(_("%(name)s already uses this email address. Each parent or "
                           "guardian needs their own, to sign in to an account of "
                           "their own.", name=taken.full_name), "email")
    grant = ProxyGrant(patient_id=patient.id, kind="guardian", full_name=guardian.full_name,
                       relationship=guardian.relationship, email=email,
                       date_of_birth=guardian.date_of_birth, document=guardian.document,
                       added_by_id=staff.id)
    db.session.add(grant)
    db.session.flush()
    audit.record("proxy.guardian_added", origin, patient_id=patient.id, object_type="proxy_grant",
                 object_id=grant.id, detail=f"{guardian.relationship}, {guardian.document}")
    return grant
