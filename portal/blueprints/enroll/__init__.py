"""Enrollment: staff invite a patient; the patient sets up an account from the emailed link."""

from flask import Blueprint

bp = Blueprint("enroll", __name__)

from . import invited, steps, views  # noqa: E402,F401
