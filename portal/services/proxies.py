"""Proxy access (issue 22), its first part: the parents and guardians staff record on a minor's
chart, and the chart's "do not grant access to NAME" entries.

The rules, stated once:
- A guardian is added to a minor's chart only (under 18 today in the practice's zone). An
  adult chooses their own representatives.
- Each guardian is separate, with an email of their own: two current guardians of one child
  never share one, since each will sign in to an account of their own.
- A guardian cannot be born after the child.
- A current "do not grant access" entry refuses a guardian with its name (letter case and
  spacing aside) or its email. Recording one ends the current grants it names, at once.
- A current grant may be suspended, with a reason, and reinstated. For a patient aged 12 to
  17 a guardian's scope may be limited, with a reason (what "limited" reaches: models'
  SCOPES), and made full again.
- Every change is on the audit trail, about the patient; the detail holds the kind of
  relationship or reason chosen from a list, never a name, an email or typed words.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import AccessBlock, ProxyGrant
from ..models.proxies import END_REASONS
from ..models.types import utcnow
from . import audit, permissions
from .access import LARGEST_ID
from .consents.documents import is_adult
from .errors import FieldError
from .patients import age_on

# The ages at which a guardian's scope may be limited (issue 22: a patient aged 12 to 17).
LIMITED_SCOPE_AGES = range(12, 18)


@dataclass(frozen=True)
class Guardian:
    """A parent or guardian as staff typed them (the form's fields, checked by the form)."""

    full_name: str
    relationship: str
    email: str
    date_of_birth: date
    document: str


@dataclass(frozen=True)
class ChartAccess:
    """What the chart's "Family and access" section shows: every grant (current first, then
    ended, newest first within each) and the current "do not grant access" entries."""

    grants: list
    blocks: list


def same_name(one, other):
    """Whether two typed names are the same person's name, letter case and spacing aside."""
    return " ".join(one.casefold().split()) == " ".join(other.casefold().split())


def chart_access(patient_id):
    """The chart's grants and current blocks (two statements)."""
    grants = db.session.scalars(
        select(ProxyGrant).where(ProxyGrant.patient_id == patient_id)
        .order_by((ProxyGrant.status == "ended"), ProxyGrant.added_at.desc(),
                  ProxyGrant.id.desc())).all()
    return ChartAccess(grants, _current_blocks(patient_id))


def grant_of(patient_id, grant_id):
    """The grant `grant_id` of this chart, or None (no such grant, or another chart's)."""
    grant = db.session.get(ProxyGrant, grant_id) if 0 < grant_id <= LARGEST_ID else None
    return grant if grant is not None and grant.patient_id == patient_id else None


def block_of(patient_id, block_id):
    """The "do not grant access" entry `block_id` of this chart, or None."""
    block = db.session.get(AccessBlock, block_id) if 0 < block_id <= LARGEST_ID else None
    return block if block is not None and block.patient_id == patient_id else None


def _current_blocks(patient_id):
    return db.session.scalars(
        select(AccessBlock).where(AccessBlock.patient_id == patient_id,
                                  AccessBlock.lifted_at.is_(None))
        .order_by(AccessBlock.added_at.desc(), AccessBlock.id.desc())).all()


def _current_grants(patient_id):
    return db.session.scalars(
        select(ProxyGrant).where(ProxyGrant.patient_id == patient_id,
                                 ProxyGrant.status != "ended")).all()


def blocking(patient_id, full_name, email):
    """The current "do not grant access" entry that names this person, or None."""
    email = email.lower()
    for block in _current_blocks(patient_id):
        if same_name(block.full_name, full_name) or (block.email and block.email == email):
            return block
    return None


def may_manage(staff):
    """Whether this staff member may add and end guardians and record blocks."""
    return permissions.allows(staff, "proxies")


def add_guardian(patient, guardian, staff, origin, today):
    """Record a parent or guardian on a minor's chart, not committed. Raises FieldError (on
    the field it is about) when a rule refuses it, and permissions.Refused for a role that
    may not."""
    permissions.require(staff, "proxies")
    if is_adult(patient, today):
        raise FieldError(_("%(name)s is 18 or over: an adult patient chooses their own "
                           "representatives.", name=patient.full_name))
    if guardian.date_of_birth >= patient.date_of_birth:
        raise FieldError(_("Check the date of birth: a parent or guardian is born before the "
                           "child."), "date_of_birth")
    if guardian.date_of_birth > today:
        raise FieldError(_("The date of birth cannot be in the future."), "date_of_birth")
    email = guardian.email.lower()
    block = blocking(patient.id, guardian.full_name, email)
    if block is not None:
        raise FieldError(_("This chart says not to grant access to %(name)s (%(basis)s).",
                           name=block.full_name, basis=block.basis))
    for grant in _current_grants(patient.id):
        if grant.email == email:
            raise FieldError(_("%(name)s already uses this email address. Each parent or "
                               "guardian needs their own, to sign in to an account of "
                               "their own.", name=grant.full_name), "email")
    grant = ProxyGrant(patient_id=patient.id, kind="guardian", full_name=guardian.full_name,
                       relationship=guardian.relationship, email=email,
                       date_of_birth=guardian.date_of_birth, document=guardian.document,
                       added_by_id=staff.id)
    db.session.add(grant)
    db.session.flush()
    audit.record("proxy.guardian_added", origin, patient_id=patient.id, object_type="proxy_grant",
                 object_id=grant.id, detail=f"{guardian.relationship}, {guardian.document}")
    return grant


def end_grant(grant, reason, staff, origin):
    """End a current grant for `reason` (a key of END_REASONS), not committed. Ending one
    already ended changes nothing and returns False."""
    permissions.require(staff, "proxies")
    if reason not in END_REASONS:
        raise FieldError(_("Choose why the access ends."), "reason")
    if grant.status == "ended":
        return False
    grant.status, grant.ended_at, grant.ended_by_id, grant.end_reason = \
        "ended", utcnow(), staff.id, reason
    audit.record("proxy.grant_ended", origin, patient_id=grant.patient_id,
                 object_type="proxy_grant", object_id=grant.id, detail=reason)
    return True


def _current(grant):
    if grant.status == "ended":
        raise FieldError(_("%(name)s's access has ended.", name=grant.full_name))


def _reason(reason, what):
    reason = (reason or "").strip()
    if not reason:
        raise FieldError(_("Give the reason %(what)s.", what=what), "reason")
    return reason[:300]


def suspend_grant(grant, reason, staff, origin):
    """Pause a current grant for `reason` (staff's words, shown on the chart), not committed."""
    permissions.require(staff, "proxies")
    _current(grant)
    if grant.suspended_at is not None:
        return False
    grant.suspended_at, grant.suspended_reason = utcnow(), _reason(reason, _("for the pause"))
    audit.record("proxy.grant_suspended", origin, patient_id=grant.patient_id,
                 object_type="proxy_grant", object_id=grant.id)
    return True


def reinstate_grant(grant, staff, origin):
    """End the pause of a suspended grant, not committed."""
    permissions.require(staff, "proxies")
    _current(grant)
    if grant.suspended_at is None:
        return False
    grant.suspended_at, grant.suspended_reason = None, ""
    audit.record("proxy.grant_reinstated", origin, patient_id=grant.patient_id,
                 object_type="proxy_grant", object_id=grant.id)
    return True


def may_limit(patient, today):
    """Whether a guardian's scope may be limited on this chart: the patient is 12 to 17."""
    return age_on(patient.date_of_birth, today) in LIMITED_SCOPE_AGES


def set_scope(grant, patient, scope, reason, staff, origin, today):
    """Make a current grant's scope "limited" (with `reason`) or "full" again, not committed.
    Returns whether it changed."""
    permissions.require(staff, "proxies")
    _current(grant)
    if scope == grant.scope:
        return False
    if scope == "limited":
        if not may_limit(patient, today):
            raise FieldError(_("A guardian's access can be limited for a patient aged 12 to "
                               "17."))
        grant.scope_reason = _reason(reason, _("for limiting the access"))
    elif scope == "full":
        grant.scope_reason = ""
    else:
        raise FieldError(_("Choose full or limited access."), "scope")
    grant.scope = scope
    audit.record("proxy.grant_scope_changed", origin, patient_id=grant.patient_id,
                 object_type="proxy_grant", object_id=grant.id, detail=scope)
    return True


def add_block(patient, full_name, email, basis, staff, origin):
    """Record "do not grant access to NAME" on the chart, not committed, and end at once the
    current grants it names. Returns (block, the grants it ended)."""
    permissions.require(staff, "proxies")
    block = AccessBlock(patient_id=patient.id, full_name=full_name, email=email.lower(),
                        basis=basis, added_by_id=staff.id)
    db.session.add(block)
    db.session.flush()
    audit.record("proxy.block_added", origin, patient_id=patient.id, object_type="access_block",
                 object_id=block.id)
    ended = [grant for grant in _current_grants(patient.id)
             if same_name(grant.full_name, full_name) or (block.email and grant.email == block.email)]
    for grant in ended:
        end_grant(grant, "blocked", staff, origin)
    return block, ended


def lift_block(block, staff, origin):
    """Lift a "do not grant access" entry (the order ended), not committed. Lifting one
    already lifted changes nothing and returns False."""
    permissions.require(staff, "proxies")
    if block.lifted_at is not None:
        return False
    block.lifted_at, block.lifted_by_id = utcnow(), staff.id
    audit.record("proxy.block_lifted", origin, patient_id=block.patient_id,
                 object_type="access_block", object_id=block.id)
    return True
