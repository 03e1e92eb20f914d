"""What a patient had typed when the idle sign-out ended their session (issue 21)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import BigId, UTCDateTime, utcnow


class KeptDraft(db.Model):
    """The fields of one form posted after the session had timed out, encrypted (they may be
    health information). Reached only through the ended session's cookie, by the same
    account signing in again; gone after a day (services/kept_drafts.py)."""

    __tablename__ = "kept_drafts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True)
    account_kind: Mapped[str] = mapped_column(String(12))
    account_id: Mapped[int]
    # Which form: "message", "reply" or "health_form", and the conversation or document.
    form: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int | None]
    fields: Mapped[str] = mapped_column(Text)
    had_files: Mapped[bool] = mapped_column(default=False)
    kept_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The session the same account signed in with next, on that browser: only it gets it back.
    handed_to_session_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True)
