"""Device cookies: a browser that has signed in to an account before may keep trying while
the account is paused for everyone else (OWASP, "Slow down online guessing attacks with
device cookies").

After a successful sign-in the browser gets a signed cookie naming the account and a random
nonce. Failures from that browser count against its nonce, not against the account, so a
stranger failing ten times pauses sign-in for unknown browsers only; the owner's browser
keeps its own ten tries. The cookie holds up to MAX_ENTRIES accounts (a family computer).
"""

import secrets
from datetime import timedelta

from .tokens import check_token, make_token

LIFETIME = timedelta(days=180)
MAX_ENTRIES = 5


def _entries(cookie):
    """The [kind, account id, nonce] entries of a cookie value, [] when absent or not ours."""
    if not cookie:
        return []
    expired, invalid, data = check_token("device", cookie, LIFETIME)
    if expired or invalid or not isinstance(data, list):
        return []
    return [entry for entry in data
            if isinstance(entry, list) and len(entry) == 3 and isinstance(entry[2], str)]


def nonce_for(cookie, account):
    """The nonce this browser holds for `account`, or None when it is unknown to it."""
    if account is None:
        return None
    for kind, account_id, nonce in _entries(cookie):
        if kind == account.kind and account_id == account.id:
            return nonce
    return None


def failure_key(nonce):
    """The throttle key a known browser's failures count under."""
    return f"device:{nonce}"


def remember(cookie, account):
    """The cookie value after `account` signed in here: a fresh nonce for it, newest first."""
    others = [entry for entry in _entries(cookie)
              if not (entry[0] == account.kind and entry[1] == account.id)]
    entry = [account.kind, account.id, secrets.token_urlsafe(16)]
    return make_token("device", [entry, *others][:MAX_ENTRIES])
