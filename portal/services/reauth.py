"""Asking a signed-in person for their current password again, with a limit.

Profile forms, the two-step pages and staff account pages ask for the current password
before a change. Each wrong entry counts as a sign-in failure for the account (so it feeds
the same sign-in pause as the sign-in page) and, apart from that, in a row: the fifth wrong
entry in a row ends every session of the account, and the owner is emailed. A right entry
starts the row again.
"""

from flask_babel import gettext as _

from ..database import keep_now, lock_for_write
from ..extensions import db
from . import audit, throttle
from .mail import send_email
from .passwords import verify_password
from .sessions import end_all_sessions

# Wrong current passwords in a row before every session of the account ends.
WRONG_IN_A_ROW_LIMIT = 5


def _row_key(account):
    return f"reauth-{account.kind}:{account.id}"


def confirm_password(account, password, purpose, origin):
    """Check the current password typed on a form; returns "ok", "wrong" or "ended".

    "ended": that was the fifth wrong entry in a row, every session of the account is over
    (the caller signs this browser out too). Wrong entries are kept at once
    (database.keep_now): they must stay counted whatever the view does next.
    """
    if verify_password(account.password_hash, password)[0]:
        throttle.clear_failures(_row_key(account))
        return "ok"
    lock_for_write(db.session, _row_key(account))
    audit.record(f"{account.kind}.reauth_failed", origin, actor=account, detail=purpose,
                 **audit.about_account(account))
    throttle.record_failure(throttle.account_failure_key(account), origin.ip)
    throttle.record_failure(_row_key(account), None)
    if throttle.failure_count(_row_key(account)) < WRONG_IN_A_ROW_LIMIT:
        keep_now(db.session)
        return "wrong"
    throttle.clear_failures(_row_key(account))
    end_all_sessions(account, "reauth-failed")
    audit.record(f"{account.kind}.reauth_limit", origin, actor=account,
                 detail="5 wrong current passwords in a row: signed out everywhere",
                 **audit.about_account(account))
    send_email(account.email, _("You were signed out of the portal"), "reauth_limit",
               name=account.name)
    keep_now(db.session)
    return "ended"
