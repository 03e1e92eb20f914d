"""Codes people read and type: activation letters, record share codes, the verification
code on signed PDFs, two-step recovery codes and one-time staff passwords. One alphabet (the
two older kinds keep theirs, see new_code), one way to group them for reading aloud, one way
to read back what was typed, and one keyed hash to store them by.

The alphabet has 32 symbols, none a look-alike of another (no 0 or O, no 1 or I): each symbol
holds 5 bits, so a 12-symbol code holds 60 bits.
"""

import hashlib
import hmac
import re
import secrets

from flask import current_app

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_SEPARATORS = re.compile(r"[\s\-‐‑–—.]+")


def new_code(length, alphabet=ALPHABET):
    """A fresh random code of `length` symbols of ALPHABET (or of another `alphabet`, for the
    codes made before this module: two-step recovery codes, one-time staff passwords)."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


def grouped(code, size=4, separator=" "):
    """The code as printed and read aloud, in groups: "K7QM 4XRT 9HDP"."""
    return separator.join(code[start:start + size] for start in range(0, len(code), size))


def normalize(typed):
    """The code as typed, in capitals, without the spaces or dashes between its groups."""
    return _SEPARATORS.sub("", typed or "").upper()


def problem(code, length):
    """Why a normalized code cannot be one of ours ("length" or "characters"), else None."""
    if len(code) != length:
        return "length"
    if any(symbol not in ALPHABET for symbol in code):
        return "characters"
    return None


def _keyed(secret, code, purpose):
    key = hashlib.sha256(purpose + b"\0" + secret.encode()).digest()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def keyed_hash(code, purpose):
    """The keyed hash a code is stored by: HMAC-SHA256 under a key derived from the secret key
    for this `purpose` (each kind of code has its own key), so a copy of the database alone
    can neither read nor test codes."""
    return _keyed(current_app.config["SECRET_KEY"], code, purpose)


def keyed_hashes(code, purpose):
    """Every hash a code may have been stored by: under the secret key, then under each of
    SECRET_KEY_FALLBACKS (PORTAL_SECRET_KEY_FALLBACKS), so rotating the key keeps older
    letters and shares working. Look codes up by all of them."""
    config = current_app.config
    secrets_ = [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or [])]
    return [_keyed(secret, code, purpose) for secret in dict.fromkeys(secrets_)]
