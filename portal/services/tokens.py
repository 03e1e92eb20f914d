"""Signed, expiring tokens for emailed links: one serializer per purpose, each its own salt.

A token only proves that the portal issued it for this purpose and when. Single use is
enforced by the server-side row it names (an invitation or a reset), whose nonce must match
and which is marked used or void when its job is done.
"""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALTS = {
    "invite": "portal.invite.v1",
    "guardian-invite": "portal.guardian-invite.v1",
    "representative-invite": "portal.representative-invite.v1",
    "reset": "portal.password-reset.v1",
    "email-change": "portal.email-change.v1",
    "device": "portal.device-cookie.v1",
    "twostep-unlock": "portal.twostep-unlock.v1",
}


def _serializer(purpose):
    """Signs with SECRET_KEY; also accepts SECRET_KEY_FALLBACKS, so rotating the key does not
    void links already emailed (itsdangerous takes the keys oldest first, signs with the last)."""
    config = current_app.config
    keys = [*(config.get("SECRET_KEY_FALLBACKS") or []), config["SECRET_KEY"]]
    return URLSafeTimedSerializer(keys, salt=SALTS[purpose])


def make_token(purpose, data):
    """A URL-safe token carrying `data` (a small dict), signed for `purpose`."""
    return _serializer(purpose).dumps(data)


def check_token(purpose, token, max_age):
    """Return (expired, invalid, data) for a token presented for `purpose`.

    A token made for another purpose, altered, or not ours is invalid; an expired one still
    gives its data, so the page can say "expired" rather than "invalid". With max_age None only
    the signature is checked: the row the token names keeps its own expiry.
    """
    serializer = _serializer(purpose)
    seconds = None if max_age is None else int(max_age.total_seconds())
    try:
        return False, False, serializer.loads(token, max_age=seconds)
    except SignatureExpired as error:
        try:
            data = serializer.load_payload(error.payload) if error.payload else None
        except BadSignature:
            data = None
        return True, False, data
    except BadSignature:
        return False, True, None


def external_url(path):
    """An absolute link for an email, built from PORTAL_BASE_URL (never the Host header)."""
    return current_app.config["BASE_URL"] + path
