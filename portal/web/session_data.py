"""Per-browser values kept on the server-side session row, not in the signed cookie.

The cookie is signed but anyone holding it can read it, so what a person typed (a patient
search, audit filters) lives in auth_sessions.data instead. The views use these three
helpers; the rules are in services/sessions.py. The caller commits after put() and pop().
"""

from flask import session

from ..services import sessions
from .login import SESSION_TOKEN_KEY


def get(key, default=None):
    """The value of `key` for this browser's session, else `default`."""
    return sessions.session_value(session.get(SESSION_TOKEN_KEY), key, default)


def put(key, value):
    """Keep `value` for this browser's session (the caller commits)."""
    return sessions.set_session_value(session.get(SESSION_TOKEN_KEY), key, value)


def pop(key):
    """Forget `key` for this browser's session (the caller commits)."""
    return sessions.set_session_value(session.get(SESSION_TOKEN_KEY), key, None)
