"""Sharing the health record with another provider (issue 10, item 4).

The patient picks what to share (the whole record, or some categories) and for how long (1 to
30 days), and names who it is for. They get a link and a separate access code to give the
provider: the link alone opens nothing. Both are shown to the patient once and kept only as
keyed hashes (codes.keyed_hash, each with its own key), so a copy of the database can
neither open a share nor test a guess. A lost code means revoking the share and making a new
one.

Guessing is stopped twice over: each wrong code counts against the share, which locks at
MAX_WRONG_CODES, and against the address (services/ratelimit.py "share-code").

A share shows only what the patient may read (entries.py: released entries of their own chart)
in the chosen categories, read-only. Every use (a code accepted or refused, a page, a download)
is on the audit trail with the share as the actor, so the patient's access history names it
("Someone with the link you shared with Dr. Lee opened ..."). Nothing is deleted: a revoked or
expired share stays, and stops working at once.

A share is a grant to a third party, so it ends with the account's trust (issue 19): the
patient's stop, staff on the chart, and stop_all from each event that ends every session of
the account for its safety (suspension, a completed password reset, an admin's two-step reset,
sign out everywhere), each with its reason (STOP_REASONS) and audited. Creating one needs the
current password (the view, services/reauth.py) and emails the patient a notice. The
provider's browser and the download limits are in share_opens.py.
"""

import secrets
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from ...database import lock_for_write
from ...extensions import db
from ...models import Patient, RecordShare
from ...models.types import utcnow
from .. import audit, codes, permissions
from ..access import LARGEST_ID
from ..errors import FieldError
from ..mail import send_email
from ..tokens import external_url
from .categories import CATEGORIES

SHORTEST_DAYS, LONGEST_DAYS = 1, 30
CODE_LENGTH = 8  # 40 bits from codes.ALPHABET, e.g. "K7QM 4XRT"
MAX_WRONG_CODES = 10  # then the share locks for good
OPEN_MINUTES = 60  # a browser given the right code keeps the share open this long
RECIPIENT_MAX = 120
SHARE_PATH = "/record-share"  # the old "/shared" still redirects (links already sent)
LIST_LIMIT = 50  # shares on the patient's page, newest first
_LINK_PURPOSE = b"portal record share link"
_CODE_PURPOSE = b"portal record share code"
# Why a share stopped (revoked_reason), each the end of a trust in the account: the patient's
# own "Stop sharing", staff on the chart, and every event that ends all the account's sessions
# for the account's safety (services/profile.py, recovery.py, twostep.py).
STOP_REASONS = ("patient", "staff", "suspended", "password-reset", "two-step-reset",
                "sign-out-all")
STAFF_NOTE_MAX = 500


class ShareError(FieldError):
    """A share the patient asked for that cannot be made: `message`, and its `field`."""


def _link_hash(token):
    return codes.keyed_hash(token, _LINK_PURPOSE)


def _code_hash(share_link_hash, code):
    # Bound to its share: the same code on two shares has two hashes.
    return codes.keyed_hash(f"{share_link_hash}:{code}", _CODE_PURPOSE)


def _code_matches(share, code):
    """The code against the share's hash under the secret key and each fallback key."""
    found = False
    for candidate in codes.keyed_hashes(f"{share.link_hash}:{code}", _CODE_PURPOSE):
        found |= secrets.compare_digest(candidate, share.code_hash)
    return found


def state(share, now=None):
    """"active", "expired", "revoked" or "locked" (too many wrong codes)."""
    if share.revoked_at is not None:
        return "revoked"
    if share.locked_at is not None:
        return "locked"
    if (now or utcnow()) >= share.expires_at:
        return "expired"
    return "active"


def category_keys(share):
    """The category keys this share shows, in CATEGORIES order."""
    if share.whole_record:
        return list(CATEGORIES)
    chosen = set(share.categories or ())
    return [key for key in CATEGORIES if key in chosen]


def allows(share, category_key):
    """Whether the share shows this category."""
    return category_key in category_keys(share)


def _whole_number(value):
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() and len(text) < 4 else None


def problems(recipient, whole_record, categories, days):
    """{field: message} for every answer of a new share that cannot be used (empty when it
    can be made), so the form says everything at once."""
    found = {}
    recipient = " ".join((recipient or "").split())
    if not recipient:
        found["recipient"] = _l("Enter who you are sharing with, for example Dr. Lee, Lakeside "
                                "Cardiology.")
    elif len(recipient) > RECIPIENT_MAX:
        found["recipient"] = _l("Use at most %(max)d characters.", max=RECIPIENT_MAX)
    if not whole_record and not set(categories or ()) & set(CATEGORIES):
        found["categories"] = _l("Choose the whole record, or at least one part of it.")
    number = _whole_number(days)
    if number is None or not SHORTEST_DAYS <= number <= LONGEST_DAYS:
        found["days"] = _l("Choose from %(low)d to %(high)d days.", low=SHORTEST_DAYS,
                           high=LONGEST_DAYS)
    return found


def create(patient_id, account, *, recipient, whole_record, categories, days, origin):
    """A new share of the patient's record: (share, link token, access code). `days` may be
    typed text. The token and code are shown to the patient once and never stored. The caller
    commits. Raises ShareError on the first of problems()."""
    refused = problems(recipient, whole_record, categories, days)
    if refused:
        field = next(iter(refused))
        raise ShareError(refused[field], field)
    recipient, days = " ".join(recipient.split()), _whole_number(days)
    chosen = [] if whole_record else [key for key in CATEGORIES if key in categories]
    token, code = secrets.token_urlsafe(24), codes.new_code(CODE_LENGTH)
    link_hash = _link_hash(token)
    share = RecordShare(patient_id=patient_id, created_by_id=account.id, recipient=recipient,
                        whole_record=bool(whole_record), categories=chosen, link_hash=link_hash,
                        code_hash=_code_hash(link_hash, code),
                        expires_at=utcnow() + timedelta(days=days))
    db.session.add(share)
    db.session.flush()
    audit.record("record_share.created", origin, patient_id=patient_id,
                 object_type="record_share", object_id=share.id,
                 detail=f"parts: {'all' if whole_record else ', '.join(chosen)}; days: {days}")
    if account.email:
        # Neither whom it is for (a clinic's name can tell a condition) nor what: a notice and
        # a link to the list, where the patient sees it all signed in, and can stop it.
        send_email(account.email, _("You shared your health record"), "record_share_created",
                   name=account.name, days=days, shares_url=external_url("/records/shares"))
    return share, token, code


def link_url(token):
    """The address the patient gives the provider (the token is put away on arrival)."""
    return external_url(f"{SHARE_PATH}?s={token}")


def link_matches(share, token):
    """Whether `token` is this share's link token (its keyed hash, under any key in use)."""
    token = (token or "").strip()
    return 0 < len(token) <= 100 and any(secrets.compare_digest(candidate, share.link_hash)
                                         for candidate in codes.keyed_hashes(token, _LINK_PURPOSE))


def grouped_code(code):
    """The access code as shown and read aloud: "K7QM 4XRT"."""
    return codes.grouped(code)


def find_by_link(token):
    """(share, problem) for a link's token: problem is None for an active share, else
    "unknown", "expired", "revoked" or "locked"."""
    token = (token or "").strip()
    if not token or len(token) > 100:
        return None, "unknown"
    share = db.session.scalar(select(RecordShare).where(RecordShare.link_hash.in_(
        codes.keyed_hashes(token, _LINK_PURPOSE))))
    if share is None:
        return None, "unknown"
    problem = state(share)
    return share, (None if problem == "active" else problem)


def opened_share(share_id):
    """(share, problem) for the share a browser holds the id of (find_by_link's problems)."""
    if not isinstance(share_id, int) or not 0 < share_id <= LARGEST_ID:
        return None, "unknown"
    share = db.session.get(RecordShare, share_id)
    if share is None:
        return None, "unknown"
    problem = state(share)
    return share, (None if problem == "active" else problem)


def shared_patient(share):
    """The patient whose record `share` shows."""
    return db.session.get(Patient, share.patient_id)


def acting_as(share, origin):
    """The provider's requests, on the audit trail as the share (from their address)."""
    return audit.Origin(share, origin.ip, origin.user_agent)


def check_code(share, typed, origin):
    """Whether `typed` is the share's access code; either way it is on the audit trail. A
    wrong one counts, and the share locks at MAX_WRONG_CODES. Kept in the caller's
    transaction (the caller commits whatever the answer)."""
    lock_for_write(db.session, f"record_share:{share.id}")
    db.session.refresh(share)  # the count as it is now, under the lock
    code = codes.normalize(typed)
    actor = acting_as(share, origin)
    if state(share) != "active":
        return False
    if not codes.problem(code, CODE_LENGTH) and _code_matches(share, code):
        share.opened_count += 1
        share.last_opened_at = utcnow()
        audit.record("record_share.opened", actor, patient_id=share.patient_id,
                     object_type="record_share", object_id=share.id)
        return True
    share.wrong_codes += 1
    if share.wrong_codes >= MAX_WRONG_CODES:
        share.locked_at = utcnow()
    audit.record("record_share.code_refused", actor, patient_id=share.patient_id,
                 object_type="record_share", object_id=share.id,
                 detail=f"wrong codes: {share.wrong_codes}" + ("; locked" if share.locked_at
                                                               else ""))
    return False


_PATIENT_SHARES = (select(RecordShare).where(RecordShare.patient_id == bindparam("patient_id"))
                   .order_by(RecordShare.created_at.desc(), RecordShare.id.desc())
                   .limit(LIST_LIMIT))  # every chart view runs it: built once


def patient_shares(patient_id):
    """The patient's shares, newest first (the latest LIST_LIMIT)."""
    return db.session.scalars(_PATIENT_SHARES, {"patient_id": patient_id}).all()


def patient_share(patient_id, share_id):
    """One of the patient's own shares, else None."""
    if not isinstance(share_id, int) or not 0 < share_id <= LARGEST_ID:
        return None
    return db.session.scalar(select(RecordShare).where(RecordShare.id == share_id,
                                                       RecordShare.patient_id == patient_id))


def revoke(share, origin, reason="patient", note=None):
    """Stop the share at once, for `reason` (STOP_REASONS; staff give a `note`). The caller
    commits. False when it had stopped already (revoked, or expired or locked)."""
    if state(share) != "active":
        return False
    share.revoked_at = utcnow()
    share.revoked_reason = reason
    share.revoked_note = note
    audit.record("record_share.revoked", origin, patient_id=share.patient_id,
                 object_type="record_share", object_id=share.id, detail=f"reason: {reason}")
    return True


def stop_all(patient_id, reason, origin):
    """Stop every working share of the patient's record (suspension, a password reset, a
    two-step reset, sign out everywhere), each audited. Returns how many stopped."""
    now = utcnow()
    working = db.session.scalars(select(RecordShare).where(
        RecordShare.patient_id == patient_id, RecordShare.revoked_at.is_(None),
        RecordShare.locked_at.is_(None), RecordShare.expires_at > now)).all()
    return sum(revoke(share, origin, reason) for share in working)


def staff_stop_problem(note):
    """Why staff cannot stop a share with this reason, else None."""
    note = " ".join((note or "").split())
    if not note:
        return _l("Enter why you are stopping this share.")
    if len(note) > STAFF_NOTE_MAX:
        return _l("Use at most %(max)d characters.", max=STAFF_NOTE_MAX)
    return None


def stop_by_staff(share, note, origin):
    """Staff stop a share from the chart, with their reason (kept on the share for staff; the
    audit row says only "staff", as the reason may hold health details). The caller commits.
    Raises permissions.Refused for a role the practice's table does not let stop shares."""
    permissions.require_origin(origin, "stop_share")
    return revoke(share, origin, "staff", " ".join(note.split()))


def chart_shares(patient_id):
    """A chart's shares for staff, newest first (the latest LIST_LIMIT)."""
    return patient_shares(patient_id)

