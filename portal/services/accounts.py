"""Patient portal accounts: usernames, security answers, creating an account."""

import hashlib
import re
import unicodedata

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import PatientAccount
from ..models.types import utcnow
from . import audit
from .passwords import hash_password, verify_password

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
# Letters and digits a security answer needs once case, spaces and punctuation are folded.
MIN_ANSWER_LENGTH = 3
# An account enrollment made whose portal consent is not signed yet: it signs nothing in.
PENDING = "pending"


def normalize_username(username):
    """A username as stored: trimmed and case-folded."""
    return (username or "").strip().casefold()


def username_problem(username, except_id=None):
    """Why this username cannot be used, or None."""
    username = normalize_username(username)
    if not USERNAME_PATTERN.match(username):
        return _l("Use 3 to 40 letters, numbers, dots, dashes or underscores, starting with a "
                  "letter or number.")
    statement = select(PatientAccount.id).where(PatientAccount.username == username)
    if except_id is not None:
        statement = statement.where(PatientAccount.id != except_id)
    if db.session.scalar(statement) is not None:
        return _l("That username is taken. Try adding a number or your middle initial.")
    return None


def normalize_answer(answer):
    """Security answers compare with case, spaces and punctuation folded away."""
    text = unicodedata.normalize("NFKC", answer or "").casefold()
    return "".join(ch for ch in text if ch.isalnum())


def hash_answer(answer):
    """An argon2id hash of a security answer, folded first (normalize_answer)."""
    return hash_password(normalize_answer(answer))


def answer_matches(account, answer):
    """True when `answer` is the account's security answer (argon2 verify, same cost)."""
    normalized = normalize_answer(answer)
    return bool(normalized) and verify_password(account.security_answer_hash, normalized)[0]


def policy_digest(text):
    """SHA-256 of the policy text the patient accepted: which version they agreed to."""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


def personal_words(patient, username="", email=""):
    """Words a patient's password must not be built from."""
    return person_words([patient.first_name, patient.last_name, patient.preferred_name],
                        patient.date_of_birth, username, email or patient.email)


def account_words(account):
    """Words the holder of `account` (a patient's own, or a guardian's) must not build a
    password from."""
    if account.patient is not None:
        return personal_words(account.patient, account.username, account.email)
    return person_words(account.holder_name.split(), account.holder_date_of_birth,
                        account.username, account.email)


def person_words(names, born, username="", email=""):
    """Words a person's password must not be built from: their names, username, the name
    part of their email address, and their date of birth written four ways."""
    return [*names, username, (email or "").split("@")[0],
            born.strftime("%m%d%Y"), born.strftime("%Y%m%d"), born.strftime("%m%d%y"), str(born.year)]


def create_account(patient, *, username, email, question, answer, policy_text, origin,
                   status="active", password=None, password_hash=None):
    """Open a portal account for `patient` (the caller has validated everything and commits).

    The password comes typed, or already hashed (`password_hash`: enrollment's kept one).
    Enrollment opens it "pending" (services/enrollment.py): kept, but no sign-in, reset or
    session accepts it until the portal consent is signed."""
    account = PatientAccount(
        patient_id=patient.id,
        username=normalize_username(username),
        email=(email or "").strip().lower(),
        password_hash=password_hash or hash_password(password),
        security_question=question,
        security_answer_hash=hash_answer(answer),
        status=status,
        policy_accepted_at=utcnow(),
        policy_digest=policy_digest(policy_text),
    )
    db.session.add(account)
    db.session.flush()
    audit.record("patient.account_created", origin, actor=account, patient_id=patient.id,
                 object_type="patient_account", object_id=account.id,
                 detail="pending until the portal consent is signed" if status == PENDING else "")
    return account


# The chart asks on every view: the statement is built once, the patient a parameter.
_ACCOUNT_FOR_PATIENT = select(PatientAccount).where(
    PatientAccount.patient_id == bindparam("patient_id"), PatientAccount.status != PENDING)


def account_for_patient(patient_id):
    """The chart's portal account, or None (also while enrollment has left it pending)."""
    return db.session.scalar(_ACCOUNT_FOR_PATIENT, {"patient_id": patient_id})


def pending_account_for_patient(patient_id):
    """The account an unfinished enrollment made for the chart, or None."""
    return db.session.scalar(select(PatientAccount).where(
        PatientAccount.patient_id == patient_id, PatientAccount.status == PENDING))
