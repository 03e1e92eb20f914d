"""Health records the practice publishes to a patient's chart: structured entries (lab results,
immunizations, medications, allergies, problems, appointments, visit summaries, statements) and
documents (a PDF or an image, e.g. a radiology report).

One table for every kind: the kind's own facts (a lab's value, unit and range; a vaccine's lot)
are a JSON object whose fields services/records/categories.py defines per category, so a list page reads
one indexed table whatever the category. Entries are drafts until released; a lab result may be
held for a provider's review, with a written reason. Nothing here is ever deleted: an entry
entered in error is marked so (`status` "retracted") and leaves the patient's pages.
"""

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..extensions import db
from .types import BigId, UTCDateTime, utcnow

# draft: staff only; released: the patient's; held: a result a provider holds for review
# (staff only, with its reason); retracted: entered in error, staff only.
RECORD_STATUSES = ("draft", "released", "held", "retracted")


class RecordEntry(db.Model):
    __tablename__ = "record_entries"
    __table_args__ = (
        # A patient's category page, newest first: released entries only, read from one index.
        Index("ix_record_entries_patient_list", "patient_id", "category", "status", "recorded_on",
              "id"),
        # Staff's list of held results, oldest hold first.
        Index("ix_record_entries_status", "status", "held_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    category: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    # What the entry is called on lists (a test, a vaccine, a medication...) and the day it
    # is filed under (resulted, given, started, noted, visit or statement date).
    title: Mapped[str] = mapped_column(String(200))
    recorded_on: Mapped[date]
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    # A result outside its reference range: marked in words on every page and file.
    abnormal: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    hold_reason: Mapped[str] = mapped_column(Text, default="")
    # New to the patient until they open it.
    patient_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A document's file (category "document"): in the database, so a backup holds it.
    file_type: Mapped[str] = mapped_column(String(60), default="")
    file_sha256: Mapped[str] = mapped_column(String(64), default="")
    file_size: Mapped[int] = mapped_column(default=0)
    file_data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
