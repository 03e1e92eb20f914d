"""The staff console: find patients, open and keep their charts."""

from flask import Blueprint

bp = Blueprint("staff", __name__)

# The staff side of other capabilities, so that this blueprint owns every /staff/... URL.
from ..auth import staff_bp as auth_pages  # noqa: E402
from ..twostep import staff_bp as two_step_pages  # noqa: E402

bp.register_blueprint(auth_pages)
bp.register_blueprint(two_step_pages)

from . import (  # noqa: E402,F401
    account_views,
    consents,
    messages,
    portal_access,
    record_corrections,
    record_import,
    record_shares,
    records,
    views,
)
