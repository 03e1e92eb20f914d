"""Asking for a correction to the health record (issue 10, item 6): from a released entry the
patient reports what is wrong; it becomes a secure-message conversation in the pool that keeps
that part of the record, naming the entry; staff record the outcome (corrected, or not changed
with an explanation) on the entry's page, and the patient reads it as a reply in the
conversation, emailed as any reply. Another patient's entries, drafts, held and retracted
entries are not there to ask about."""

import re

import pytest
from conftest import csrf_token, post_form
from helpers import count, rows
from records_data import change, text, words

from portal.extensions import db
from portal.models import (
    Conversation,
    Message,
    RecordCorrection,
    RecordEntry,
)
from portal.services.practice import get_practice, update_practice
from portal.services.records import categories, entries

WRONG = "The unit should be mmol/L, and I had this test in February, not March."


def correction_url(category, entry_id):
    return f"/records/{category}/{entry_id}/correction"


def ask(robin_client, category, entry_id, wording=WRONG, **data):
    return post_form(robin_client, correction_url(category, entry_id), {"text": wording, **data})


def entry_page(patient_id, entry_id):
    return f"/staff/patients/{patient_id}/records/{entry_id}"


def decide(robin_client, patient_id, entry_id, correction_id, token_from=None, **data):
    """The outcome form of one request on the entry's staff page (its inputs carry the
    request's number as a prefix, its CSRF input too); the token is read from that page, or
    from `token_from`."""
    token = csrf_token(robin_client, token_from or entry_page(patient_id, entry_id))
    prefix = f"correction-{correction_id}-"
    return robin_client.post(f"{entry_page(patient_id, entry_id)}/corrections/{correction_id}",
                        data={"csrf_token": token, f"{prefix}csrf_token": token,
                              **{prefix + key: value for key, value in data.items()}})


def correction_section(page):
    found = re.search(r'<section id="corrections".*?</section>', text(page), re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


# -- the patient asks -----------------------------------------------------------------------------

@pytest.mark.parametrize("category, pool, days", [
    ("lab", "nurse", 2), ("immunization", "nurse", 2), ("medication", "nurse", 2),
    ("allergy", "nurse", 2), ("problem", "nurse", 2), ("visit", "nurse", 2),
    ("appointment", "front_desk", 3), ("document", "front_desk", 3),
    ("statement", "billing", 3),
])
def test_a_request_goes_to_the_pool_that_keeps_that_part_of_the_record(
        app, robin_client, robin_account, publish_entry, audit_trail, category, pool, days):
    entry_id = publish_entry(category)
    with app.app_context():
        entry = db.session.get(RecordEntry, entry_id)
        title, day = entry.title, entry.recorded_on.strftime("%m/%d/%Y")
        label = str(categories.CATEGORIES[category].label)
    page = text(robin_client.get(f"/records/{category}/{entry_id}"))
    assert f'href="{correction_url(category, entry_id)}">Report something wrong</a>' in page
    form = robin_client.get(correction_url(category, entry_id))
    assert form.status_code == 200 and "What is wrong?" in text(form)
    assert 'maxlength="2000"' in text(form) and 'data-char-limit="2000"' in text(form)

    response = ask(robin_client, category, entry_id)
    [conversation] = rows(app, Conversation)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/messages/{conversation.id}"
    assert conversation.pool == pool and conversation.status == "new"
    assert conversation.patient_id == robin_account.patient_id
    assert conversation.subject == f"Correction request: {title}"
    [message] = rows(app, Message)
    assert message.patient_account_id == robin_account.id and not message.internal
    assert message.body == (
        "I am asking for a correction to this item of my health record:\n\n"
        f"Kind of record: {label}\nTitle: {title}\nDate: {day}\nEntry number: {entry_id}\n\n"
        f"What is wrong:\n\n{WRONG}")
    [correction] = rows(app, RecordCorrection)
    assert (correction.entry_id, correction.patient_id, correction.conversation_id) == (
        entry_id, robin_account.patient_id, conversation.id)
    assert correction.status == "open" and correction.decided_at is None
    [row] = audit_trail.rows("record.correction_requested")
    assert row.patient_id == robin_account.patient_id and row.object_id == str(correction.id)
    assert row.detail == f"entry {entry_id}; conversation {conversation.id}; pool: {pool}"
    assert WRONG not in row.detail

    shown = words(robin_client.get(response.headers["Location"]))
    assert f"Your request was sent to the practice. They answer within {days} business days, " \
           "here in Messages." in shown
    assert f"Correction request: {title}" in shown and WRONG in shown
    assert f"Entry number: {entry_id}" in shown


def test_the_request_is_in_the_pool_s_staff_inbox(app, robin_client, publish_entry, staff_client):
    entry_id = publish_entry("lab", test="Glucose, fasting")
    ask(robin_client, "lab", entry_id)
    nurses = text(staff_client("nurse", email="other.nurse@practice.test").get("/staff/messages"))
    assert "Correction request: Glucose, fasting" in nurses
    billing = text(staff_client("billing").get("/staff/messages"))
    assert "Correction request: Glucose, fasting" not in billing


def test_sending_the_same_page_twice_asks_once(app, robin_client, publish_entry):
    entry_id = publish_entry("lab")
    page = text(robin_client.get(correction_url("lab", entry_id)))
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    first = ask(robin_client, "lab", entry_id, submission_key=key)
    second = ask(robin_client, "lab", entry_id, submission_key=key)
    assert first.headers["Location"] == second.headers["Location"]
    assert count(app, Conversation) == 1 and count(app, RecordCorrection) == 1


@pytest.mark.parametrize("wording, message", [
    ("", "Write what is wrong."),
    ("   \n  ", "Write what is wrong."),
    ("x" * 2001, "Shorten this to 2,000 characters or fewer (it has 2,001)."),
])
def test_an_empty_or_too_long_request_is_refused_keeping_the_text(app, robin_client, publish_entry,
                                                                   wording, message):
    entry_id = publish_entry("lab")
    response = ask(robin_client, "lab", entry_id, wording)
    assert response.status_code == 200
    page = text(response)
    assert "<title>Error:" in page and "There is a problem" in page
    assert f'<a href="#text">{message}</a>' in page
    assert re.search(r'<textarea[^>]*aria-invalid="true"[^>]*>\s*' + re.escape(wording)
                     + "</textarea>", page)
    assert count(app, Conversation) == 0 and count(app, RecordCorrection) == 0


def test_2000_characters_are_accepted(app, robin_client, publish_entry):
    entry_id = publish_entry("lab")
    assert ask(robin_client, "lab", entry_id, "y" * 2000).status_code == 302
    assert count(app, RecordCorrection) == 1


def test_another_patient_gets_404(robin_client, publish_entry, make_account, patient_client, app):
    entry_id = publish_entry("lab")
    make_account(username="morgan", account_number="T-2002", email="morgan@example.com")
    other = patient_client("morgan")
    assert other.get(correction_url("lab", entry_id)).status_code == 404
    token = csrf_token(other, "/profile")
    response = other.post(correction_url("lab", entry_id), data={"csrf_token": token,
                                                                 "text": WRONG})
    assert response.status_code == 404
    assert count(app, Conversation) == 0


def test_drafts_held_and_retracted_entries_are_not_there_to_ask_about(app, robin_client, publish_entry,
                                                                        make_staff):
    provider = make_staff("provider", email="doc@practice.test")
    with app.app_context():
        update_practice(get_practice(), {"result_holds_allowed": True})
        db.session.commit()
    draft = publish_entry("lab", release=False)
    held = publish_entry("lab", release=False, by=provider)
    retracted = publish_entry("lab")
    change(app, held, lambda entry, origin: entries.hold(
        entry, "Discuss with the patient first", origin.account, get_practice(), origin))
    change(app, retracted, entries.retract)
    token = csrf_token(robin_client, "/profile")
    for hidden in (draft, held, retracted):
        assert robin_client.get(correction_url("lab", hidden)).status_code == 404
        posted = robin_client.post(correction_url("lab", hidden), data={"csrf_token": token,
                                                                   "text": WRONG})
        assert posted.status_code == 404
    shown = publish_entry("lab")
    assert robin_client.get(correction_url("immunization", shown)).status_code == 404
    assert count(app, Conversation) == 0


# -- staff record the outcome ---------------------------------------------------------------------

@pytest.fixture
def asked(app, robin_client, robin_account, publish_entry):
    """A request about robin's glucose result: (entry id, correction id, conversation id)."""
    entry_id = publish_entry("lab", test="Glucose, fasting")
    ask(robin_client, "lab", entry_id)
    [correction] = rows(app, RecordCorrection)
    return entry_id, correction.id, correction.conversation_id


def test_staff_record_corrected_and_the_patient_reads_it(app, robin_client, robin_account, nurse, asked,
                                                         staff_client, outbox, audit_trail):
    entry_id, correction_id, conversation_id = asked
    staff = staff_client(staff=nurse, direct=True)
    section = correction_section(staff.get(entry_page(robin_account.patient_id, entry_id)))
    assert "Correction requests from the patient" in section
    assert "Status: Open: waiting for an outcome." in section
    assert f'href="/staff/messages/{conversation_id}"' in text(
        staff.get(entry_page(robin_account.patient_id, entry_id)))

    response = decide(staff, robin_account.patient_id, entry_id, correction_id, outcome="corrected",
                      explanation="The unit is now mmol/L.")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{entry_page(robin_account.patient_id, entry_id)}#corrections"
    after = staff.get(response.headers["Location"])
    assert "The outcome was recorded and the patient was sent it in the conversation." \
        in words(after)
    section = correction_section(after)
    assert "Status: Corrected." in section and "by Nina Night." in section
    assert "The unit is now mmol/L." in section
    assert 'class="correction-outcome"' not in text(after)  # no outcome form once decided
    [correction] = rows(app, RecordCorrection)
    assert (correction.status, correction.outcome) == ("corrected", "The unit is now mmol/L.")
    assert correction.decided_by_id == nurse.id and correction.decided_at is not None
    [row] = audit_trail.rows("record.correction_decided")
    assert row.detail == f"entry {entry_id}; conversation {conversation_id}; outcome: corrected"
    assert row.actor_id == nurse.id and row.patient_id == robin_account.patient_id

    [_asked, reply] = rows(app, Message)
    assert reply.staff_id == nurse.id and not reply.internal
    [conversation] = rows(app, Conversation)
    assert conversation.status == "waiting"
    [email] = outbox.queued
    assert email.recipient == robin_account.email and email.patient_id == robin_account.patient_id
    assert email.subject == "You have a new message in your patient portal"
    assert '<span class="count">(1<' in text(robin_client.get("/records"))
    shown = words(robin_client.get(f"/messages/{conversation_id}"))
    assert "We have corrected your health record, as you asked." in shown
    assert f"Entry number: {entry_id}" in shown and "What we changed: The unit is now mmol/L." \
        in shown


def test_not_changed_needs_an_explanation_which_the_patient_reads(
        app, robin_client, robin_account, nurse, asked, staff_client, outbox):
    entry_id, correction_id, conversation_id = asked
    staff = staff_client(staff=nurse, direct=True)
    refused = decide(staff, robin_account.patient_id, entry_id, correction_id, outcome="not_changed",
                     explanation="  ")
    assert refused.status_code == 200
    page = text(refused)
    assert "<title>Error:" in page
    assert f'<a href="#correction-{correction_id}-explanation">Explain why the record is not ' \
           'changed.</a>' in page
    assert rows(app, RecordCorrection)[0].status == "open" and len(rows(app, Message)) == 1
    assert outbox.queued == []

    why = "The lab reported mg/dL; we checked with them. Call us to talk it over."
    assert decide(staff, robin_account.patient_id, entry_id, correction_id, outcome="not_changed",
                  explanation=why).status_code == 302
    [correction] = rows(app, RecordCorrection)
    assert (correction.status, correction.outcome) == ("not_changed", why)
    assert "Status: Not changed." in correction_section(
        staff.get(entry_page(robin_account.patient_id, entry_id)))
    assert len(outbox.queued) == 1
    shown = words(robin_client.get(f"/messages/{conversation_id}"))
    assert "We looked at your request and did not change your health record." in shown
    assert f"Why: {why}" in shown


def test_an_outcome_must_be_chosen_and_is_recorded_once(app, robin_account, nurse, asked, staff_client):
    entry_id, correction_id, _conversation_id = asked
    staff = staff_client(staff=nurse, direct=True)
    refused = text(decide(staff, robin_account.patient_id, entry_id, correction_id, explanation="Hm"))
    assert f'<a href="#correction-{correction_id}-outcome-0">Choose the outcome.</a>' in refused
    assert 'Hm</textarea>' in refused
    decide(staff, robin_account.patient_id, entry_id, correction_id, outcome="corrected")
    again = decide(staff, robin_account.patient_id, entry_id, correction_id, outcome="not_changed",
                   explanation="Changed my mind.")
    assert again.status_code == 200 and "This request already has an outcome." in text(again)
    assert rows(app, RecordCorrection)[0].status == "corrected"
    assert len(rows(app, Message)) == 2


def test_a_request_is_decided_only_on_its_own_entry_and_chart(app, robin_account, nurse, asked, publish_entry,
                                                              staff_client, make_patient):
    entry_id, correction_id, _conversation_id = asked
    other_entry = publish_entry("lab", test="Potassium")
    other_chart = make_patient(account_number="T-3003")
    staff = staff_client(staff=nurse, direct=True)
    own_page = entry_page(robin_account.patient_id, entry_id)
    assert decide(staff, robin_account.patient_id, other_entry, correction_id, token_from=own_page,
                  outcome="corrected").status_code == 404
    assert decide(staff, other_chart.id, entry_id, correction_id, token_from=own_page,
                  outcome="corrected").status_code == 404
    assert rows(app, RecordCorrection)[0].status == "open"
