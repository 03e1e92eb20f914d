"""Sign-in throttling, counted in the database so it holds across workers and restarts.

Failures are counted per account name (whether or not the account exists, so a lock tells
an attacker nothing) and per network address. Ten failures for one name within 15 minutes
pause sign-in for that name for 15 minutes; attempts during a pause are not counted, so the
pause cannot be stretched forever by one person. An address with many failures across names
is refused for a while (password spraying).
"""

from datetime import timedelta

from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import SignInFailure
from ..models.types import utcnow

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 10
# Higher than the account limit: a practice's staff, or a family, can share one address.
ADDRESS_LIMIT = 50


def account_key(name):
    """The name as counted: trimmed and case-folded, so 'Ann' and 'ann ' are one account."""
    return (name or "").strip().casefold()[:254]


def locked_until(name):
    """When sign-in for this name opens again, or None when it is open now.

    Locked while the newest failure is under 15 minutes old and it and the nine before it
    all fell within one 15-minute window.
    """
    now = utcnow()
    recent = db.session.scalars(
        select(SignInFailure.at)
        .where(SignInFailure.account_key == account_key(name), SignInFailure.at > now - 2 * WINDOW)
        .order_by(SignInFailure.at.desc())
        .limit(ACCOUNT_LIMIT)
    ).all()
    if len(recent) < ACCOUNT_LIMIT or recent[0] - recent[-1] > WINDOW:
        return None
    until = recent[0] + WINDOW
    return until if until > now else None


def address_blocked(ip):
    """True when this address has failed too often, across all names, in the window."""
    count = db.session.scalar(
        select(func.count(SignInFailure.id)).where(
            SignInFailure.ip == (ip or ""), SignInFailure.at > utcnow() - WINDOW
        )
    )
    return count >= ADDRESS_LIMIT


def record_failure(name, ip):
    """Count a failed sign-in made while the name was open; True when it starts a lock.

    Call it under database.lock_for_write(name) so concurrent failures are counted in turn.
    """
    db.session.add(SignInFailure(account_key=account_key(name), ip=ip or ""))
    db.session.flush()
    return locked_until(name) is not None


def failure_count(name):
    """How many failures are on record for this name (a row of them, when cleared on success)."""
    return db.session.scalar(
        select(func.count(SignInFailure.id)).where(SignInFailure.account_key == account_key(name)))


def account_failure_key(account):
    """The key an account's sign-in failures count under (signin.throttle_key for a known
    account)."""
    return f"{account.kind}:{account.id}"


def clear_failures(name):
    """A good sign-in wipes the name's count (the address count runs out on its own)."""
    db.session.execute(delete(SignInFailure).where(SignInFailure.account_key == account_key(name)))
