"""A patient's share of their health record with another provider (issue 10, item 4).

The patient chooses what (the whole record or some categories) and for how long (1 to 30
days). The share is opened by a link and a separate access code; both are shown to the patient
once and kept here only as keyed hashes (services/records/shares.py), so a copy of the database
can neither open a share nor test a guess. Nothing is deleted: a revoked or expired share stays,
and its uses stay on the audit trail, where the patient's access history reads them.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import BigId, UTCDateTime, utcnow


class RecordShare(db.Model):
    __tablename__ = "record_shares"
    __table_args__ = (
        # The patient's list of shares, newest first.
        Index("ix_record_shares_patient", "patient_id", "created_at"),
    )

    # Who acts on the audit trail when a provider opens the share (services/audit.py).
    kind = "share"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("patient_accounts.id"))
    # Who it is for, in the patient's words ("Dr. Lee, Lakeside Cardiology"): the history
    # names the share by it.
    recipient: Mapped[str] = mapped_column(String(120))
    # The category keys shared; `whole_record` shares every category, new ones included.
    whole_record: Mapped[bool] = mapped_column(default=False)
    categories: Mapped[list] = mapped_column(JSON, default=list)
    link_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it stopped (services/records/shares.STOP_REASONS: "patient", "suspended",
    # "password-reset", "two-step-reset", "sign-out-all", "staff"), for the patient's list.
    revoked_reason: Mapped[str | None] = mapped_column(String(20))
    # A staff member's own words when staff stopped it (staff read them on the chart; the
    # patient reads only "stopped by the practice", as the words may hold health details).
    revoked_note: Mapped[str | None] = mapped_column(String(500))
    # Wrong access codes typed; at services/records/shares.MAX_WRONG_CODES the share locks.
    wrong_codes: Mapped[int] = mapped_column(default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_count: Mapped[int] = mapped_column(default=0)
    last_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecordShareOpen(db.Model):
    """One browser given the right access code: its cookie holds a random nonce, kept here
    only as a hash, and the share is open in that browser while this row is (until
    `open_until`, and not closed). "Close the shared record" closes the row, so a replayed
    cookie opens nothing (services/records/shares.py)."""

    __tablename__ = "record_share_opens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    share_id: Mapped[int] = mapped_column(BigId, ForeignKey("record_shares.id"), index=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    open_until: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
