"""Who is signed in: Flask-Login wired to the server-side sessions in services/sessions.py."""


from flask import abort, after_this_request, current_app, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..extensions import db, login_manager
from ..flash_messages import flash_message, get_message
from ..models import PatientAccount, StaffUser
from ..models.types import utcnow
from ..services import audit, devices, reauth, sessions
from ..services.consents import gate
from ..services.messages import inbox
from ..services.proxies import acting
from . import kept_drafts

SESSION_TOKEN_KEY = "sid"  # noqa: S105 - a key name, not a secret
ACCOUNT_MODELS = {"staff": StaffUser, "patient": PatientAccount}
STAFF_AREAS = ("/staff", "/admin")
PENDING_KEY = "two_step_pending"
# An invitation to act for a patient, opened in this browser (blueprints/enroll/invited.py):
# kept across signing in, so someone who has an account signs in and comes back to add them.
PROXY_INVITE_KEY = "proxy_invite"
SIGN_IN = {"staff": "staff.auth.staff_sign_in", "patient": "auth.sign_in"}
# What every patient page shows or checks, read in the statement that checks the session (one
# round trip, not four): the navigation's unread count, whether a required consent may be
# owed, and whether the account acts for anyone else (web/guards.py). Kept on g.account_facts.
ACCOUNT_FACTS = {"staff": (), "patient": (inbox.UNREAD_OF_ACCOUNT, gate.MAY_OWE_CONSENT,
                                          acting.ACTS_FOR_OTHERS)}


def init_app(app):
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_account)
    login_manager.unauthorized_handler(unauthorized)


def load_account(user_id):
    """Flask-Login's loader: the account only while its server-side session is alive."""
    kind, _, raw_id = (user_id or "").partition(":")
    model = ACCOUNT_MODELS.get(kind)
    if model is None or not raw_id.isdigit():
        return None
    live, account, problem, facts = sessions.check_session(
        session.get(SESSION_TOKEN_KEY), kind, model, ACCOUNT_FACTS[kind])
    if live is None or live.account_id != int(raw_id):
        g.session_problem = problem
        return None
    if account is None or not account.is_active:
        return None
    g.account_facts = facts
    return account


def unauthorized():
    """Send a visitor who is not (or no longer) signed in to the sign-in page."""
    session.pop("_user_id", None)
    flash_message("session_expired" if g.get("session_problem") == "expired" else "sign_in_needed")
    endpoint = SIGN_IN["staff" if request.path.startswith(STAFF_AREAS) else "patient"]
    back_to = kept_drafts.keep_posted(session.get(SESSION_TOKEN_KEY))  # what was typed
    return redirect(url_for(endpoint, next=back_to or request.full_path.rstrip("?")))


def begin(account):
    """Sign in: a fresh cookie session (no pre-login values survive) and a new server session.

    The browser is remembered as one that has signed in to this account (a device cookie).
    """
    ended = session.get(SESSION_TOKEN_KEY) or (session.get(PENDING_KEY) or {}).get("ended")
    invited = session.get(PROXY_INVITE_KEY) or (session.get(PENDING_KEY) or {}).get("invited")
    session.clear()
    if invited:
        session[PROXY_INVITE_KEY] = invited
    token = sessions.start_session(account, request.remote_addr, request.user_agent.string)
    kept_drafts.hand_over(ended, account, token)
    db.session.commit()
    login_user(account)
    session[SESSION_TOKEN_KEY] = token
    remember_device(account)


def origin():
    """Who is asking, from where: the audit trail's Origin for this request."""
    account = current_user._get_current_object() if current_user.is_authenticated else None
    return audit.Origin(account, request.remote_addr or "", request.user_agent.string)


def current_session_token():
    """This browser's session token (the cookie keeps it under SESSION_TOKEN_KEY)."""
    return session.get(SESSION_TOKEN_KEY)


def device_cookie_name():
    """__Host- over HTTPS, like the session cookie: this host only, secure, path /."""
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    return "__Host-portal-device" if secure else "portal_device"


def device_cookie():
    """The device cookie this browser sent, if any (services/devices.py reads it)."""
    return request.cookies.get(device_cookie_name())


def remember_device(account):
    """Set the device cookie on this response, with a fresh nonce for `account`."""
    value = devices.remember(device_cookie(), account)

    @after_this_request
    def set_cookie(response):
        response.set_cookie(device_cookie_name(), value,
                            max_age=int(devices.LIFETIME.total_seconds()), path="/",
                            secure=current_app.config["SESSION_COOKIE_SECURE"],
                            httponly=True, samesite="Lax")
        return response


def confirm_current_password(field, message_key, purpose):
    """True when `field` holds the signed-in person's current password.

    A wrong one becomes the field's error (message_key) and counts (services/reauth.py).
    The fifth wrong one in a row ends every session of the account: this browser is signed
    out and the request ends on the sign-in page.
    """
    account = current_user._get_current_object()
    outcome = reauth.confirm_password(account, field.data, purpose, origin())
    if outcome == "ok":
        return True
    if outcome == "ended":
        end()
        flash_message("reauth_signed_out")
        abort(redirect(url_for(SIGN_IN[account.kind])))
    field.errors = [get_message(message_key)[0]]
    return False


def end():
    """Sign out this browser: end its server session and forget the cookie's contents."""
    sessions.end_session(session.get(SESSION_TOKEN_KEY))
    db.session.commit()
    logout_user()
    session.clear()


def begin_pending(account, next_url, setup=False):
    """Password accepted, second step still to come: remember who, for five minutes.

    Nobody is signed in yet (Flask-Login knows nothing of it), so every page that needs an
    account still sends the visitor to sign in. `setup` marks a staff member who must set up
    two-step first. The cookie is signed, so the marker cannot be forged or edited.
    """
    ended = session.get(SESSION_TOKEN_KEY)  # kept drafts follow to the real sign-in
    invited = session.get(PROXY_INVITE_KEY)  # and a guardian's invitation
    session.clear()
    session[PENDING_KEY] = {"kind": account.kind, "id": account.id, "setup": bool(setup),
                            "at": utcnow().timestamp(), "next": next_url, "ended": ended,
                            "invited": invited}


def pending():
    """(account, marker) for a live pending sign-in, else (None, None); expired ones go."""
    marker = session.get(PENDING_KEY)
    if not isinstance(marker, dict):
        return None, None
    age = utcnow().timestamp() - float(marker.get("at", 0))
    model = ACCOUNT_MODELS.get(marker.get("kind"))
    account = db.session.get(model, int(marker.get("id", 0))) if model else None
    if not 0 <= age <= sessions.PENDING_LIFETIME.total_seconds() or account is None \
            or not account.is_active:
        session.pop(PENDING_KEY, None)
        return None, None
    return account, marker


def finish_pending(account):
    """The second step passed: sign in for real. Returns where to go next."""
    next_url = (session.get(PENDING_KEY) or {}).get("next")
    begin(account)
    return next_url
