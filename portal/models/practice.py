"""The practice's own settings: one row, edited by the practice admin."""

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class Practice(db.Model):
    __tablename__ = "practice"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address_line1: Mapped[str] = mapped_column(String(120), default="")
    address_line2: Mapped[str] = mapped_column(String(120), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    state: Mapped[str] = mapped_column(String(40), default="")
    postal_code: Mapped[str] = mapped_column(String(12), default="")
    mailing_address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    fax: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    office_hours: Mapped[str] = mapped_column(Text, default="")
    reply_time_promise: Mapped[str] = mapped_column(Text, default="")
    emergency_notice: Mapped[str] = mapped_column(Text, default="")
    attachments_allowed: Mapped[bool] = mapped_column(default=True)
    attachment_max_mb: Mapped[int] = mapped_column(default=10)
    attachment_types: Mapped[str] = mapped_column(String(200), default="pdf, jpg, png")
    attachment_message_max_mb: Mapped[int] = mapped_column(default=20)
    activation_code_days: Mapped[int] = mapped_column(default=30)
    # Results are released at once (information-blocking rules); a practice may let a
    # provider hold one for review, with a written reason.
    result_holds_allowed: Mapped[bool] = mapped_column(default=False)
    # A minor's own account (issue 22): from this age (12 or 13), or 18 for none before
    # adulthood; and whether a teen's new message is "just me and the care team" unless
    # they choose to include their parents and guardians.
    teen_account_age: Mapped[int] = mapped_column(default=13)
    teen_messages_private: Mapped[bool] = mapped_column(default=True)
    portal_policy: Mapped[str] = mapped_column(Text, default="")
    # A public page answers "valid, signed on DATE" for a signed PDF's verification code.
    public_verification: Mapped[bool] = mapped_column(default=False)
    # The practice's own choices in the staff role table (action -> roles, for the actions a
    # practice may change); None until the admin saves it: services/permissions.py.
    role_permissions: Mapped[dict | None] = mapped_column(JSON, nullable=True, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def street_address(self):
        """The address as display lines, blank parts left out."""
        city_line = " ".join(
            part for part in (f"{self.city}," if self.city else "", self.state, self.postal_code)
            if part
        )
        return [line for line in (self.address_line1, self.address_line2, city_line) if line]
