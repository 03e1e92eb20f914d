"""Activation letters: enrollment by a one-time code printed at the visit, for patients who sign
up at the front desk or have no email address at hand.

Staff print a letter from the chart. Each letter is a new invitation (kind "letter") whose
12-character code is shown once, on the letter, and kept only as a keyed hash (HMAC-SHA256
under a key derived from the app's secret key): a copy of the database alone can neither read
nor test codes. A lost letter is replaced by printing a new one, which voids the old code.

The code opens /activate. From there the emailed invitation's rules hold
(services/invitations.py): the same identity check (5 wrong answers void the code), the same
account steps, single use, and a newer letter or emailed invitation voids the older one.
"""

import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ..database import lock_for_write
from ..extensions import db
from ..models import Invitation, StaffUser
from ..models.types import utcnow
from . import audit, clock, codes, invitations, ratelimit
from .accounts import account_for_patient
from .pdf import render_pdf
from .practice import get_practice
from .proxies.ending import too_young_for_own_account
from .tokens import external_url

CODE_LENGTH = 12  # 60 bits (services/codes.py)
ACTIVATE_PATH = "/activate"
_PURPOSE = b"portal activation code"


def letter_refusal(patient, account):
    """Why this chart cannot get a letter now (has_account, inactive, too_young), or None
    when it can. Unlike an emailed invitation, a letter needs no email address on the chart."""
    if account is not None:
        return "has_account"
    if patient.status != "active":
        return "inactive"
    if too_young_for_own_account(patient, get_practice(), clock.today()):
        return "too_young"
    return None


def print_letter(patient, practice, origin):
    """Make a new activation code for `patient` and return (invitation, code). The caller
    commits, then prints the letter (letter_pdf) with the code: it is never stored.

    Older open invitations and letters become void. Raises invitations.InvitationRefused
    (has_account, inactive).
    """
    lock_for_write(db.session, f"invitations:patient:{patient.id}")
    db.session.refresh(patient)  # the chart as it is now, under the lock
    refusal = letter_refusal(patient, account_for_patient(patient.id))
    if refusal:
        raise invitations.InvitationRefused(refusal)
    invitations.void_open_invitations(patient.id, "superseded", origin)
    code = codes.new_code(CODE_LENGTH)
    invitation = Invitation(kind="letter", patient_id=patient.id, email="",
                            nonce=secrets.token_urlsafe(32), code_hash=codes.keyed_hash(code, _PURPOSE),
                            sent_by_id=origin.account.id,
                            expires_at=utcnow() + timedelta(days=practice.activation_code_days))
    db.session.add(invitation)
    db.session.flush()
    audit.record("invitation.letter_printed", origin, patient_id=patient.id,
                 object_type="invitation", object_id=invitation.id,
                 detail=f"code works for {practice.activation_code_days} days")
    return invitation, code


def letter_pdf(patient, invitation, code, practice):
    """The one-page letter: the patient's name, the portal's address, the code in groups of
    four, its last day, and three steps. Never the date of birth or the account number: they
    are what the letter's finder would need besides the code."""
    return render_pdf("activation_letter", title=_("Set up your patient portal account"),
                      practice=practice, subject=_("Patient portal activation letter"),
                      footer=practice.name, patient=patient, code=codes.grouped(code),
                      expires_at=invitation.expires_at, address=external_url(ACTIVATE_PATH))


def find_letter(typed):
    """(invitation, problem) for a code typed on /activate.

    problem is None when the code can be used, else "malformed" (not a code of ours at all),
    "unknown" (no letter has it), "used", "void" or "expired".
    """
    code = codes.normalize(typed)
    if codes.problem(code, CODE_LENGTH):
        return None, "malformed"
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.kind == "letter", Invitation.code_hash.in_(codes.keyed_hashes(code, _PURPOSE))))
    if invitation is None:
        return None, "unknown"
    state = invitations.invitation_state(invitation)
    return invitation, (None if state == "open" else state)


def opened_letter(invitation_id):
    """(invitation, problem) for the letter this browser gave the right code for."""
    invitation = db.session.get(Invitation, invitation_id) if isinstance(invitation_id, int) else None
    if invitation is None or invitation.kind != "letter":
        return None, "missing"
    state = invitations.invitation_state(invitation)
    return invitation, (None if state == "open" else state)


def guess_refused(ip):
    """Whether /activate refuses a try from `ip` (429): over its own limit of tries
    (ratelimit "activation-code"), or, once the address has typed a wrong code itself, while
    the practice-wide wrong codes are over theirs ("activation-code-all"). An address that has
    not failed is never stopped by others' guessing, so a patient with a real letter gets in
    however many addresses are guessing. Counts the try (kept at once)."""
    try:
        ratelimit.hit("activation-code", ip)
    except ratelimit.RateLimited:
        return True
    return bool(ratelimit.used("activation-code-wrong", ip)) and ratelimit.used(
        "activation-code-all", "") >= ratelimit.LIMITS["activation-code-all"]


def record_refused_code(problem, origin):
    """A code that opened nothing goes on the record (never the code itself), and counts
    against the address and the practice-wide cap (guess_refused)."""
    audit.record("invitation.code_refused", origin, object_type="invitation", detail=problem)
    ratelimit.count("activation-code-wrong", origin.ip)
    ratelimit.count("activation-code-all", "")


def printed_by(invitation):
    """The name of the staff member who printed a letter, or "" when unknown."""
    if invitation.sent_by_id is None:
        return ""
    staff = db.session.get(StaffUser, invitation.sent_by_id)
    return staff.name if staff is not None else ""
