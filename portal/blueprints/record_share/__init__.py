"""What another provider sees of a patient's health record that the patient shared with them
(issue 10, item 4): the shared link, then the access code, then the shared parts read-only with
their downloads. Nobody signs in here: the browser holds the share it was given the code for,
for an hour at most (services/records/shares.py has the rules). Its URLs are under
/record-share; the old /shared ones (in links already emailed or printed) redirect there."""

from flask import Blueprint

bp = Blueprint("record_share", __name__)

from . import views  # noqa: E402,F401
