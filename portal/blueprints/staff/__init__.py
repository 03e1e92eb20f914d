"""The staff console: find patients, open and keep their charts."""

from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import account_views, views  # noqa: E402,F401
