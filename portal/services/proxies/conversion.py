"""A practice already live: a parent enrolled as their child (the minor's chart has its own
portal account, the parent's sign-in). Staff first record the parent as a guardian, then make
that account the parent's: it keeps its username, password, two-step, messages and
signatures, and from then on opens the child's chart through the grant, as the parent's own
account (its holder the parent's name and date of birth, no chart of its own). Audited."""

from flask_babel import gettext as _

from .. import audit, permissions
from ..accounts import account_for_patient
from ..consents.documents import is_adult
from ..errors import FieldError
from .joining import void_open


def convertible(grant, patient, today):
    """The child's own account this guardian could take over, or None: a guardian not yet
    signed up, on a minor's chart that has an account of its own."""
    if grant.kind != "guardian" or grant.status != "added" or is_adult(patient, today):
        return None
    return account_for_patient(patient.id)


def take_over(grant, patient, staff, origin, today):
    """Make the child's own account the guardian's, not committed. FieldError when there is
    none to take over."""
    permissions.require(staff, "proxies")
    account = convertible(grant, patient, today)
    if account is None:
        raise FieldError(_("There is no account of the patient's own for %(name)s to take "
                           "over.", name=grant.full_name))
    account.patient_id = None
    account.holder_name, account.holder_date_of_birth = grant.full_name, grant.date_of_birth
    grant.account_id, grant.status = account.id, "active"
    void_open(grant, "superseded", origin)
    audit.record("proxy.account_taken_over", origin, patient_id=patient.id,
                 object_type="patient_account", object_id=account.id,
                 detail=f"now the account of guardian grant {grant.id}")
    return account
