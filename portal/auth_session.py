"""Who is signed in: Flask-Login wired to the server-side sessions in services/sessions.py."""

from flask import g, redirect, request, session, url_for
from flask_login import login_user, logout_user

from .extensions import db, login_manager
from .messages import flash_message
from .models import PatientAccount, StaffUser
from .services import sessions

SESSION_TOKEN_KEY = "sid"  # noqa: S105 - a key name, not a secret
ACCOUNT_MODELS = {"staff": StaffUser, "patient": PatientAccount}
STAFF_AREAS = ("/staff", "/admin")


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
    live, problem = sessions.check_session(session.get(SESSION_TOKEN_KEY), kind)
    if live is None or live.account_id != int(raw_id):
        g.session_problem = problem
        return None
    account = db.session.get(model, live.account_id)
    if account is None or not account.is_active:
        return None
    return account


def unauthorized():
    """Send a visitor who is not (or no longer) signed in to the sign-in page."""
    session.pop("_user_id", None)
    flash_message("session_expired" if g.get("session_problem") == "expired" else "sign_in_needed")
    endpoint = "auth.staff_sign_in" if request.path.startswith(STAFF_AREAS) else "auth.sign_in"
    return redirect(url_for(endpoint, next=request.full_path.rstrip("?")))


def begin(account):
    """Sign in: a fresh cookie session (no pre-login values survive) and a new server session."""
    session.clear()
    token = sessions.start_session(account)
    db.session.commit()
    login_user(account)
    session[SESSION_TOKEN_KEY] = token


def end():
    """Sign out this browser: end its server session and forget the cookie's contents."""
    sessions.end_session(session.get(SESSION_TOKEN_KEY))
    db.session.commit()
    logout_user()
    session.clear()
