"""The patient's home as a to-do list (issue 21, part 3): each section with its count and link,
in the order a patient acts (consents, forms, replies, what is new, the next appointment, the
balance), nothing shown for a section with nothing, never another patient's items, the same
number of statements with everything waiting as with nothing, and the emergency notice once.

Time stands still at 15:00 UTC on Monday, November 23, 2026: 10:00 AM in the practice's zone
(America/New_York)."""

import re
from datetime import timedelta

import consent_data
import pytest
from conftest import START, count_queries
from records_data import text, words
from sqlalchemy import select

from portal.extensions import db
from portal.models import Conversation, Document, FormDraft, Patient, RecordEntry, Signature
from portal.services import audit, home
from portal.services.consents import documents
from portal.services.practice import get_practice, update_practice

QUESTION = [{"label": "Any allergies?", "type": "text", "required": True}]
SECTION_HEADINGS = ("to sign or renew", "to fill in", "unread repl", "new in your health record",
                    "Your next appointment", "Balance due")


@pytest.fixture
def frozen(clock):
    """The suite's clock, standing still at START (asked for before any account is made)."""
    return clock


def _portal_consent_ends(app, patient_id, ends):
    with app.app_context():
        signature = db.session.scalar(select(Signature).where(Signature.patient_id == patient_id))
        # The end is a workflow column of a stored signature only in tests: set it in SQL.
        db.session.execute(Signature.__table__.update().where(Signature.id == signature.id)
                           .values(expires_at=ends))
        db.session.commit()


def _unread_replies(app, patient_id, topics, unread, read=0):
    """Conversations with a reply from staff: `unread` not opened, `read` opened since."""
    with app.app_context():
        for number in range(unread + read):
            opened = START if number >= unread else None
            db.session.add(Conversation(
                patient_id=patient_id, topic_id=next(iter(topics.values())), pool="clinical",
                subject=f"Question {number}", status="waiting",
                last_staff_message_at=START - timedelta(hours=1), patient_read_at=opened))
        db.session.commit()


def _mark_seen(app, entry_id):
    with app.app_context():
        db.session.get(RecordEntry, entry_id).patient_seen_at = START
        db.session.commit()


def _retire_every_form(app):
    with app.app_context():
        for document in db.session.scalars(select(Document).where(Document.kind == "form")):
            documents.retire(document, audit.SYSTEM)
        db.session.commit()


def _save_draft(app, patient_id, document_id):
    with app.app_context():
        document = db.session.get(Document, document_id)
        db.session.add(FormDraft(patient_id=patient_id, document_id=document_id,
                                 version_id=document.current_version_id, values={}))
        db.session.commit()


def _history_form_id(app):
    with app.app_context():
        return db.session.scalar(select(Document.id).where(Document.kind == "form"))


def _everything_waiting(app, robin, nurse, publish_entry, topics):
    """Something in every section of robin's home, and things that must stay out of it."""
    _portal_consent_ends(app, robin.patient_id, START + timedelta(days=10))
    photo = consent_data.add_document(app, "consent", "Photo consent", body="Photos.",
                                      validity_months=12)
    consent_data.sign(app, robin.patient_id, photo, name="Robin Quill")
    with app.app_context():  # the photo consent ended yesterday: sign it again
        db.session.execute(Signature.__table__.update().where(Signature.document_id == photo)
                           .values(expires_at=START - timedelta(days=1)))
        db.session.commit()
    consent_data.add_document(app, "consent", "Text message consent", body="Texts.")  # optional
    _save_draft(app, robin.patient_id, _history_form_id(app))
    allergy = consent_data.add_document(app, "form", "Allergy questionnaire", fields=QUESTION)
    consent_data.assign_form(app, robin.patient_id, allergy, nurse)
    consent_data.add_document(app, "form", "Sports physical", fields=QUESTION)  # not asked
    _unread_replies(app, robin.patient_id, topics, unread=2, read=1)
    publish_entry("lab")  # flagged high: abnormal
    publish_entry("lab", test="Sodium", value="140", reference_range="135-145", flag="normal")
    _mark_seen(app, publish_entry("lab", test="Potassium", flag="low"))  # opened already
    publish_entry("lab", test="Calcium", flag="high", release=False)  # a draft: not the patient's
    publish_entry("document")
    publish_entry("appointment", day="11/23/2026", at="09:30", state="scheduled",
                  reason="Missed by now")
    publish_entry("appointment", day="11/23/2026", at="11:00", state="scheduled",
                  provider="Dr Birch", place="Lakeside clinic, room 4", reason="Check")
    publish_entry("appointment", day="12/01/2026", at="08:15", state="scheduled")
    publish_entry("appointment", day="11/24/2026", at="08:00", state="cancelled")
    publish_entry("statement", statement_on="03/05/2026", balance="40.00")
    publish_entry("statement", statement_on="10/01/2026", balance="1,125.50")
    return photo, allergy


def test_the_home_lists_everything_waiting_in_the_order_to_act(frozen, app, robin_account,
                                                               nurse, publish_entry, topics,
                                                               robin_client):
    photo, allergy = _everything_waiting(app, robin_account, nurse, publish_entry, topics)
    response = robin_client.get("/home")
    assert response.status_code == 200
    page, html = words(response), text(response)

    assert "2 consents to sign or renew" in page
    assert "Sign “Photo consent”" in page
    assert "Renew “Patient portal consent” now : it ends on December 03, 2026." in page
    assert "Text message consent" not in page  # optional and never signed: the patient's choice
    assert f'href="/consents/{photo}/sign"' in html

    assert "2 health forms to fill in" in page
    assert "Medical history questionnaire Started your answers are saved" in page
    assert f'href="/consents/forms/{allergy}"' in html
    assert page.count("Started") == 1  # the allergy questionnaire has no draft
    assert "Sports physical" not in page.split("Everything in your portal")[0]

    assert "2 unread replies" in page
    assert 'href="/messages"' in html

    assert "3 new in your health record" in page
    assert "Lab and test results : 2 new, 1 abnormal" in page
    assert "Documents : 1 new" in page
    assert 'href="/records/lab"' in html and 'href="/records/document"' in html

    assert "Your next appointment" in page
    assert ("Date Monday, November 23, 2026 Time 11:00 AM With Dr Birch "
            "Where Lakeside clinic, room 4") in page
    assert "See your 2 upcoming appointments" in page
    assert 'href="/records/appointment"' in html

    assert "Balance due $1,125.50, as on your statement of 10/01/2026." in page
    assert 'href="/records/statement"' in html

    order = [page.index(heading) for heading in SECTION_HEADINGS]
    assert order == sorted(order), order
    assert page.index("Balance due") < page.index("Everything in your portal")


def test_with_nothing_waiting_the_home_shows_only_the_quick_links(app, robin_account,
                                                                  robin_client):
    _retire_every_form(app)
    page = words(robin_client.get("/home"))
    assert "Nothing is waiting for you right now." in page
    for heading in SECTION_HEADINGS:
        assert heading not in page
    for link in ("Forms and consents", "Messages", "Health record", "Share your record",
                 "Your account"):
        assert f"{link} :" in page


def test_a_new_patient_is_asked_for_the_health_history_everyone_fills_in(app, robin_account,
                                                                          robin_client):
    page = words(robin_client.get("/home"))
    assert "1 health form to fill in" in page
    assert "Started" not in page


def test_a_form_asked_for_and_submitted_leaves_the_list(app, robin_account, nurse,
                                                        robin_client):
    _retire_every_form(app)
    allergy = consent_data.add_document(app, "form", "Allergy questionnaire", fields=QUESTION)
    consent_data.assign_form(app, robin_account.patient_id, allergy, nurse)
    assert "1 health form to fill in" in words(robin_client.get("/home"))
    with app.app_context():
        from portal.models import FormAssignment

        db.session.scalar(select(FormAssignment)).completed_at = START
        db.session.commit()
    assert "to fill in" not in words(robin_client.get("/home"))


def test_an_appointment_without_a_place_is_at_the_practice(frozen, app, robin_account,
                                                           publish_entry, robin_client):
    with app.app_context():
        update_practice(get_practice(), {"name": "Riverside Family Medicine",
                                         "address_line1": "200 Main Street",
                                         "city": "Springfield", "state": "IL",
                                         "postal_code": "62701"})
        db.session.commit()
    publish_entry("appointment", day="01/04/2027", at="2:30 PM", state="scheduled",
                  provider="Dr Alder")
    page = words(robin_client.get("/home"))
    assert ("Date Monday, January 04, 2027 Time 2:30 PM With Dr Alder Where Riverside Family "
            "Medicine 200 Main Street Springfield, IL 62701") in page
    assert "See your upcoming appointment" in page


def test_past_completed_and_cancelled_appointments_are_not_next(frozen, app, robin_account,
                                                                publish_entry, robin_client):
    publish_entry("appointment", day="11/23/2026", at="09:59", state="scheduled")  # 1 min ago
    publish_entry("appointment", day="11/20/2026", at="11:00", state="scheduled")
    publish_entry("appointment", day="12/02/2026", at="11:00", state="cancelled")
    publish_entry("appointment", day="12/03/2026", at="11:00", state="completed")
    publish_entry("appointment", day="12/04/2026", at="11:00", state="scheduled", release=False)
    assert "Your next appointment" not in words(robin_client.get("/home"))


def test_a_paid_up_balance_shows_no_balance(app, robin_account, publish_entry, robin_client):
    publish_entry("statement", statement_on="03/05/2026", balance="80.00")
    publish_entry("statement", statement_on="04/05/2026", balance="0.00")  # the newest: paid
    assert "Balance due" not in words(robin_client.get("/home"))


def test_another_patient_never_sees_robin_s_items(frozen, app, robin_account, nurse,
                                                   publish_entry, topics, make_account,
                                                   patient_client):
    _everything_waiting(app, robin_account, nurse, publish_entry, topics)
    make_account(username="sam", account_number="T-2002", first_name="Sam",
                 email="sam@example.com")
    page = words(patient_client("sam").get("/home"))
    assert "Hello, Sam" in page
    for robin_item in ("Photo consent", "Allergy questionnaire", "unread", "new in your health",
                       "Dr Birch", "Lakeside", "$1,125.50", "Started", "Renew"):
        assert robin_item not in page
    assert "1 health form to fill in" in page  # only the history every patient fills in


def test_the_home_runs_the_same_statements_with_everything_waiting_as_with_nothing(
        frozen, app, robin_account, nurse, publish_entry, topics, robin_client):
    robin_client.get("/home")
    nothing = count_queries(app, lambda: robin_client.get("/home"))
    _everything_waiting(app, robin_account, nurse, publish_entry, topics)
    robin_client.get("/home")
    everything = count_queries(app, lambda: robin_client.get("/home"))
    assert "Balance due" in words(robin_client.get("/home"))
    assert everything == nothing


def test_each_section_costs_one_query(frozen, app, robin_account, nurse, publish_entry,
                                      topics):
    """Five sections query the database (the unread count is the navigation's, counted once
    by the patient guard): 5 statements, with everything waiting."""
    _everything_waiting(app, robin_account, nurse, publish_entry, topics)

    with app.app_context():
        patient = db.session.get(Patient, robin_account.patient_id)
        practice = get_practice()
        assert count_queries(app, lambda: home.waiting_for(patient, 2, practice)) == 5


def test_the_emergency_notice_appears_once(app, robin_account, robin_client):
    with app.app_context():
        update_practice(get_practice(), {"emergency_notice": "Call 911 in an emergency."})
        db.session.commit()
    assert text(robin_client.get("/home")).count("Call 911 in an emergency.") == 1


def test_the_navigation_folds_behind_one_menu_control(app, robin_account, robin_client):
    html = text(robin_client.get("/home"))
    assert re.search(r'<input type="checkbox" id="menu-toggle"[^>]*>\s*'
                     r'<label for="menu-toggle" class="menu-label">Menu</label>', html)
    menu = html.split('class="menu"', 1)[1]
    assert 'href="/messages"' in menu and "Sign out" in menu
