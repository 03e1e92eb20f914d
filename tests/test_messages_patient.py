"""The patient's side of secure messaging, through the pages: writing on a topic (with its own
questions and reply time), attachments checked by their bytes and stripped of metadata, bad
input refused with nothing saved, one send per page, the inbox (unread, archived, pages of 25
at a constant query count), a conversation without staff notes, and another patient's 404s."""

import io
import logging
import re

import pytest
from conftest import count_queries, csrf_token, engine_events
from helpers import count, rows
from messages_data import KEY, compose, multipart, question
from PIL import Image
from records_data import PDF, text
from sqlalchemy import select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import (
    Conversation,
    Message,
    MessageAttachment,
    PatientAccount,
    StaffUser,
)
from portal.services import audit
from portal.services.messages import conversations
from portal.services.messages.topics import offered_topics
from portal.services.practice import get_practice, update_practice

MB = 1024 * 1024
FALLBACK_NOTICE = ("In an emergency call 911 or go to the nearest emergency room. Do not use "
                   "messages for urgent needs.")
NAV_COUNT = '<span class="count">({n}<span class="visually-hidden"> unread</span>)</span>'


def png_bytes(colour="red"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, "PNG")
    return buffer.getvalue()




@pytest.fixture
def browser(robin_account, patient_client):
    return patient_client("robin")


def set_practice(app, **values):
    with app.app_context():
        update_practice(get_practice(), values)
        db.session.commit()


def send(browser, topics, **kwargs):
    """A message sent on the plain topic: its conversation id."""
    response = compose(browser, question(topics), **kwargs)
    assert response.status_code == 302, text(response)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def stored_attachments(app):
    with app.app_context():
        found = db.session.scalars(select(MessageAttachment).order_by(MessageAttachment.id)).all()
        return [(row.id, row.filename, row.content_type, bytes(row.data)) for row in found]


def staff_writes(app, conversation_id, staff, body="Please come in on Monday.", note=False):
    """A staff reply (or an internal note), written through the service as the staff side does."""
    with app.app_context():
        member = db.session.get(StaffUser, staff.id)
        conversation = db.session.get(Conversation, conversation_id)
        origin = audit.Origin(member, "10.0.0.5", "Staff browser")
        if note:
            conversations.add_note(member, conversation, body=body, origin=origin)
        else:
            conversations.staff_reply(member, conversation, body=body, origin=origin)
        db.session.commit()


def message(app, key, **values):
    with app.test_request_context():
        return get_message(key, **values)[0]


# -- writing a message ---------------------------------------------------------------------------

def test_the_first_step_offers_each_topic_with_its_own_reply_time_and_the_notices(browser, app):
    page = text(browser.get("/messages/new"))
    assert FALLBACK_NOTICE in page
    assert "Messages sent outside office hours are handled on the next business day." in page
    assert '<form method="get" action="/messages/new"' in page
    for label, days in [("Appointment request", "1 business day"),
                        ("Prescription refill", "2 business days"),
                        ("Billing question", "3 business days")]:
        assert re.search(rf">{label}</label>\s*<p[^>]*>Answered within {days}</p>", page), label
    for pool in ("Front desk", "Nurse", "front_desk", "nurse"):  # pools stay the practice's
        assert pool not in page


def test_the_practice_s_own_notice_promise_and_hours_are_above_the_form(browser, app, topics):
    set_practice(app, emergency_notice="Call 911 for emergencies.",
                 reply_time_promise="We answer within 2 business days.",
                 office_hours="Mon-Fri 8:00-17:00")
    page = text(browser.get(f"/messages/new?topic={question(topics)}"))
    form_at = page.index('<form method="post" action="/messages/new"')
    for line in ("Call 911 for emergencies.", "We answer within 2 business days.",
                 "Office hours: Mon-Fri 8:00-17:00",
                 "Messages sent outside office hours are handled on the next business day."):
        assert -1 < page.index(line) < form_at, line
    assert FALLBACK_NOTICE not in page


def test_an_unknown_topic_in_the_first_step_says_choose_one(browser, topics):
    page = text(browser.get("/messages/new?topic=99999"))
    assert "Choose a topic from the list." in page and 'href="#topic-0"' in page
    assert "Error: Write a new message" in page


def test_a_message_without_attachments_is_stored_audited_and_shown(browser, app, topics,
                                                                  audit_trail, robin_account):
    response = compose(browser, question(topics))
    [conversation] = rows(app, Conversation)
    assert response.headers["Location"] == f"/messages/{conversation.id}"
    assert (conversation.patient_id, conversation.subject, conversation.status) == \
        (robin_account.patient_id, "Knee pain", "new")
    [sent] = rows(app, Message)
    assert (sent.body, sent.patient_account_id, sent.internal) == \
        ("My knee hurts when I walk.", robin_account.id, False)
    [row] = audit_trail.rows("message.sent")
    assert (row.patient_id, row.object_id) == (robin_account.patient_id, str(conversation.id))
    assert row.detail == f"message {sent.id}; files: 0" and "Knee" not in row.detail
    page = text(browser.get(response.headers["Location"]))
    assert "Your message was sent. The care team answers within 2 business days." in page
    assert "My knee hurts when I walk." in page and ">You</strong>" in page
    assert "Waiting for the care team" in page
    [read] = audit_trail.rows("message.read")
    assert read.detail == f"messages: {sent.id}" and read.actor_id == robin_account.id


def test_png_and_pdf_attachments_are_stored_and_download_safely(browser, app, topics, audit_trail,
                                                                robin_account):
    conversation_id = send(browser, topics, files=[(png_bytes(), "rash.png"),
                                                   (PDF, "letter.pdf")])
    [(png_id, png_name, png_type, png_data), (pdf_id, _name, pdf_type, pdf_data)] = \
        stored_attachments(app)
    assert (png_name, png_type, pdf_type, pdf_data) == ("rash.png", "image/png", "application/pdf", PDF)
    assert Image.open(io.BytesIO(png_data)).size == (8, 8)
    page = text(browser.get(f"/messages/{conversation_id}"))
    assert f'href="/messages/attachments/{png_id}"' in page and "Download rash.png" in page
    response = browser.get(f"/messages/attachments/{pdf_id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="attachment-{pdf_id}.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    [row] = audit_trail.rows("message_attachment.exported")
    assert (row.patient_id, row.object_id) == (robin_account.patient_id, str(pdf_id))
    assert row.detail == f"format: pdf; bytes: {len(PDF)}"
    assert audit_trail.rows("message.sent")[0].detail.endswith("files: 2")


def test_a_photo_s_exif_is_stripped_before_it_is_stored(browser, app, topics):
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(buffer, "JPEG", exif=exif.tobytes())
    assert b"SecretCameraMaker" in buffer.getvalue()
    send(browser, topics, files=[(buffer.getvalue(), "photo.jpg")])
    [(_id, _name, content_type, data)] = stored_attachments(app)
    assert content_type == "image/jpeg"
    assert b"SecretCameraMaker" not in data and b"Exif" not in data
    assert dict(Image.open(io.BytesIO(data)).getexif()) == {}


def test_a_png_named_pdf_is_taken_for_what_its_bytes_are(browser, app, topics):
    send(browser, topics, files=[(png_bytes(), "scan.pdf", "application/pdf")])
    [(attachment_id, _name, content_type, _data)] = stored_attachments(app)
    assert content_type == "image/png"
    response = browser.get(f"/messages/attachments/{attachment_id}")
    assert response.headers["Content-Type"] == "image/png"
    assert f'filename="attachment-{attachment_id}.png"' in response.headers["Content-Disposition"]


def refused_and_kept(app, response, problem):
    """The page came back with `problem` in the summary and at the field, the typed text kept,
    and nothing saved."""
    page = text(response)
    assert response.status_code == 200
    assert page.count(problem) == 2, page  # the error summary and the field
    assert "There is a problem" in page and "Error: Write a new message" in page
    assert 'value="Knee pain"' in page and "My knee hurts when I walk.</textarea>" in page
    assert count(app, Conversation) == count(app, Message) == count(app, MessageAttachment) == 0
    return page


def test_an_html_file_named_png_is_refused_and_the_message_kept(browser, app, topics, audit_trail):
    page_html = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
    response = compose(browser, question(topics),
                       files=[(page_html, "photo.png", "image/png")])
    page = refused_and_kept(app, response, "photo.png is not a file type this practice accepts "
                                           "(PDF, JPG, PNG). The type is read from the file "
                                           "itself, not its name.")
    assert 'href="#attachments"' in page
    assert "If you attached any, choose them again." in page
    assert audit_trail.rows("message.sent") == []


def test_a_file_over_10_mb_is_refused(browser, app, topics):
    big = b"%PDF-1.4\n" + b"0" * (10 * MB)
    response = compose(browser, question(topics), files=[(big, "big.pdf")])
    refused_and_kept(app, response, "big.pdf is larger than 10 MB. Send a smaller file.")


def test_with_attachments_off_the_form_says_so_and_a_file_is_refused(browser, app, topics):
    set_practice(app, attachments_allowed=False)
    page = text(browser.get(f"/messages/new?topic={question(topics)}"))
    assert 'type="file"' not in page
    assert "This practice does not accept attachments in messages." in page
    response = compose(browser, question(topics), files=[(PDF, "letter.pdf")])
    refused_and_kept(app, response, "This practice does not accept attachments in messages. "
                                    "Remove the file, or bring it to your next visit.")


def test_a_request_over_25_mb_gets_the_413_page(browser, app, topics):
    response = compose(browser, question(topics),
                       files=[(b"%PDF-" + b"0" * (25 * MB), "huge.pdf")])
    assert response.status_code == 413
    assert "The file is too large" in text(response)
    assert count(app, Conversation) == 0


@pytest.mark.parametrize("change, problem", [
    ({"body": "   "}, "Enter your message."),
    ({"body": "x" * 5001}, "Shorten this to 5000 characters or fewer (it has 5001)."),
    ({"subject": ""}, "Enter a subject."),
    ({"subject": "s" * 121}, "Shorten this to 120 characters or fewer (it has 121)."),
])
def test_bad_text_is_refused_clearly_and_nothing_saved(browser, app, topics, change, problem):
    response = compose(browser, question(topics), **change)
    page = text(response)
    assert response.status_code == 200 and page.count(problem) == 2
    assert "There is a problem" in page
    assert count(app, Conversation) == count(app, Message) == 0


def test_a_body_of_5000_characters_with_new_lines_is_accepted(browser, app, topics):
    """Browsers send a new line as CR LF but count it once, as the page does."""
    body = ("y" * 99 + "\r\n") * 50
    assert len(body.replace("\r\n", "\n")) == 5000
    send(browser, topics, body=body)
    [sent] = rows(app, Message)
    assert len(sent.body) == 4999  # the last new line trimmed


@pytest.mark.parametrize("topic", ["99999", "not-a-number", ""])
def test_an_unknown_topic_is_a_clear_message_not_a_crash(browser, app, topics, topic):
    response = compose(browser, question(topics), topic=topic)
    page = text(response)
    assert response.status_code == 200
    assert page.count("Choose a topic from the list.") == 2
    assert 'name="topic" type="radio"' in page  # the topics are offered again
    assert 'value="Knee pain"' in page
    assert count(app, Conversation) == 0


def test_the_same_page_sent_twice_sends_once(browser, app, topics):
    page = browser.get(f"/messages/new?topic={question(topics)}")
    key = KEY.search(page.get_data(as_text=True)).group(1)
    first = compose(browser, question(topics), key=key)
    second = compose(browser, question(topics), key=key)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count(app, Conversation) == count(app, Message) == 1


def test_a_refill_request_asks_for_medication_dose_and_pharmacy(browser, app, topics):
    refill = topics["Prescription refill"]
    page = text(browser.get(f"/messages/new?topic={refill}"))
    for label in ("Medication name", "Dose", "Pharmacy (name and town)"):
        assert f">{label}</label>" in page
    assert "Reason for the visit" not in page
    response = compose(browser, refill, medication="", dose="10 mg", pharmacy="")
    refused = text(response)
    assert refused.count("Enter medication name.") == 2 and 'value="10 mg"' in refused
    assert count(app, Conversation) == 0
    response = compose(browser, refill, medication="Lisinopril", dose="10 mg",
                       pharmacy="Main St Pharmacy, Springfield")
    assert response.status_code == 302
    [sent] = rows(app, Message)
    assert sent.details == [["Medication name", "Lisinopril"], ["Dose", "10 mg"],
                            ["Pharmacy (name and town)", "Main St Pharmacy, Springfield"]]
    page = text(browser.get(response.headers["Location"]))
    assert "<dt>Medication name</dt><dd>Lisinopril</dd>" in page


def test_an_appointment_request_asks_for_reason_days_and_times(browser, topics):
    page = text(browser.get(f"/messages/new?topic={topics['Appointment request']}"))
    for label in ("Reason for the visit", "Days that suit you", "Times that suit you"):
        assert f">{label}</label>" in page


# -- the conversation, replies and the inbox ---------------------------------------------------

def test_a_staff_reply_shows_as_unread_in_the_nav_until_opened(browser, app, topics, make_staff):
    conversation_id = send(browser, topics)
    assert "visually-hidden\"> unread" not in text(browser.get("/messages"))
    nurse = make_staff("nurse", name="Nina Park")
    staff_writes(app, conversation_id, nurse)
    inbox = text(browser.get("/messages"))
    assert NAV_COUNT.format(n=1) in inbox
    assert '<strong class="tag">New reply</strong>' in inbox and "<strong>Knee pain</strong>" in inbox
    assert "Answered" in inbox
    page = text(browser.get(f"/messages/{conversation_id}"))
    assert "Nina Park (Nurse)" in page and "Please come in on Monday." in page
    assert 'class="count"' not in page  # read now, on this very page too
    inbox = text(browser.get("/messages"))
    assert 'class="count"' not in inbox and "New reply" not in inbox


def test_opening_a_conversation_writes_the_read_once_and_its_audit_row_each_time(
        browser, app, topics, make_staff):
    conversation_id = send(browser, topics)
    staff_writes(app, conversation_id, make_staff("nurse"))

    def writes_of_a_view():
        seen = engine_events(app, "before_cursor_execute",
                             lambda: browser.get(f"/messages/{conversation_id}"))
        return sorted(" ".join(args[2].split()[:3]) for args in seen
                      if args[2].lstrip().upper().startswith(("UPDATE", "INSERT")))

    assert writes_of_a_view() == ["INSERT INTO audit_events", "UPDATE conversations SET"]
    # Seen already: only the read is recorded again.
    assert writes_of_a_view() == ["INSERT INTO audit_events"]


def test_internal_notes_never_reach_the_patient_s_pages(browser, app, topics, make_staff):
    conversation_id = send(browser, topics)
    nurse = make_staff("nurse")
    staff_writes(app, conversation_id, nurse, body="NOTE: check the chart first", note=True)
    for url in (f"/messages/{conversation_id}", "/messages", "/messages?archived=1"):
        assert "check the chart first" not in text(browser.get(url))
    assert "NOTE" not in text(browser.get(f"/messages/{conversation_id}"))


def test_the_patient_replies_in_the_conversation(browser, app, topics, make_staff, audit_trail):
    conversation_id = send(browser, topics)
    staff_writes(app, conversation_id, make_staff("nurse"))
    url = f"/messages/{conversation_id}"
    page = text(browser.get(url))
    data = {"csrf_token": csrf_token(browser, url), "body": "Monday works, thank you.",
            "submission_key": KEY.search(page).group(1),
            "attachments": [(PDF, "form.pdf")]}
    response = multipart(browser, f"{url}/reply", data)
    assert response.headers["Location"] == f"{url}#latest"
    again = multipart(browser, f"{url}/reply", {**data, "attachments": []})
    assert again.status_code == 302  # the same page twice: sent once
    assert [m.body for m in rows(app, Message)][-1] == "Monday works, thank you."
    assert count(app, Message) == 3 and count(app, MessageAttachment) == 1
    assert rows(app, Conversation)[0].status == "open"
    page = text(browser.get(url))
    assert message(app, "message_reply_sent") in page and "Waiting for the care team" in page
    assert len(audit_trail.rows("message.sent")) == 2


def test_an_empty_reply_is_refused_on_the_conversation_page(browser, app, topics):
    conversation_id = send(browser, topics)
    url = f"/messages/{conversation_id}"
    response = browser.post(f"{url}/reply", data={"csrf_token": csrf_token(browser, url),
                                                   "body": ""})
    page = text(response)
    assert response.status_code == 200 and page.count("Enter your message.") == 2
    assert 'href="#body"' in page and "My knee hurts when I walk." in page
    assert count(app, Message) == 1


def test_archive_moves_it_to_archived_and_a_new_reply_brings_it_back(browser, app, topics,
                                                                    make_staff):
    conversation_id = send(browser, topics)
    url = f"/messages/{conversation_id}"
    response = browser.post(f"{url}/archive", data={"csrf_token": csrf_token(browser, url),
                                                     "archived": "1"})
    assert response.headers["Location"] == "/messages"
    inbox = text(browser.get("/messages"))
    assert message(app, "conversation_archived") in inbox and "Knee pain" not in inbox
    assert "You have no messages yet." in inbox
    assert "Knee pain" in text(browser.get("/messages?archived=1"))
    staff_writes(app, conversation_id, make_staff("nurse"))
    assert "Knee pain" in text(browser.get("/messages"))
    assert "Knee pain" not in text(browser.get("/messages?archived=1"))
    browser.post(f"{url}/archive", data={"csrf_token": csrf_token(browser, url), "archived": "1"})
    browser.post(f"{url}/archive", data={"csrf_token": csrf_token(browser, url), "archived": "0"})
    assert message(app, "conversation_restored") in text(browser.get("/messages"))
    assert rows(app, Conversation)[0].patient_archived is False


def test_another_patient_gets_404_on_every_url_of_the_first_s(browser, app, topics, make_account,
                                                             patient_client):
    conversation_id = send(browser, topics, files=[(PDF, "letter.pdf")])
    [(attachment_id, *_rest)] = stored_attachments(app)
    make_account(username="sam", account_number="T-2002", email="sam@example.com")
    other = patient_client("sam")
    token = csrf_token(other, "/messages")
    assert other.get(f"/messages/{conversation_id}").status_code == 404
    assert other.get(f"/messages/attachments/{attachment_id}").status_code == 404
    for action, data in (("reply", {"body": "Hello"}), ("archive", {"archived": "1"})):
        response = other.post(f"/messages/{conversation_id}/{action}",
                              data={"csrf_token": token, **data})
        assert response.status_code == 404, action
    assert count(app, Message) == 1 and rows(app, Conversation)[0].patient_archived is False
    assert "Knee pain" not in text(other.get("/messages"))
    assert other.get("/messages/99999999999").status_code == 404  # past any 32-bit id


def test_a_damaged_attachment_is_not_served_and_the_log_names_no_patient(browser, app, topics,
                                                                       caplog):
    send(browser, topics, files=[(PDF, "letter-for-robin.pdf")])
    [(attachment_id, *_rest)] = stored_attachments(app)
    with app.app_context():
        db.session.get(MessageAttachment, attachment_id).data = b"%PDF-tampered"
        db.session.commit()
    with caplog.at_level(logging.WARNING, logger="portal"):
        response = browser.get(f"/messages/attachments/{attachment_id}")
    assert response.status_code == 404
    assert "This file cannot be downloaded" in text(response)
    assert f"message attachment {attachment_id}" in caplog.text
    assert "robin" not in caplog.text.lower() and "Quill" not in caplog.text


def test_staff_cannot_open_the_patient_s_pages(app, staff_client):
    assert staff_client("nurse").get("/messages").status_code == 403


# -- the inbox: newest first, 25 a page, the same queries whatever the number ------------------

def add_conversations(app, robin_account, topics, number):
    with app.app_context():
        account = db.session.get(PatientAccount, robin_account.id)
        topic = offered_topics()[0]
        for index in range(number):
            conversations.start_conversation(account, topic, subject=f"Question {index:02d}",
                                             body="Body text", details={"reason": "r", "days": "d",
                                                                         "times": "t"},
                                             origin=audit.SYSTEM)
        db.session.commit()


def test_the_inbox_is_newest_first_25_a_page(browser, app, robin_account, topics):
    add_conversations(app, robin_account, topics, 60)
    first = text(browser.get("/messages"))
    assert first.count('<tr class') + first.count("<tr>") - 1 == 25  # less the header row
    assert first.index("Question 59") < first.index("Question 58")
    assert "Question 34" not in first and "Page 1 of 3" in first
    assert 'href="/messages?page=2"' in first
    last = text(browser.get("/messages?page=3"))
    assert "Question 09" in last and "Question 00" in last and "Question 10" not in last
    assert "There is nothing on this page." in text(browser.get("/messages?page=99999999999999"))


def test_the_inbox_runs_the_same_queries_for_3_and_60_conversations(app, make_account,
                                                                    patient_client, topics):
    counts = []
    for number, name in ((3, "few"), (60, "many")):
        account = make_account(username=name, account_number=f"T-{number}",
                               email=f"{name}@example.com")
        add_conversations(app, account, topics, number)
        browser = patient_client(name)
        browser.get("/messages")  # warm: the first request loads what every request caches
        counts.append(count_queries(app, lambda browser=browser: browser.get("/messages")))
    assert counts[0] == counts[1]


def test_a_conversation_page_runs_the_same_queries_for_2_and_30_messages(browser, app, topics,
                                                                        make_staff):
    nurse = make_staff("nurse")
    counts = []
    for replies in (1, 29):
        conversation_id = send(browser, topics, files=[(PDF, "a.pdf")])
        for _ in range(replies):
            staff_writes(app, conversation_id, nurse)
        url = f"/messages/{conversation_id}"
        counts.append(count_queries(app, lambda url=url: browser.get(url)))
    assert counts[0] == counts[1]


def test_sent_lists_what_the_patient_sent_newest_first_and_only_theirs(
        browser, app, topics, make_staff, make_account, patient_client):
    nurse = make_staff("nurse")
    first = send(browser, topics, subject="Knee pain")
    staff_writes(app, first, nurse, body="Please come in on Monday.")
    second = send(browser, topics, subject="Sore throat", files=[(PDF, "a.pdf")])
    other = make_account(username="morgan", account_number="T-2002", email="morgan@example.com")
    send(patient_client(other.username), topics, subject="Another patient's question")

    page = text(browser.get("/messages/sent"))
    assert page.index("Sore throat") < page.index("Knee pain")  # newest first
    assert f'href="/messages/{second}"' in page and f'href="/messages/{first}"' in page
    assert "Please come in on Monday." not in page  # the care team's reply is not "sent"
    assert "Another patient's question" not in page
    assert 'aria-current="page">Sent</a>' in page


def test_sent_runs_the_same_queries_for_3_and_30_messages(browser, app, topics):
    counts = []
    for sent in (3, 27):
        for number in range(sent):
            send(browser, topics, subject=f"Question {number}", files=[(PDF, "a.pdf")])
        counts.append(count_queries(app, lambda: browser.get("/messages/sent")))
    assert counts[0] == counts[1]
