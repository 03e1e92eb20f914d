"""The patient's own account settings, and staff suspending or reinstating portal access."""

from flask import Blueprint

bp = Blueprint("profile", __name__)

from . import staff_views, views  # noqa: E402,F401
