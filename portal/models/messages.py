"""Secure messages between a patient and the care team.

A conversation belongs to one patient and one topic; the topic routes it to a staff pool and
sets the reply time the practice promises. Messages are never edited or deleted: a patient
archives a conversation (it stays for staff), staff close it. An internal note is a message
staff write for each other; nothing a patient sees ever reads one (services/messages/).
Attachments live in the database, so a backup holds them, with the SHA-256 checked on every
download.
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, and_, or_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from .types import BigId, UTCDateTime, utcnow

# Staff pools a topic routes to (each staff role but admin works one pool; see services/messages/inbox.py).
POOLS = {"front_desk": _l("Front desk"), "nurse": _l("Nurse"), "billing": _l("Billing"),
         "provider": _l("Provider")}
# What a topic's form asks for beyond subject and body.
TOPIC_FORMS = {"plain": _l("Subject and message"), "refill": _l("Prescription refill"),
               "appointment": _l("Appointment request")}
STATUSES = {"new": _l("New"), "open": _l("Open"), "waiting": _l("Waiting on patient"),
            "closed": _l("Closed")}


class MessageTopic(db.Model):
    """A subject a patient may write about, set by the practice admin."""

    __tablename__ = "message_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(80))
    pool: Mapped[str] = mapped_column(String(20))
    form: Mapped[str] = mapped_column(String(20), default="plain")
    # The practice answers within this many business days (Monday to Friday, its time zone).
    reply_business_days: Mapped[int] = mapped_column(default=2)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def pool_label(self):
        return POOLS.get(self.pool, self.pool)


class Conversation(db.Model):
    __tablename__ = "conversations"
    __table_args__ = (
        # The patient's inbox, newest first; the staff inbox by pool and status, oldest
        # waiting first.
        Index("ix_conversations_patient_latest", "patient_id", "patient_archived", "last_message_at"),
        Index("ix_conversations_queue", "status", "pool", "waiting_since"),  # one pool's inbox
        Index("ix_conversations_waiting", "status", "waiting_since", "id"),  # every pool's
        Index("ix_conversations_assigned", "assigned_to_id", "status", "waiting_since"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("message_topics.id"))
    pool: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default="new")
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    started_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Since when the patient's oldest unanswered message has waited (None: nothing waits).
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The care team's newest message, and when the patient last opened the conversation:
    # unread for the patient when the first is later than the second.
    last_staff_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    patient_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    patient_archived: Mapped[bool] = mapped_column(default=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    topic = relationship("MessageTopic", lazy="joined", innerjoin=True)
    assigned_to = relationship("StaffUser", foreign_keys=[assigned_to_id])

    @property
    def reply_business_days(self):
        """The topic's reply promise, in business days."""
        return self.topic.reply_business_days

    @hybrid_property
    def unread_for_patient(self):
        """A reply the patient has not opened: the care team's newest message came after the
        patient last opened the conversation. The same rule in SQL just below."""
        return self.last_staff_message_at is not None and (
            self.patient_read_at is None or self.last_staff_message_at > self.patient_read_at)

    @unread_for_patient.inplace.expression
    @classmethod
    def _unread_for_patient_expression(cls):
        return and_(cls.last_staff_message_at.is_not(None),
                    or_(cls.patient_read_at.is_(None),
                        cls.last_staff_message_at > cls.patient_read_at))

    @property
    def status_label(self):
        return STATUSES.get(self.status, self.status)


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(BigId, ForeignKey("conversations.id"))
    # The patient's account, or a staff member: exactly one is set.
    patient_account_id: Mapped[int | None] = mapped_column(ForeignKey("patient_accounts.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # Staff-only notes never reach a patient page, email or download.
    internal: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    # A topic's own fields (medication, dose, pharmacy; reason, days, times), as label: value.
    details: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The compose page's one-time key: sending the same page twice sends once.
    submission_key: Mapped[str | None] = mapped_column(String(43), unique=True)

    staff = relationship("StaffUser", lazy="joined")
    attachments = relationship("MessageAttachment", order_by="MessageAttachment.id",
                               lazy="selectin")

    @property
    def from_patient(self):
        return self.patient_account_id is not None


class MessageAttachment(db.Model):
    __tablename__ = "message_attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigId, ForeignKey("messages.id"), index=True)
    # The name the sender gave, cleaned; downloads use a neutral name built from the id.
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))


class ReplyTemplate(db.Model):
    """A saved reply staff may start from, managed by the practice admin."""

    __tablename__ = "reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
