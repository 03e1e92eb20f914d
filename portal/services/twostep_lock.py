"""The total cap on wrong two-step codes (issue 19), beside the pause in services/twostep.

The pause (ten wrong codes in 15 minutes pause the second step for 15 minutes) slows one
person down; it does not stop someone who knows the password from guessing codes all day.
So wrong codes are also counted on the account: the 50th wrong code within 24 hours of the
first one counted locks the second step. A locked account refuses every code, right or
wrong, app or recovery code, until the owner opens the link emailed with the lock notice
(one email, at the moment of the lock) and confirms, or the practice resets the account's
two-step sign-in. A right code does not clear the count: the owner signing in must not hand
a guesser fresh tries. Like the 20 wrong security answers in services/recovery.py, for
patients and staff alike.
"""

from datetime import datetime, timedelta

from flask_babel import gettext as _

from ..extensions import db
from ..models import PatientAccount, StaffUser
from ..models.types import utcnow
from . import audit
from .mail import send_email
from .sessions import end_all_sessions
from .tokens import check_token, external_url, make_token

TOTAL_LIMIT = 50
TOTAL_WINDOW = timedelta(hours=24)
UNLOCK_LINK_LIFETIME = timedelta(hours=24)
MODELS = {"patient": PatientAccount, "staff": StaffUser}


class TwoStepLocked(Exception):
    """The account's second step is locked after too many wrong codes."""


def is_locked(account):
    """True while the account's second step is locked (the total cap was reached)."""
    return account.twostep_locked_at is not None


def count_wrong_code(account, origin):
    """Count a wrong code (one made while the second step was open). True when it is the
    50th within 24 hours: the second step locks and the owner is emailed, once."""
    now = utcnow()
    since = account.twostep_wrong_since
    if since is None or now - since >= TOTAL_WINDOW:
        account.twostep_wrong_since, account.twostep_wrong_codes = now, 0
    account.twostep_wrong_codes += 1
    if account.twostep_wrong_codes < TOTAL_LIMIT:
        return False
    account.twostep_locked_at = now
    audit.record("twostep.locked", origin, **audit.about_account(account),
                 detail="50 wrong codes within 24 hours: the second step is locked until the "
                        "owner unlocks it from the emailed link or the practice resets it")
    token = make_token("twostep-unlock", {"k": account.kind, "i": account.id,
                                          "l": now.isoformat()})
    send_email(account.email, _("Two-step sign-in to your portal account is locked"),
               "two_step_locked", name=account.name, tries=TOTAL_LIMIT,
               hours=TOTAL_WINDOW // timedelta(hours=1),
               link=external_url("/two-step/unlock?t=" + token),
               link_hours=UNLOCK_LINK_LIFETIME // timedelta(hours=1),
               staff=account.kind == "staff")
    return True


def clear(account):
    """Open the second step again and start the count afresh."""
    account.twostep_locked_at = None
    account.twostep_wrong_codes = 0
    account.twostep_wrong_since = None


def unlock_link(token):
    """(problem, account) for an emailed unlock link: problem "expired", "invalid" (not ours,
    or the lock it was sent for is over: each link works once) or None."""
    expired, invalid, data = check_token("twostep-unlock", token or "", UNLOCK_LINK_LIFETIME)
    if invalid or not isinstance(data, dict) or data.get("k") not in MODELS:
        return "invalid", None
    account = db.session.get(MODELS[data["k"]], data.get("i")) \
        if isinstance(data.get("i"), int) else None
    locked_at = account.twostep_locked_at if account is not None else None
    if locked_at is None or locked_at != _moment(data.get("l")):
        return "invalid", None
    return ("expired", None) if expired else (None, account)


def _moment(text):
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def unlock_by_owner(account, origin):
    """The owner opened the emailed link and confirmed: the second step opens again, every
    session of the account ends (the caller commits)."""
    clear(account)
    end_all_sessions(account, "two-step unlocked")
    audit.record("twostep.unlocked", origin, **audit.about_account(account),
                 detail="unlocked by the owner from the emailed link")
