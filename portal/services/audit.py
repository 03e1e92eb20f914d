"""Writing the audit trail. One function, called wherever something must be on the record."""

from flask import has_request_context, request
from flask_login import current_user

from ..extensions import db
from ..models import AuditEvent


def _actor_fields(actor):
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    if actor is None:
        return {"actor_kind": "anonymous" if has_request_context() else "system"}
    return {
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_label": getattr(actor, "email", "") or "",
    }


def _clean(text, limit):
    """One line of printable text: CR/LF and other control characters become spaces."""
    return "".join(ch if ch.isprintable() else " " for ch in (text or ""))[:limit]


def record(action, *, actor=None, patient_id=None, object_type="", object_id="", detail=""):
    """Add an audit row to the current transaction (the caller commits).

    `detail` is a short, non-clinical note such as the names of changed fields; never put
    passwords, tokens, answers or health information in it.
    """
    fields = _actor_fields(actor)
    if has_request_context():
        fields["ip"] = request.remote_addr or ""
        fields["user_agent"] = _clean(request.user_agent.string, 200)
    event = AuditEvent(
        action=action,
        patient_id=patient_id,
        object_type=object_type,
        object_id=str(object_id or ""),
        detail=_clean(detail, 2000),
        **fields,
    )
    db.session.add(event)
    return event


def search_statement(filters, zone):
    """Audit events matching the admin's filters, newest first.

    `filters` holds action (part of the action name), actor (staff email, part), an account
    number, and date_from/date_to (whole days in the practice's time zone `zone`).
    """
    from datetime import datetime, time, timedelta

    from sqlalchemy import select

    from ..models import Patient
    from .patients import normalize_account_number, parse_date

    statement = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if filters.get("action"):
        statement = statement.where(AuditEvent.action.contains(filters["action"], autoescape=True))
    if filters.get("actor"):
        statement = statement.where(
            AuditEvent.actor_label.contains(filters["actor"].lower(), autoescape=True))
    if filters.get("account_number"):
        patient_ids = select(Patient.id).where(
            Patient.account_number == normalize_account_number(filters["account_number"]))
        statement = statement.where(AuditEvent.patient_id.in_(patient_ids))
    if day := parse_date(filters.get("date_from")):
        statement = statement.where(AuditEvent.at >= datetime.combine(day, time(), zone))
    if day := parse_date(filters.get("date_to")):
        statement = statement.where(
            AuditEvent.at < datetime.combine(day + timedelta(days=1), time(), zone))
    return statement


def account_numbers(events):
    """Patient id -> account number for a page of events, in one query (no N+1)."""
    from sqlalchemy import select

    from ..models import Patient

    ids = {event.patient_id for event in events if event.patient_id}
    if not ids:
        return {}
    rows = db.session.execute(select(Patient.id, Patient.account_number).where(Patient.id.in_(ids)))
    return dict(rows.all())
