"""Sign-in bookkeeping: server-side sessions and failed attempts (for throttling)."""

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import BigId, UTCDateTime, utcnow


class AuthSession(db.Model):
    """One signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_kind: Mapped[str] = mapped_column(String(12))
    account_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(String(20), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    # Per-session state that must not sit in the signed cookie (search text, filters).
    data: Mapped[dict | None] = mapped_column(JSON)


class SignInFailure(db.Model):
    """A failed sign-in, counted per account name and per address across all workers."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    account_key: Mapped[str] = mapped_column(String(254), index=True)
    ip: Mapped[str] = mapped_column(String(45), index=True)


class RateLimitHit(db.Model):
    """One use of a rate-limited endpoint from an address, counted across all workers."""

    __tablename__ = "rate_limit_hits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(40))
    ip: Mapped[str] = mapped_column(String(45))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (db.Index("ix_rate_limit_hits_bucket_ip_at", "bucket", "ip", "at"),)
