"""The mail outbox: every email is a row first, written with the change that caused it."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import BigId, UTCDateTime, utcnow


class OutboxEmail(db.Model):
    __tablename__ = "outbox_emails"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recipient: Mapped[str] = mapped_column(String(254))
    # The chart an email was about, when it was about one: a notice that cannot be delivered
    # shows on that chart.
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    # Kept after sending, when the bodies (and their links) are cleared.
    template: Mapped[str] = mapped_column(String(60), default="")
    body_sha256: Mapped[str] = mapped_column(String(64), default="")
    # The Message-ID header, fixed when queued: a retried delivery carries the same one,
    # so a receiving server (or the .eml folder) sees a duplicate, not a second message.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    gave_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(300), default="")
