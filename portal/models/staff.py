"""Staff accounts: the practice's own people, each with one role."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

# Role key -> label shown to people (lazy: translated when shown; str() where plain text is
# needed). Admins also run practice settings and read the audit log.
STAFF_ROLES = {
    "admin": _l("Practice admin"),
    "provider": _l("Provider"),
    "nurse": _l("Nurse"),
    "front_desk": _l("Front desk"),
    "billing": _l("Billing"),
}


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Encrypted with the instance's TOTP key (services/secretbox.py), never stored in clear.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column()  # newest code used: no replays
    # Wrong two-step codes since twostep_wrong_since (a 24-hour count); at the cap the second
    # step locks (twostep_locked_at) until the owner or the practice unlocks it.
    twostep_wrong_codes: Mapped[int] = mapped_column(default=0)
    twostep_wrong_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    twostep_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when an admin hands over a one-time password: it must be replaced at sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the owner was last told that sign-in was paused (at most one notice a day).
    lock_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    kind = "staff"

    @property
    def is_active(self):
        return self.active

    @property
    def is_admin(self):
        return self.role == "admin"

    @property
    def role_label(self):
        return STAFF_ROLES.get(self.role, self.role)

    def get_id(self):
        return f"staff:{self.id}"
