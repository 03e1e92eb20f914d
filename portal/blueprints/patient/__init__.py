"""The patient's side of the portal: their home page (and, later, everything they do)."""

from flask import Blueprint

bp = Blueprint("patient", __name__)

from . import views  # noqa: E402,F401
