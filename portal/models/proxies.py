"""Proxy access (issue 22): people other than the patient who may act for them.

A ProxyGrant is one person's access to one patient's chart: a parent or guardian the practice
records on a minor's chart, having seen the document that makes them one. Each guardian is a
row of their own, so a child's two parents are two grants, each with their own email (and,
once invited, their own account). An AccessBlock is the chart's "do not grant access to
NAME" (a custody order, say): no grant is made to that name or email while it stands.
Nothing is deleted: an ended grant and a lifted block stay, with who ended it and why.
"""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

# value -> label shown to staff (lazy: translated when shown).
RELATIONSHIPS = {"parent": _l("Parent"), "step_parent": _l("Step-parent"),
                 "grandparent": _l("Grandparent"), "legal_guardian": _l("Legal guardian"),
                 "foster_parent": _l("Foster parent")}
# Whom an adult patient may invite as a representative (issue 22, part 2).
REPRESENTATIVE_RELATIONSHIPS = {"spouse_partner": _l("Spouse or partner"),
                                "adult_child": _l("Son or daughter"),
                                "parent": _l("Parent"), "sibling": _l("Brother or sister"),
                                "caregiver": _l("Caregiver"), "friend": _l("Friend"),
                                "other": _l("Someone else")}
# What a representative may do, as the patient chose (a guardian may do all three).
PERMISSIONS = {"records": _l("View the health record"),
               "messages": _l("Read and send messages with the care team"),
               "forms": _l("Fill in and sign forms")}
# The document staff saw that makes the person the child's guardian.
GUARDIAN_DOCUMENTS = {"birth_certificate": _l("Birth certificate"),
                      "custody_order": _l("Custody order"),
                      "court_order": _l("Court order (guardianship)")}
# added: recorded, no account yet (invited or not); active: the guardian's account has it.
GRANT_STATUSES = {"added": _l("Added, not signed up yet"), "active": _l("Signed up"),
                  "ended": _l("Ended")}
# What a guardian may reach. Limited (a patient aged 12 to 17, with a reason): messages with
# the care team, immunizations, allergies and forms that are not confidential (issue 22).
SCOPES = {"full": _l("Full"),
          "limited": _l("Limited: messages with the care team, immunizations, allergies and "
                        "forms that are not confidential")}
# The court orders under which a guardian's access continues past the patient's 18th birthday.
COURT_ORDERS = {"guardianship": _l("Guardianship order"),
                "conservatorship": _l("Conservatorship"),
                "health_care_poa": _l("Health-care power of attorney")}
# Why an item is confidential from every guardian (issue 22, part 4).
CONFIDENTIAL_BASES = {
    "minor_consent": _l("A minor-consent service the law protects"),
    "harm": _l("A clinician found that a guardian's access could harm the patient"),
    "patient_request": _l("The patient asked"),
}
# The minor-consent services (California), each with the age from which the minor consents.
MINOR_CONSENT_SERVICES = {
    "mental_health": (_l("Mental health care"), 12),
    "sti": (_l("Care for a sexually transmitted infection"), 12),
    "substance_use": (_l("Drug or alcohol care"), 12),
    "pregnancy": (_l("Pregnancy care"), 0),
    "contraception": (_l("Contraception"), 0),
    "sexual_assault": (_l("Care after a sexual assault"), 0),
}
END_REASONS = {"added_in_error": _l("Added in error"),
               "custody_changed": _l("Custody or guardianship changed"),
               "blocked": _l("A \u201cdo not grant access\u201d entry names them"),
               "revoked_by_patient": _l("The patient revoked it"),
               "other": _l("Another reason, noted in the chart")}


class ProxyGrant(db.Model):
    __tablename__ = "proxy_grants"
    __table_args__ = (Index("ix_proxy_grants_patient", "patient_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    kind: Mapped[str] = mapped_column(String(20), default="guardian")  # or "representative"
    full_name: Mapped[str] = mapped_column(String(200))
    relationship: Mapped[str] = mapped_column(String(30))
    # Lower-cased, as typed otherwise; a current grant's is unique within its chart.
    email: Mapped[str] = mapped_column(String(254))
    # A guardian's, as staff recorded it; a representative's, as they typed it on joining.
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    document: Mapped[str] = mapped_column(String(30), default="")  # a guardian's only
    # What the grant allows: all three for a guardian, the patient's choice for a
    # representative (PERMISSIONS).
    may_records: Mapped[bool] = mapped_column(default=True)
    may_message: Mapped[bool] = mapped_column(default=True)
    may_sign: Mapped[bool] = mapped_column(default=True)
    # A representative's: the last day of access the patient chose, and the authorization the
    # patient signed (its words as shown, the name typed, when).
    access_ends_on: Mapped[date | None] = mapped_column(Date)
    authorization_text: Mapped[str] = mapped_column(Text, default="")
    authorized_name: Mapped[str] = mapped_column(String(200), default="")
    authorized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="added")
    scope: Mapped[str] = mapped_column(String(10), default="full")
    scope_reason: Mapped[str] = mapped_column(String(300), default="")
    # Past the 18th birthday only under a court order (COURT_ORDERS), until its review date.
    continues_under: Mapped[str] = mapped_column(String(30), default="")
    review_on: Mapped[date | None] = mapped_column(Date)
    # A pause of a current grant, with staff's reason; reinstating clears both.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_reason: Mapped[str] = mapped_column(String(300), default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(String(30), default="")
    # The guardian's portal account, once they accepted an invitation (status "active").
    account_id: Mapped[int | None] = mapped_column(ForeignKey("patient_accounts.id"), index=True)
    # When the guardian was emailed that the access ends at 18 (30 days before).
    ending_notice_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def relationship_label(self):
        labels = REPRESENTATIVE_RELATIONSHIPS if self.kind == "representative" else RELATIONSHIPS
        return labels.get(self.relationship, self.relationship)

    @property
    def permission_labels(self):
        """What the grant allows, in words (PERMISSIONS' order)."""
        allowed = {"records": self.may_records, "messages": self.may_message,
                   "forms": self.may_sign}
        return [label for key, label in PERMISSIONS.items() if allowed[key]]

    @property
    def document_label(self):
        return GUARDIAN_DOCUMENTS.get(self.document, self.document)

    @property
    def status_label(self):
        return GRANT_STATUSES.get(self.status, self.status)

    @property
    def scope_label(self):
        return SCOPES.get(self.scope, self.scope)

    @property
    def court_order_label(self):
        return COURT_ORDERS.get(self.continues_under, self.continues_under)

    @property
    def end_reason_label(self):
        return END_REASONS.get(self.end_reason, self.end_reason)


class ConfidentialMark(db.Model):
    """A record entry (a document too) or a conversation hidden from every guardian of the
    patient, at any age, on a basis staff record (CONFIDENTIAL_BASES). A mark removed stays,
    with who removed it."""

    __tablename__ = "confidential_marks"
    __table_args__ = (Index("ix_confidential_marks_item", "object_type", "object_id"),
                      Index("ix_confidential_marks_patient", "patient_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    object_type: Mapped[str] = mapped_column(String(20))  # record_entry or conversation
    object_id: Mapped[int] = mapped_column()
    basis: Mapped[str] = mapped_column(String(20))
    service: Mapped[str] = mapped_column(String(20), default="")  # a minor-consent service
    clinician_name: Mapped[str] = mapped_column(String(200), default="")  # a finding of harm
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def basis_label(self):
        return CONFIDENTIAL_BASES.get(self.basis, self.basis)

    @property
    def service_label(self):
        return MINOR_CONSENT_SERVICES[self.service][0] if self.service in MINOR_CONSENT_SERVICES \
            else self.service


class AccessBlock(db.Model):
    __tablename__ = "access_blocks"
    __table_args__ = (Index("ix_access_blocks_patient", "patient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")  # lower-cased; may be empty
    basis: Mapped[str] = mapped_column(String(300))  # what staff saw: "custody order of ..."
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProxyInvitation(db.Model):
    """An invitation to act for a patient (issue 22): emailed (kind "email": the token, of
    its kind's own purpose, names the row and carries its nonce) or, for a guardian at the
    desk, printed in an activation letter (kind "letter": the code, kept only as a keyed
    hash, finds the row). The row decides whether it can still be used: single use, 7 days
    for a link and the practice's letter days for a code; 5 wrong identity checks void it."""

    __tablename__ = "proxy_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("proxy_grants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="email")
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    nonce: Mapped[str] = mapped_column(String(64))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    identity_failures: Mapped[int] = mapped_column(default=0)
    identity_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str] = mapped_column(String(30), default="")  # superseded, revoked, ...
