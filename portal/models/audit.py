"""The audit trail: who did what, on whose behalf, when and from where. Append-only."""

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import BigId, UTCDateTime, utcnow

# How long audit rows are kept (HIPAA documentation retention: six years).
AUDIT_RETENTION_DAYS = 6 * 366


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(String(12))  # staff, patient, system, anonymous
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    # No foreign keys: the trail must outlive the rows it speaks of.
    patient_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(40), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
