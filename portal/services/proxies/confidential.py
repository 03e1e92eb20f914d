"""Items confidential from every guardian (issue 22, part 4): a record entry (a document too)
or a conversation, marked by clinical staff on a basis the chart shows and the audit trail
keeps:

- a minor-consent service the law protects, from the age the minor consents to it (in
  California: mental health, STI care, drug and alcohol care from 12; pregnancy,
  contraception and care after a sexual assault at any age);
- a clinician's finding that a guardian's access could harm the patient, with the clinician's
  name;
- the patient's own request.

Nothing is hidden by age alone: an item not marked stays as it is. One current mark per item;
a mark is removed, never deleted. Guardians do not reach charts yet: when they do, every page,
count, download and notice of theirs leaves out what is marked here.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import ConfidentialMark, Conversation, RecordEntry
from ...models.proxies import CONFIDENTIAL_BASES, MINOR_CONSENT_SERVICES
from ...models.types import utcnow
from .. import audit, permissions
from ..access import chart_row
from ..errors import FieldError
from ..patients import age_on

ITEM_MODELS = {"record_entry": RecordEntry, "conversation": Conversation}


@dataclass(frozen=True)
class Item:
    """What a mark is on: its kind, id and title as staff read it."""

    kind: str
    id: int
    title: str


@dataclass(frozen=True)
class Basis:
    """Why an item is confidential, as staff chose it (the form's fields)."""

    basis: str
    service: str = ""
    clinician_name: str = ""


def may_mark(staff):
    """Whether this staff member may mark items confidential and remove marks."""
    return permissions.allows(staff, "confidential")


def item_of(patient_id, kind, item_id):
    """The chart's record entry or conversation `item_id`, as an Item, or None."""
    row = chart_row(ITEM_MODELS[kind], patient_id, item_id) if kind in ITEM_MODELS else None
    if row is None:
        return None
    return Item(kind, row.id, row.title if kind == "record_entry" else row.subject)


def current_mark(kind, item_id):
    """The item's mark not removed, or None."""
    return db.session.scalar(select(ConfidentialMark).where(
        ConfidentialMark.object_type == kind, ConfidentialMark.object_id == item_id,
        ConfidentialMark.removed_at.is_(None)))


def chart_marks(patient_id):
    """The chart's current marks, newest first, each with its item: [(mark, Item)]. Three
    statements whatever their number: the marks, then the titles of each kind."""
    marks = db.session.scalars(select(ConfidentialMark).where(
        ConfidentialMark.patient_id == patient_id, ConfidentialMark.removed_at.is_(None))
        .order_by(ConfidentialMark.marked_at.desc(), ConfidentialMark.id.desc())).all()
    titles = {}
    for kind, column in (("record_entry", RecordEntry.title), ("conversation", Conversation.subject)):
        ids = [row.object_id for row in marks if row.object_type == kind]
        if ids:
            model = ITEM_MODELS[kind]
            titles.update({(kind, item_id): title for item_id, title in db.session.execute(
                select(model.id, column).where(model.id.in_(ids)))})
    return [(row, Item(row.object_type, row.object_id, titles.get((row.object_type, row.object_id), "")))
            for row in marks]


def _checked(patient, basis, today):
    if basis.basis not in CONFIDENTIAL_BASES:
        raise FieldError(_("Choose why the item is confidential."), "basis")
    if basis.basis == "minor_consent":
        if basis.service not in MINOR_CONSENT_SERVICES:
            raise FieldError(_("Choose the minor-consent service."), "service")
        label, from_age = MINOR_CONSENT_SERVICES[basis.service]
        age = age_on(patient.date_of_birth, today)
        if age < from_age:
            raise FieldError(_("%(service)s is a minor-consent service from age %(from_age)d; "
                               "%(name)s is %(age)d. Choose another basis.", service=label,
                               from_age=from_age, name=patient.full_name, age=age), "service")
        return Basis("minor_consent", basis.service)
    if basis.basis == "harm":
        name = basis.clinician_name.strip()
        if not name:
            raise FieldError(_("Enter the name of the clinician who made the finding."),
                             "clinician_name")
        return Basis("harm", clinician_name=name[:200])
    return Basis("patient_request")


def mark(patient, item, basis, staff, origin, today):
    """Mark `item` confidential from every guardian on `basis`, not committed. Raises
    FieldError for a basis that does not hold; marking a marked item changes nothing and
    returns None."""
    permissions.require(staff, "confidential")
    basis = _checked(patient, basis, today)
    if current_mark(item.kind, item.id) is not None:
        return None
    row = ConfidentialMark(patient_id=patient.id, object_type=item.kind, object_id=item.id,
                           basis=basis.basis, service=basis.service,
                           clinician_name=basis.clinician_name, marked_by_id=staff.id)
    db.session.add(row)
    db.session.flush()
    audit.record("proxy.confidential_marked", origin, patient_id=patient.id,
                 object_type=item.kind, object_id=item.id,
                 detail=" ".join(part for part in (basis.basis, basis.service) if part))
    return row


def remove(patient, item, staff, origin):
    """Remove the item's mark, not committed: guardians will see it again. Returns False when
    it had none."""
    permissions.require(staff, "confidential")
    row = current_mark(item.kind, item.id)
    if row is None:
        return False
    row.removed_at, row.removed_by_id = utcnow(), staff.id
    audit.record("proxy.confidential_removed", origin, patient_id=patient.id,
                 object_type=item.kind, object_id=item.id)
    return True


# A teen's choice on a new message (issue 22, part 4): who may read the conversation.
AUDIENCES = ("private", "family")


def chooses_audience(patient, own_chart, practice, today):
    """Whether the writer of a new message chooses its audience: a teen writing from their
    own account, old enough by the practice's setting to have one ("just me and the care
    team", or their parents and guardians too). A younger child's own account (a parent
    who enrolled as the child) does not choose."""
    age = age_on(patient.date_of_birth, today)
    return own_chart and practice.teen_account_age <= age < 18


def keep_private(patient, conversation, origin):
    """A teen chose "just me and the care team": the conversation is marked confidential
    from every guardian at the patient's request, as a clinician's mark would be. Not
    committed."""
    db.session.add(ConfidentialMark(patient_id=patient.id, object_type="conversation",
                                    object_id=conversation.id, basis="patient_request"))
    audit.record("proxy.confidential_marked", origin, patient_id=patient.id,
                 object_type="conversation", object_id=conversation.id,
                 detail="patient_request, chosen when writing")
