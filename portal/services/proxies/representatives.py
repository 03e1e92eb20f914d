"""Representatives an adult patient chooses (issue 22, part 2): someone they trust, invited
from their own account, with what they may do and until when.

- The patient chooses the person (name, email, relationship), what they may do (view the
  record; read and send messages; fill in and sign forms; at least one) and the last day
  (required; 18 months from today unless changed; after today, at most 5 years ahead).
- They read an authorization saying what, to whom, why, until when and how to revoke, and
  sign it with their legal name. Its words are kept on the grant as shown.
- The invitee proves the patient's date of birth (5 wrong tries void the link) and their own,
  which must make them 18 or older.
- The patient sees everyone who has access, with what and since when, and revokes a
  representative at once: the grant ends, and the representative's next request has no chart.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import ProxyGrant
from ...models.proxies import PERMISSIONS, REPRESENTATIVE_RELATIONSHIPS
from ...models.types import utcnow
from .. import audit
from ..access import chart_row
from ..consents.documents import is_adult
from ..errors import FieldError
from ..legal_names import holder_name_matches
from ..patients import age_on
from . import joining
from .blocks import blocking
from .changes import current_grant_with_email
from .ending import lapsed

DEFAULT_MONTHS = 18
LONGEST_YEARS = 5


def default_end(today):
    """The end date offered: 18 months from today (the month's last day when shorter)."""
    month = today.month - 1 + DEFAULT_MONTHS
    year, month = today.year + month // 12, month % 12 + 1
    for day in (today.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def may_invite(patient, today):
    """Whether the patient may invite representatives: an adult (a minor's parents and
    guardians are added by the practice)."""
    return is_adult(patient, today)


@dataclass(frozen=True)
class Choice:
    """What the patient chose on the form: the person, what they may do, the last day."""

    full_name: str
    email: str
    relationship: str
    permissions: tuple  # keys of PERMISSIONS
    ends_on: date


def check(patient, account, choice, today):
    """FieldError (on its field) when the choice cannot be authorized."""
    if not may_invite(patient, today):
        raise FieldError(_("Representatives are chosen by adult patients. A parent or guardian "
                           "is added by the practice."))
    if choice.relationship not in REPRESENTATIVE_RELATIONSHIPS:
        raise FieldError(_("Choose how you know them."), "relationship")
    if not choice.permissions or set(choice.permissions) - set(PERMISSIONS):
        raise FieldError(_("Choose at least one thing they may do."), "permissions")
    if choice.ends_on <= today:
        raise FieldError(_("The last day must be after today."), "ends_on")
    if choice.ends_on > today + timedelta(days=365 * LONGEST_YEARS + 1):
        raise FieldError(_("The last day can be at most %(years)d years from today. You can "
                           "invite them again before it comes.", years=LONGEST_YEARS), "ends_on")
    email = choice.email.strip().lower()
    if email == (account.email or "").lower():
        raise FieldError(_("That is your own email address. Your representative needs their "
                           "own."), "email")
    taken = current_grant_with_email(patient.id, email)
    if taken is not None:
        raise FieldError(_("%(name)s already uses this email address for your record. "
                           "Each person needs their own.", name=taken.full_name), "email")
    if blocking(patient.id, choice.full_name, email) is not None:
        raise FieldError(_("The practice has a note that this person may not be given "
                           "access. Please call the practice."))


def authorization_text(patient, choice, practice):
    """The authorization the patient reads and signs, in plain words: what, to whom, why,
    until when, and how to revoke. Built again from the choice when signed (the posted
    choice, checked again), so the words kept are the words shown."""
    allowed = [str(PERMISSIONS[key]).lower() for key in PERMISSIONS if key in choice.permissions]
    return "\n\n".join((
        _("I, %(patient)s, born %(born)s, authorize %(practice)s to let %(name)s (%(email)s, "
          "%(relationship)s) use my patient portal record to: %(what)s.",
          patient=patient.full_name, born=patient.date_of_birth.strftime("%B %-d, %Y"),
          practice=practice.name, name=choice.full_name.strip(), email=choice.email.strip(),
          relationship=str(REPRESENTATIVE_RELATIONSHIPS[choice.relationship]).lower(),
          what="; ".join(allowed)),
        _("Purpose: to help me with my health care, at my request."),
        _("This authorization ends at the end of %(date)s, unless I revoke it sooner.",
          date=choice.ends_on.strftime("%B %-d, %Y")),
        _("I can revoke it at any time from my account in the portal (Your account, then "
          "People who can act for you), or by telling the practice. Revoking ends their access "
          "at once, but does not undo what they saw or did before."),
        _("I understand that what they see may include sensitive information, and that the "
          "practice does not condition my care on this authorization."),
    ))


def authorize(patient, account, choice, typed_name, text, origin, today):
    """The patient signed the authorization (`text`, as shown) with `typed_name`: record the
    representative and email their invitation. Not committed. FieldError when the choice no
    longer holds or the name is not the patient's."""
    check(patient, account, choice, today)
    if not holder_name_matches(account, typed_name):
        raise FieldError(_("The name you typed does not match our records. Type your first and "
                           "family names as the practice has them on your chart."),
                         "legal_name")
    allowed = set(choice.permissions)
    grant = ProxyGrant(
        patient_id=patient.id, kind="representative", full_name=choice.full_name.strip(),
        relationship=choice.relationship, email=choice.email.strip().lower(),
        may_records="records" in allowed, may_message="messages" in allowed,
        may_sign="forms" in allowed, access_ends_on=choice.ends_on, authorization_text=text,
        authorized_name=" ".join(typed_name.split()), authorized_at=utcnow())
    db.session.add(grant)
    db.session.flush()
    audit.record("proxy.representative_authorized", origin, patient_id=patient.id,
                 object_type="proxy_grant", object_id=grant.id,
                 detail=f"{choice.relationship}; {','.join(sorted(allowed))}; "
                        f"until {choice.ends_on.isoformat()}")
    joining.invite(grant, origin, "representative_invitation",
                   patient_name=patient.preferred_name or patient.first_name)
    return grant


def check_identity(invitation, patient_born, own_born, origin, today):
    """The invitee's answers: "passed", "failed", "too_young" (not counted: it is about
    them, not the patient), or the link's problem ("void" after the fifth wrong try)."""
    state = joining.lock(invitation)
    if state != "open":
        return state
    if age_on(own_born, today) < 18:
        return "too_young"
    grant, patient = joining.grant_and_patient(invitation)
    outcome = joining.checked(invitation, patient_born == patient.date_of_birth, origin)
    if outcome == "passed":
        grant.date_of_birth = own_born
    return outcome


@dataclass(frozen=True)
class Access:
    """One person with access to the patient's record, as the patient's list shows it."""

    grant: ProxyGrant
    ended: bool  # past its end (the last day, or the 18th birthday)


def everyone(patient, today):
    """Everyone with access to the patient's record who has not been ended: guardians and
    representatives, newest first (one statement)."""
    grants = db.session.scalars(select(ProxyGrant).where(
        ProxyGrant.patient_id == patient.id, ProxyGrant.status != "ended")
        .order_by(ProxyGrant.added_at.desc(), ProxyGrant.id.desc())).all()
    return [Access(grant, lapsed(grant, patient, today)) for grant in grants]


def own_representative(patient_id, grant_id):
    """The patient's representative `grant_id`, or None (another chart's, or a guardian)."""
    grant = chart_row(ProxyGrant, patient_id, grant_id)
    return grant if grant is not None and grant.kind == "representative" else None


def revoke(grant, origin):
    """The patient revokes a representative at once (their open invitation too). Not
    committed; False when it had already ended."""
    if grant.status == "ended":
        return False
    grant.status, grant.ended_at, grant.end_reason = "ended", utcnow(), "revoked_by_patient"
    joining.void_open(grant, "revoked", origin)
    audit.record("proxy.representative_revoked", origin, patient_id=grant.patient_id,
                 object_type="proxy_grant", object_id=grant.id)
    return True
