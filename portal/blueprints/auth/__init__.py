"""Signing in and out (staff now; patients join with enrollment)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import keepalive, views  # noqa: E402,F401
