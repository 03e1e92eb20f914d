"""The patient's own account settings."""

from flask import Blueprint

bp = Blueprint("profile", __name__)

from . import access, views  # noqa: E402,F401
