"""Practice administration: settings and the audit log (practice admins only)."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import consents, messages, roles, staff_accounts, views  # noqa: E402,F401
