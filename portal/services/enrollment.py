"""Enrollment's last two steps, once the identity check passed (services/invitations.py):
the account, then the portal consent.

Each step is kept once it is valid. The account step opens the account "pending"
(accounts.PENDING): its password is hashed and kept, so a wrong name at the consent step
never asks for it again, but nothing signs it in, resets it or starts a session for it. The
consent step signs the portal consent with it (the caller, consents' signing), and `finish`
turns it active and spends the invitation, in one transaction. Until then the invitation
stays open: the same link (or letter) resumes the enrollment while it is valid, and its
account step may change the saved details.

A password that passed every rule on an account step refused for another field (a taken
username, a missing answer) is kept too, before any account exists: its argon2 hash on the
invitation, for the one browser given the key (`keep_password`), so the step can be posted
again with the password boxes empty. It goes when the step is kept, when enrollment
finishes or the invitation is voided, and is never used once the invitation expired.
"""

import hashlib
import hmac
import secrets

from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models.types import utcnow
from . import accounts, audit, invitations
from .mail import send_email
from .passwords import hash_password
from .tokens import external_url


def save_account(invitation, *, username, password, question, answer, email_to_confirm,
                 origin, password_hash=None):
    """Keep the account step for a verified invitation: (account, problem). The caller
    commits.

    `password_hash` is the one `kept_password` gave, used when no password was typed.

    The first time it opens the pending account; again (the patient went back) it replaces
    the saved details. `email_to_confirm` is an address typed on a letter's account step,
    sent its confirmation link when enrollment finishes. Under the invitation's lock the
    invitation is checked again: problem is its state ("used", "void", "expired"), or
    "used" when the chart has an account already.
    """
    state = invitations.lock_invitation(invitation)
    if state != "open":
        return None, state
    patient = invitations.invitation_patient(invitation)
    if accounts.account_for_patient(patient.id) is not None:
        return None, "used"
    account = accounts.pending_account_for_patient(patient.id)
    password_hash = hash_password(password) if password else password_hash
    forget_password(invitation)
    if account is None:
        account = accounts.create_account(
            patient, username=username, email=invitation.email, password_hash=password_hash,
            question=question, answer=answer, policy_text="", origin=origin,
            status=accounts.PENDING)
    else:
        account.username = accounts.normalize_username(username)
        account.email = invitation.email
        account.password_hash = password_hash
        account.security_question = question
        account.security_answer_hash = accounts.hash_answer(answer)
        audit.record("patient.account_details_changed", origin, actor=account,
                     detail="during enrollment", **audit.about_account(account))
    account.email_to_confirm = (email_to_confirm or "").strip().lower()
    return account, None


def keep_password(invitation, password):
    """Keep a password that passed every rule while the account step was refused for
    another field: its hash on the invitation. Returns the new key, for the caller to give
    this browser only (an earlier key stops working). The caller commits."""
    key = secrets.token_urlsafe(32)
    invitation.kept_password_hash = hash_password(password)
    invitation.kept_password_holder = _holder_digest(key)
    return key


def kept_password(invitation, key):
    """The password hash kept for the browser holding `key`, or None: none kept, kept for
    another browser, or the invitation can no longer be used (expired, void, used)."""
    if not invitation.kept_password_hash or not key:
        return None
    if invitations.invitation_state(invitation) != "open":
        return None
    if not hmac.compare_digest(invitation.kept_password_holder, _holder_digest(key)):
        return None
    return invitation.kept_password_hash


def forget_password(invitation):
    """Remove the invitation's kept password (the step was kept, or enrollment ended)."""
    invitation.kept_password_hash = invitation.kept_password_holder = ""


def _holder_digest(key):
    return hashlib.sha256(key.encode()).hexdigest()


def saved_account(invitation):
    """The pending account the account step kept for this invitation's chart, or None."""
    return accounts.pending_account_for_patient(invitation.patient_id)


def finish(invitation, account, *, policy_text, origin):
    """The portal consent is signed (in this transaction): open the account for sign-in and
    spend the invitation. Returns (address to confirm or "", problem); the caller commits,
    then signs the patient in.

    problem is the invitation's state when it can no longer be used, or "used" when the
    account is no longer pending (another browser finished first).
    """
    state = invitations.lock_invitation(invitation)
    if state != "open":
        return "", state
    db.session.refresh(account)
    if account.status != accounts.PENDING:
        return "", "used"
    account.status = "active"
    # The address this invitation went to (a letter's: none); the account step may have
    # been kept under an older invitation, sent to an address the chart no longer has.
    account.email = invitation.email.strip().lower()
    account.policy_accepted_at = utcnow()
    account.policy_digest = accounts.policy_digest(policy_text)
    address, account.email_to_confirm = account.email_to_confirm, ""
    invitation.used_at = utcnow()
    forget_password(invitation)
    audit.record("invitation.used", origin, actor=account, patient_id=account.patient_id,
                 object_type="invitation", object_id=invitation.id)
    send_email(account.email, _l("Your patient portal account is ready"), "welcome",
               name=account.name, link=external_url("/sign-in"))
    return address, None
