"""Secure messages in Chromium (issue 9): compose and reply on desktop and phone, with and
without JavaScript, over HTTP and over HTTPS.

A patient with a consent on file opens Messages, chooses "Prescription refill" (step 1),
answers its own questions (medication, dose, pharmacy), first sends an empty message (the error
summary, the subject kept), then sends it with a PNG and sees the conversation. A nurse (the
refill topic's pool) opens the shared inbox, finds it behind an older one (oldest waiting
first), opens it, downloads the PNG, adds an internal note and replies from a saved reply. The
patient sees the unread count in the navigation, reads the reply but never the note, replies
again, archives the conversation and finds it under Archived. The email the patient got says
neither the subject nor any text of the conversation. On every page: no id used twice, axe-core
when JavaScript is on (it cannot run without), and on the phone walks the layout at 375 px.

The HTTPS walk sends and answers a message through gunicorn over TLS (staff sign in with
two-step there): every post goes over https, with no CSRF or Referer refusal.
"""

import email
import email.policy
import io
import re
from datetime import timedelta

import pytest
from conftest import PATIENT_PASSWORD, turn_on_two_step
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import Conversation, MessageTopic, PatientAccount, ReplyTemplate, StaffUser
from portal.services import audit
from portal.services.messages import conversations
from portal.services.messages.topics import ensure_topics

from .helpers import PostLog, assert_host_cookies, assert_unique_ids, main_nav, staff_signs_in

NURSE_EMAIL = "nurse@practice.test"
TOPIC = "Prescription refill"
SUBJECT = "Refill for my blood pressure tablets"
BODY = "I have five tablets left. Could you send the refill to my pharmacy this week?"
DETAILS = {"Medication name": "Lisinopril", "Dose": "10 mg once a day",
           "Pharmacy (name and town)": "Main Street Pharmacy, Springfield"}
OLDER_SUBJECT = "Question about my inhaler"
NOTE = "Checked the chart: last refill was 28 days ago, fine to send."
SAVED_TITLE = "Refill sent"
REPLY = "We sent your refill to the pharmacy. It will be ready to collect tomorrow."
PATIENT_REPLY = "Thank you, I will pick it up tomorrow afternoon."
PNG_NAME = "pill-bottle.png"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def photo_png():
    """A small real PNG, as a phone's camera app would save it (a 64 x 48 px picture)."""
    from PIL import Image

    out = io.BytesIO()
    image = Image.new("RGB", (64, 48), (240, 240, 235))
    image.paste((200, 40, 40), (16, 12, 48, 36))
    image.save(out, "PNG")
    return out.getvalue()


def older_conversation(app, make_account):
    """Another patient's "Question for my care team" (the nurse pool too), waiting 4 hours."""
    account = make_account(username="sam", account_number="T-1002", first_name="Sam",
                           last_name="Okafor", email="sam.okafor@example.com")
    with app.test_request_context():
        ensure_topics()
        topic = db.session.scalar(select(MessageTopic).where(
            MessageTopic.label == "Question for my care team"))
        conversation = conversations.start_conversation(
            db.session.get(PatientAccount, account.id), topic, subject=OLDER_SUBJECT,
            body="Should I still use it twice a day?", origin=audit.SYSTEM)
        earlier = conversation.created_at - timedelta(hours=4)
        conversation.created_at = conversation.last_message_at = earlier
        conversation.waiting_since = conversation.patient_read_at = earlier
        db.session.commit()


def saved_reply(app):
    """A saved reply the admin wrote, offered on the staff conversation page."""
    with app.app_context():
        db.session.add(ReplyTemplate(title=SAVED_TITLE, body=REPLY))
        db.session.commit()


def conversation_statuses(app):
    with app.app_context():
        return {row.subject: row.status for row in db.session.scalars(select(Conversation))}


def delivered_notices(outbox):
    """The emails in the outbox folder, delivered now: (subject, to, plain text, html text)."""
    outbox.deliver()
    notices = []
    for path in outbox.eml_files:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        plain = message.get_body(preferencelist=("plain",)).get_content()
        rich = message.get_body(preferencelist=("html",))
        notices.append((message["Subject"], message["To"], plain,
                        rich.get_content() if rich is not None else ""))
    return notices


def assert_no_message_text(notice):
    """The email holds nothing of the conversation: no subject, no text, no refill details."""
    whole = " ".join(part for part in notice if part)
    for secret in (SUBJECT, BODY, REPLY, NOTE, PATIENT_REPLY, TOPIC, PNG_NAME, *DETAILS.values()):
        assert secret.lower() not in whole.lower(), (secret, notice)
    assert "You have a new message in your patient portal" in whole


# -- the steps, shared by the HTTP and HTTPS walks --------------------------------------------

def compose_refill(page, ok, attach=True, check_error=True):
    """From the inbox: step 1 (the topic), step 2 (its questions), an empty message refused,
    then sent. Ends on the new conversation's page."""
    page.get_by_role("link", name="Write a new message").click()
    page.wait_for_url(re.compile(r"/messages/new$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Write a new message")
    expect(page.locator(".notice-urgent")).to_contain_text("In an emergency call 911")
    topics = page.get_by_role("group", name="What is your message about?")
    expect(topics.get_by_role("radio")).to_have_count(7)
    ok()
    topics.get_by_label(TOPIC).check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/messages/new\?topic=\d+$"))
    expect(page.locator(".chosen-topic")).to_contain_text(
        f"Topic: {TOPIC}. Answered within 2 business days.")
    ok()

    for label, value in DETAILS.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Subject", exact=True).fill(SUBJECT)
    if check_error:
        # An empty message: the summary says so, and what was typed stays.
        page.get_by_role("button", name="Send message").click()
        page.wait_for_url(re.compile(r"/messages/new$"))
        summary = page.locator(".error-summary")
        expect(summary).to_contain_text("There is a problem")
        expect(summary.get_by_role("link", name="Enter your message.")).to_have_attribute(
            "href", "#body")
        assert page.title().startswith("Error:"), page.title()
        expect(page.get_by_label("Subject", exact=True)).to_have_value(SUBJECT)
        expect(page.get_by_label("Medication name", exact=True)).to_have_value(
            DETAILS["Medication name"])
        expect(page.get_by_label("Your message")).to_have_attribute("aria-invalid", "true")
        ok()
    page.get_by_label("Your message").fill(BODY)
    if attach:
        page.get_by_label("Attach files (optional)").set_input_files(
            {"name": PNG_NAME, "mimeType": "image/png", "buffer": photo_png()})
    page.get_by_role("button", name="Send message").click()
    page.wait_for_url(re.compile(r"/messages/\d+$"))
    expect(page.get_by_role("status").filter(has_text="Your message was sent")).to_have_text(
        "Your message was sent. The care team answers within 2 business days.")
    expect(page.get_by_role("heading", level=1)).to_have_text(SUBJECT)
    mine = page.locator("li.message-mine")
    expect(mine).to_have_count(1)
    expect(mine.locator(".message-body")).to_have_text(BODY)
    for label, value in DETAILS.items():
        expect(mine.locator(".message-details")).to_contain_text(f"{label}{value}")
    if attach:
        expect(mine.get_by_role("link", name=f"Download {PNG_NAME}")).to_be_visible()
    ok()
    return int(page.url.rsplit("/", 1)[1])


def staff_answer(page, conversation_id, ok, attached=True, tmp_path=None, older_first=False):
    """The nurse's shared inbox -> the conversation -> an internal note -> a saved reply sent."""
    main_nav(page).get_by_role("link", name="Messages").click()
    page.wait_for_url(re.compile(r"/staff/messages$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages")
    expect(page.get_by_label("Pool")).to_have_value("nurse")
    rows = page.locator("table.queue tbody tr")
    if older_first:  # oldest waiting first: the other patient's, then this one
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text(OLDER_SUBJECT)
        expect(rows.nth(0)).to_contain_text("Waiting 4 hours")
        expect(rows.nth(1)).to_contain_text(SUBJECT)
    row = rows.filter(has_text=SUBJECT)
    expect(row).to_contain_text("Quill, Robin")
    expect(row).to_contain_text(TOPIC)
    expect(row).to_contain_text("New")
    expect(row).to_contain_text("Unassigned")
    ok()
    row.get_by_role("link", name=SUBJECT).click()
    page.wait_for_url(re.compile(rf"/staff/messages/{conversation_id}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(SUBJECT)
    card = page.get_by_role("complementary", name="Patient")
    expect(card).to_contain_text("Robin Quill")
    expect(card).to_contain_text("T-1001")
    first = page.locator("li.message-patient")
    expect(first.locator(".message-body")).to_have_text(BODY)
    expect(first.locator(".message-details")).to_contain_text(DETAILS["Medication name"])
    ok()
    if attached and tmp_path is not None:
        with page.expect_download() as download_info:
            first.get_by_role("link", name=f"Download {PNG_NAME}").click()
        download = download_info.value
        assert download.suggested_filename.endswith(".png"), download.suggested_filename
        assert PNG_NAME not in download.suggested_filename  # a neutral name
        saved = tmp_path / "download.png"
        download.save_as(saved)
        assert saved.read_bytes().startswith(PNG_MAGIC)

    page.get_by_label("Internal note", exact=True).fill(NOTE)
    page.get_by_role("button", name="Add the note").click()
    page.wait_for_url(re.compile(rf"/staff/messages/{conversation_id}$"))
    expect(page.get_by_role("status").filter(has_text="internal note")).to_have_text(
        "The internal note was added. The patient does not see it.")
    note = page.locator("li.message-note")
    expect(note).to_contain_text("Internal note — the patient does not see this")
    expect(note.locator(".message-body")).to_have_text(NOTE)
    ok()

    # The saved reply fills the box: in place with JavaScript, as a GET form without.
    page.get_by_label("Saved reply", exact=True).select_option(label=SAVED_TITLE)
    page.get_by_role("button", name="Use this saved reply").click()
    box = page.get_by_label("Your reply", exact=True)
    expect(box).to_have_value(REPLY)
    page.get_by_role("button", name="Send the reply").click()
    page.wait_for_url(re.compile(rf"/staff/messages/{conversation_id}$"))
    expect(page.get_by_role("status").filter(has_text="Your reply was sent")).to_be_visible()
    expect(page.locator("li.message-staff .message-body")).to_have_text(REPLY)
    expect(page.locator("dl.details").first).to_contain_text("Waiting on patient")
    ok()


def patient_reads_and_replies(page, conversation_id, ok):
    """Home -> Messages (1 unread) -> the reply (no note) -> a reply -> archived."""
    page.goto("/home")
    nav = main_nav(page)
    messages_link = nav.get_by_role("link", name=re.compile(r"^Messages \(1 ?unread ?\)$"))
    expect(messages_link).to_be_visible()
    messages_link.click()
    page.wait_for_url(re.compile(r"/messages$"))
    expect(page.get_by_text("1 conversation has a new reply.")).to_be_visible()
    row = page.locator("table.inbox tbody tr").filter(has_text=SUBJECT)
    expect(row).to_have_class(re.compile(r"\bunread\b"))
    expect(row).to_contain_text("New reply")
    expect(row).to_contain_text("Answered")
    ok()
    row.get_by_role("link", name=SUBJECT).click()
    page.wait_for_url(re.compile(rf"/messages/{conversation_id}$"))
    theirs = page.locator("li.message-theirs")
    expect(theirs).to_have_count(1)
    expect(theirs.locator(".message-body")).to_have_text(REPLY)
    expect(theirs).to_contain_text("Jo Rivera")
    expect(page.locator("main")).not_to_contain_text(NOTE)
    expect(page.locator("main")).not_to_contain_text("Internal note")
    assert NOTE not in page.content()
    # Read now: the count has gone from the navigation.
    expect(main_nav(page).get_by_role("link", name="Messages", exact=True)).to_be_visible()
    ok()

    page.get_by_label("Your reply", exact=True).fill(PATIENT_REPLY)
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_url(re.compile(rf"/messages/{conversation_id}#latest$"))
    expect(page.get_by_role("status").filter(has_text="Your reply was sent.")).to_be_visible()
    expect(page.locator("li.message-mine .message-body")).to_have_text([BODY, PATIENT_REPLY])
    expect(page.locator("#latest .message-body")).to_have_text(PATIENT_REPLY)
    ok()

    page.get_by_role("button", name="Archive this conversation").click()
    page.wait_for_url(re.compile(r"/messages$"))
    expect(page.get_by_role("status").filter(has_text="archived")).to_have_text(
        "The conversation was archived. You can find it under Archived.")
    expect(page.locator("table.inbox")).to_have_count(0)
    expect(page.get_by_text("You have no messages yet.")).to_be_visible()
    ok()
    page.get_by_role("navigation", name="Message folders").get_by_role(
        "link", name="Archived").click()
    page.wait_for_url(re.compile(r"/messages\?archived=1$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Archived messages")
    archived = page.locator("table.inbox tbody tr")
    expect(archived).to_have_count(1)
    expect(archived.first).to_contain_text(SUBJECT)
    ok()
    # Sent: the patient's two messages, newest first, each leading to the conversation.
    page.get_by_role("navigation", name="Message folders").get_by_role("link", name="Sent").click()
    page.wait_for_url(re.compile(r"/messages/sent$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sent messages")
    sent = page.locator("table.inbox tbody tr")
    expect(sent).to_have_count(2)
    expect(sent.first).to_contain_text(SUBJECT)
    ok()


# -- over HTTP: desktop and phone, with and without JavaScript --------------------------------

# Without JavaScript on the phone only: the desktop walk adds nothing the phone one lacks.
@pytest.mark.parametrize("kind, javascript", [("desktop", True), ("phone", True), ("phone", False)])
def test_compose_answer_reply_and_archive(app, open_context, make_account, make_staff, sign_in,
                                          patient_sign_in, save_practice, outbox, axe_check,
                                          assert_phone_layout, tmp_path, kind, javascript):
    save_practice()
    make_account(consented=True)
    make_staff("nurse", email=NURSE_EMAIL, name="Jo Rivera")
    older_conversation(app, make_account)
    saved_reply(app)

    def checker(page):
        def ok():
            assert_unique_ids(page)
            if javascript:  # axe-core needs the page's scripts (it never finishes without)
                axe_check(page)
            if kind == "phone":
                assert_phone_layout(page)
        return ok

    # -- The patient writes. -----------------------------------------------------------------
    patient = open_context(kind, java_script_enabled=javascript).new_page()
    patient_ok = checker(patient)
    patient_sign_in(patient, "robin", PATIENT_PASSWORD)
    main_nav(patient).get_by_role("link", name="Messages").click()
    patient.wait_for_url(re.compile(r"/messages$"))
    expect(patient.get_by_role("heading", level=1)).to_have_text("Messages")
    expect(patient.get_by_text("You have no messages yet.")).to_be_visible()
    patient_ok()
    conversation_id = compose_refill(patient, patient_ok)
    assert conversation_statuses(app)[SUBJECT] == "new"

    # -- The nurse answers, in a browser of their own. ---------------------------------------
    nurse = open_context(kind, java_script_enabled=javascript).new_page()
    sign_in(nurse, NURSE_EMAIL)
    staff_answer(nurse, conversation_id, checker(nurse), tmp_path=tmp_path, older_first=True)
    assert conversation_statuses(app)[SUBJECT] == "waiting"

    # One email to the patient, with nothing of the message in it.
    [queued] = outbox.queued
    assert queued.recipient == "robin.quill@example.com" and queued.template == "new_message"
    assert_no_message_text((queued.subject, queued.body_text, queued.body_html))
    notices = delivered_notices(outbox)
    assert len(notices) == 1, notices
    assert notices[0][1] == "robin.quill@example.com"
    assert_no_message_text(notices[0])
    assert re.search(r"https?://\S+/sign-in\b", notices[0][2]), notices[0][2]

    # -- The patient reads the reply, replies and archives. ----------------------------------
    patient_reads_and_replies(patient, conversation_id, patient_ok)
    assert conversation_statuses(app)[SUBJECT] == "open"
    # Nothing more was emailed: a patient's own reply tells no one by email.
    assert len(delivered_notices(outbox)) == 1


# -- over HTTPS: gunicorn with TLS, staff with two-step -----------------------------------------

def test_compose_and_answer_over_https(app, https_server, open_https_context, make_account,
                                       make_staff, staff_password, patient_sign_in, save_practice,
                                       outbox, axe_check):
    base = https_server.url
    posts = PostLog(base)
    save_practice()
    make_account(consented=True)
    nurse_account = make_staff("nurse", email=NURSE_EMAIL, name="Jo Rivera")
    secret, _codes = turn_on_two_step(app, StaffUser, nurse_account.id)
    saved_reply(app)

    patient_context = open_https_context("desktop")
    patient = posts.watch(patient_context.new_page())
    patient_sign_in(patient, "robin", PATIENT_PASSWORD)
    assert patient.url.startswith(base)
    patient.goto("/messages")
    conversation_id = compose_refill(patient, lambda: (assert_unique_ids(patient), axe_check(patient)),
                                     check_error=False)
    assert patient.url.startswith(base)
    assert_host_cookies(patient_context)

    nurse_context = open_https_context("desktop")
    nurse = posts.watch(nurse_context.new_page())
    staff_signs_in(nurse, NURSE_EMAIL, staff_password, secret)
    staff_answer(nurse, conversation_id, lambda: (assert_unique_ids(nurse), axe_check(nurse)))
    assert_host_cookies(nurse_context)

    # The email's link is the https sign-in page, and holds nothing of the message.
    [notice] = delivered_notices(outbox)
    assert_no_message_text(notice)
    assert f"{base}/sign-in" in notice[2], notice[2]

    patient_reads_and_replies(patient, conversation_id, lambda: None)
    assert_host_cookies(patient_context)

    posted = posts.check()
    for path in ("/sign-in", "/messages/new", f"/messages/{conversation_id}/reply",
                 f"/messages/{conversation_id}/archive", "/staff/sign-in", "/sign-in/code",
                 f"/staff/messages/{conversation_id}/note",
                 f"/staff/messages/{conversation_id}/reply"):
        assert path in posted, (path, posted)
    [upload] = [request for request in posts.posts if request.url == f"{base}/messages/new"]
    assert upload.all_headers()["content-type"].startswith("multipart/form-data; boundary=")
