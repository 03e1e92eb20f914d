"""Invitations to enroll: staff send and revoke them, patients open the emailed link and prove
who they are; services/enrollment.py then turns the invitation into their portal account.

An invitation is a row with a random nonce; the emailed token (salt "invite") names the row and
carries the nonce. The row decides everything else: used, void (and why) or expired. Staff see
its state on the chart through portal_access().
"""

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update

from .. import page_texts
from ..database import lock_for_write
from ..extensions import db
from ..models import Invitation, Patient
from ..models.types import utcnow
from . import audit, clock
from .access import LARGEST_ID
from .accounts import account_for_patient
from .mail import send_email
from .practice import get_practice
from .proxies import blocks, ending, guardians
from .tokens import check_token, external_url, make_token
from .typed_input import normalize_account_number

MAX_IDENTITY_FAILURES = 5


class InvitationRefused(Exception):
    """Staff cannot invite this patient now; `reason` is no_email, has_account, inactive,
    blocked (the chart's email is one its "do not grant access" entries name: a minor's chart
    often holds a parent's address; issue 22) or guardian_email (a parent or guardian of the
    chart, now or before, uses that address: the patient needs one of their own)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass
class PortalAccess:
    """What the chart's "Portal access" section shows: a state, the account or latest invitation.

    state: not_invited, invited, expired, void, used, active or suspended.
    """

    state: str
    account: object = None
    invitation: Invitation | None = None

    @property
    def void_reason(self):
        reason = self.invitation.void_reason
        text = page_texts.INVITATION_VOID_REASONS.get(reason)
        return text % {"n": MAX_IDENTITY_FAILURES} if text else reason


def lifetime():
    """How long a new invitation link works (setting INVITATION_DAYS, 7 days by default); stamped
    on the row as `expires_at` when sent."""
    return timedelta(days=current_app.config.get("INVITATION_DAYS", 7))


# The chart asks on every view: the statement is built once, the patient a parameter.
_LATEST_INVITATION = (select(Invitation).where(Invitation.patient_id == bindparam("patient_id"))
                      .order_by(Invitation.created_at.desc(), Invitation.id.desc()).limit(1))


def latest_invitation(patient_id):
    """The chart's newest invitation, or None."""
    return db.session.scalar(_LATEST_INVITATION, {"patient_id": patient_id})


def invitation_state(invitation, now=None):
    """used, void, expired or open."""
    if invitation.used_at is not None:
        return "used"
    if invitation.voided_at is not None:
        return "void"
    if invitation.expires_at <= (now or utcnow()):
        return "expired"
    return "open"


def portal_access(patient, account):
    """The patient's portal access as staff see it on the chart, given its account (or None)."""
    if account is not None:
        return PortalAccess("active" if account.status == "active" else "suspended", account=account)
    invitation = latest_invitation(patient.id)
    if invitation is None:
        return PortalAccess("not_invited")
    state = invitation_state(invitation)
    return PortalAccess("invited" if state == "open" else state, invitation=invitation)


def void_open_invitations(patient_id, reason, origin, action="invitation.voided",
                          kinds=("email", "letter")):
    """Void the patient's invitations (of `kinds`: emailed, printed in a letter) that could
    still be used; return how many were voided."""
    now = utcnow()
    open_ones = db.session.scalars(select(Invitation).where(
        Invitation.patient_id == patient_id, Invitation.kind.in_(kinds),
        Invitation.used_at.is_(None), Invitation.voided_at.is_(None),
        Invitation.expires_at > now)).all()
    for invitation in open_ones:
        invitation.voided_at, invitation.void_reason = now, reason
        invitation.kept_password_hash = invitation.kept_password_holder = ""
        audit.record(action, origin, patient_id=patient_id, object_type="invitation",
                     object_id=invitation.id, detail=f"reason: {reason}")
    # A password an expired enrollment kept (services/enrollment.py) goes now too.
    db.session.execute(update(Invitation).where(
        Invitation.patient_id == patient_id, Invitation.expires_at <= now,
        Invitation.kept_password_hash != "").values(kept_password_hash="", kept_password_holder=""))
    return len(open_ones)


def invitation_refusal(patient, account):
    """Why this chart cannot get an invitation now (has_account, no_email, inactive,
    too_young), or None when it can, from the chart and the practice's settings. `account` is
    the chart's portal account, or None. Sending checks the chart's "do not grant access"
    entries and its guardians' emails too (send_invitation)."""
    if account is not None:
        return "has_account"
    if not patient.email:
        return "no_email"
    if patient.status != "active":
        return "inactive"
    if ending.too_young_for_own_account(patient, get_practice(), clock.today()):
        return "too_young"
    return None


def send_invitation(patient, origin):
    """Invite `patient` by email (older open invitations become void). The caller commits.

    `origin.account` is the staff member sending it. Raises InvitationRefused when the
    chart has no email address, is not active, or the patient already has an account, or
    when a "do not grant access" entry of the chart names its email.
    """
    staff = origin.account
    lock_for_write(db.session, f"invitations:patient:{patient.id}")
    db.session.refresh(patient)  # the chart as it is now, under the lock
    refusal = invitation_refusal(patient, account_for_patient(patient.id))
    if refusal is None and blocks.email_blocked(patient.id, patient.email):
        refusal = "blocked"
    if refusal is None and guardians.uses_email(patient.id, patient.email):
        refusal = "guardian_email"
    if refusal:
        raise InvitationRefused(refusal)
    void_open_invitations(patient.id, "superseded", origin)
    nonce = secrets.token_urlsafe(32)
    invitation = Invitation(patient_id=patient.id, email=patient.email, nonce=nonce,
                            sent_by_id=staff.id, expires_at=utcnow() + lifetime())
    db.session.add(invitation)
    db.session.flush()
    token = make_token("invite", {"i": invitation.id, "n": nonce})
    send_email(invitation.email, _l("Set up your patient portal account"), "invitation",
               name=patient.preferred_name or patient.first_name, expires_at=invitation.expires_at,
               link=external_url("/enroll?t=" + token))
    audit.record("invitation.sent", origin, patient_id=patient.id, object_type="invitation",
                 object_id=invitation.id)
    return invitation


def revoke_invitation(patient, origin):
    """Void the patient's open invitation(s) or letter at staff's request; return how many."""
    return void_open_invitations(patient.id, "revoked", origin, action="invitation.revoked")


def void_for_email_change(patient, origin):
    """The chart's email changed: links sent to the old address must stop working (a
    printed letter was handed to the patient, so it still works)."""
    return void_open_invitations(patient.id, "email_changed", origin, kinds=("email",))


def check_link(token):
    """Return (invitation, problem) for an invitation token.

    problem is None when the invitation can be used, else "missing" (no token), "invalid"
    (altered, not ours, another purpose, or naming no invitation), "used", "void" or "expired".
    The token's signature is checked without a max age: the row's `expires_at`, stamped when
    the invitation was sent, decides, so lowering INVITATION_DAYS spares links already sent.
    """
    return row_of_link("invite", Invitation, token)


def row_of_link(purpose, model, token):
    """(row, problem) for a link's token signed for `purpose`, naming a `model` row (an
    invitation of either kind) by id and nonce: problem as check_link says."""
    if not token:
        return None, "missing"
    _, invalid, data = check_token(purpose, token, None)
    if invalid or not isinstance(data, dict):
        return None, "invalid"
    number, nonce = data.get("i"), data.get("n")
    if not isinstance(number, int) or not isinstance(nonce, str):
        return None, "invalid"
    row = db.session.get(model, number) if 0 < number <= LARGEST_ID else None
    if row is None or not hmac.compare_digest(row.nonce, nonce):
        return None, "invalid"
    state = invitation_state(row)
    return row, (None if state == "open" else state)


def mark_opened(invitation, origin):
    """Note the first time the link is opened (one audit row even when two requests race)."""
    if invitation.opened_at is not None:
        return
    now = utcnow()
    done = db.session.execute(update(Invitation).where(
        Invitation.id == invitation.id, Invitation.opened_at.is_(None)).values(opened_at=now))
    if done.rowcount == 1:
        audit.record("invitation.opened", origin, patient_id=invitation.patient_id,
                     object_type="invitation", object_id=invitation.id)
    db.session.refresh(invitation)


def lock_invitation(invitation):
    """Serialise the writers of one invitation, then read its latest committed state (open,
    used, void or expired)."""
    lock_for_write(db.session, f"invitation:{invitation.id}")
    db.session.refresh(invitation)
    return invitation_state(invitation)


def check_identity(invitation, date_of_birth, account_number, origin):
    """Compare the answers with the chart. Returns "passed", "failed" or the link's problem.

    Every wrong answer counts (under a lock, so concurrent tries are all counted); the fifth
    voids the invitation ("void"). The result never says which answer was wrong.
    """
    state = lock_invitation(invitation)
    if state != "open":
        return state
    patient = invitation_patient(invitation)
    number_matches = hmac.compare_digest(normalize_account_number(account_number).encode(),
                                         normalize_account_number(patient.account_number).encode())
    if number_matches and date_of_birth == patient.date_of_birth:
        invitation.identity_verified_at = invitation.identity_verified_at or utcnow()
        audit.record("invitation.identity_passed", origin, patient_id=patient.id,
                     object_type="invitation", object_id=invitation.id)
        return "passed"
    invitation.identity_failures += 1
    audit.record("invitation.identity_failed", origin, patient_id=patient.id, object_type="invitation",
                 object_id=invitation.id,
                 detail=f"failure {invitation.identity_failures} of {MAX_IDENTITY_FAILURES}")
    if invitation.identity_failures >= MAX_IDENTITY_FAILURES:
        invitation.voided_at, invitation.void_reason = utcnow(), "identity_failures"
        audit.record("invitation.voided", origin, patient_id=patient.id, object_type="invitation",
                     object_id=invitation.id, detail="reason: identity_failures")
        return "void"
    return "failed"


def tries_left(invitation):
    """How many more identity checks this invitation allows."""
    return max(MAX_IDENTITY_FAILURES - invitation.identity_failures, 0)


def invitation_patient(invitation):
    """The chart an invitation was sent for."""
    return db.session.get(Patient, invitation.patient_id)
