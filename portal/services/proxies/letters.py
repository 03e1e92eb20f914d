"""A guardian's activation letter, for a parent at the desk (issue 22): staff print a
one-page letter with a one-time code instead of emailing a link. The code is typed on
/activate, like a patient's letter (services/activation.py, whose rate limits and wrong-code
counts it shares), and then the guardian proves who they are and joins as from the link.

The code is kept only as a keyed hash of its own purpose; it works once, for the practice's
letter days; a new letter or invitation voids the grant's older ones. The letter names the
guardian and the child (it is handed over in person), never a date of birth or the account
number: with the code, they are what a finder would need.
"""

import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ...database import lock_for_write
from ...extensions import db
from ...models import ProxyInvitation
from ...models.types import utcnow
from .. import audit, codes, invitations, permissions
from ..activation import ACTIVATE_PATH, CODE_LENGTH
from ..errors import FieldError
from ..pdf import render_pdf
from ..tokens import external_url
from .joining import sendable, void_open

_PURPOSE = b"portal guardian activation code"


def print_letter(grant, patient, staff, origin, today, practice):
    """A new code for the grant's guardian: (invitation, code). The caller commits, then
    prints the letter at once (the code is never stored). FieldError when the grant cannot
    be invited now (joining.sendable)."""
    permissions.require(staff, "proxies")
    lock_for_write(db.session, f"proxy_invitations:grant:{grant.id}")
    refusal = sendable(grant, patient, today)
    if refusal:
        raise FieldError(refusal)
    void_open(grant, "superseded", origin)
    code = codes.new_code(CODE_LENGTH)
    invitation = ProxyInvitation(grant_id=grant.id, kind="letter", email=grant.email,
                                 nonce=secrets.token_urlsafe(32), code_hash=codes.keyed_hash(code, _PURPOSE),
                                 sent_by_id=staff.id,
                                 expires_at=utcnow() + timedelta(days=practice.activation_code_days))
    db.session.add(invitation)
    db.session.flush()
    audit.record("proxy.letter_printed", origin, patient_id=patient.id,
                 object_type="proxy_invitation", object_id=invitation.id,
                 detail=f"code works for {practice.activation_code_days} days")
    return invitation, code


def letter_pdf(grant, patient, invitation, code, practice):
    """The one-page letter: the guardian's and the child's names, the portal's address, the
    code in groups of four, its last day, and the steps."""
    return render_pdf("guardian_letter", title=_("Your child's record in our patient portal"),
                      practice=practice, subject=_("Patient portal activation letter"),
                      footer=practice.name, grant=grant, patient=patient,
                      code=codes.grouped(code), expires_at=invitation.expires_at,
                      address=external_url(ACTIVATE_PATH))


def find_letter(code):
    """(invitation, problem) for a normalized code typed on /activate: problem None when it
    opens a guardian's letter, else "unknown", "used", "void" or "expired"."""
    invitation = db.session.scalar(select(ProxyInvitation).where(
        ProxyInvitation.kind == "letter",
        ProxyInvitation.code_hash.in_(codes.keyed_hashes(code, _PURPOSE))))
    if invitation is None:
        return None, "unknown"
    state = invitations.invitation_state(invitation)
    return invitation, (None if state == "open" else state)


def opened_letter(invitation_id):
    """(invitation, problem) for the guardian's letter this browser gave the right code for."""
    invitation = db.session.get(ProxyInvitation, invitation_id) \
        if isinstance(invitation_id, int) else None
    if invitation is None or invitation.kind != "letter":
        return None, "missing"
    state = invitations.invitation_state(invitation)
    return invitation, (None if state == "open" else state)
