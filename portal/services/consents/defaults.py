"""The two documents a new practice starts with (portal/data/): the portal consent enrollment
signs, valid 12 months, and a medical-history questionnaire.

Made once, by services/setup.install_defaults (`portal setup` and `portal demo`), never by a
page that reads documents.
"""

import json
from importlib.resources import files

from sqlalchemy import select

from ...database import lock_for_write
from ...extensions import db
from ...models import Document, DocumentVersion
from .. import audit
from .documents import publish

PORTAL_CONSENT_MONTHS = 12


def _data(name):
    return files("portal").joinpath(f"data/{name}").read_text(encoding="utf-8")


def ensure_defaults(origin=audit.SYSTEM):
    """Make the two default documents the first time the practice has none (the caller
    commits). Returns whether it made them.

    The portal consent keeps a policy the practice wrote in its settings before documents
    existed, in place of ours.
    """
    if db.session.scalar(select(Document.id).limit(1)) is not None:
        return False
    lock_for_write(db.session, "documents:defaults")
    if db.session.scalar(select(Document.id).limit(1)) is not None:
        return False
    from ..practice import get_practice

    body = _data("portal_consent.md")
    own_policy = (get_practice().portal_policy or "").strip()
    if own_policy and own_policy != _data("portal_policy.txt").strip():
        body = body.split("## Portal policy and procedures")[0] + (
            "## Portal policy and procedures\n\n" + own_policy)
    consent = Document(kind="consent", is_portal_consent=True)
    _publish_new(consent, origin, title="Patient portal consent", body=body, required=True,
                 signers="all", validity_months=PORTAL_CONSENT_MONTHS)
    history = json.loads(_data("medical_history_form.json"))
    form = Document(kind="form", available_to_all=True)
    _publish_new(form, origin, title=history["title"], body=history["body"],
                 fields=history["fields"])
    return True


def _publish_new(document, origin, **content):
    db.session.add(document)
    db.session.flush()
    version = DocumentVersion(document_id=document.id, number=1, **{
        "required": False, "signers": "all", "validity_months": 0, "attestations": [],
        "fields": [], **content})
    db.session.add(version)
    publish(version, origin)
    return version
