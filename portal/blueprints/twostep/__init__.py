"""Two-step sign-in: authenticator-app codes (TOTP) and one-time recovery codes."""

from flask import Blueprint

bp = Blueprint("twostep", __name__)
# Staff two-step pages, nested under the staff blueprint (which owns /staff/...):
# "staff.twostep.*".
staff_bp = Blueprint("twostep", __name__)

from . import views  # noqa: E402,F401
