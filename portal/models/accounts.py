"""Patient portal accounts and the tokens' server-side state (invitations, password resets)."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

# Questions whose answers are stable, memorable, not on social media and not guessable from
# public records (OWASP "Choosing and Using Security Questions").
SECURITY_QUESTIONS = {
    "third_grade_street": _l("What was the name of the street you lived on in third grade?"),
    "childhood_friend": _l("What was the first name of your best friend in primary school?"),
    "first_job_town": _l("In what town or city was your first job?"),
    "parents_met": _l("In what town or city did your parents meet?"),
    "oldest_cousin": _l("What is the first and last name of your oldest cousin?"),
    "first_concert": _l("What was the first concert you went to?"),
    "childhood_hero": _l("Who was your childhood hero?"),
    "grandparents_street": _l("What street did your grandparents live on?"),
}


class PatientAccount(UserMixin, db.Model):
    """A sign-in to the patient portal: a patient's own (one per chart), or a parent's or
    guardian's who has no chart here (patient_id None; holder_name and holder_date_of_birth
    say who they are). Either may act for other patients through their proxy grants
    (models/proxies.py; services/proxies/acting.py)."""

    __tablename__ = "patient_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), unique=True)
    # Who holds an account without a chart of its own (a guardian's); empty for a patient's.
    holder_name: Mapped[str] = mapped_column(String(200), default="")
    holder_date_of_birth: Mapped[date | None] = mapped_column(Date)
    username: Mapped[str] = mapped_column(String(40), unique=True)  # stored case-folded
    email: Mapped[str] = mapped_column(String(254), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    security_question: Mapped[str] = mapped_column(String(40))
    security_answer_hash: Mapped[str] = mapped_column(String(200))
    # active, suspended, or pending (enrollment kept the account step; the portal consent is
    # still to sign, and nothing signs a pending account in)
    status: Mapped[str] = mapped_column(String(12), default="active")
    suspended_reason: Mapped[str] = mapped_column(Text, default="")
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    policy_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    policy_digest: Mapped[str] = mapped_column(String(64), default="")
    # An address typed on an activation letter's account step, sent its confirmation link
    # when enrollment finishes (services/enrollment.py); empty otherwise.
    email_to_confirm: Mapped[str] = mapped_column(String(254), default="")
    notify_messages: Mapped[bool] = mapped_column(default=True)
    notify_results: Mapped[bool] = mapped_column(default=True)
    notify_appointments: Mapped[bool] = mapped_column(default=True)
    notify_forms: Mapped[bool] = mapped_column(default=True)
    # Results and documents released and not yet told (services/patient_notices.py): the
    # first release since then, and when the last results notice was queued (at most one an hour).
    results_waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    results_noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reset_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Wrong security answers over all reset links; at the cap, self-service reset closes
    # (self_reset_closed_at) until the practice reopens it from the chart.
    wrong_answers_total: Mapped[int] = mapped_column(default=0)
    self_reset_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the owner was last told that sign-in was paused (at most one notice a day).
    lock_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Encrypted with the instance's TOTP key (services/secretbox.py), never stored in clear.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column()  # newest code used: no replays
    # Wrong two-step codes since twostep_wrong_since (a 24-hour count); at the cap the second
    # step locks (twostep_locked_at) until the owner or the practice unlocks it.
    twostep_wrong_codes: Mapped[int] = mapped_column(default=0)
    twostep_wrong_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    twostep_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    patient = relationship("Patient", lazy="joined")

    kind = "patient"

    @property
    def name(self):
        if self.patient is None:  # a guardian's account: the first word of their name
            return (self.holder_name.split() or [""])[0]
        return self.patient.preferred_name or self.patient.first_name

    @property
    def full_name(self):
        """The holder's full name: the chart's, or the one a guardian's account keeps."""
        return self.holder_name if self.patient is None else self.patient.full_name

    @property
    def date_of_birth(self):
        """The holder's date of birth: the chart's, or the one a guardian's account keeps."""
        return self.holder_date_of_birth if self.patient is None else self.patient.date_of_birth

    @property
    def is_active(self):
        return self.status == "active"

    @property
    def question_text(self):
        return SECURITY_QUESTIONS.get(self.security_question, "")

    def get_id(self):
        return f"patient:{self.id}"


class Invitation(db.Model):
    """An invitation to enroll: emailed (kind "email": the token names the row and carries its
    nonce) or printed in an activation letter (kind "letter": the code, kept only as a keyed
    hash, finds the row; `email` is empty)."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="email")
    email: Mapped[str] = mapped_column(String(254))
    nonce: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    identity_failures: Mapped[int] = mapped_column(default=0)
    identity_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # superseded, revoked, email_changed, identity_failures
    void_reason: Mapped[str] = mapped_column(String(30), default="")
    # Enrollment's account step refused for another field: the password that passed every
    # rule, argon2-hashed, for the one browser whose key hashes to the holder (empty: none).
    kept_password_hash: Mapped[str] = mapped_column(String(200), default="")
    kept_password_holder: Mapped[str] = mapped_column(String(64), default="")


class PasswordReset(db.Model):
    """One emailed reset link. Assisted resets are sent by staff after a phone check."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("patient_accounts.id"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assisted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    wrong_answers: Mapped[int] = mapped_column(default=0)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(db.Model):
    """A one-time code for two-step sign-in when the phone is lost; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_kind: Mapped[str] = mapped_column(String(12))
    account_id: Mapped[int] = mapped_column(index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryRequest(db.Model):
    """A "forgot password" or "forgot username" form, waiting for the mail worker.

    The page only stores what was typed and answers at once; the worker looks the account up
    and sends what is due. So the page does the same work, in the same time, whether or not
    the name belongs to an account. The row is deleted once handled.
    """

    __tablename__ = "recovery_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # password, username
    name: Mapped[str] = mapped_column(String(254))  # username or email address, as typed
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
