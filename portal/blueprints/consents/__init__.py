"""The patient's consents and health forms: sign, fill in, save for later, download."""

from flask import Blueprint

bp = Blueprint("consents", __name__)

from . import moved, views  # noqa: E402,F401
