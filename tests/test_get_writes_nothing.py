"""Reads never write (issue 20, item 3): every GET page of the URL map, opened with real ids by
a patient, by an admin and by a visitor who is not signed in, runs no INSERT, UPDATE or DELETE
beyond a short list, each with its reason. Defaults are made once by `portal setup`, never by
a page on its way to drawing itself."""

import re
from datetime import date

import pytest
from conftest import engine_events
from records_data import PDF
from sqlalchemy import select

from portal.extensions import db
from portal.models import MessageAttachment, PatientAccount, ProxyGrant, Signature
from portal.services import audit
from portal.services.messages import attachments, conversations
from portal.services.messages.topics import offered_topics

WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)

# What a GET may write, and why.
ALLOWED = {
    # Who saw or downloaded what: the audit trail is append-only and is the point of a read.
    ("INSERT", "audit_events"): "the audit row of a view, a download or a refused access",
    # The session check's idle touch, on a connection of its own (services/sessions.py).
    ("UPDATE", "auth_sessions"): "the signed-in session's refresh",
    # A download counted against its limit (services/record_share_opens.count_download): a
    # security record, kept like a failed sign-in whatever the page does next.
    ("INSERT", "rate_limit_hits"): "a download counted against the per-account limit",
    ("DELETE", "rate_limit_hits"): "the same count forgetting hits older than its window",
    # A form's page shows what the idle sign-out interrupted once (services/kept_drafts.py).
    ("DELETE", "kept_drafts"): "a kept draft handed back, once",
}
# Pages whose job is to record that the person has now seen something: that one UPDATE.
SEEN = {
    "records.entry": (("UPDATE", "record_entries"), "the patient has now seen the entry"),
    "messages.conversation": (("UPDATE", "conversations"), "the patient has now read the replies"),
}

# Pages about a document entry's file: their entry_id is the document, not the lab result.
FILE_PAGES = {"records.document_file", "shared.document_file", "staff.records.document"}


def writes(app, action):
    """(verb, table, statement) of every write `action()` runs against the database."""
    found = []
    for _conn, _cursor, statement, *_rest in engine_events(app, "before_cursor_execute", action):
        match = WRITE.match(statement)
        if match:
            verb = match.group(1).split()[0].upper()
            found.append((verb, match.group(2).lower(), " ".join(statement.split())[:160]))
    return found


@pytest.fixture
def patient_data(app, robin_account, publish_entry, topics):
    """Robin with a lab result, a document, a conversation with an attachment, and the ids a
    GET URL may name."""
    lab = publish_entry("lab")
    document = publish_entry("document")
    with app.app_context():
        account = db.session.get(PatientAccount, robin_account.id)
        topic = offered_topics()[0]
        conversation = conversations.start_conversation(
            account, topic, subject="A question", body="Body text",
            details={"reason": "r", "days": "d", "times": "t"},
            files=[attachments.CheckedFile("scan.pdf", "application/pdf", PDF)], origin=audit.SYSTEM)
        db.session.commit()
        signature = db.session.scalar(select(Signature).where(
            Signature.patient_id == robin_account.patient_id))
        # A guardian's grant to name in the guardian's page (made directly: Robin is an adult).
        grant = ProxyGrant(patient_id=robin_account.patient_id, full_name="Dana Quill",
                           relationship="parent", email="dana@example.com",
                           date_of_birth=date(1950, 1, 2), document="birth_certificate")
        db.session.add(grant)
        db.session.commit()
        ids = {"patient_id": robin_account.patient_id, "entry_id": lab, "category": "lab",
               "conversation_id": conversation.id,
               "attachment_id": db.session.scalar(select(MessageAttachment.id)),
               "signature_id": signature.id, "document_id": signature.document_id,
               "topic_id": next(iter(topics.values())), "template_id": 1, "share_id": 1,
               "grant_id": grant.id, "kind": "record_entry", "item_id": lab, "name": "x"}
    return ids, document


def get_rules(app):
    return sorted((rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and rule.endpoint != "static"),
                  key=lambda rule: rule.rule)


def url_of(rule, ids, document_entry):
    """The rule's URL with the fixture's ids (a document entry where the page is a file)."""
    values = {name: ids[name] for name in rule.arguments}
    if rule.endpoint in FILE_PAGES:
        values["entry_id"] = document_entry
    return rule.build(values, append_unknown=False)[1]


def opened(browser, url):
    """GET `url` and close the response (a download streams from a file until closed)."""
    browser.get(url).close()


def failures_for(app, browser, rules, ids, document_entry):
    failed = []
    for rule in rules:
        url = url_of(rule, ids, document_entry)
        allowed = dict(ALLOWED)
        if rule.endpoint in SEEN:
            allowed[SEEN[rule.endpoint][0]] = SEEN[rule.endpoint][1]
        failed += [f"{rule.endpoint} {url}: {statement}"
                   for verb, table, statement in writes(app, lambda u=url: opened(browser, u))
                   if (verb, table) not in allowed]
    return failed


def test_get_pages_write_nothing(app, patient_data, robin_client, staff_client, client):
    ids, document_entry = patient_data
    rules = get_rules(app)
    admin = staff_client("admin", direct=True)
    failed = []
    for browser in (robin_client, admin, client):
        failed += failures_for(app, browser, rules, ids, document_entry)
    assert failed == [], "\n".join(failed)


def test_the_check_sees_a_write(app, client):
    """The listener sees what a page would write: here, a write run as the 'page'."""
    from sqlalchemy import text

    def page():
        with app.app_context():
            db.session.execute(text("UPDATE practice SET name = name"))
            db.session.execute(text("INSERT INTO audit_events (action) SELECT 'x' WHERE 1 = 0"))
            db.session.rollback()

    assert [(verb, table) for verb, table, _statement in writes(app, page)] == \
        [("UPDATE", "practice"), ("INSERT", "audit_events")]
