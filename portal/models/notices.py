"""What the patient notices job has done (services/patient_notices.py): the day-before
reminder of each appointment, at most once per appointment and day."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .records import RecordEntry
from .types import BigId, UTCDateTime, utcnow


class AppointmentReminder(db.Model):
    """A day-before reminder queued for an appointment (a record entry) on `day`. The unique
    pair is the claim: a second worker, or a rerun, cannot add it again."""

    __tablename__ = "appointment_reminders"
    __table_args__ = (UniqueConstraint("entry_id", "day", name="uq_appointment_reminders_entry_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("record_entries.id"))
    day: Mapped[date]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The reminder job reads one day's released appointments across every chart.
Index("ix_record_entries_by_day", RecordEntry.category, RecordEntry.status, RecordEntry.recorded_on)
