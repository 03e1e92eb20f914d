"""Small secrets the portal must read back (two-step TOTP secrets), encrypted in the database.

Fernet (AES-128-CBC with HMAC-SHA256, from the `cryptography` package) with keys kept apart
from the database: PORTAL_TOTP_KEYS (comma-separated, primary first), else the file
instance/totp_keys beside the secret key (mode 0600, made once; see config.py). A copy of the
database alone, or a backup of it, gives no one the secrets behind sign-in codes.

Rotation (`portal rotate-totp-key`): a new key becomes primary, every stored secret is
re-encrypted with it, and only then are the old keys dropped. The key file is read again
whenever it changes, so running workers follow a rotation without a restart.

Values written before encryption (a plain base32 secret, from before migration 0004 or from an
older worker still running during an upgrade) are still read, and re-encrypted when next used
for a sign-in or by a rotation; migration 0004 encrypts all of them at upgrade.
"""

import logging
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import select, update

from ..config import read_totp_key_file, totp_key_file, write_totp_key_file
from ..extensions import db
from ..models import PatientAccount, StaffUser

log = logging.getLogger(__name__)

# What pyotp.random_base32() makes; a Fernet token is longer and has lower-case letters.
PLAIN_BASE32 = re.compile(r"[A-Z2-7]{16,64}")

_file_cache = {}


class KeysFromEnvironment(RuntimeError):
    """The keys are set in PORTAL_TOTP_KEYS: only the practice can change them there."""


def _file_keys(instance_path):
    """The key file's keys, read again only when the file has changed (or been replaced)."""
    path = totp_key_file(instance_path)
    try:
        info = path.stat()
    except FileNotFoundError:
        return tuple(read_totp_key_file(instance_path))
    stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
    cached = _file_cache.get(path)
    if cached is None or cached[0] != stamp:
        cached = (stamp, tuple(read_totp_key_file(instance_path)))
        _file_cache[path] = cached
    return cached[1]


def current_keys():
    """The keys in force, primary first."""
    configured = current_app.config.get("TOTP_KEYS")
    if configured:
        return tuple(configured)
    return _file_keys(current_app.instance_path)


def _box(keys=None):
    return MultiFernet([Fernet(key) for key in (keys or current_keys())])


def is_plain(stored):
    """True for a secret stored before encryption (a bare base32 string)."""
    return bool(stored) and PLAIN_BASE32.fullmatch(stored) is not None


def encrypt(secret, keys=None):
    """The secret encrypted with the primary key, as text for the database column."""
    return _box(keys).encrypt(secret.encode()).decode("ascii")


def decrypt(stored, keys=None):
    """The secret behind a stored value; None when there is none or no key opens it.

    A value no key opens (a key lost or removed too early) fails closed: no code can match,
    and the log says so, without the value, so an admin can reset that person's two-step.
    """
    if not stored:
        return None
    if is_plain(stored):
        return stored
    try:
        return _box(keys).decrypt(stored.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        log.error("a stored two-step secret could not be decrypted with the current keys")
        return None


def needs_reencryption(stored, keys=None):
    """True when the value is plain text or not encrypted with the primary key."""
    if not stored:
        return False
    if is_plain(stored):
        return True
    primary = Fernet((keys or current_keys())[0])
    try:
        primary.decrypt(stored.encode("ascii"))
    except (InvalidToken, UnicodeError):
        return True
    return False


def _reencrypt(stored, keys):
    if is_plain(stored):
        return encrypt(stored, keys)
    return _box(keys).rotate(stored.encode("ascii")).decode("ascii")


def reencrypt_all(keys=None):
    """Re-encrypt every stored secret with the primary key. Returns how many were changed.

    Each row is changed only if it still holds the value read (compare and set), so a person
    setting up two-step at the same moment keeps their new secret.
    """
    keys = tuple(keys or current_keys())
    changed = 0
    for model in (StaffUser, PatientAccount):
        rows = db.session.execute(
            select(model.id, model.totp_secret).where(model.totp_secret.is_not(None))
        ).all()
        db.session.commit()
        for row_id, stored in rows:
            if not needs_reencryption(stored, keys):
                continue
            try:
                new_value = _reencrypt(stored, keys)
            except InvalidToken:
                log.error("%s %s: two-step secret not readable with any key; left as it is",
                          model.__tablename__, row_id)
                continue
            changed += db.session.execute(
                update(model).where(model.id == row_id, model.totp_secret == stored)
                .values(totp_secret=new_value)
            ).rowcount
            db.session.commit()
    return changed


def rotate_key():
    """Make a new primary key, re-encrypt every secret with it, then drop the old keys.

    Only for keys kept in the instance file; with PORTAL_TOTP_KEYS set, the practice adds the
    new key there (first) and runs reencrypt_all(). Returns how many secrets were re-encrypted.
    """
    if current_app.config.get("TOTP_KEYS"):
        raise KeysFromEnvironment
    instance_path = current_app.instance_path
    old_keys = tuple(read_totp_key_file(instance_path))
    new_key = Fernet.generate_key().decode("ascii")
    both = (new_key, *old_keys)
    # Every worker reads the file again when it changes: from here on they encrypt with the
    # new key and still read the old one.
    write_totp_key_file(instance_path, both)
    changed = reencrypt_all(both)
    write_totp_key_file(instance_path, (new_key,))
    # One more pass with the old keys in hand, for a secret written by a worker that read the
    # old file just before it changed.
    changed += reencrypt_all(both)
    return changed
