"""Recovering access: forgotten username, forgotten password (security question), staff-assisted."""

from flask import Blueprint

bp = Blueprint("recovery", __name__)

from . import views  # noqa: E402,F401
