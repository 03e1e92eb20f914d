"""Notices the patient chose (issue 21, part 2): per kind, on or off, each without health
information. Results and documents released: the first within a minute (the mail worker's
next round), what follows in the hour after gathered into one more notice at the hour's end;
appointments published, changed, cancelled and reminded the day before (practice time); forms
assigned and the consent renewal; message replies. Drafts and holds never; release does.
Each setting, turned off on the profile page, stops its kind and only its kind."""

import email as email_parser
import html
import re
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
from conftest import post_form
from consent_data import assign_form, default_documents
from freezegun import freeze_time
from records_data import PDF, SAMPLES, post_entry_form, published_id
from sqlalchemy import select, update

from portal.extensions import db
from portal.models import AppointmentReminder, MessageTopic, PatientAccount, Practice, Signature
from portal.services import audit, patient_notices
from portal.services.messages import conversations
from portal.services.messages.topics import ensure_topics
from portal.services.practice import PRACTICE_ID

PRACTICE_NAME = "Maple Street Family Practice"
SUBJECT = "Something new is in your patient portal"
ROBIN = "robin.quill@example.com"
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
APPOINTMENT = {"day": "03/10/2026", "at": "09:30", "provider": "Dr Alder",
               "reason": "Knee pain follow-up", "state": "scheduled"}
# What no notice may carry: the tests' names, values, dates, providers, reasons and titles.
HEALTH_WORDS = ("Glucose", "126", "mg/dL", "Potassium", "Chest X-ray", "Radiology", "Dr Alder",
                "Knee pain", "09:30", "10:15", "03/10/2026", "March", "Medical history",
                "Dizzy", "tablet")
SENTENCES = {
    "results": "Something new has been added to your health record.",
    "appointment_published": "An appointment was added to your portal.",
    "appointment_changed": "One of your appointments was changed.",
    "appointment_cancelled": "One of your appointments was cancelled.",
    "appointment_reminder": "A reminder about an upcoming appointment is waiting for you.",
    "form_assigned": "The practice has asked you to fill in a form.",
    "message": "You have a new message in your patient portal",
}


@pytest.fixture(autouse=True)
def practice(app):
    """The practice, in Chicago (behind UTC), holds allowed."""
    with app.app_context():
        db.session.add(Practice(id=PRACTICE_ID, name=PRACTICE_NAME, time_zone="America/Chicago",
                                result_holds_allowed=True))
        db.session.commit()


@pytest.fixture
def admin_browser(staff_client):
    return staff_client("admin", direct=True)


def emails(outbox):
    """(recipient, subject, text body, html body) of every email queued, oldest first; a sent
    one (its bodies cleared in the table) read from the .eml file the worker wrote."""
    files = {int(path.stem.rsplit("-", 1)[1]): path for path in outbox.eml_files}
    found = []
    for row in outbox.queued:
        text, body_html = row.body_text, row.body_html
        if row.sent_at is not None:
            message = email_parser.message_from_bytes(files[row.id].read_bytes(),
                                                      policy=policy.default)
            text = message.get_body(("plain",)).get_content()
            body_html = message.get_body(("html",)).get_content()
        found.append((row.recipient, row.subject, text, html.unescape(body_html)))
    return found


def notices(outbox, to=ROBIN):
    """The notices sent to `to`, as the keys of the sentences they carry, in order."""
    return [next(key for key, sentence in SENTENCES.items() if sentence in text)
            for recipient, _subject, text, _html in emails(outbox) if recipient == to]


def assert_no_health_information(outbox):
    for _recipient, subject, text, body_html in emails(outbox):
        for part in (subject, text, body_html):
            for word in HEALTH_WORDS:
                assert word not in part, (word, part)


def set_account(app, account=None, **values):
    """Change the settings of every patient account, or of `account` only."""
    with app.app_context():
        statement = update(PatientAccount).values(**values)
        if account is not None:
            statement = statement.where(PatientAccount.id == account.id)
        db.session.execute(statement)
        db.session.commit()


def sam_without_forms_notices(app, make_account):
    """A second patient, Sam, who turned the forms and consents notices off."""
    sam = make_account(username="sam", account_number="T-2002", first_name="Sam",
                       email="sam@example.com")
    set_account(app, sam, notify_forms=False)
    return sam


def publish(browser, patient_id, category="lab", draft=False, **values):
    data = {**SAMPLES[category], **values}
    file = ("report.pdf", PDF) if category == "document" else None
    response = post_entry_form(browser, patient_id, category, data, draft=draft, file=file)
    return published_id(response, patient_id)


def entry_url(patient_id, entry_id, action=""):
    return f"/staff/patients/{patient_id}/records/{entry_id}" + (f"/{action}" if action else "")


def change_appointment(browser, patient_id, entry_id, **values):
    url = entry_url(patient_id, entry_id, "change")
    return post_form(browser, url, {**APPOINTMENT, **values})


# -- results and documents -------------------------------------------------------------------

def test_a_panel_of_12_results_is_one_notice_within_a_minute_with_no_health_information(
        app, robin_account, admin_browser, outbox):
    for number in range(12):
        publish(admin_browser, robin_account.patient_id, test=f"Potassium {number}")
    assert notices(outbox) == []  # gathered by the mail worker, not one per release
    outbox.deliver()  # the worker's next round, a second later
    assert notices(outbox) == ["results"]
    [email] = outbox.queued
    assert email.subject == SUBJECT and email.patient_id == robin_account.patient_id
    outbox.deliver()
    with freeze_time(datetime.now(UTC) + timedelta(minutes=90)):
        outbox.deliver()
    assert notices(outbox) == ["results"]  # nothing new released: nothing more sent
    assert_no_health_information(outbox)


def test_what_is_released_in_the_hour_after_a_notice_goes_in_one_more_at_the_hour_s_end(
        app, robin_account, publish_entry, outbox):
    """Released through the service (the staff pages' own path, tested above): the clock
    moves here by hours, longer than a staff session stays signed in."""
    with freeze_time(START) as clock:
        publish_entry("lab")
        outbox.deliver()
        assert notices(outbox) == ["results"]
        clock.tick(timedelta(minutes=10))
        publish_entry("lab", test="Potassium")
        publish_entry("document")
        outbox.deliver()
        clock.tick(timedelta(minutes=49))  # 59 minutes after the first notice
        outbox.deliver()
        assert notices(outbox) == ["results"]
        clock.tick(timedelta(minutes=1))  # the hour's end
        outbox.deliver()
        assert notices(outbox) == ["results", "results"]
        clock.tick(timedelta(minutes=30))
        outbox.deliver()
        assert notices(outbox) == ["results", "results"]
        clock.tick(timedelta(hours=3))  # a quiet spell: the next release is told at once
        publish_entry("lab")
        outbox.deliver()
        assert notices(outbox) == ["results", "results", "results"]
    assert_no_health_information(outbox)


def test_drafts_and_held_results_never_notify_and_their_release_does(
        app, robin_account, staff_client, outbox):
    provider = staff_client("provider", direct=True)
    patient_id = robin_account.patient_id
    draft_id = publish(provider, patient_id, draft=True)
    held_id = publish(provider, patient_id, draft=True, test="Potassium")
    post_form(provider, entry_url(patient_id, held_id, "hold"),
              {"reason": "Call the patient first."}, page_url=entry_url(patient_id, held_id))
    later = datetime.now(UTC) + timedelta(hours=2)
    with freeze_time(later):
        outbox.deliver()
    assert notices(outbox) == []
    post_form(provider, entry_url(patient_id, held_id, "release"), {},
              page_url=entry_url(patient_id, held_id))  # the held result, released
    outbox.deliver()
    assert notices(outbox) == ["results"]
    post_form(provider, entry_url(patient_id, draft_id, "release"), {},
              page_url=entry_url(patient_id, draft_id))
    outbox.deliver()
    assert notices(outbox) == ["results"]  # within the hour: it waits
    with freeze_time(later + timedelta(minutes=1)):
        outbox.deliver()
    assert notices(outbox) == ["results", "results"]


def test_results_notices_follow_the_setting_from_the_next_release(
        app, robin_account, admin_browser, outbox):
    patient_id = robin_account.patient_id
    set_account(app, notify_results=False)
    publish(admin_browser, patient_id)
    publish(admin_browser, patient_id, "document")
    outbox.deliver()
    assert notices(outbox) == []
    set_account(app, notify_results=True)
    publish(admin_browser, patient_id)
    outbox.deliver()
    assert notices(outbox) == ["results"]


def test_a_release_tells_only_the_chart_s_own_account(app, make_account, admin_browser, outbox):
    robin = make_account()
    make_account(username="sam", account_number="T-2002", first_name="Sam",
                 email="sam@example.com")
    publish(admin_browser, robin.patient_id)
    outbox.deliver()
    assert [email.recipient for email in outbox.queued] == [ROBIN]


def test_two_workers_never_send_the_same_results_notice(app, robin_account, admin_browser,
                                                        outbox):
    publish(admin_browser, robin_account.patient_id)
    with app.app_context():
        now = datetime.now(UTC)
        due = db.session.scalars(select(PatientAccount.id).where(
            *patient_notices._results_due(now))).all()
        assert due == [robin_account.id]
        # Both workers saw the account due; the first claims it, the second claims nothing.
        assert patient_notices.send_results_notices(now) == 1
        assert patient_notices.send_results_notices(now) == 0
        claimed = db.session.execute(update(PatientAccount).where(
            PatientAccount.id.in_(due), *patient_notices._results_due(now))
            .values(results_noticed_at=now)).rowcount
        db.session.rollback()
    assert claimed == 0
    assert notices(outbox) == ["results"]


# -- appointments ----------------------------------------------------------------------------

def test_an_appointment_published_changed_and_cancelled_is_told_each_time(
        app, robin_account, admin_browser, outbox, audit_trail):
    patient_id = robin_account.patient_id
    entry_id = publish(admin_browser, patient_id, "appointment", **APPOINTMENT)
    assert notices(outbox) == ["appointment_published"]  # queued with the release
    page = admin_browser.get(entry_url(patient_id, entry_id)).get_data(as_text=True)
    assert "Change or cancel this appointment" in page
    form = admin_browser.get(entry_url(patient_id, entry_id, "change"))
    assert 'value="03/10/2026"' in form.get_data(as_text=True)
    response = change_appointment(admin_browser, patient_id, entry_id, at="10:15")
    assert response.headers["Location"] == entry_url(patient_id, entry_id)
    assert notices(outbox) == ["appointment_published", "appointment_changed"]
    change_appointment(admin_browser, patient_id, entry_id, at="10:15", state="cancelled")
    assert notices(outbox)[-1] == "appointment_cancelled"
    change_appointment(admin_browser, patient_id, entry_id, at="10:15", state="cancelled")
    assert len(notices(outbox)) == 3  # nothing changed: nothing told
    outbox.deliver()
    assert notices(outbox) == ["appointment_published", "appointment_changed",
                               "appointment_cancelled"]
    [changed, cancelled] = audit_trail.rows("record.changed")
    assert changed.detail == "fields: at" and cancelled.detail == "fields: state"
    assert_no_health_information(outbox)


def test_a_change_is_refused_field_by_field_and_keeps_what_was_typed(
        app, robin_account, admin_browser, outbox):
    patient_id = robin_account.patient_id
    entry_id = publish(admin_browser, patient_id, "appointment", **APPOINTMENT)
    response = change_appointment(admin_browser, patient_id, entry_id, at="25:99",
                                  provider="Dr Birch")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200, page[:3000]
    assert "Enter the time as HH:MM" in page
    assert 'value="Dr Birch"' in page
    assert notices(outbox) == ["appointment_published"]


def test_only_a_released_appointment_may_be_changed_by_a_role_that_publishes_them(
        app, robin_account, admin_browser, staff_client):
    patient_id = robin_account.patient_id
    draft_id = publish(admin_browser, patient_id, "appointment", draft=True, **APPOINTMENT)
    lab_id = publish(admin_browser, patient_id)
    released_id = publish(admin_browser, patient_id, "appointment", **APPOINTMENT)
    for entry_id in (draft_id, lab_id):
        assert admin_browser.get(entry_url(patient_id, entry_id, "change")).status_code == 404
    billing = staff_client("billing", direct=True, email="billing@practice.test")
    assert billing.get(entry_url(patient_id, released_id, "change")).status_code in (403, 404)
    no_token = admin_browser.post(entry_url(patient_id, released_id, "change"), data=APPOINTMENT)
    assert no_token.status_code == 400


def test_appointment_notices_follow_the_setting(app, robin_account, admin_browser, outbox):
    patient_id = robin_account.patient_id
    set_account(app, notify_appointments=False)
    entry_id = publish(admin_browser, patient_id, "appointment", **APPOINTMENT)
    change_appointment(admin_browser, patient_id, entry_id, state="cancelled")
    assert notices(outbox) == []
    publish(admin_browser, patient_id, "appointment", **{**APPOINTMENT, "state": "completed"})
    assert notices(outbox) == []


def test_the_day_before_reminder_is_sent_once_in_the_practice_s_time(
        app, robin_account, admin_browser, outbox):
    patient_id = robin_account.patient_id
    entry_id = publish(admin_browser, patient_id, "appointment", **APPOINTMENT)
    publish(admin_browser, patient_id, "appointment",
            **{**APPOINTMENT, "day": "03/11/2026", "state": "cancelled"})
    # 12:59 UTC on March 9 is 07:59 in Chicago (daylight time began March 8): too early.
    with freeze_time(datetime(2026, 3, 9, 12, 59, tzinfo=UTC)):
        outbox.deliver()
    assert notices(outbox) == ["appointment_published"]
    with freeze_time(datetime(2026, 3, 9, 13, 0, tzinfo=UTC)):  # 08:00 in Chicago
        outbox.deliver()
        outbox.deliver()
    assert notices(outbox) == ["appointment_published", "appointment_reminder"]
    # 03:00 UTC on March 10 is still the evening of March 9 in Chicago: a rerun sends nothing.
    with freeze_time(datetime(2026, 3, 10, 3, 0, tzinfo=UTC)):
        outbox.deliver()
    # March 10, 16:00 in Chicago: the cancelled appointment of March 11 gets no reminder.
    with freeze_time(datetime(2026, 3, 10, 21, 0, tzinfo=UTC)):
        outbox.deliver()
    assert notices(outbox) == ["appointment_published", "appointment_reminder"]
    with app.app_context():
        [reminder] = db.session.scalars(select(AppointmentReminder)).all()
        assert (reminder.entry_id, reminder.day.isoformat()) == (entry_id, "2026-03-10")
    assert_no_health_information(outbox)


def test_the_evening_before_in_local_time_is_not_the_utc_day(app, robin_account,
                                                             admin_browser, outbox):
    publish(admin_browser, robin_account.patient_id, "appointment", **APPOINTMENT)
    # 02:00 UTC on March 10 is 21:00 on March 9 in Chicago: the appointment is tomorrow there.
    with freeze_time(datetime(2026, 3, 10, 2, 0, tzinfo=UTC)):
        outbox.deliver()
    assert notices(outbox) == ["appointment_published", "appointment_reminder"]


def test_two_workers_claiming_the_same_reminder_send_it_once(app, robin_account, admin_browser,
                                                             outbox):
    entry_id = publish(admin_browser, robin_account.patient_id, "appointment", **APPOINTMENT)
    moment = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
    with app.app_context():
        day = datetime(2026, 3, 10).date()
        assert patient_notices._remind(entry_id, day, robin_account.id, moment) == 1
        assert patient_notices._remind(entry_id, day, robin_account.id, moment) == 0
    assert notices(outbox) == ["appointment_published", "appointment_reminder"]


def test_a_moved_appointment_is_reminded_for_its_new_day_and_not_when_turned_off(
        app, robin_account, admin_browser, outbox):
    patient_id = robin_account.patient_id
    entry_id = publish(admin_browser, patient_id, "appointment", **APPOINTMENT)
    with freeze_time(datetime(2026, 3, 9, 15, 0, tzinfo=UTC)):
        outbox.deliver()
    change_appointment(admin_browser, patient_id, entry_id, day="03/12/2026")
    set_account(app, notify_appointments=False)
    with freeze_time(datetime(2026, 3, 11, 15, 0, tzinfo=UTC)):
        outbox.deliver()
    assert notices(outbox) == ["appointment_published", "appointment_reminder",
                               "appointment_changed"]
    set_account(app, notify_appointments=True)
    with freeze_time(datetime(2026, 3, 11, 15, 0, tzinfo=UTC)):
        outbox.deliver()
    assert notices(outbox)[-1] == "appointment_reminder" and len(notices(outbox)) == 4


# -- forms, consents and messages ------------------------------------------------------------

def test_a_form_assigned_is_told_when_the_patient_chose_it(app, make_account, make_staff,
                                                          outbox):
    documents = default_documents(app)
    robin = make_account()
    sam = sam_without_forms_notices(app, make_account)
    staff = make_staff("front_desk")
    assign_form(app, robin.patient_id, documents["form"], staff)
    assign_form(app, sam.patient_id, documents["form"], staff)
    assert notices(outbox) == ["form_assigned"]
    assert notices(outbox, "sam@example.com") == []
    assert_no_health_information(outbox)


def test_the_consent_renewal_reminder_follows_the_forms_setting(app, make_account, outbox):
    robin = make_account()
    sam_without_forms_notices(app, make_account)
    with app.app_context():
        ends = db.session.scalar(select(Signature.expires_at).where(
            Signature.patient_id == robin.patient_id))
    with freeze_time(ends - timedelta(days=10)):
        outbox.deliver()
    renewals = [email.recipient for email in outbox.queued if email.template == "consent_renewal"]
    assert renewals == [ROBIN]


def reply_to_robin(app, account_id):
    """Robin writes, a nurse replies (through the services, as the pages do)."""
    nurse = None
    with app.test_request_context():
        ensure_topics()
        account = db.session.get(PatientAccount, account_id)
        topic = db.session.scalar(select(MessageTopic).where(
            MessageTopic.label == "Question for my care team"))
        conversation = conversations.start_conversation(
            account, topic, subject="Dizzy", body="Dizzy after the tablet.", origin=audit.SYSTEM)
        from portal.models import StaffUser
        nurse = db.session.scalar(select(StaffUser).where(StaffUser.role == "admin"))
        conversations.staff_reply(nurse, conversation, body="Take the tablet with food.",
                                  origin=audit.Origin(nurse, "127.0.0.1", "test"))
        db.session.commit()


# -- the settings page -----------------------------------------------------------------------

KINDS = {"notify_messages": "message", "notify_results": "results",
         "notify_appointments": "appointment_published", "notify_forms": "form_assigned"}


@pytest.mark.parametrize("setting", sorted(KINDS))
def test_each_setting_turned_off_on_the_profile_stops_its_kind_only(
        app, setting, robin_account, patient_client, admin_browser, make_staff, outbox):
    documents = default_documents(app)
    robin = patient_client("robin")
    choices = {name: "none" if name == setting else "email" for name in KINDS}
    response = post_form(robin, "/profile/notices", choices)
    assert response.headers["Location"] == "/profile"
    publish(admin_browser, robin_account.patient_id)
    publish(admin_browser, robin_account.patient_id, "appointment", **APPOINTMENT)
    assign_form(app, robin_account.patient_id, documents["form"], make_staff("front_desk"))
    reply_to_robin(app, robin_account.id)
    outbox.deliver()
    assert sorted(notices(outbox)) == sorted(kind for name, kind in KINDS.items()
                                             if name != setting)
    assert_no_health_information(outbox)


def test_the_settings_page_says_what_each_setting_sends(app, robin_account, patient_client):
    page = html.unescape(patient_client("robin").get("/profile/notices").get_data(as_text=True))
    for promise in (
            "An email each time the practice replies to you or writes to you.",
            "an email within a minute, then at most one more an hour",
            "When an appointment is added, changed or cancelled, and a reminder the day before",
            "When the practice asks you to fill in a form, and a month before your consent"):
        assert promise in page
    assert len(re.findall(r'<input[^>]*type="radio"', page)) == 8


def test_the_link_in_a_notice_opens_the_sign_in_and_then_the_home(
        app, robin_account, admin_browser, outbox, client, auth):
    publish(admin_browser, robin_account.patient_id)
    outbox.deliver()
    [(_recipient, _subject, body_text, body_html)] = emails(outbox)
    assert set(re.findall(r"http://portal\.test(/[^\s<\"]*)", body_text + body_html)) == {
        "/sign-in"}
    assert "Sign in" in client.get("/sign-in").get_data(as_text=True)
    assert auth.patient_sign_in("robin").headers["Location"] == "/home"
