"""Signing in and out (staff now; patients join with enrollment)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
# Staff sign-in, nested under the staff blueprint (which owns /staff/...): "staff.auth.*".
staff_bp = Blueprint("auth", __name__)

from . import keepalive, views  # noqa: E402,F401
