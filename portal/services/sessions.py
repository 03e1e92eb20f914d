"""Server-side sessions: idle and absolute time-outs, sign-out here and everywhere.

The signed Flask cookie carries only a random token. Each request looks the token's hash up
in auth_sessions, so ending a session in the database ends it in every gunicorn worker at
once, and a copied cookie stops working after sign-out.
"""

import hashlib
import secrets
from datetime import timedelta

from flask import request
from sqlalchemy import select, update

from ..extensions import db
from ..models import AuthSession
from ..models.types import utcnow

IDLE_TIMEOUT = timedelta(minutes=15)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# last_seen_at is written at most this often, so browsing is not a stream of writes.
TOUCH_INTERVAL = timedelta(seconds=60)


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(account):
    """Open a session for `account` and return the token for the cookie (256 random bits)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        AuthSession(
            token_hash=_hash(token),
            account_kind=account.kind,
            account_id=account.id,
            ip=request.remote_addr or "",
            user_agent=request.user_agent.string[:200],
        )
    )
    return token


def check_session(token, account_kind):
    """Return (auth_session, problem): problem is None, "expired" or "ended".

    A live session is touched (last seen now) so idle time counts from the latest request.
    """
    if not token:
        return None, "ended"
    found = db.session.scalar(select(AuthSession).where(AuthSession.token_hash == _hash(token)))
    if found is None or found.ended_at is not None or found.account_kind != account_kind:
        return None, "ended"
    now = utcnow()
    if now - found.last_seen_at > IDLE_TIMEOUT or now - found.created_at > ABSOLUTE_TIMEOUT:
        found.ended_at, found.end_reason = now, "timeout"
        db.session.commit()
        return None, "expired"
    if now - found.last_seen_at > TOUCH_INTERVAL:
        found.last_seen_at = now
        db.session.commit()
    return found, None


def end_session(token, reason="sign-out"):
    """End the one session this token belongs to."""
    if token:
        db.session.execute(
            update(AuthSession)
            .where(AuthSession.token_hash == _hash(token), AuthSession.ended_at.is_(None))
            .values(ended_at=utcnow(), end_reason=reason)
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
        .values(ended_at=utcnow(), end_reason=reason)
    )
