"""Pages anyone may see: the front page with the practice's details."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from . import verify, views  # noqa: E402,F401
