"""Password rules and argon2id hashing, stated once for staff and patients."""

import re
import secrets
import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 15
MAX_LENGTH = 128
# How many of the most common passwords (zxcvbn's list, from real breaches) are refused.
BLOCKLIST_SIZE = 30000
# A password must keep at least this many letters and digits beyond the person's own words.
PERSONAL_REMAINDER = 8

# argon2-cffi's defaults: argon2id, t=3, m=65536 KiB, p=4, 16-byte salt.
hasher = PasswordHasher()
# Verified against when the account does not exist, so both paths cost the same time.
_DUMMY_HASH = hasher.hash("not a real password, only here to spend time")
# A stored hash starting with this matches no password (a voided password, see void_hash).
VOID_PREFIX = "!"


def void_hash():
    """A stored value no password matches: the account's password is voided (an admin reset
    its two-step sign-in). Random, so two voided accounts never look alike."""
    return VOID_PREFIX + secrets.token_urlsafe(24)


def normalize(password):
    """NFKC-normalise so the same password typed on two keyboards gives the same hash."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password):
    """An argon2id hash of the normalised password."""
    return hasher.hash(normalize(password))


def verify_password(stored_hash, password):
    """Check `password` against `stored_hash` (None: spend the same time, then fail).

    Returns (matches, new_hash): new_hash is set when the hash was made with older
    parameters and should replace the stored one.
    """
    if not password or len(password) > MAX_LENGTH * 4:
        return False, None
    # A voided password spends the same time as a real one: timing tells nothing of it.
    usable = stored_hash is not None and not stored_hash.startswith(VOID_PREFIX)
    try:
        hasher.verify(stored_hash if usable else _DUMMY_HASH, normalize(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if not usable:
        return False, None
    if hasher.check_needs_rehash(stored_hash):
        return True, hash_password(password)
    return True, None


@lru_cache(maxsize=1)
def _common_passwords():
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:BLOCKLIST_SIZE])


def _squash(text):
    """Lower-case letters and digits only, for comparing a password with personal words."""
    return "".join(ch for ch in normalize(text).casefold() if ch.isalnum())


def password_problem(password, personal_words=()):
    """Why this password cannot be used, or None when it is acceptable.

    Rules (SECURITY.md A1-A5): 15 to 128 characters counted as code points, any characters,
    no composition rules; refused when it is a common password, a repetition of one, or
    mostly made of the person's own name, email, username or date of birth.
    """
    password = normalize(password or "")
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(n)s characters. A few unrelated words make a good one.",
                  n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(n)s characters.", n=MAX_LENGTH)
    if len(set(password.casefold())) <= 3:
        return _l("This repeats too few characters. Choose something less predictable.")
    squashed = _squash(password)
    common = _common_passwords()
    if squashed and (squashed in common or _is_repetition_of_common(squashed, common)):
        return _l("This is one of the most common passwords. Choose something less predictable.")
    if _mostly_personal(squashed, personal_words):
        return _l("This is too close to your name, email, username or date of birth.")
    return None


def _mostly_personal(squashed, personal_words):
    """True when little is left of the password once the person's own words are taken out."""
    words = set()
    for text in personal_words:
        words.add(_squash(text or ""))
        words.update(_squash(part) for part in re.split(r"[^\w]+", text or ""))
    remainder = squashed
    for word in sorted((word for word in words if len(word) >= 3), key=len, reverse=True):
        remainder = remainder.replace(word, "")
    return remainder != squashed and len(remainder) < PERSONAL_REMAINDER


def _is_repetition_of_common(squashed, common):
    """True for passwords like 'passwordpassword': one common word said several times."""
    for size in range(1, len(squashed) // 2 + 1):
        if len(squashed) % size == 0:
            unit = squashed[:size]
            if unit * (len(squashed) // size) == squashed and (unit in common or size <= 3):
                return True
    return False
