"""Changes to a grant that is current: end it, pause and reinstate it, limit its scope, and
continue it past 18 under a court order. Each is audited, about the patient; the detail holds
a choice from a list, never a name, an email or staff's own words."""

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import ProxyGrant
from ...models.proxies import COURT_ORDERS, END_REASONS
from ...models.types import utcnow
from .. import audit, permissions
from ..access import chart_row
from ..errors import FieldError
from .ending import may_limit


def may_manage(staff):
    """Whether this staff member may add, pause, limit and end guardians and record blocks."""
    return permissions.allows(staff, "proxies")


def grant_of(patient_id, grant_id):
    """The grant `grant_id` of this chart, or None (no such grant, or another chart's)."""
    return chart_row(ProxyGrant, patient_id, grant_id)


def current_grants(patient_id):
    """The chart's grants not ended (paused and past-18 ones included: they may come back)."""
    return db.session.scalars(
        select(ProxyGrant).where(ProxyGrant.patient_id == patient_id,
                                 ProxyGrant.status != "ended")).all()


def current_grant_with_email(patient_id, email):
    """The chart's current grant whose person uses `email` (each person needs their own), or
    None."""
    return db.session.scalar(select(ProxyGrant).where(
        ProxyGrant.patient_id == patient_id, ProxyGrant.status != "ended",
        ProxyGrant.email == (email or "").strip().lower()).limit(1))


def _still_current(grant):
    if grant.status == "ended":
        raise FieldError(_("%(name)s's access has ended.", name=grant.full_name))


def _a_guardian(grant):
    """A limit or a court order is about a guardian; a representative's access is what the
    patient chose."""
    _still_current(grant)
    if grant.kind != "guardian":
        raise FieldError(_("%(name)s is a representative the patient chose: what they may do "
                           "and until when is the patient's choice.", name=grant.full_name))


def _given(reason, missing):
    """Staff's reason, trimmed; FieldError(`missing`) on the reason field when there is none."""
    reason = (reason or "").strip()
    if not reason:
        raise FieldError(missing, "reason")
    return reason[:300]


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


def suspend_grant(grant, reason, staff, origin):
    """Pause a current grant for `reason` (staff's words, shown on the chart), not committed."""
    permissions.require(staff, "proxies")
    _still_current(grant)
    if grant.suspended_at is not None:
        return False
    reason = _given(reason, _("Give the reason for the pause."))
    grant.suspended_at, grant.suspended_reason = utcnow(), reason
    audit.record("proxy.grant_suspended", origin, patient_id=grant.patient_id,
                 object_type="proxy_grant", object_id=grant.id)
    return True


def reinstate_grant(grant, staff, origin):
    """End the pause of a suspended grant, not committed."""
    permissions.require(staff, "proxies")
    _still_current(grant)
    if grant.suspended_at is None:
        return False
    grant.suspended_at, grant.suspended_reason = None, ""
    audit.record("proxy.grant_reinstated", origin, patient_id=grant.patient_id,
                 object_type="proxy_grant", object_id=grant.id)
    return True


def set_scope(grant, patient, scope, reason, staff, origin, today):
    """Make a current grant's scope "limited" (with `reason`) or "full" again, not committed.
    Returns whether it changed."""
    permissions.require(staff, "proxies")
    _a_guardian(grant)
    if scope == grant.scope:
        return False
    if scope == "limited":
        if not may_limit(patient, today):
            raise FieldError(_("A guardian's access can be limited for a patient aged 12 to "
                               "17."))
        grant.scope_reason = _given(reason, _("Give the reason for limiting the access."))
    elif scope == "full":
        grant.scope_reason = ""
    else:
        raise FieldError(_("Choose full or limited access."), "scope")
    grant.scope = scope
    audit.record("proxy.grant_scope_changed", origin, patient_id=grant.patient_id,
                 object_type="proxy_grant", object_id=grant.id, detail=scope)
    return True


def continue_past_18(grant, patient, order, review_on, staff, origin, today):
    """Record the court order under which a guardian's access continues past the patient's
    18th birthday, through `review_on` (a later date), not committed. `order` "" removes it:
    the access then ends at 18 again."""
    permissions.require(staff, "proxies")
    _a_guardian(grant)
    if order and order not in COURT_ORDERS:
        raise FieldError(_("Choose the court order."), "order")
    if order and (review_on is None or review_on <= today):
        raise FieldError(_("The review date must be after today."), "review_on")
    grant.continues_under, grant.review_on = order, (review_on if order else None)
    audit.record("proxy.grant_continued" if order else "proxy.grant_continuation_removed",
                 origin, patient_id=grant.patient_id, object_type="proxy_grant",
                 object_id=grant.id, detail=order)
    return True
