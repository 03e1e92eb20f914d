"""The chart's "do not grant access to NAME" entries. While one stands, a guardian with its
name (letter case and spacing aside) or its email is refused; recording one ends, at once,
the current grants it names; it is lifted, never deleted, when the order ends."""

from sqlalchemy import select

from ...extensions import db
from ...models import AccessBlock
from ...models.types import utcnow
from .. import audit, permissions
from ..access import chart_row
from .changes import current_grants, end_grant


def same_name(one, other):
    """Whether two typed names are the same person's name, letter case and spacing aside."""
    return " ".join(one.casefold().split()) == " ".join(other.casefold().split())


def block_of(patient_id, block_id):
    """The "do not grant access" entry `block_id` of this chart, or None."""
    return chart_row(AccessBlock, patient_id, block_id)


def current_blocks(patient_id):
    """The chart's entries not lifted, newest first."""
    return db.session.scalars(
        select(AccessBlock).where(AccessBlock.patient_id == patient_id,
                                  AccessBlock.lifted_at.is_(None))
        .order_by(AccessBlock.added_at.desc(), AccessBlock.id.desc())).all()


def names(block, full_name, email):
    """Whether the entry names this person: by name, or by its email when it has one."""
    return same_name(block.full_name, full_name) or bool(block.email) and block.email == email.lower()


def blocking(patient_id, full_name, email):
    """The current "do not grant access" entry that names this person, or None."""
    return next((block for block in current_blocks(patient_id)
                 if names(block, full_name, email)), None)


def email_blocked(patient_id, email):
    """Whether a current entry of this chart names `email` (one statement)."""
    return db.session.scalar(
        select(AccessBlock.id).where(AccessBlock.patient_id == patient_id,
                                     AccessBlock.lifted_at.is_(None),
                                     AccessBlock.email == email.lower(),
                                     AccessBlock.email != "").limit(1)) is not None


def add_block(patient, full_name, email, basis, staff, origin):
    """Record "do not grant access to NAME" on the chart, not committed, and end at once the
    current grants it names. Returns (block, the grants it ended)."""
    permissions.require(staff, "proxies")
    block = AccessBlock(patient_id=patient.id, full_name=full_name, email=email.lower(),
                        basis=basis, added_by_id=staff.id)
    db.session.add(block)
    db.session.flush()
    audit.record("proxy.block_added", origin, patient_id=patient.id, object_type="access_block",
                 object_id=block.id)
    ended = [grant for grant in current_grants(patient.id)
             if names(block, grant.full_name, grant.email)]
    for grant in ended:
        end_grant(grant, "blocked", staff, origin)
    return block, ended


def lift_block(block, staff, origin):
    """Lift a "do not grant access" entry (the order ended), not committed. Lifting one
    already lifted changes nothing and returns False."""
    permissions.require(staff, "proxies")
    if block.lifted_at is not None:
        return False
    block.lifted_at, block.lifted_by_id = utcnow(), staff.id
    audit.record("proxy.block_lifted", origin, patient_id=block.patient_id,
                 object_type="access_block", object_id=block.id)
    return True
