"""The staff console: find patients, open and keep their charts."""

from flask import Blueprint

bp = Blueprint("staff", __name__)
# The staff side of auth and twostep is nested under this blueprint, which owns every
# /staff/... URL: create_app does it (portal/__init__.py), so no blueprint imports another.

from . import (  # noqa: E402,F401
    account_views,
    appointment_changes,
    chart,
    confidential,
    consents,
    messages,
    portal_access,
    proxies,
    record_corrections,
    record_import,
    record_shares,
    records,
    views,
)
