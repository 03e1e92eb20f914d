"""Writing the audit trail. One function, called wherever something must be on the record."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import delete, insert, select

from ..extensions import db
from ..models import AuditEvent, Patient
from ..models.audit import AUDIT_RETENTION_DAYS
from ..models.types import utcnow
from .typed_input import normalize_account_number, parse_date


@dataclass(frozen=True)
class Origin:
    """Who acts and from where: the signed-in account (None for an anonymous visitor or the
    system), the network address and the browser. The web layer makes one per request
    (web/login.origin()); commands act as SYSTEM; the mail worker rebuilds the visitor's."""

    account: object = None
    ip: str = ""
    user_agent: str = ""


SYSTEM = Origin()


def _actor_fields(actor, origin):
    if actor is None:
        return {"actor_kind": "anonymous" if origin.ip else "system"}
    return {
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_label": getattr(actor, "email", "") or "",
    }


def _clean(text, limit):
    """One line of printable text: CR/LF and other control characters become spaces."""
    return "".join(ch if ch.isprintable() else " " for ch in (text or ""))[:limit]


def record(action, origin, *, actor=None, patient_id=None, object_type="", object_id="",
           detail=""):
    """Add an audit row to the current transaction (the caller commits).

    `origin` says from where (and, unless `actor` names someone else, who: a sign-in is
    recorded as the account signing in). `detail` is a short, non-clinical note such as the
    names of changed fields; never put passwords, tokens, answers or health information in it.
    """
    event = AuditEvent(**_row(action, origin, actor, patient_id, object_type, object_id, detail))
    db.session.add(event)
    return event


def record_read(action, origin, *, patient_id=None, object_type="", object_id="", detail=""):
    """Put a read (a page shown) on the record at once, as one INSERT in the current
    transaction: the ORM's unit of work for a single row cost a busy list a tenth of its
    time. Call it last, after the page is drawn and just before the commit: on SQLite the
    INSERT takes the write lock until then."""
    db.session.execute(insert(AuditEvent.__table__),
                       _row(action, origin, None, patient_id, object_type, object_id, detail))


def _row(action, origin, actor, patient_id, object_type, object_id, detail):
    return {
        "at": utcnow(),
        "action": action,
        "patient_id": patient_id,
        "object_type": object_type,
        "object_id": str(object_id or ""),
        "detail": _clean(detail, 2000),
        "ip": origin.ip or "",
        "user_agent": _clean(origin.user_agent, 200),
        **_actor_fields(actor if actor is not None else origin.account, origin),
    }


def about_account(account):
    """The audit fields naming a sign-in account (a patient's or a staff member's) and, for a
    patient, the chart: `audit.record(action, origin, **about_account(account))`."""
    return {"object_type": f"{account.kind}_account", "object_id": account.id,
            "patient_id": getattr(account, "patient_id", None)}


def record_export(origin, object_type, object_id="", *, patient_id=None, file_format="",
                  byte_count=None):
    """Put a download or export on the record: every file that leaves the portal goes here.

    Downloads of consents, records and any CSV call this once, when the file is handed
    out, in the transaction the view commits. The action is "<object_type>.exported"; the
    detail names only the format and size, never a file name (an uploaded file's name can
    say what it is about).
    """
    parts = [f"format: {file_format}" if file_format else "",
             f"bytes: {byte_count}" if byte_count is not None else ""]
    return record(f"{object_type}.exported", origin, patient_id=patient_id,
                  object_type=object_type, object_id=object_id,
                  detail="; ".join(part for part in parts if part))


def record_refused(origin, patient_id, status_code, action="", on_chart=True):
    """A refused request (403 or 404) on a patient's URL, or a 403 on another staff or admin
    URL (`on_chart` False): who asked, for which chart, and the action of the role table refused
    (services/permissions.py), if one was."""
    detail = f"status: {status_code}" + (f"; action: {action}" if action else "")
    return record("patient.access_refused" if on_chart else "staff.access_refused", origin,
                  patient_id=patient_id, object_type="patient" if patient_id else "",
                  object_id=patient_id or "", detail=detail)


class RetentionError(ValueError):
    """A prune that would delete rows still inside the retention period."""


# The promise on the audit page: rows are kept six years. A year here is 366 days, so
# "older than N years" never reaches into the last N calendar years (leap days included).
RETENTION_YEARS = AUDIT_RETENTION_DAYS // 366


def prune(older_than_years, now=None):
    """Delete audit rows older than `older_than_years` (at least six) and record how many.

    Refuses (RetentionError, nothing deleted) below the retention period. The deletion
    and the row that records it share one transaction; the caller commits.
    """
    if older_than_years < RETENTION_YEARS:
        raise RetentionError(
            f"Audit entries are kept for {RETENTION_YEARS} years: "
            f"--older-than-years must be {RETENTION_YEARS} or more.")
    cutoff = (now or utcnow()) - timedelta(days=older_than_years * 366)
    result = db.session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff))
    count = result.rowcount or 0
    record("audit.pruned", SYSTEM, object_type="audit_log",
           detail=f"pruned: {count}; older than: {older_than_years} years")
    return count


def search_statement(filters, zone):
    """Audit events matching the admin's filters, newest first.

    `filters` holds action (part of the action name), actor (staff email, part), an account
    number, and date_from/date_to (whole days in the practice's time zone `zone`).
    """
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
    ids = {event.patient_id for event in events if event.patient_id}
    if not ids:
        return {}
    rows = db.session.execute(select(Patient.id, Patient.account_number).where(Patient.id.in_(ids)))
    return dict(rows.all())
