"""The patient's consents and health forms: sign, fill in, save for later, download."""

from flask import Blueprint

bp = Blueprint("documents", __name__)

from . import views  # noqa: E402,F401
