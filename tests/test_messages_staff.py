"""Secure messages on the staff side (issue 9, part 5, with parts 4, 6 and 7): the shared inbox
by pool and status, oldest waiting first and overdue ones in words; a conversation with the
patient beside it; reply (the patient told by an email that holds no message text, also
delivered over real SMTP), internal notes, assign, move, close, all audited; staff starting a
conversation; an undelivered notice on the chart; attachments; bad input and CSRF."""

import html
import io
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from conftest import START, count_queries, post_form
from helpers import use_smtp
from PIL import Image
from records_data import PDF
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import (
    Conversation,
    Message,
    MessageAttachment,
    MessageTopic,
    OutboxEmail,
    PatientAccount,
    Practice,
    ReplyTemplate,
    StaffUser,
)
from portal.services import audit
from portal.services.messages import attachments, conversations
from portal.services.messages.topics import ensure_topics
from portal.services.patients import create_patient
from portal.services.practice import PRACTICE_ID

ORIGIN = audit.Origin(None, "203.0.113.7", "Test browser 1.0")
PRACTICE_NAME = "Maple Street Family Practice"
SUBJECT = "Dizzy in the mornings"
FIRST_TEXT = "I have felt dizzy every morning this week after my new tablets."
REPLY_TEXT = "Please take the tablet with breakfast and call us if it continues."
NOTE_TEXT = "Checked the chart: dose was raised on Monday."


@pytest.fixture(autouse=True)
def practice(app):
    """The practice, named, so the email can be checked for its name."""
    with app.app_context():
        db.session.add(Practice(id=PRACTICE_ID, name=PRACTICE_NAME))
        db.session.commit()


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


def png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def topic_named(label):
    return db.session.scalar(select(MessageTopic).where(MessageTopic.label == label))


def start(app, account_id, subject=SUBJECT, body=FIRST_TEXT, topic="Question for my care team",
          files=()):
    """The patient writes (through the service, as the patient pages would); the id."""
    with app.test_request_context():
        ensure_topics()
        account = db.session.get(PatientAccount, account_id)
        conversation = conversations.start_conversation(
            account, topic_named(topic), subject=subject, body=body, origin=ORIGIN,
            files=attachments.check_files(list(files), db.session.get(Practice, PRACTICE_ID)))
        db.session.commit()
        return conversation.id


def conversation_row(app, conversation_id):
    with app.app_context():
        row = db.session.get(Conversation, conversation_id)
        db.session.expunge(row)
        return row


def messages_of(app, conversation_id):
    with app.app_context():
        rows = db.session.scalars(select(Message).where(Message.conversation_id == conversation_id)
                                  .order_by(Message.id)).all()
        return [(row.body, row.internal, row.staff_id) for row in rows]


def url(conversation_id, action=""):
    return f"/staff/messages/{conversation_id}" + (f"/{action}" if action else "")


def reply(browser, conversation_id, body=REPLY_TEXT, **extra):
    return post_form(browser, url(conversation_id, "reply"), {"body": body, **extra},
                     page_url=url(conversation_id), content_type="multipart/form-data")


def inbox_rows(page):
    """The body rows of the inbox table, each as one line of text."""
    table = re.search(r'<table class="stack queue">.*?</table>', page, re.S).group(0)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in re.findall(r"<tr[^>]*>.*?</tr>", table.split("<tbody>")[1], re.S)]


# -- the shared inbox ------------------------------------------------------------------------

def test_staff_see_a_patient_s_new_conversation_in_their_pool_s_inbox(
        app, make_account, staff_client, audit_trail):
    account = make_account()
    conversation_id = start(app, account.id)
    nurse = staff_client("nurse", direct=True)
    page = text_of(nurse.get("/staff/messages"))
    assert '<option selected value="nurse">Nurse</option>' in page  # the nurse's own pool
    [row] = inbox_rows(page)
    for shown in ("Quill, Robin", "T-1001", SUBJECT, "Question for my care team", "Nurse", "New",
                  "Unassigned", "Waiting 0 minutes"):
        assert shown in row
    assert f'href="/staff/messages/{conversation_id}"' in page
    assert FIRST_TEXT not in page
    assert '<a href="/staff/messages" aria-current="page">Messages</a>' in page
    [listed] = audit_trail.rows("message.queue_viewed")
    assert listed.detail == (f"pool: nurse; status: active; assigned: anyone; page: 1; "
                             f"shown: {conversation_id}")

    billing = staff_client("billing", direct=True)
    assert SUBJECT not in text_of(billing.get("/staff/messages"))
    # Billing reads only its own pool's conversations (issue 19): "all" is not offered.
    assert SUBJECT not in text_of(billing.get("/staff/messages?pool=all"))
    assert SUBJECT not in text_of(nurse.get("/staff/messages?status=waiting"))
    assert SUBJECT not in text_of(nurse.get("/staff/messages?assigned=me"))
    assert SUBJECT in text_of(nurse.get("/staff/messages?assigned=unassigned"))
    # Values not offered fall back to the defaults; any page number answers.
    assert SUBJECT in text_of(nurse.get("/staff/messages?pool=x&status=y&assigned=z"))
    for page_number in ("0", "-3", "abc", "99999999999999999999999"):
        assert nurse.get(f"/staff/messages?page={page_number}").status_code == 200


def test_oldest_waiting_first_with_its_age_and_overdue_in_words(
        app, make_account, make_staff, staff_client, clock):
    """Reply times are business days in New York: "Question for my care team" promises 2."""
    robin = make_account()
    sam = make_account(username="sam", account_number="T-1002", first_name="Sam",
                       email="sam@example.com")
    nurse = make_staff("nurse")
    # Monday Nov 23, 10:00 in New York: Robin writes; the nurse answers an hour later.
    older_id = start(app, robin.id, subject="Knee pain after the fall")
    clock.tick(timedelta(hours=1))
    with app.test_request_context():
        conversations.staff_reply(db.session.get(StaffUser, nurse.id),
                                  db.session.get(Conversation, older_id), body="Rest it.", origin=ORIGIN)
        db.session.commit()
    # Tuesday 10:00: Sam writes (due by the end of Thursday).
    clock.move_to(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    sam_id = start(app, sam.id, subject="Dizzy since Tuesday")
    # Wednesday 10:00: Robin writes again (due by the end of Friday).
    clock.move_to(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    with app.test_request_context():
        conversations.patient_reply(db.session.get(PatientAccount, robin.id),
                                    db.session.get(Conversation, older_id), body="Still sore.",
                                    origin=ORIGIN)
        db.session.commit()
    # Friday Nov 27, 13:00 in New York.
    clock.move_to(datetime(2026, 11, 27, 18, 0, tzinfo=UTC))
    page = text_of(staff_client("nurse", staff=nurse, direct=True).get("/staff/messages"))
    first, second = inbox_rows(page)
    assert "Dizzy since Tuesday" in first and "Knee pain after the fall" in second
    assert "Overdue Waiting 3 days 3 hours" in first
    assert "A reply was due by Nov 26, 2026 11:59 PM EST" in first
    assert "Overdue" not in second and "Waiting 2 days 3 hours" in second
    assert "Reply due by Nov 27, 2026 11:59 PM EST" in second
    assert page.count("Overdue") == 1
    assert conversation_row(app, sam_id).status == "new"
    assert conversation_row(app, older_id).status == "open"


def add_conversations(app, numbers, assignees=()):
    """One patient (with an account) and one conversation each, some assigned."""
    with app.test_request_context():
        ensure_topics()
        topic = topic_named("Question for my care team")
        for n in numbers:
            patient = create_patient({"account_number": f"Q{n:04d}", "first_name": f"First{n}",
                                      "last_name": f"Last{n:04d}", "sex": "unknown",
                                      "status": "active", "date_of_birth": datetime(1970, 1, 1).date()},
                                     audit.SYSTEM)
            db.session.flush()
            account = PatientAccount(patient_id=patient.id, username=f"pat{n}",
                                     email=f"pat{n}@example.test", password_hash="unused",
                                     security_question="childhood_hero", security_answer_hash="unused")
            db.session.add(account)
            db.session.flush()
            conversation = conversations.start_conversation(account, topic, subject=f"Question {n}",
                                                            body="A question.", origin=ORIGIN)
            if assignees:
                conversation.assigned_to_id = assignees[n % len(assignees)]
        db.session.commit()


def test_the_inbox_runs_as_many_queries_for_3_conversations_as_for_60(
        app, make_staff, staff_client):
    assignees = [make_staff("nurse", email=f"nurse{n}@practice.test").id for n in range(3)]
    browser = staff_client("nurse", direct=True)
    add_conversations(app, range(3), assignees)
    few = count_queries(app, lambda: browser.get("/staff/messages?pool=all"))
    add_conversations(app, range(3, 60), assignees)
    page = text_of(browser.get("/staff/messages?pool=all"))
    assert "60 conversations" in page and len(inbox_rows(page)) == 25
    assert count_queries(app, lambda: browser.get("/staff/messages?pool=all")) == few
    assert count_queries(app, lambda: browser.get("/staff/messages?pool=all&page=3")) == few
    assert len(inbox_rows(text_of(browser.get("/staff/messages?pool=all&page=3")))) == 10


# -- a conversation: reading, replying, notes ------------------------------------------------

def test_a_conversation_page_runs_as_many_queries_for_2_messages_as_for_12(
        app, make_account, make_staff, staff_client):
    account = make_account()
    conversation_id = start(app, account.id, files=[attachments.Upload("a.png", png_bytes())])
    writers = [make_staff("nurse", email=f"writer{n}@practice.test").id for n in range(3)]
    browser = staff_client("nurse", direct=True)

    def write(count):
        with app.test_request_context():
            conversation = db.session.get(Conversation, conversation_id)
            for n in range(count):
                conversations.add_note(db.session.get(StaffUser, writers[n % 3]), conversation,
                                       body=f"Note {n}", origin=ORIGIN)
            db.session.commit()

    write(1)
    few = count_queries(app, lambda: browser.get(url(conversation_id)))
    write(10)
    assert "12 messages" in text_of(browser.get(url(conversation_id)))
    assert count_queries(app, lambda: browser.get(url(conversation_id))) == few


def test_the_conversation_shows_the_patient_beside_it_and_its_read_is_audited(
        app, make_account, staff_client, audit_trail):
    account = make_account()
    conversation_id = start(app, account.id)
    page = text_of(staff_client("nurse", direct=True).get(url(conversation_id)))
    for shown in ("Robin Quill", "04/09/1980", "T-1001", SUBJECT, FIRST_TEXT,
                  "Question for my care team"):
        assert shown in page
    assert f'href="/staff/patients/{account.patient_id}/messages"' in page
    [read] = audit_trail.rows("message.read")
    assert read.patient_id == account.patient_id and read.object_id == str(conversation_id)


def test_a_reply_waits_on_the_patient_who_gets_an_email_without_the_message(
        app, make_account, staff_client, outbox, audit_trail):
    account = make_account()
    conversation_id = start(app, account.id)
    nurse = staff_client("nurse", direct=True)
    response = reply(nurse, conversation_id)
    assert response.status_code == 302 and response.headers["Location"] == url(conversation_id)
    page = text_of(nurse.get(url(conversation_id)))
    assert "Your reply was sent." in page and REPLY_TEXT in page
    row = conversation_row(app, conversation_id)
    assert row.status == "waiting" and row.waiting_since is None
    assert row.assigned_to_id == nurse.staff.id
    [email] = outbox.queued
    assert email.recipient == "robin.quill@example.com" and email.patient_id == account.patient_id
    assert email.subject == "You have a new message in your patient portal"
    for body in (email.body_text, html.unescape(email.body_html)):
        assert PRACTICE_NAME in body and "You have a new message in your patient portal" in body
        assert "http://portal.test/sign-in" in body
    for part in (email.subject, email.body_text, email.body_html):
        for secret in (SUBJECT, REPLY_TEXT, FIRST_TEXT, "Dizzy", "tablet"):
            assert secret not in part
    [replied] = audit_trail.rows("message.replied")
    assert replied.patient_id == account.patient_id and replied.actor_id == nurse.staff.id


def test_a_patient_who_turned_message_emails_off_gets_none(app, make_account, staff_client,
                                                           outbox):
    account = make_account()
    with app.app_context():
        db.session.execute(update(PatientAccount).values(notify_messages=False))
        db.session.commit()
    conversation_id = start(app, account.id)
    assert reply(staff_client("nurse", direct=True), conversation_id).status_code == 302
    assert conversation_row(app, conversation_id).status == "waiting"
    assert outbox.queued == []


def test_an_internal_note_is_internal_marked_and_never_emailed(
        app, make_account, staff_client, outbox, audit_trail):
    account = make_account()
    conversation_id = start(app, account.id)
    nurse = staff_client("nurse", direct=True)
    response = post_form(nurse, url(conversation_id, "note"), {"note": NOTE_TEXT},
                         page_url=url(conversation_id), follow_redirects=True)
    page = text_of(response)
    assert "The internal note was added. The patient does not see it." in page
    note = re.search(r'<li class="message message-note".*?</li>', page, re.S).group(0)
    assert "Internal note — the patient does not see this" in note and NOTE_TEXT in note
    assert messages_of(app, conversation_id)[-1] == (NOTE_TEXT, True, nurse.staff.id)
    assert conversation_row(app, conversation_id).status == "open"
    assert outbox.queued == []
    assert len(audit_trail.rows("message.note_added")) == 1
    reply(nurse, conversation_id)
    [email] = outbox.queued
    assert NOTE_TEXT not in email.body_text + email.body_html + email.subject


def test_a_saved_reply_fills_the_reply_box_without_javascript(app, make_account, staff_client):
    account = make_account()
    conversation_id = start(app, account.id)
    with app.app_context():
        template = ReplyTemplate(title="Refill ready", body="Your refill is ready to collect.")
        db.session.add(template)
        db.session.commit()
        template_id = template.id
    nurse = staff_client("nurse", direct=True)
    box = re.compile(r'<textarea[^>]*id="body"[^>]*>(.*?)</textarea>', re.S)
    page = text_of(nurse.get(url(conversation_id)))
    assert box.search(page).group(1).strip() == ""
    assert 'data-body="Your refill is ready to collect."' in page
    page = text_of(nurse.get(f"{url(conversation_id)}?template={template_id}"))
    assert box.search(page).group(1).strip() == "Your refill is ready to collect."
    assert "js/staff-messages.js" in page


# -- assign, move, close ---------------------------------------------------------------------

def test_assign_unassign_move_and_close_each_go_on_the_record(
        app, make_account, make_staff, staff_client, audit_trail):
    account = make_account()
    conversation_id = start(app, account.id)
    doctor = make_staff("provider", name="Dr. Lee Park")
    nurse = staff_client("nurse", direct=True)
    page_url = url(conversation_id)

    page = text_of(post_form(nurse, url(conversation_id, "assign"), {"assignee": str(doctor.id)},
                             page_url=page_url, follow_redirects=True))
    assert "The conversation was assigned to Dr. Lee Park." in page
    row = conversation_row(app, conversation_id)
    assert row.assigned_to_id == doctor.id and row.status == "open"

    page = text_of(post_form(nurse, url(conversation_id, "assign"), {"assignee": ""},
                             page_url=page_url, follow_redirects=True))
    assert "The conversation is back with the whole pool." in page
    assert conversation_row(app, conversation_id).assigned_to_id is None
    assert [row.detail for row in audit_trail.rows("message.assigned")] == [
        "to: provider@practice.test", "to: the pool"]

    page = text_of(post_form(nurse, url(conversation_id, "move"), {"pool": "billing"},
                             page_url=page_url, follow_redirects=True))
    assert "The conversation was moved to the Billing pool." in page
    assert conversation_row(app, conversation_id).pool == "billing"
    [moved] = audit_trail.rows("message.moved")
    assert moved.detail == "pool: billing" and moved.patient_id == account.patient_id

    page = text_of(post_form(nurse, url(conversation_id, "close"), {}, page_url=page_url,
                             follow_redirects=True))
    assert "The conversation was closed." in page
    row = conversation_row(app, conversation_id)
    assert row.status == "closed" and row.closed_at is not None
    [closed] = audit_trail.rows("message.closed")
    assert closed.actor_id == nurse.staff.id and closed.object_id == str(conversation_id)
    assert "Close the conversation" not in page


# -- staff start a conversation --------------------------------------------------------------

def test_staff_start_a_conversation_and_the_patient_is_told(
        app, make_account, staff_client, outbox, audit_trail):
    account = make_account()
    nurse = staff_client("nurse", direct=True)
    chart = text_of(nurse.get(f"/staff/patients/{account.patient_id}/messages"))
    new_url = f"/staff/patients/{account.patient_id}/messages/new"
    assert f'href="{new_url}"' in chart and "No messages with this patient yet." in chart
    page = text_of(nurse.get(new_url))
    assert "Robin Quill" in page and "Test results (Provider)" in page
    with app.app_context():
        topic_id = topic_named("Test results").id
    response = post_form(nurse, new_url, {"topic": str(topic_id), "subject": "Your blood test",
                                          "body": "Your cholesterol result is in range."},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        conversation = db.session.scalar(select(Conversation))
        assert (conversation.patient_id, conversation.status, conversation.pool) == (
            account.patient_id, "waiting", "provider")
        assert conversation.started_by_staff_id == nurse.staff.id
        conversation_id = conversation.id
    assert response.headers["Location"] == url(conversation_id)
    assert "The message was sent to the patient." in text_of(nurse.get(url(conversation_id)))
    [email] = outbox.queued
    assert email.recipient == "robin.quill@example.com"
    assert email.subject == "You have a new message in your patient portal"
    for part in (email.subject, email.body_text, email.body_html):
        assert "blood" not in part and "cholesterol" not in part
    [started] = audit_trail.rows("message.started_by_staff")
    assert started.patient_id == account.patient_id
    chart = text_of(nurse.get(f"/staff/patients/{account.patient_id}/messages"))
    assert f'<a href="{url(conversation_id)}">Your blood test</a>' in chart


# -- an email that could not be delivered ----------------------------------------------------

def test_an_undelivered_notice_shows_on_the_chart_in_plain_words(
        app, make_account, staff_client, outbox, clock):
    account = make_account()
    conversation_id = start(app, account.id)
    nurse = staff_client("nurse", direct=True)
    reply(nurse, conversation_id)
    summary_url = f"/staff/patients/{account.patient_id}"
    chart_url = f"{summary_url}/messages"
    assert "could not be delivered" not in text_of(nurse.get(summary_url))
    assert "could not be delivered" not in text_of(nurse.get(chart_url))
    with app.app_context():
        db.session.execute(update(OutboxEmail).values(
            attempts=8, gave_up_at=START + timedelta(hours=6),
            last_error="SMTPRecipientsRefused: {'robin.quill@example.com': (550, b'5.1.1 "
                       "mailbox unavailable')}"))
        db.session.commit()
        [body] = db.session.scalars(select(OutboxEmail.body_text)).all()
    chart = text_of(nurse.get(chart_url))
    warning = re.search(r'<div class="notice notice-error delivery-warning">.*?</div>', chart,
                        re.S).group(0)
    warning = " ".join(re.sub(r"<[^>]+>", " ", warning).split())
    assert (f'<a href="{chart_url}">An email notice to this patient could not be delivered'
            in text_of(nurse.get(summary_url)))
    assert "1 email notice to this patient could not be delivered." in warning
    assert "Nov 23, 2026 10:00 AM EST: The patient's email server refused the address." in warning
    assert "stopped trying on Nov 23, 2026 04:00 PM EST after 8 attempts." in warning
    assert "SMTPRecipientsRefused" not in chart and "5.1.1" not in chart
    assert body.strip() and body.strip() not in chart
    assert "You have a new message" not in chart


# -- attachments -----------------------------------------------------------------------------

def test_staff_download_an_attachment_safely_and_on_the_record(
        app, make_account, staff_client, audit_trail):
    account = make_account()
    conversation_id = start(app, account.id, files=[attachments.Upload("rash photo.png", png_bytes())])
    nurse = staff_client("nurse", direct=True)
    page = text_of(nurse.get(url(conversation_id)))
    link = re.search(r'href="(/staff/messages/attachments/(\d+))"', page)
    assert "Download rash photo.png" in page
    response = nurse.get(link.group(1))
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="attachment-{link.group(2)}.png"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    [export] = audit_trail.rows("message_attachment.exported")
    assert export.patient_id == account.patient_id and export.object_id == link.group(2)
    assert export.detail == f"format: png; bytes: {len(response.data)}"


def test_a_damaged_attachment_is_refused_with_a_clear_page(
        app, make_account, staff_client, audit_trail, caplog):
    account = make_account()
    conversation_id = start(app, account.id, files=[attachments.Upload("rash.png", png_bytes())])
    with app.app_context():
        attachment_id = db.session.scalar(select(MessageAttachment.id))
        db.session.execute(update(MessageAttachment).values(data=b"\x89PNG\r\n\x1a\n damaged"))
        db.session.commit()
    with caplog.at_level(logging.WARNING, logger="portal"):
        response = staff_client("nurse", direct=True).get(
            f"/staff/messages/attachments/{attachment_id}")
    assert response.status_code == 409
    assert "This file cannot be downloaded" in text_of(response)
    assert f"message attachment {attachment_id} does not match its SHA-256" in caplog.text
    assert "rash" not in caplog.text and "Quill" not in caplog.text
    assert audit_trail.rows("message_attachment.exported") == []
    assert f'href="{url(conversation_id)}"' in text_of(response)


def test_a_reply_with_a_pdf_keeps_it(app, make_account, staff_client):
    account = make_account()
    conversation_id = start(app, account.id)
    response = reply(staff_client("nurse", direct=True), conversation_id,
                     attachments=(io.BytesIO(PDF), "leaflet.pdf"))
    assert response.status_code == 302
    with app.app_context():
        [(name, kind)] = db.session.execute(
            select(MessageAttachment.filename, MessageAttachment.content_type)).all()
    assert (name, kind) == ("leaflet.pdf", "application/pdf")


# -- bad input: a clear message, nothing saved, never a 500 ----------------------------------

@pytest.mark.parametrize("data, message", [
    ({"body": ""}, "Enter your reply."),
    ({"body": "   \r\n  "}, "Enter your reply."),
    ({"body": "x" * 5001}, "Shorten this to 5000 characters or fewer (it has 5001)."),
    ({"body": REPLY_TEXT, "attachments": (io.BytesIO(b"<html><script>x</script></html>"),
                                          "results.png")},
     "results.png is not a file type this practice accepts (PDF, JPG, PNG)."),
])
def test_a_refused_reply_says_why_keeps_the_text_and_saves_nothing(
        app, make_account, staff_client, outbox, data, message):
    account = make_account()
    conversation_id = start(app, account.id)
    response = reply(staff_client("nurse", direct=True), conversation_id, **data)
    assert response.status_code == 200
    page = text_of(response)
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    assert message in summary
    assert re.search(r'<p class="field-error" id="(body|attachments)-error">.*?'
                     + re.escape(message), page, re.S)
    assert page.startswith("<!DOCTYPE html>") and "<title>Error: " in page
    if data["body"].strip():
        assert re.search(r'<textarea[^>]*id="body"[^>]*>\s*' + re.escape(data["body"][:50]), page)
    assert len(messages_of(app, conversation_id)) == 1
    assert conversation_row(app, conversation_id).status == "new"
    assert outbox.queued == []


@pytest.mark.parametrize("action, data, message", [
    ("note", {"note": ""}, "Enter the note."),
    ("note", {"note": "n" * 2001}, "Shorten this to 2000 characters or fewer (it has 2001)."),
    ("move", {"pool": "pharmacy"}, "Choose a pool from the list."),
    ("assign", {"assignee": "99999"}, "Choose a staff member from the list."),
])
def test_other_refused_forms_say_why_and_change_nothing(
        app, make_account, staff_client, audit_trail, action, data, message):
    account = make_account()
    conversation_id = start(app, account.id)
    response = post_form(staff_client("nurse", direct=True), url(conversation_id, action), data,
                         page_url=url(conversation_id))
    assert response.status_code == 200
    page = text_of(response)
    assert message in re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    assert 'class="field-error"' in page
    row = conversation_row(app, conversation_id)
    assert (row.status, row.pool, row.assigned_to_id) == ("new", "nurse", None)
    assert len(messages_of(app, conversation_id)) == 1
    recorded = {"note": "message.note_added", "move": "message.moved", "assign": "message.assigned"}
    assert audit_trail.rows(recorded[action]) == []


@pytest.mark.parametrize("data, message", [
    ({"topic": "", "subject": "Results", "body": "Text"}, "Choose a topic from the list."),
    ({"topic": "99999", "subject": "Results", "body": "Text"}, "Choose a topic from the list."),
    ({"topic": "TOPIC", "subject": "", "body": "Text"}, "Enter a subject."),
    ({"topic": "TOPIC", "subject": "s" * 121, "body": "Text"},
     "Shorten this to 120 characters or fewer (it has 121)."),
    ({"topic": "TOPIC", "subject": "Results", "body": ""}, "Enter the message."),
])
def test_a_refused_new_conversation_says_why_and_saves_nothing(
        app, make_account, staff_client, outbox, data, message):
    account = make_account()
    nurse = staff_client("nurse", direct=True)
    new_url = f"/staff/patients/{account.patient_id}/messages/new"
    nurse.get(new_url)
    with app.app_context():
        topic_id = topic_named("Test results").id
    data = {**data, "topic": data["topic"].replace("TOPIC", str(topic_id))}
    response = post_form(nurse, new_url, data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert message in re.search(r'<div class="error-summary".*?</div>', text_of(response),
                                re.S).group(0)
    with app.app_context():
        assert db.session.scalar(select(func.count(Conversation.id))) == 0
    assert outbox.queued == []


@pytest.mark.parametrize("path", [
    "/staff/messages/999999", "/staff/messages/99999999999999",
    "/staff/messages/attachments/999999", "/staff/patients/999999/messages/new",
])
def test_what_does_not_exist_is_404(app, staff_client, path):
    assert staff_client("nurse", direct=True).get(path).status_code == 404


@pytest.mark.parametrize("action", ["reply", "note", "assign", "move", "close"])
def test_a_post_to_a_conversation_that_does_not_exist_is_404(app, make_account, staff_client,
                                                             action):
    account = make_account()
    conversation_id = start(app, account.id)
    response = post_form(staff_client("nurse", direct=True), url(999999, action),
                         {"body": REPLY_TEXT, "note": NOTE_TEXT, "pool": "billing"},
                         page_url=url(conversation_id))
    assert response.status_code == 404


@pytest.mark.parametrize("action, data", [
    ("reply", {"body": REPLY_TEXT}), ("note", {"note": NOTE_TEXT}), ("assign", {"assignee": ""}),
    ("move", {"pool": "billing"}), ("close", {}), ("new", {"subject": "Hi", "body": "Hello"}),
])
def test_every_post_without_its_csrf_token_is_refused(app, make_account, staff_client, outbox,
                                                      action, data):
    account = make_account()
    conversation_id = start(app, account.id)
    target = (f"/staff/patients/{account.patient_id}/messages/new" if action == "new"
              else url(conversation_id, action))
    response = staff_client("nurse", direct=True).post(target, data=data)
    assert response.status_code == 400
    row = conversation_row(app, conversation_id)
    assert (row.status, row.pool, row.assigned_to_id) == ("new", "nurse", None)
    assert len(messages_of(app, conversation_id)) == 1
    assert outbox.queued == []


def test_patients_and_visitors_cannot_open_the_staff_inbox(app, client, make_account,
                                                           patient_client):
    account = make_account()
    conversation_id = start(app, account.id)
    assert client.get("/staff/messages").status_code == 302
    browser = patient_client()
    assert browser.get("/staff/messages").status_code == 403
    assert browser.get(url(conversation_id)).status_code == 403


# -- delivery over real SMTP -----------------------------------------------------------------

def test_the_reply_notice_is_delivered_over_smtp_without_the_message(
        app, make_account, staff_client, outbox, smtp_server):  # noqa: F811 - the fixture
    inbox = smtp_server()
    use_smtp(app, inbox.port)
    account = make_account()
    conversation_id = start(app, account.id)
    reply(staff_client("nurse", direct=True), conversation_id)
    assert outbox.deliver() == (1, 0)
    [message] = inbox.messages
    assert message["To"] == "robin.quill@example.com"
    assert message["Subject"] == "You have a new message in your patient portal"
    text = message.get_body(("plain",)).get_content()
    html_part = html.unescape(message.get_body(("html",)).get_content())
    for body in (text, html_part):
        assert PRACTICE_NAME in body and "http://portal.test/sign-in" in body
    raw = message.as_string()
    for secret in (SUBJECT, REPLY_TEXT, FIRST_TEXT, "Dizzy", "tablet"):
        assert secret not in raw
