"""Issue 22, part 1 (its first half): staff record a minor's parents and guardians on the
chart, each on their own with their own email, and who must not have access.

The clock stands at 2026-11-23 (conftest START); the child is born 2016-05-02 (10 years old).
"""

import html
import re
from datetime import date

import pytest
from conftest import post_form
from sqlalchemy import select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import AccessBlock, Patient, ProxyGrant
from portal.services import audit, patients
from portal.services.proxies import ending

CHILD_BORN = date(2016, 5, 2)
PARENT = {"full_name": "Dana Rivers", "relationship": "parent", "email": "Dana@Example.com",
          "date_of_birth-month": "07", "date_of_birth-day": "19", "date_of_birth-year": "1984",
          "document": "birth_certificate"}


@pytest.fixture
def child(make_patient, clock):
    return make_patient(account_number="T-3001", first_name="Milo", last_name="Rivers",
                        date_of_birth=CHILD_BORN, email="")


@pytest.fixture
def desk(clock, staff_client):
    return staff_client("front_desk", direct=True)


def section(patient_id):
    return f"/staff/patients/{patient_id}/access"


def add_guardian(browser, patient_id, **changes):
    return post_form(browser, f"/staff/patients/{patient_id}/access/guardians",
                     {**PARENT, **changes}, page_url=section(patient_id))


def add_block(browser, patient_id, **values):
    data = {f"block-{key}": value for key, value in values.items()}
    return post_form(browser, f"/staff/patients/{patient_id}/access/blocks", data,
                     page_url=section(patient_id))


def grants(app, patient_id):
    with app.app_context():
        rows = db.session.scalars(select(ProxyGrant).where(ProxyGrant.patient_id == patient_id)
                                  .order_by(ProxyGrant.id)).all()
        db.session.expunge_all()
        return rows


def text(response):
    """The page as a person reads it (Jinja writes an apostrophe as &#39;)."""
    return html.unescape(response.get_data(as_text=True))


def test_the_chart_has_a_family_and_access_tab(desk, child):
    page = text(desk.get(f"/staff/patients/{child.id}"))
    assert f'href="/staff/patients/{child.id}/access"' in page
    section_page = text(desk.get(section(child.id)))
    assert 'aria-current="page">Family and access</a>' in section_page
    assert "No parent or guardian is recorded on this chart." in section_page
    assert "Add a parent or guardian" in section_page


def test_two_parents_each_recorded_on_their_own(app, desk, child, audit_trail):
    first = add_guardian(desk, child.id)
    assert first.status_code == 302 and first.location.endswith(section(child.id))
    second = add_guardian(desk, child.id, full_name="Sam Rivers", email="sam@example.com",
                          relationship="step_parent", document="custody_order")
    assert second.status_code == 302
    rows = grants(app, child.id)
    assert [(g.full_name, g.email, g.relationship, g.document, g.status) for g in rows] == [
        ("Dana Rivers", "dana@example.com", "parent", "birth_certificate", "added"),
        ("Sam Rivers", "sam@example.com", "step_parent", "custody_order", "added")]
    assert rows[0].date_of_birth == date(1984, 7, 19)
    page = text(desk.get(section(child.id)))
    assert "Dana Rivers" in page and "Sam Rivers" in page and "Custody order" in page
    assert get_message("guardian_added", name="Sam Rivers")[0] in page
    added = audit_trail.rows("proxy.guardian_added")
    assert [(row.patient_id, row.detail) for row in added] == [
        (child.id, "parent, birth_certificate"), (child.id, "step_parent, custody_order")]
    # The audit detail never holds the name or the email.
    assert not any("Dana" in row.detail or "@" in row.detail for row in added)


def test_two_parents_sharing_one_email_are_told_each_needs_their_own(app, desk, child):
    add_guardian(desk, child.id)
    again = add_guardian(desk, child.id, full_name="Sam Rivers", email="DANA@example.com ")
    page = text(again)
    assert again.status_code == 200
    assert "Dana Rivers already uses this email address. Each parent or guardian needs their own" in page
    # Nothing typed is lost: the form comes back with it.
    assert 'value="Sam Rivers"' in page and 'value="1984"' in page
    assert len(grants(app, child.id)) == 1


def test_an_adult_chart_takes_no_guardian(app, desk, make_patient, clock):
    adult = make_patient(account_number="T-3002", date_of_birth=date(2008, 11, 23))  # 18 today
    page = text(desk.get(section(adult.id)))
    assert "Add a parent or guardian" not in page
    assert "is 18 or over. Parents and guardians are added to a minor's chart." in page
    refused = add_guardian(desk, adult.id)
    assert "is 18 or over: an adult patient chooses their own representatives." in text(refused)
    assert grants(app, adult.id) == []


def test_a_day_before_the_18th_birthday_the_chart_still_takes_a_guardian(app, desk, make_patient,
                                                                           clock):
    almost = make_patient(account_number="T-3003", date_of_birth=date(2008, 11, 24))
    assert add_guardian(desk, almost.id).status_code == 302
    assert len(grants(app, almost.id)) == 1


@pytest.mark.parametrize("changes, message", [
    ({"full_name": ""}, "Enter the parent's or guardian's full name."),
    ({"email": "dana.example.com"}, "Enter an email address like name@example.com."),
    ({"relationship": ""}, "Choose the relationship to the child."),
    ({"document": ""}, "Choose the document you saw."),
    ({"date_of_birth-year": "2017"}, "a parent or guardian is born before the child."),
    ({"date_of_birth-day": "31", "date_of_birth-month": "02"}, "must be a real date"),
])
def test_a_mistake_is_named_and_nothing_typed_is_lost(app, desk, child, changes, message):
    refused = add_guardian(desk, child.id, **changes)
    page = text(refused)
    assert refused.status_code == 200 and message in page
    assert "<title>Error:" in page
    if changes.get("full_name") != "":
        assert 'value="Dana Rivers"' in page
    assert grants(app, child.id) == []


def test_a_block_refuses_that_name_or_email(app, desk, child, audit_trail):
    added = add_block(desk, child.id, full_name="Dana  RIVERS", email="",
                      basis="Custody order of 11/02/2026")
    assert added.status_code == 302
    refused = text(add_guardian(desk, child.id))
    assert "This chart says not to grant access to Dana  RIVERS (Custody order of 11/02/2026)." in refused
    add_block(desk, child.id, full_name="Lee Park", email="lee@example.com", basis="Court order")
    by_email = text(add_guardian(desk, child.id, full_name="L. Park", email="LEE@example.com"))
    assert "not to grant access to Lee Park (Court order)" in by_email
    assert grants(app, child.id) == []
    assert [row.patient_id for row in audit_trail.rows("proxy.block_added")] == [child.id] * 2


def test_a_block_ends_the_grant_it_names_at_once(app, desk, child):
    add_guardian(desk, child.id)
    add_guardian(desk, child.id, full_name="Sam Rivers", email="sam@example.com")
    answer = add_block(desk, child.id, full_name="Someone Else", email="dana@example.com",
                       basis="Custody order")
    page = text(desk.get(answer.location))
    assert get_message("grant_ended_by_block", name="Dana Rivers")[0] in page
    rows = grants(app, child.id)
    assert [(g.full_name, g.status, g.end_reason) for g in rows] == [
        ("Dana Rivers", "ended", "blocked"), ("Sam Rivers", "added", "")]


def grant_url(patient_id, grant_id, action=""):
    return f"/staff/patients/{patient_id}/access/grants/{grant_id}" + (f"/{action}" if action else "")


def change_grant(browser, patient_id, grant_id, action, **fields):
    """Post one of the grant page's forms (each form's fields carry its name as a prefix)."""
    prefix = action if action in ("end", "suspend", "scope", "order") else None
    data = {f"{prefix}-{key}": value for key, value in fields.items()} if prefix else {}
    page = text(browser.get(grant_url(patient_id, grant_id)))
    token_name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    token = re.search(rf'name="{token_name}"[^>]*? value="([^"]+)"', page).group(1)
    path = {"order": "court-order"}.get(action, action)
    return browser.post(grant_url(patient_id, grant_id, path),
                        data={token_name: token, **data})


def test_ending_and_lifting(app, desk, child, audit_trail):
    add_guardian(desk, child.id)
    grant = grants(app, child.id)[0]
    assert grant_url(child.id, grant.id) in text(desk.get(section(child.id)))
    no_reason = change_grant(desk, child.id, grant.id, "end", reason="")
    assert no_reason.status_code == 200 and "Choose why the access ends." in text(no_reason)
    assert grants(app, child.id)[0].status == "added"
    ended = change_grant(desk, child.id, grant.id, "end", reason="custody_changed")
    assert ended.status_code == 302
    page = text(desk.get(section(child.id)))
    assert get_message("grant_ended", name="Dana Rivers")[0] in page
    assert "Ended Nov 23, 2026: Custody or guardianship changed" in page
    assert [row.detail for row in audit_trail.rows("proxy.grant_ended")] == ["custody_changed"]
    # Ended, the email is free for a new grant (a parent recorded again after a mistake).
    assert add_guardian(desk, child.id).status_code == 302

    add_block(desk, child.id, full_name="Lee Park", email="", basis="Court order")
    with app.app_context():
        block_id = db.session.scalar(select(AccessBlock.id))
    lift = post_form(desk, f"/staff/patients/{child.id}/access/blocks/{block_id}/lift", {},
                     page_url=section(child.id))
    assert lift.status_code == 302
    page = text(desk.get(lift.location))
    assert get_message("block_lifted", name="Lee Park")[0] in page and "No one is named." in page
    assert add_guardian(desk, child.id, full_name="Lee Park", email="lee@example.com").status_code == 302
    assert len(audit_trail.rows("proxy.block_lifted")) == 1


def test_pausing_and_reinstating(app, desk, child, audit_trail):
    add_guardian(desk, child.id)
    grant = grants(app, child.id)[0]
    refused = change_grant(desk, child.id, grant.id, "suspend", reason="  ")
    assert "Give the reason for the pause." in text(refused)
    paused = change_grant(desk, child.id, grant.id, "suspend", reason="Custody hearing next week")
    assert paused.status_code == 302
    assert "Paused" in text(desk.get(section(child.id)))
    page = text(desk.get(grant_url(child.id, grant.id)))
    assert "Paused since Nov 23, 2026: Custody hearing next week" in page
    assert "End the pause" in page
    assert change_grant(desk, child.id, grant.id, "reinstate").status_code == 302
    row = grants(app, child.id)[0]
    assert row.suspended_at is None and row.suspended_reason == ""
    assert len(audit_trail.rows("proxy.grant_suspended")) == 1
    assert len(audit_trail.rows("proxy.grant_reinstated")) == 1
    # The reason is staff's own words: never on the audit trail.
    assert not any("hearing" in row.detail for row in audit_trail.rows("proxy.grant_suspended"))


def test_limited_access_for_a_patient_aged_12_to_17_with_a_reason(app, desk, make_patient,
                                                                   audit_trail):
    teen = make_patient(account_number="T-3010", first_name="Ivy", date_of_birth=date(2012, 11, 23))
    add_guardian(desk, teen.id)
    grant = grants(app, teen.id)[0]
    assert "Full or limited access" in text(desk.get(grant_url(teen.id, grant.id)))
    refused = change_grant(desk, teen.id, grant.id, "scope", scope="limited", reason="")
    assert "Give the reason for limiting the access." in text(refused)
    assert grants(app, teen.id)[0].scope == "full"
    limited = change_grant(desk, teen.id, grant.id, "scope", scope="limited",
                           reason="Ivy asked; Dr. Lee agreed")
    assert limited.status_code == 302
    row = grants(app, teen.id)[0]
    assert (row.scope, row.scope_reason) == ("limited", "Ivy asked; Dr. Lee agreed")
    assert "Limited access" in text(desk.get(section(teen.id)))
    assert change_grant(desk, teen.id, grant.id, "scope", scope="full").status_code == 302
    assert grants(app, teen.id)[0].scope == "full"
    assert [row.detail for row in audit_trail.rows("proxy.grant_scope_changed")] == [
        "limited", "full"]


def test_a_child_under_12_has_no_limited_access(app, desk, child):
    add_guardian(desk, child.id)
    grant = grants(app, child.id)[0]
    page = text(desk.get(grant_url(child.id, grant.id)))
    assert "Full or limited access" not in page
    # The form is not offered; a crafted POST (the session's token) is refused all the same.
    token = re.search(r'name="end-csrf_token"[^>]*? value="([^"]+)"', page).group(1)
    forced = desk.post(grant_url(child.id, grant.id, "scope"),
                       data={"scope-csrf_token": token, "scope-scope": "limited",
                             "scope-reason": "asked"})
    assert "A guardian's access can be limited for a patient aged 12 to 17." in text(forced)
    assert grants(app, child.id)[0].scope == "full"


def test_billing_reads_the_section_but_may_not_change_it(app, staff_client, desk, child):
    add_guardian(desk, child.id)
    grant = grants(app, child.id)[0]
    billing = staff_client("billing", direct=True, email="billing@practice.test")
    page = text(billing.get(section(child.id)))
    assert "Dana Rivers" in page
    assert "Add a parent or guardian" not in page
    assert "End access" not in text(billing.get(grant_url(child.id, grant.id)))
    assert add_guardian(billing, child.id, full_name="Sam Rivers",
                        email="sam@example.com").status_code == 403
    for action, fields in (("end", {"end-reason": "other"}), ("suspend", {"suspend-reason": "x"}),
                           ("reinstate", {}), ("scope", {"scope-scope": "limited"})):
        assert post_form(billing, grant_url(child.id, grant.id, action), fields,
                         page_url=section(child.id)).status_code == 403
    assert add_block(billing, child.id, full_name="X", basis="Y").status_code == 403
    assert len(grants(app, child.id)) == 1 and grants(app, child.id)[0].status == "added"


def test_one_chart_never_shows_or_ends_another_charts_grants(app, desk, child, make_patient):
    other = make_patient(account_number="T-3009", first_name="Ava", date_of_birth=CHILD_BORN)
    add_guardian(desk, other.id, full_name="Kim Other", email="kim@example.com")
    assert "Kim Other" in text(desk.get(section(other.id)))  # its flash read there
    grant = grants(app, other.id)[0]
    assert "Kim Other" not in text(desk.get(section(child.id)))
    assert desk.get(grant_url(child.id, grant.id)).status_code == 404
    wrong = post_form(desk, grant_url(child.id, grant.id, "end"), {"end-reason": "other"},
                      page_url=section(other.id))
    assert wrong.status_code == 404
    assert grants(app, other.id)[0].status == "added"


def test_a_patient_cannot_reach_the_section(make_account, patient_client, child):
    make_account(username="robin")
    robin = patient_client()
    assert robin.get(section(child.id)).status_code == 403


# -- Turning 18 ----------------------------------------------------------------------------

@pytest.mark.parametrize("born, birthday", [
    (date(2008, 11, 24), date(2026, 11, 24)),
    (date(2008, 2, 29), date(2026, 3, 1)),   # 2026 is a common year
    (date(2004, 2, 29), date(2022, 3, 1)),
    (date(2012, 2, 29), date(2030, 3, 1)),
    (date(2010, 2, 28), date(2028, 2, 28)),  # 2028 is a leap year: no shift for the 28th
])
def test_the_18th_birthday(born, birthday):
    assert ending.eighteenth_birthday(born) == birthday


def test_access_ends_at_the_start_of_the_18th_birthday_unless_a_court_order_continues_it(
        app, desk, make_patient, audit_trail):
    almost = make_patient(account_number="T-3020", first_name="Noa", date_of_birth=date(2008, 11, 24))
    add_guardian(desk, almost.id)
    page = text(desk.get(section(almost.id)))
    assert "ends 11/24/2026, at 18" in page
    with app.app_context():
        grant = db.session.scalar(select(ProxyGrant))
        patient = db.session.get(Patient, almost.id)
        assert not ending.lapsed(grant, patient, date(2026, 11, 23))
        assert ending.lapsed(grant, patient, date(2026, 11, 24))
        grant_id = grant.id

    refused = change_grant(desk, almost.id, grant_id, "order", order="conservatorship",
                           **{"review_on-month": "11", "review_on-day": "22",
                              "review_on-year": "2026"})
    assert "The review date must be after today." in text(refused)
    saved = change_grant(desk, almost.id, grant_id, "order", order="conservatorship",
                         **{"review_on-month": "05", "review_on-day": "31",
                            "review_on-year": "2027"})
    assert saved.status_code == 302
    assert "court order, review by 05/31/2027" in text(desk.get(section(almost.id)))
    with app.app_context():
        grant = db.session.get(ProxyGrant, grant_id)
        patient = db.session.get(Patient, almost.id)
        assert not ending.lapsed(grant, patient, date(2027, 5, 31))
        assert ending.lapsed(grant, patient, date(2027, 6, 1))
    assert [row.detail for row in audit_trail.rows("proxy.grant_continued")] == ["conservatorship"]


def test_a_corrected_date_of_birth_ends_a_guardian_s_access_at_once(app, desk, child):
    add_guardian(desk, child.id)
    assert "ends 05/02/2034, at 18" in text(desk.get(section(child.id)))
    with app.app_context():  # the front desk corrects a typo: born 2006, not 2016
        patient = db.session.get(Patient, child.id)
        patients.update_patient(patient, {"date_of_birth": date(2006, 5, 2)}, audit.SYSTEM)
        db.session.commit()
        grant = db.session.scalar(select(ProxyGrant))
        assert ending.lapsed(grant, patient, date(2026, 11, 23))
    page = text(desk.get(section(child.id)))
    assert "Ended 05/02/2024: the patient turned 18" in page


def test_a_block_on_the_chart_s_email_stops_the_email_invitation(app, desk, make_patient, clock,
                                                                   outbox):
    """A minor's chart often holds a parent's address: an entry naming it stops the invitation
    (a 15-year-old: old enough, by the practice's setting, for an account of their own)."""
    child = make_patient(account_number="T-3009", first_name="Ada", last_name="Rivers",
                         date_of_birth=date(2011, 3, 1), email="lee@example.com")
    add_block(desk, child.id, full_name="Lee Park", email="Lee@Example.com", basis="Court order")
    sent = post_form(desk, f"/staff/patients/{child.id}/invitation", {},
                     page_url=f"/staff/patients/{child.id}")
    assert get_message("invitation_blocked")[0] in text(desk.get(sent.location))
    assert outbox.queued == []
    # Lifted, the same invitation goes out.
    with app.app_context():
        block_id = db.session.scalar(select(AccessBlock.id))
    post_form(desk, f"/staff/patients/{child.id}/access/blocks/{block_id}/lift", {},
              page_url=section(child.id))
    sent = post_form(desk, f"/staff/patients/{child.id}/invitation", {},
                     page_url=f"/staff/patients/{child.id}")
    assert get_message("invitation_sent")[0] in text(desk.get(sent.location))
    assert [email.recipient for email in outbox.queued] == ["lee@example.com"]


# -- Confidential from guardians -------------------------------------------------------------

def confidential_url(patient_id, kind, item_id, action=""):
    return f"/staff/patients/{patient_id}/access/confidential/{kind}/{item_id}" + (
        f"/{action}" if action else "")


def mark(browser, patient_id, kind, item_id, **fields):
    return post_form(browser, confidential_url(patient_id, kind, item_id, "mark"), fields,
                     page_url=confidential_url(patient_id, kind, item_id))


@pytest.fixture
def nurse_client(clock, staff_client, nurse):
    return staff_client(staff=nurse, direct=True)


def test_a_pregnancy_result_of_a_10_year_old_is_marked_confidential(app, nurse_client, child,
                                                                     publish_entry, audit_trail):
    entry_id = publish_entry("lab", patient_id=child.id)
    entry_page = text(nurse_client.get(f"/staff/patients/{child.id}/records/{entry_id}"))
    assert confidential_url(child.id, "record_entry", entry_id) in entry_page
    # Mental health care is a minor-consent service from 12: not the basis for a 10-year-old.
    too_young = mark(nurse_client, child.id, "record_entry", entry_id, basis="minor_consent",
                     service="mental_health")
    assert ("Mental health care is a minor-consent service from age 12; Milo Rivers is 10."
            in text(too_young))
    marked = mark(nurse_client, child.id, "record_entry", entry_id, basis="minor_consent",
                  service="pregnancy")
    assert marked.status_code == 302
    page = text(nurse_client.get(marked.location))
    assert ("Confidential since Nov 23, 2026: A minor-consent service the law protects "
            "(Pregnancy care)") in page
    section_page = text(nurse_client.get(section(child.id)))
    assert "A minor-consent service the law protects (Pregnancy care)" in section_page
    rows = audit_trail.rows("proxy.confidential_marked")
    assert [(row.object_type, row.object_id, row.detail) for row in rows] == [
        ("record_entry", str(entry_id), "minor_consent pregnancy")]
    removed = post_form(nurse_client, confidential_url(child.id, "record_entry", entry_id, "remove"),
                        {}, page_url=confidential_url(child.id, "record_entry", entry_id))
    assert removed.status_code == 302
    assert "Nothing is marked confidential." in text(nurse_client.get(section(child.id)))
    assert len(audit_trail.rows("proxy.confidential_removed")) == 1


def test_a_finding_of_harm_names_the_clinician(app, nurse_client, child, publish_entry):
    entry_id = publish_entry("visit", patient_id=child.id)
    refused = mark(nurse_client, child.id, "record_entry", entry_id, basis="harm", clinician_name=" ")
    assert "Enter the name of the clinician who made the finding." in text(refused)
    assert mark(nurse_client, child.id, "record_entry", entry_id, basis="harm",
                clinician_name="Dr. Lee Ortiz").status_code == 302
    assert "(finding by Dr. Lee Ortiz)" in text(nurse_client.get(confidential_url(
        child.id, "record_entry", entry_id)))


def test_front_desk_reads_a_mark_but_may_not_make_one(app, desk, child, publish_entry):
    entry_id = publish_entry("lab", patient_id=child.id)
    page = text(desk.get(confidential_url(child.id, "record_entry", entry_id)))
    assert "Not confidential" in page and "Mark confidential" not in page
    assert mark(desk, child.id, "record_entry", entry_id,
                basis="patient_request").status_code == 403


def test_an_item_of_another_chart_is_not_found(app, nurse_client, child, make_patient, publish_entry):
    other = make_patient(account_number="T-3030", first_name="Ava", date_of_birth=CHILD_BORN)
    entry_id = publish_entry("lab", patient_id=other.id)
    assert nurse_client.get(confidential_url(child.id, "record_entry", entry_id)).status_code == 404
    assert mark(nurse_client, other.id, "record_entry", entry_id, basis="patient_request").status_code == 302
    wrong = post_form(nurse_client, confidential_url(child.id, "record_entry", entry_id, "remove"), {},
                      page_url=section(child.id))
    assert wrong.status_code == 404


def test_a_conversation_is_marked_at_the_patient_s_request(app, nurse_client, nurse, child,
                                                           topics, audit_trail):
    from portal.models import MessageTopic, StaffUser
    from portal.services.messages import conversations

    with app.app_context():
        staff = db.session.get(StaffUser, nurse.id)
        topic = db.session.get(MessageTopic, next(iter(topics.values())))
        started = conversations.staff_start(
            staff, db.session.get(Patient, child.id), topic, subject="About your visit",
            body="Call us", origin=audit.Origin(staff, "127.0.0.1", "test"))
        db.session.commit()
        conversation_id = started.id
    page = text(nurse_client.get(f"/staff/messages/{conversation_id}"))
    assert confidential_url(child.id, "conversation", conversation_id) in page
    assert mark(nurse_client, child.id, "conversation", conversation_id,
                basis="patient_request").status_code == 302
    assert "About your visit</a>: The patient asked" in text(nurse_client.get(section(child.id)))
    assert [row.object_type for row in audit_trail.rows("proxy.confidential_marked")] == [
        "conversation"]
