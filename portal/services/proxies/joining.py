"""A proxy joins: an invitation is emailed for one grant (by staff for a guardian, by the
patient for a representative: representatives.py), the person opens its link, proves who
they are, and the patient is added to their account (a new one, or the one they have).

- The link: a token purpose of each kind's own ("guardian-invite", "representative-invite"),
  a row with a nonce, valid 7 days (INVITATION_DAYS) and single use; a new invitation voids
  the grant's older ones.
- The check: a guardian types the child's date of birth and account number and their own
  date of birth as staff recorded it; a representative the patient's date of birth and their
  own, 18 or older (representatives.check_identity). Every wrong try counts; the fifth voids
  the invitation. The answer never says which fact was wrong.
- The account: a guardian who already has one (their own, or another child's) gets the child
  added to it, so one sign-in reaches every child; otherwise a new account without a chart of
  its own (models/accounts.PatientAccount.holder_name).
"""

import hmac
import secrets

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ...database import lock_for_write
from ...extensions import db
from ...models import Patient, PatientAccount, ProxyGrant, ProxyInvitation
from ...models.types import utcnow
from .. import accounts, audit, invitations, permissions
from ..errors import FieldError
from ..mail import send_email
from ..passwords import hash_password
from ..tokens import external_url, make_token
from ..typed_input import normalize_account_number
from .blocks import blocking
from .ending import lapsed

MAX_IDENTITY_FAILURES = 5
# Each kind's token purpose and the address its link opens.
PURPOSES = {"guardian": "guardian-invite", "representative": "representative-invite"}
LANDINGS = {"guardian": "/guardian", "representative": "/representative"}


def sendable(grant, patient, today):
    """Why this grant cannot be sent an invitation now (a sentence for staff), or None."""
    if grant.status == "ended":
        return _("%(name)s's access has ended.", name=grant.full_name)
    if grant.account_id is not None:
        return _("%(name)s has already signed up.", name=grant.full_name)
    if grant.suspended_at is not None:
        return _("%(name)s's access is paused. Reinstate it first.", name=grant.full_name)
    if lapsed(grant, patient, today):
        return _("%(name)s's access has come to its end.", name=grant.full_name)
    block = blocking(patient.id, grant.full_name, grant.email)
    if block is not None:
        return _("This chart says not to grant access to %(name)s (%(basis)s).",
                 name=block.full_name, basis=block.basis)
    return None


def send(grant, patient, staff, origin, today):
    """Email `grant`'s guardian an invitation (older open ones become void); the caller
    commits. Raises FieldError with the reason when it cannot be sent."""
    permissions.require(staff, "proxies")
    lock_for_write(db.session, f"proxy_invitations:grant:{grant.id}")
    refusal = sendable(grant, patient, today)
    if refusal:
        raise FieldError(refusal)
    # No child's name: an email can be read by others (a shared inbox, a lock screen).
    return invite(grant, origin, "guardian_invitation", sent_by_id=staff.id)


def invite(grant, origin, template, sent_by_id=None, **context):
    """Email `grant`'s person a new invitation (older open ones become void), from the
    email template `template` (given the name, the link, when it expires and `context`).
    The caller commits."""
    void_open(grant, "superseded", origin)
    nonce = secrets.token_urlsafe(32)
    invitation = ProxyInvitation(grant_id=grant.id, email=grant.email, nonce=nonce,
                                 sent_by_id=sent_by_id,
                                 expires_at=utcnow() + invitations.lifetime())
    db.session.add(invitation)
    db.session.flush()
    token = make_token(PURPOSES[grant.kind], {"i": invitation.id, "n": nonce})
    send_email(invitation.email, _l("Your invitation to the patient portal"), template,
               name=grant.full_name, expires_at=invitation.expires_at,
               link=external_url(f"{LANDINGS[grant.kind]}?t={token}"), **context)
    audit.record("proxy.invitation_sent", origin, patient_id=grant.patient_id,
                 object_type="proxy_invitation", object_id=invitation.id, detail=grant.kind)
    return invitation


def void_open(grant, reason, origin):
    """Void the grant's invitations that could still be used; return how many."""
    now = utcnow()
    open_ones = db.session.scalars(select(ProxyInvitation).where(
        ProxyInvitation.grant_id == grant.id, ProxyInvitation.used_at.is_(None),
        ProxyInvitation.voided_at.is_(None), ProxyInvitation.expires_at > now)).all()
    for invitation in open_ones:
        invitation.voided_at, invitation.void_reason = now, reason
        audit.record("proxy.invitation_voided", origin, patient_id=grant.patient_id,
                     object_type="proxy_invitation", object_id=invitation.id,
                     detail=f"reason: {reason}")
    return len(open_ones)


def latest(grant):
    """The grant's newest invitation, or None."""
    return db.session.scalar(select(ProxyInvitation).where(ProxyInvitation.grant_id == grant.id)
                             .order_by(ProxyInvitation.id.desc()).limit(1))


def check_link(token, kind):
    """(invitation, problem) for the token of a `kind` ("guardian" or "representative")
    invitation: problem None when it can be used, else missing, invalid, used, void or expired
    (services/invitations.check_link)."""
    return invitations.row_of_link(PURPOSES.get(kind, PURPOSES["guardian"]), ProxyInvitation,
                                   token)


def grant_and_patient(invitation):
    """(grant, patient) an invitation is for."""
    grant = db.session.get(ProxyGrant, invitation.grant_id)
    return grant, db.session.get(Patient, grant.patient_id)


def lock(invitation):
    """Serialise the writers of one invitation, then read its state (open, used, ...)."""
    lock_for_write(db.session, f"proxy_invitation:{invitation.id}")
    db.session.refresh(invitation)
    return invitations.invitation_state(invitation)


def check_identity(invitation, child_born, account_number, own_born, origin):
    """Compare the answers with the chart and the grant: "passed", "failed", or the link's
    problem ("void" after the fifth wrong try, "used", "expired"). Never says which was wrong.
    """
    state = lock(invitation)
    if state != "open":
        return state
    grant, patient = grant_and_patient(invitation)
    number_matches = hmac.compare_digest(normalize_account_number(account_number).encode(),
                                         normalize_account_number(patient.account_number).encode())
    matches = number_matches and child_born == patient.date_of_birth \
        and own_born == grant.date_of_birth
    return checked(invitation, matches, origin)


def checked(invitation, matches, origin):
    """Count the outcome of an identity check: "passed", "failed" or "void" (the fifth
    wrong try). The caller has taken the invitation's lock."""
    about = {"patient_id": grant_and_patient(invitation)[0].patient_id,
             "object_type": "proxy_invitation", "object_id": invitation.id}
    if matches:
        invitation.identity_verified_at = invitation.identity_verified_at or utcnow()
        audit.record("proxy.identity_passed", origin, **about)
        return "passed"
    invitation.identity_failures += 1
    audit.record("proxy.identity_failed", origin, **about,
                 detail=f"failure {invitation.identity_failures} of {MAX_IDENTITY_FAILURES}")
    if invitation.identity_failures >= MAX_IDENTITY_FAILURES:
        invitation.voided_at, invitation.void_reason = utcnow(), "identity_failures"
        audit.record("proxy.invitation_voided", origin, **about, detail="reason: identity_failures")
        return "void"
    return "failed"


def tries_left(invitation):
    """How many more identity checks this invitation allows."""
    return max(MAX_IDENTITY_FAILURES - invitation.identity_failures, 0)


def account_with_email(email):
    """An active portal account that uses this email address, or None: a guardian who has
    one signs in to it, rather than opening a second."""
    return db.session.scalar(select(PatientAccount).where(
        func.lower(PatientAccount.email) == email.lower(), PatientAccount.status == "active")
        .order_by(PatientAccount.id).limit(1))


def join_refusal(invitation, account):
    """Why `account` cannot take this invitation's child (a sentence), or None."""
    grant, patient = grant_and_patient(invitation)
    if account.patient_id == patient.id:
        return _("This is %(name)s's own portal account. Sign out, then open the link again "
                 "to sign up as their parent or guardian.", name=patient.first_name)
    if account.date_of_birth is not None and account.date_of_birth != grant.date_of_birth:
        return _("This invitation is for someone else: the date of birth on this account is "
                 "not the one the practice has for the person invited. Sign out, or call the "
                 "practice.")
    already = db.session.scalar(select(ProxyGrant.id).where(
        ProxyGrant.account_id == account.id, ProxyGrant.patient_id == patient.id,
        ProxyGrant.status == "active"))
    if already is not None:
        return _("Your account already opens %(name)s's record.", name=patient.first_name)
    return None


def join(invitation, account, origin):
    """Add the invitation's patient to `account` and spend the invitation: (grant, problem).
    problem is the link's state when it can no longer be used, or join_refusal's sentence;
    the caller commits."""
    state = lock(invitation)
    if state != "open":
        return None, state
    problem = join_refusal(invitation, account)
    if problem:
        return None, problem
    grant, patient = grant_and_patient(invitation)
    if grant.status != "added" or grant.suspended_at is not None:
        return None, "void"
    grant.account_id, grant.status = account.id, "active"
    invitation.used_at = utcnow()
    audit.record(f"proxy.{grant.kind}_joined", origin, actor=account, patient_id=patient.id,
                 object_type="proxy_grant", object_id=grant.id)
    return grant, None


def open_account(invitation, *, username, password, question, answer, policy_text, origin):
    """A new account for the invitation's guardian or representative, without a chart of its
    own: their name and date of birth as the grant has them, the invitation's address. Not
    committed; join() then adds the patient."""
    grant, _patient = grant_and_patient(invitation)
    account = PatientAccount(
        patient_id=None, holder_name=grant.full_name, holder_date_of_birth=grant.date_of_birth,
        username=accounts.normalize_username(username), email=invitation.email.lower(),
        password_hash=hash_password(password), security_question=question,
        security_answer_hash=accounts.hash_answer(answer), status="active",
        policy_accepted_at=utcnow(), policy_digest=accounts.policy_digest(policy_text))
    db.session.add(account)
    db.session.flush()
    audit.record("patient.account_created", origin, actor=account,
                 object_type="patient_account", object_id=account.id,
                 detail=f"a {grant.kind}'s account")
    return account
