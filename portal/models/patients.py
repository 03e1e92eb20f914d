"""Patient charts: who the practice's patients are (demographics, not clinical data)."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

# Value -> label shown to people (lazy: translated when shown; str() where plain text is needed).
SEX_CHOICES = {"female": _l("Female"), "male": _l("Male"), "other": _l("X or other"),
               "unknown": _l("Unknown")}
CHART_STATUSES = {"active": _l("Active"), "inactive": _l("Inactive"), "deceased": _l("Deceased")}


class Patient(db.Model):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_number: Mapped[str] = mapped_column(String(20), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    middle_name: Mapped[str] = mapped_column(String(80), default="")
    last_name: Mapped[str] = mapped_column(String(80))
    preferred_name: Mapped[str] = mapped_column(String(80), default="")
    date_of_birth: Mapped[date] = mapped_column(Date, index=True)
    sex: Mapped[str] = mapped_column(String(10))
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    address_line1: Mapped[str] = mapped_column(String(120), default="")
    address_line2: Mapped[str] = mapped_column(String(120), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    state: Mapped[str] = mapped_column(String(40), default="")
    postal_code: Mapped[str] = mapped_column(String(12), default="")
    status: Mapped[str] = mapped_column(String(12), default="active")
    # Lower-cased names joined by spaces, kept in step by the patients service, so a name
    # search is one case-insensitive LIKE that behaves the same on SQLite and PostgreSQL.
    search_name: Mapped[str] = mapped_column(String(330), index=True, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def full_name(self):
        return " ".join(part for part in (self.first_name, self.middle_name, self.last_name) if part)

    @property
    def sorted_name(self):
        return sorted_name(self.last_name, self.first_name)

    @property
    def sex_label(self):
        return SEX_CHOICES.get(self.sex, self.sex)

    @property
    def status_label(self):
        return CHART_STATUSES.get(self.status, self.status)


def sorted_name(last_name, first_name):
    """A name as lists sort it: "Quill, Robin"."""
    return f"{last_name}, {first_name}"
