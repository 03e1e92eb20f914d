"""Server-side sessions: idle and absolute time-outs, sign-out here and everywhere.

The signed Flask cookie carries only a random token. Each request looks the token's hash up
in auth_sessions, so ending a session in the database ends it in every gunicorn worker at
once, and a copied cookie stops working after sign-out.
"""

import functools
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, select, update

from ..extensions import db
from ..models import AuthSession, Practice
from ..models.types import utcnow
from .practice import PRACTICE_ID

IDLE_TIMEOUT = timedelta(minutes=15)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# last_seen_at is written at most this often, so browsing is not a stream of writes.
TOUCH_INTERVAL = timedelta(seconds=60)
# How long a sign-in may wait between the right password and its two-step code.
PENDING_LIFETIME = timedelta(minutes=5)


# db.session.info key of the session row check_session found live in this database session.
_CHECKED = "checked_auth_session"
_LIVE_SESSION = select(AuthSession).where(AuthSession.token_hash == bindparam("token_hash"),
                                          AuthSession.ended_at.is_(None))


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(account, ip, user_agent):
    """Open a session for `account` and return the token for the cookie (256 random bits)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        AuthSession(
            token_hash=_hash(token),
            account_kind=account.kind,
            account_id=account.id,
            ip=ip or "",
            user_agent=(user_agent or "")[:200],
        )
    )
    return token


@functools.cache
def _session_and_account(account_model, facts):
    """The session check's statement for one account model and its facts, built once per
    process. The practice's row comes with it: every signed-in page draws the letterhead, and
    one round trip is cheaper than two (get_practice then finds it in the identity map)."""
    return (select(AuthSession, account_model, Practice, *facts)
            .outerjoin(account_model, account_model.id == AuthSession.account_id)
            .outerjoin(Practice, Practice.id == PRACTICE_ID)
            .where(AuthSession.token_hash == bindparam("token_hash")))


def check_session(token, account_kind, account_model, facts=()):
    """Return (auth_session, account, problem, facts) for a browser's session token: problem is
    None, "expired" or "ended" (and the others None then). `account_model` is StaffUser or
    PatientAccount: the account is read in the same query, as every signed-in page asks for
    both. It is None when the account no longer exists.

    `facts` are labelled columns about the account that the caller wants in the same round
    trip (built once, they may use the `now` parameter); their values come back as a Row.

    A live session is touched (last seen now) so idle time counts from the latest request.
    Those writes go in a short transaction of their own (_write_apart): this runs whenever a
    page first asks who is signed in, and must never commit, or share, the page's own work.
    """
    if not token:
        return None, None, "ended", None
    now = utcnow()
    row = db.session.execute(_session_and_account(account_model, facts),
                             {"token_hash": _hash(token), "now": now}).first()
    found, account = row[:2] if row is not None else (None, None)
    if found is None or found.ended_at is not None or found.account_kind != account_kind:
        return None, None, "ended", None
    if now - found.last_seen_at > IDLE_TIMEOUT or now - found.created_at > ABSOLUTE_TIMEOUT:
        _write_apart(_this_row(found).values(ended_at=now, end_reason="timeout", data=None))
        return None, None, "expired", None
    if now - found.last_seen_at > TOUCH_INTERVAL:
        _write_apart(_this_row(found).values(last_seen_at=now))
    db.session.info[_CHECKED] = found  # what this request keeps on it is read from this row
    return found, account, None, row


def _this_row(found):
    # Built only when a write is due: most requests write nothing, and building costs.
    return update(AuthSession).where(AuthSession.id == found.id)


def _write_apart(statement):
    """Run `statement` in a short transaction on a connection of its own.

    Skipped while the page's own transaction holds SQLite's write lock (the other connection
    would wait for it): the write is only bookkeeping, since a session's expiry is worked out
    from its times, not from this row's ended_at.
    """
    if _page_holds_sqlite_write_lock():
        return
    with db.engine.begin() as connection:
        connection.execute(statement)


def _page_holds_sqlite_write_lock():
    page = db.session()  # the request's Session behind the scoped proxy
    if db.engine.dialect.name != "sqlite" or not page.in_transaction():
        return False
    return page.connection().connection.driver_connection.in_transaction


def end_session(token, reason="sign-out"):
    """End the one session this token belongs to (what it kept, search text say, goes too)."""
    if token:
        db.session.execute(
            update(AuthSession)
            .where(AuthSession.token_hash == _hash(token), AuthSession.ended_at.is_(None))
            .values(ended_at=utcnow(), end_reason=reason, data=None)
        )


def end_all_sessions(account, reason):
    """End every session of an account (password change, reset, suspension, sign out all)."""
    db.session.execute(
        update(AuthSession)
        .where(
            AuthSession.account_kind == account.kind,
            AuthSession.account_id == account.id,
            AuthSession.ended_at.is_(None),
        )
        .values(ended_at=utcnow(), end_reason=reason, data=None)
    )


def live_session(token):
    """The live session row of `token`: the one check_session found for this request's
    database session when it is that token's (no second query), else read now."""
    if not token:
        return None
    token_hash = _hash(token)
    checked = db.session.info.get(_CHECKED)
    if checked is not None and checked in db.session and checked.token_hash == token_hash:
        return checked if checked.ended_at is None else None
    return db.session.scalar(_LIVE_SESSION, {"token_hash": token_hash})


def session_value(token, key, default=None):
    """A value kept on the server-side session row of `token` (search text, filters).

    Such values never sit in the cookie, and they end with the session: a new sign-in
    starts with none.
    """
    found = live_session(token)
    if found is None or not found.data:
        return default
    return found.data.get(key, default)


def set_session_value(token, key, value):
    """Keep `value` (JSON-serialisable; None removes the key) on the session row of `token`.

    Returns False when the token has no live session. The caller commits.
    """
    found = live_session(token)
    if found is None:
        return False
    data = dict(found.data or {})  # a new dict, so SQLAlchemy sees the JSON column change
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value
    found.data = data
    return True


def session_of_token(token):
    """The session row of `token`, live or ended, read afresh; None when there is none.

    (Kept drafts, services/kept_drafts.py, find the session the idle sign-out ended.)
    """
    if not token:
        return None
    return db.session.scalar(select(AuthSession).where(AuthSession.token_hash == _hash(token))
                             .execution_options(populate_existing=True))
