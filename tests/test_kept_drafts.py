"""Nothing typed is lost to the idle sign-out (issue 21): a message, a reply or a health form
posted after 15 minutes idle (as a browser without JavaScript does, never warned) is kept
with the ended session, offered back once to the same account signing in again on that
browser, never to another account, and never after a day."""

import logging
import re
from datetime import timedelta

import pytest
from conftest import (
    PATIENT_PASSWORD,
    AuthActions,
    code_at,
    csrf_token,
    post_form,
    send_code,
    turn_on_two_step,
)
from helpers import count, rows
from messages_data import KEY, multipart, question
from records_data import PDF
from sqlalchemy import select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import (
    Conversation,
    Document,
    FormDraft,
    KeptDraft,
    Message,
    OutboxEmail,
    PatientAccount,
)
from portal.services import audit, worker
from portal.services.consents import defaults
from portal.services.messages import conversations
from portal.services.messages.topics import offered_topics

SUBJECT = "Swollen ankle after the new tablets"
BODY = "Since Monday my left ankle is swollen in the evening and I sleep badly."
REPLY = "The swelling is worse today and the skin feels warm to the touch."
ANSWER = "Amlodipine 5 mg every morning"
NOTICE = "Sign in again to keep what you were writing."
VERSION = re.compile(r'name="version_id" value="(\d+)"')


def text(response):
    return response.get_data(as_text=True).replace("&#39;", "'")


@pytest.fixture
def robin(make_account):
    return make_account()


@pytest.fixture
def sam(make_account):
    return make_account(username="sam", account_number="T-2002", first_name="Sam",
                        last_name="Rivers", email="sam.rivers@example.com")


def sign_in(client, username="robin", at="/sign-in"):
    """The sign-in form, posted as a browser does: to the page's own address (its ?next=)."""
    return post_form(client, at, {"username": username, "password": PATIENT_PASSWORD})


def compose_data(client, topic_id):
    """What the message page posts, read from the page while still signed in."""
    page = client.get(f"/messages/new?topic={topic_id}")
    assert page.status_code == 200
    return {"csrf_token": csrf_token(client, f"/messages/new?topic={topic_id}"),
            "submission_key": KEY.search(text(page)).group(1), "topic": str(topic_id),
            "subject": SUBJECT, "body": BODY}


def idle(clock):
    """Past the idle limit: 15 minutes without a request (SECURITY.md D4), one more to type."""
    clock.tick(timedelta(minutes=16))


def kept_after_idle_post(client, clock, topics):
    """Robin opens the message page, types for 16 minutes and sends: the sign-in page."""
    assert sign_in(client).status_code == 302
    data = compose_data(client, question(topics))
    idle(clock)
    response = client.post("/messages/new", data=data)
    assert response.status_code == 302
    return response


def test_a_message_sent_after_the_idle_limit_comes_back_once_after_signing_in(
        app, client, clock, robin, topics):
    response = kept_after_idle_post(client, clock, topics)
    assert response.headers["Location"].startswith("/sign-in?next=/messages/new")
    assert count(app, Conversation) == 0  # nothing sent
    page = text(client.get(response.headers["Location"]))
    assert NOTICE in page and get_message("session_expired")[0] in page
    assert BODY not in page and SUBJECT not in page

    signed_in = sign_in(client, at=response.headers["Location"])
    assert signed_in.headers["Location"] == "/messages/new"
    restored = text(client.get("/messages/new"))
    assert "You were writing a message. Here it is." in restored
    assert SUBJECT in restored and BODY in restored
    assert f'name="topic" value="{question(topics)}"' in restored
    assert count(app, Conversation) == 0  # nothing sent automatically
    assert count(app, KeptDraft) == 0  # handed back once
    again = text(client.get("/messages/new"))
    assert BODY not in again and "You were writing a message" not in again


def test_the_kept_text_is_encrypted_at_rest(app, client, clock, robin, topics):
    kept_after_idle_post(client, clock, topics)
    [draft] = rows(app, KeptDraft)
    assert draft.form == "message" and draft.account_id == robin.id
    assert BODY not in draft.fields and "ankle" not in draft.fields
    assert "csrf" not in draft.fields


def reply_page(app, client, robin, topics):
    """A conversation of Robin's, and what its reply form posts."""
    with app.app_context():
        account = db.session.get(PatientAccount, robin.id)
        topic = next(found for found in offered_topics() if found.id == question(topics))
        conversation = conversations.start_conversation(
            account, topic, subject="A question", body="First message", origin=audit.SYSTEM)
        db.session.commit()
        conversation_id = conversation.id
    url = f"/messages/{conversation_id}"
    page = text(client.get(url))
    return conversation_id, {"csrf_token": csrf_token(client, url),
                             "submission_key": KEY.search(page).group(1), "body": REPLY}


def test_a_reply_sent_after_the_idle_limit_comes_back_on_its_conversation(
        app, client, clock, robin, topics):
    assert sign_in(client).status_code == 302
    conversation_id, data = reply_page(app, client, robin, topics)
    idle(clock)
    response = client.post(f"/messages/{conversation_id}/reply", data=data)
    assert response.headers["Location"] == f"/sign-in?next=/messages/{conversation_id}"
    assert count(app, Message) == 1  # only the first message
    assert NOTICE in text(client.get(response.headers["Location"]))

    signed_in = sign_in(client, at=response.headers["Location"])
    assert signed_in.headers["Location"] == f"/messages/{conversation_id}"
    restored = text(client.get(f"/messages/{conversation_id}"))
    assert "You were writing a reply. Here it is." in restored and REPLY in restored
    assert count(app, Message) == 1
    assert REPLY not in text(client.get(f"/messages/{conversation_id}"))


def health_form(app):
    with app.app_context():
        defaults.ensure_defaults()
        db.session.commit()
        return db.session.scalar(select(Document.id).where(Document.kind == "form"))


@pytest.mark.parametrize("action", ["save", "submit"])
def test_a_health_form_posted_after_the_idle_limit_comes_back_with_its_answers(
        app, client, clock, robin, action):
    form_id = health_form(app)
    url = f"/consents/forms/{form_id}"
    assert sign_in(client).status_code == 302
    page = text(client.get(url))
    data = {"csrf_token": csrf_token(client, url), "action": action,
            "version_id": VERSION.search(page).group(1), "submission_key": "k" * 16,
            "f_medications": ANSWER, "f_last_surgery_month": "03",
            "f_last_surgery_day": "07", "f_last_surgery_year": "2019",
            "legal_name": "Robin Quill", "agree": "y"}
    idle(clock)
    response = client.post(url, data=data)
    assert response.headers["Location"] == f"/sign-in?next={url}"
    assert count(app, FormDraft) == 0

    assert sign_in(client, at=response.headers["Location"]).headers["Location"] == url
    restored = text(client.get(url))
    assert "You were filling in this form. Here are your answers, not saved." in restored
    assert ANSWER in restored and 'value="2019"' in restored
    assert count(app, FormDraft) == 0  # not saved, not submitted: the patient decides
    assert ANSWER not in text(client.get(url))


def test_another_account_signing_in_on_that_browser_gets_nothing(
        app, client, clock, robin, sam, topics):
    response = kept_after_idle_post(client, clock, topics)
    page = text(client.get(response.headers["Location"]))
    assert BODY not in page and "robin" not in page.lower()

    signed_in = sign_in(client, "sam", at=response.headers["Location"])
    assert signed_in.headers["Location"] == "/messages/new"
    theirs = text(client.get("/messages/new"))
    assert BODY not in theirs and SUBJECT not in theirs
    assert "You were writing" not in theirs
    assert count(app, KeptDraft) == 0  # no longer reachable: deleted, unread

    AuthActions(client).sign_out()
    assert NOTICE not in text(client.get("/sign-in"))
    sign_in(client)
    assert BODY not in text(client.get("/messages/new"))


def test_the_same_account_on_another_browser_gets_nothing(app, client, clock, robin, topics):
    kept_after_idle_post(client, clock, topics)
    elsewhere = app.test_client()
    assert NOTICE not in text(elsewhere.get("/sign-in"))
    sign_in(elsewhere)
    assert BODY not in text(elsewhere.get("/messages/new"))
    assert count(app, KeptDraft) == 1  # still waiting for the browser that typed it


def test_after_24_hours_the_kept_text_is_not_offered(app, client, clock, robin, topics):
    response = kept_after_idle_post(client, clock, topics)
    clock.tick(timedelta(hours=24))
    assert NOTICE not in text(client.get(response.headers["Location"]))
    sign_in(client, at=response.headers["Location"])
    assert BODY not in text(client.get("/messages/new"))
    assert count(app, KeptDraft) == 0


def test_handed_over_in_time_but_opened_after_24_hours_is_not_served(
        app, client, clock, robin, topics):
    response = kept_after_idle_post(client, clock, topics)
    clock.tick(timedelta(hours=23, minutes=59))
    assert NOTICE in text(client.get(response.headers["Location"]))
    sign_in(client, at=response.headers["Location"])
    clock.tick(timedelta(minutes=1))
    assert BODY not in text(client.get("/messages/new"))
    with app.app_context():
        worker.run_once()
    assert count(app, KeptDraft) == 0


def test_the_worker_deletes_what_was_kept_a_day_ago(app, client, clock, robin, topics):
    kept_after_idle_post(client, clock, topics)
    clock.tick(timedelta(hours=23))
    with app.app_context():
        worker.run_once()
    assert count(app, KeptDraft) == 1
    clock.tick(timedelta(hours=1))
    with app.app_context():
        worker.run_once()
    assert count(app, KeptDraft) == 0


def test_the_text_is_in_no_log_no_url_and_no_email(app, client, clock, robin, topics, caplog):
    caplog.set_level(logging.DEBUG)
    locations = []
    response = kept_after_idle_post(client, clock, topics)
    locations.append(response.headers["Location"])
    client.get(response.headers["Location"])
    signed_in = sign_in(client, at=response.headers["Location"])
    locations.append(signed_in.headers["Location"])
    client.get("/messages/new")
    for words in (BODY, SUBJECT, "ankle"):
        assert not any(words in location for location in locations)
        assert not any(words in record.getMessage() for record in caplog.records)
    assert all("ankle" not in (mail.body_text) for mail in rows(app, OutboxEmail))


def test_a_post_with_a_wrong_csrf_token_keeps_nothing(app, client, clock, robin, topics):
    assert sign_in(client).status_code == 302
    data = compose_data(client, question(topics))
    idle(clock)
    assert client.post("/messages/new", data={**data, "csrf_token": "forged"}).status_code == 400
    assert count(app, KeptDraft) == 0


def test_a_post_within_the_idle_limit_is_sent_as_usual(app, client, clock, robin, topics):
    assert sign_in(client).status_code == 302
    data = compose_data(client, question(topics))
    clock.tick(timedelta(minutes=14))
    assert client.post("/messages/new", data=data).headers["Location"].startswith("/messages/")
    assert count(app, Conversation) == 1 and count(app, KeptDraft) == 0


def test_a_post_that_is_not_a_form_on_the_list_keeps_nothing(app, client, clock, robin, topics):
    assert sign_in(client).status_code == 302
    token = csrf_token(client, "/profile/security-question")
    idle(clock)
    response = client.post("/profile/security-question",
                           data={"csrf_token": token, "answer": "Ada Lovelace"})
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert count(app, KeptDraft) == 0


def test_a_kept_message_survives_the_two_step_sign_in(app, client, clock, robin, topics):
    secret, _codes = turn_on_two_step(app, PatientAccount, robin.id)
    assert sign_in(client).headers["Location"] == "/sign-in/code"
    send_code(client, code_at(secret))
    data = compose_data(client, question(topics))
    idle(clock)
    response = client.post("/messages/new", data=data)
    assert sign_in(client, at=response.headers["Location"]).headers["Location"] == "/sign-in/code"
    clock.tick(timedelta(seconds=31))  # a fresh code
    assert send_code(client, code_at(secret)).headers["Location"] == "/messages/new"
    assert BODY in text(client.get("/messages/new"))


def test_attached_files_are_not_kept_and_the_page_says_so(app, client, clock, robin, topics):
    assert sign_in(client).status_code == 302
    data = compose_data(client, question(topics))
    idle(clock)
    response = multipart(client, "/messages/new", {**data, "attachments": [(PDF, "scan.pdf")]})
    sign_in(client, at=response.headers["Location"])
    restored = text(client.get("/messages/new"))
    assert BODY in restored
    assert "Files you had attached could not be kept: attach them again." in restored


def test_a_refill_comes_back_with_its_own_answers(app, client, clock, robin, topics):
    assert sign_in(client).status_code == 302
    refill = topics["Prescription refill"]
    data = {**compose_data(client, refill), "medication": "Lisinopril", "dose": "10 mg",
            "pharmacy": "Main Street Pharmacy, Springfield"}
    idle(clock)
    response = client.post("/messages/new", data=data)
    sign_in(client, at=response.headers["Location"])
    restored = text(client.get("/messages/new"))
    assert f'name="topic" value="{refill}"' in restored
    for typed in ("Lisinopril", "10 mg", "Main Street Pharmacy, Springfield", BODY):
        assert typed in restored
