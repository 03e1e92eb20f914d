"""Two-step recovery codes: ten single-use codes, shown once, each of which signs in once in
place of a code from the authenticator app (services/twostep checks them at sign-in)."""

import hashlib

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import RecoveryCode
from ..models.types import utcnow
from . import audit, codes, notices

RECOVERY_CODE_COUNT = 10
# 16 base32 characters = 80 random bits per recovery code.
RECOVERY_CODE_CHARS = 16
# Lower-case base32, as since two-step began: the hashes of codes already handed out are of
# this form (case-folded, separators dropped), so it stays.
ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def _normalize(code):
    # Read back as every typed code is (codes.normalize), in the lower case they were hashed in.
    return codes.normalize(code).lower()


def _hash(code):
    """SHA-256, not argon2: each code holds 80 random bits, so no guessing can reverse the
    hash, and ten argon2 hashes (about a second) would slow every enrollment for nothing."""
    return hashlib.sha256(_normalize(code).encode()).hexdigest()


def _codes_of(account):
    return (RecoveryCode.account_kind == account.kind, RecoveryCode.account_id == account.id)


def void_unused(account):
    """Use up every recovery code the account still has (two-step is off or reset)."""
    db.session.execute(update(RecoveryCode).where(*_codes_of(account), RecoveryCode.used_at.is_(None))
                       .values(used_at=utcnow()))


def new_recovery_codes(account):
    """Replace the account's recovery codes with ten new ones; return them (shown once)."""
    void_unused(account)
    fresh = [codes.grouped(codes.new_code(RECOVERY_CODE_CHARS, ALPHABET), separator="-")
             for _i in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(account_kind=account.kind, account_id=account.id,
                                    code_hash=_hash(code)) for code in fresh)
    return fresh


def regenerate_recovery_codes(account, origin):
    """New recovery codes for an account with two-step on (caller checked password or code)."""
    codes = new_recovery_codes(account)
    audit.record("twostep.recovery_codes_regenerated", origin, actor=account,
                 **audit.about_account(account))
    notices.account_changed(account, "recovery_codes")
    return codes


def recovery_codes_left(account):
    """How many unused recovery codes the account has."""
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(
        *_codes_of(account), RecoveryCode.used_at.is_(None)))


def use_recovery_code(account, code):
    """True when `code` is one of the account's unused recovery codes; it is used up now."""
    if len(_normalize(code)) != RECOVERY_CODE_CHARS:
        return False
    used = db.session.execute(
        update(RecoveryCode)
        .where(*_codes_of(account), RecoveryCode.used_at.is_(None),
               RecoveryCode.code_hash == _hash(code))
        .values(used_at=utcnow())
    )
    return used.rowcount == 1
