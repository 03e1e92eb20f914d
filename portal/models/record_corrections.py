"""A patient's request to correct an entry of their health record (issue 10, item 6).

The request itself is a secure-message conversation (what the patient wrote, the staff reply
with the outcome): this row ties that conversation to the entry and keeps the outcome staff
record, so the entry's staff page lists every request about it. Nothing here is deleted.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import BigId, UTCDateTime, utcnow

# open: waiting for staff; corrected: staff changed the record; not_changed: staff looked and
# left it, with a written explanation.
CORRECTION_STATUSES = ("open", "corrected", "not_changed")


class RecordCorrection(db.Model):
    __tablename__ = "record_corrections"
    __table_args__ = (
        # The entry's staff page: its requests, oldest first.
        Index("ix_record_corrections_entry", "entry_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("record_entries.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    conversation_id: Mapped[int] = mapped_column(BigId, ForeignKey("conversations.id"),
                                                 index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")
    # What staff wrote with the outcome (required when nothing was changed).
    outcome: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
