"""Text people type is never markup (issue 19, item 4; SECURITY.md G7).

Every text an admin can edit (message topics, saved replies, documents with their titles,
statements and questions, the practice's details and policy texts, staff names) and every
text a patient types (their name, message subjects and bodies, a file's name, whom a share is
for) is set to a script payload. Then every GET page of the URL map is rendered for the
admin and for the patient, with the ids of the seeded objects, and no page holds the payload
as markup. A few pages that only a POST shows (a form's error naming a question, a consent's
unticked statement) are posted too.
"""

import html
import io
import re

from conftest import post_form
from flask import url_for
from records_data import PDF, SAMPLES

from portal.extensions import db
from portal.models import (
    MessageAttachment,
    OutboxEmail,
    Patient,
    PatientAccount,
    RecordEntry,
    StaffUser,
)
from portal.services import audit
from portal.services.consents import defaults, documents, fields
from portal.services.messages import attachments, conversations
from portal.services.messages.admin import create_reply_template
from portal.services.messages.topics import all_topics, ensure_topics
from portal.services.practice import get_practice
from portal.services.records import entries as record_entries
from portal.services.records import shares

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"
# The payload as markup, in whatever case or shortening a page gives it.
UNESCAPED = re.compile(r"<script>alert\(|<img src=x", re.IGNORECASE)
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
PRACTICE_TEXTS = ("name", "address_line1", "address_line2", "city", "mailing_address",
                  "office_hours", "reply_time_promise", "emergency_notice", "portal_policy")
PATIENT_TEXTS = ("first_name", "middle_name", "last_name", "preferred_name", "address_line1",
                 "address_line2", "city")


def _seed(app, admin_id, account_id):
    """Every admin-edited and patient-typed text set to the payload; the ids the URL map's
    routes take."""
    with app.app_context():
        admin = db.session.get(StaffUser, admin_id)
        account = db.session.get(PatientAccount, account_id)
        patient = db.session.get(Patient, account.patient_id)
        by_admin = audit.Origin(admin, "127.0.0.1", "test")
        by_patient = audit.Origin(account, "127.0.0.1", "test")
        ensure_topics()
        defaults.ensure_defaults()
        practice = get_practice()
        for column in PRACTICE_TEXTS:
            setattr(practice, column, PAYLOAD)
        practice.phone = "555-0100"
        db.session.add(practice)
        admin.name = PAYLOAD
        provider = StaffUser(email="provider@practice.test", name=PAYLOAD, role="provider",
                             password_hash=admin.password_hash)
        db.session.add(provider)
        for column in PATIENT_TEXTS:
            setattr(patient, column, PAYLOAD)
        topics = all_topics()
        for number, topic in enumerate(topics):
            topic.label = f"{PAYLOAD}{number}"
        plain = next(topic for topic in topics if topic.form == "plain" and topic.active)
        reply = create_reply_template({"title": PAYLOAD, "body": PAYLOAD}, by_admin)
        conversation = conversations.start_conversation(
            account, plain, subject=PAYLOAD, body=PAYLOAD, origin=by_patient,
            files=[attachments.CheckedFile(f"{PAYLOAD}.pdf", "application/pdf", PDF)])
        conversations.staff_reply(admin, conversation, body=PAYLOAD, origin=by_admin)
        conversations.add_note(admin, conversation, body=PAYLOAD, origin=by_admin)
        conversations.staff_start(admin, patient, plain, subject=PAYLOAD, body=PAYLOAD,
                                  origin=by_admin)
        consent = documents.new_document("consent", PAYLOAD, by_admin)
        documents.update_draft(consent, body=PAYLOAD, attestations=[PAYLOAD])
        documents.publish(consent, by_admin)
        form = documents.new_document("form", PAYLOAD, by_admin)
        fields.save_field(form, {"label": PAYLOAD, "type": "text", "required": True,
                                    "help": PAYLOAD}, by_admin)
        fields.save_field(form, {"label": f"{PAYLOAD} 2", "type": "single_choice",
                                    "choices": [PAYLOAD, f"{PAYLOAD} 2"]}, by_admin)
        documents.publish(form, by_admin)
        form_document = documents.document_by_id(form.document_id)
        documents.set_available_to_all(form_document, True, by_admin)
        entries = {}
        for category, values in SAMPLES.items():
            values = {key: PAYLOAD if key in ("test", "vaccine", "name", "substance", "reason",
                                              "notes", "title", "kind", "provider", "dose")
                      else value for key, value in values.items()}
            entries[category] = record_entries.publish(
                patient, category, values, by_admin, release=True,
                file=PDF if category == "document" else None)
        held = record_entries.publish(patient, "lab", {**SAMPLES["lab"], "test": PAYLOAD}, by_admin,
                               release=False)
        held.status, held.held_at, held.held_by_id = "held", held.created_at, provider.id
        held.hold_reason = PAYLOAD
        draft = record_entries.publish(patient, "lab", {**SAMPLES["lab"], "test": PAYLOAD}, by_admin,
                                release=False)
        share, _token, _code = shares.create(
            patient.id, account, recipient=PAYLOAD, whole_record=True, categories=[], days=7,
            origin=by_patient)
        db.session.commit()
        attachment = db.session.scalar(db.select(MessageAttachment.id))
        signature = account.patient.signatures[0].id if hasattr(account.patient, "signatures") \
            else None
        base = {"patient_id": patient.id, "conversation_id": conversation.id,
                "template_id": reply.id, "topic_id": plain.id, "staff_id": provider.id,
                "share_id": share.id, "attachment_id": attachment, "state": "on",
                "name": form.fields[0]["name"], "direction": "down"}
        if signature is not None:
            base["signature_id"] = signature
        values = [{**base, "document_id": document_id}
                  for document_id in (consent.document_id, form.document_id)]
        values += [{**base, "category": entry.category, "entry_id": entry.id}
                   for entry in [*map(lambda i: db.session.get(RecordEntry, i.id),
                                      entries.values()), held, draft]]
        return values


def _urls(app, values):
    """Every GET route filled in with each set of values that covers its arguments."""
    urls = set()
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            for value in values:
                if rule.arguments <= set(value):
                    urls.add(url_for(rule.endpoint, **{key: value[key] for key in rule.arguments}))
    return sorted(urls)


def _unescaped_pages(browser, urls):
    """(url, what) of each HTML page that holds the payload as markup; and the pages that
    show it escaped."""
    found, escaped = [], []
    for url in urls:
        with browser.get(url) as response:
            assert response.status_code < 500, url
            if not response.content_type.startswith("text/html"):
                continue
            page = response.get_data(as_text=True)
        found += [(url, match.group(0)) for match in UNESCAPED.finditer(page)]
        if ESCAPED in page:
            escaped.append(url)
    return found, escaped


def test_typed_text_is_never_markup_on_any_page(app, make_staff, make_account, staff_client,
                                                  patient_client):
    admin = make_staff("admin")
    account = make_account()
    values = _seed(app, admin.id, account.id)
    urls = _urls(app, values)
    assert "/staff/messages/new" in urls or any(url.endswith("/messages/new") for url in urls)
    assert len(urls) > 80
    staff_browser = staff_client(staff=admin, direct=True)
    patient_browser = patient_client("robin")
    found, escaped = _unescaped_pages(staff_browser, urls)
    patient_found, patient_escaped = _unescaped_pages(patient_browser, urls)
    assert found + patient_found == []
    # The payload was on the pages, escaped: the test looked at the texts it set.
    assert len(escaped) > 20 and len(patient_escaped) > 10
    compose = [url for url in escaped if "messages" in url and url.endswith("/new")]
    assert compose, "the staff page that sends a message to a patient shows the topics"
    with app.app_context():
        mail = db.session.scalars(db.select(OutboxEmail.body_html)).all()
    assert mail and not any(UNESCAPED.search(body) for body in mail)


HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')


def _post_page(browser, url, data):
    """Post the form on the page at `url` with its hidden inputs and `data`."""
    page = browser.get(url)
    assert page.status_code == 200, url
    hidden = {}
    for tag in HIDDEN.findall(page.get_data(as_text=True)):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name:
            hidden[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return browser.post(url, data={**hidden, **data})


def test_error_messages_naming_typed_text_escape_it(app, make_staff, make_account,
                                                    patient_client):
    """A health form's missing answer names its question; a consent's unticked statement is
    quoted: both on pages only a POST shows."""
    admin = make_staff("admin")
    account = make_account()
    values = _seed(app, admin.id, account.id)
    browser = patient_client("robin")
    pages = [_post_page(browser, f"/consents/forms/{values[1]['document_id']}",
                        {"legal_name": "Robin Quill", "agree": "y"}),
             _post_page(browser, f"/consents/{values[0]['document_id']}/sign",
                        {"legal_name": f"{PAYLOAD} {PAYLOAD}", "agree": "y"})]
    texts = [page.get_data(as_text=True) for page in pages]
    assert [page.status_code for page in pages] == [200, 200]
    assert "Answer this question: " + ESCAPED in texts[0]
    assert "Tick every statement to sign: " + ESCAPED in texts[1]
    assert not any(UNESCAPED.search(text) for text in texts)


def test_an_imported_file_s_unknown_column_is_named_escaped(app, make_staff, make_account,
                                                            staff_client):
    """A CSV heading is text a staff member's file brought in: the refusal that quotes it
    escapes it (the upload view keeps the message as text; this keeps it so)."""
    admin = make_staff("admin")
    account = make_account()
    browser = staff_client(staff=admin, direct=True)
    url = f"/staff/patients/{account.patient_id}/records/import"
    csv = f"test,value,{PAYLOAD}\nGlucose,5,x\n".encode()
    response = post_form(browser, url, {"category": "lab", "release": "publish",
                                        "file": (io.BytesIO(csv), "labs.csv")},
                         content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code < 500
    assert "The file has columns this import does not know: “" + ESCAPED in page
    assert not UNESCAPED.search(page)
