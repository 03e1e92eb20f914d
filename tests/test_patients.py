"""Patient charts in the staff console: create, validate, edit, search, page."""

import re
from datetime import date

import pytest
from conftest import add_patients, count_queries, csrf_token, post_form
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Patient
from portal.services import audit
from portal.services.patients import create_patient

GOOD_CHART = {
    "account_number": "A-1001",
    "first_name": "Avery",
    "last_name": "Lindqvist",
    "date_of_birth-month": "3",
    "date_of_birth-day": "14",
    "date_of_birth-year": "1984",
    "sex": "female",
    "email": "Avery@Example.com",
    "phone": "555-010-2000",
    "postal_code": "62701",
    "status": "active",
}


def patient_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Patient.id)))


def test_create_patient(client, admin, app):
    response = post_form(client, "/staff/patients/new", GOOD_CHART)
    assert response.status_code == 302
    with app.app_context():
        patient = db.session.scalar(select(Patient))
        assert patient.date_of_birth == date(1984, 3, 14)
        assert patient.email == "avery@example.com"
        assert response.headers["Location"] == f"/staff/patients/{patient.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The patient&#39;s chart was created." in page
    assert "03/14/1984" in page


@pytest.mark.parametrize("changes, message", [
    ({"date_of_birth-month": "13"}, "The date of birth must be a real date."),
    ({"date_of_birth-day": "31", "date_of_birth-month": "2"}, "The date of birth must be a real date."),
    ({"date_of_birth-year": "84"}, "Enter the year of birth with four digits"),
    ({"date_of_birth-year": "2999"}, "The date of birth must be in the past."),
    ({"date_of_birth-year": "1850"}, "it must be 1900 or later"),
    ({"date_of_birth-day": ""}, "The date of birth must include a day."),
    ({"date_of_birth-month": "", "date_of_birth-day": "", "date_of_birth-year": ""},
     "Enter the date of birth."),
    ({"date_of_birth-month": "ab"}, "Use numbers only in the date of birth"),
    ({"first_name": "  "}, "Enter the first name."),
    ({"last_name": ""}, "Enter the last name."),
    ({"account_number": ""}, "Enter the account number."),
    ({"account_number": "A 1"}, "Use only letters, numbers and hyphens"),
    ({"account_number": "X" * 21}, "at most 20 characters"),
    ({"sex": ""}, "Choose the patient&#39;s sex."),
    ({"email": "not-an-email"}, "Enter an email address like"),
    ({"phone": "call me"}, "Enter a phone number like"),
    ({"postal_code": "1234"}, "Enter a ZIP code like"),
])
def test_bad_chart_input_is_explained_and_nothing_is_saved(client, admin, app, changes, message):
    response = post_form(client, "/staff/patients/new", {**GOOD_CHART, **changes})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in body
    assert body.count(message) == 2  # in the summary and next to the field
    assert "<title>Error: " in body
    assert patient_count(app) == 0
    # What was typed is kept.
    assert 'value="Lindqvist"' in body or changes.get("last_name") == ""


def test_bad_date_keeps_what_was_typed_and_links_to_the_field(client, admin):
    body = post_form(client, "/staff/patients/new",
                     {**GOOD_CHART, "date_of_birth-month": "13"}).get_data(as_text=True)
    assert 'href="#date_of_birth-month"' in body
    assert 'id="date_of_birth-month"' in body and 'value="13"' in body
    assert 'value="1984"' in body and 'value="Avery"' in body
    assert 'aria-describedby="date_of_birth-hint date_of_birth-error"' in body


def test_account_numbers_are_unique_ignoring_case(client, admin, app):
    post_form(client, "/staff/patients/new", GOOD_CHART)
    response = post_form(client, "/staff/patients/new", {**GOOD_CHART, "account_number": "a-1001"})
    assert "Another patient already has this account number." in response.get_data(as_text=True)
    assert patient_count(app) == 1


def test_edit_chart_audits_changed_field_names_only(client, admin, app):
    add_patients(app, 1)
    with app.app_context():
        patient = db.session.scalar(select(Patient))
    form = client.get(f"/staff/patients/{patient.id}/edit").get_data(as_text=True)
    assert 'value="First0"' in form and 'value="1970"' in form
    response = post_form(client, f"/staff/patients/{patient.id}/edit", {
        "account_number": "P0000", "first_name": "Renamed", "last_name": "Last0000",
        "date_of_birth-month": "1", "date_of_birth-day": "1", "date_of_birth-year": "1970",
        "sex": "unknown", "status": "active", "phone": "555-010-3333"})
    assert response.status_code == 302
    with app.app_context():
        event_row = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.updated"))
        assert event_row.detail == "changed: first_name, phone"
        assert "Renamed" not in event_row.detail and event_row.patient_id == patient.id
        assert db.session.get(Patient, patient.id).search_name == "renamed last0000"


def test_saving_without_changes_says_so(client, admin, app):
    add_patients(app, 1)
    with app.app_context():
        patient_id = db.session.scalar(select(Patient.id))
    post_form(client, f"/staff/patients/{patient_id}/edit", {
        "account_number": "P0000", "first_name": "First0", "last_name": "Last0000",
        "date_of_birth-month": "1", "date_of_birth-day": "1", "date_of_birth-year": "1970",
        "sex": "unknown", "status": "active"})
    assert "Nothing was changed." in client.get(f"/staff/patients/{patient_id}").get_data(as_text=True)


def test_viewing_a_chart_is_audited(client, admin, app):
    add_patients(app, 1)
    with app.app_context():
        patient_id = db.session.scalar(select(Patient.id))
    client.get(f"/staff/patients/{patient_id}")
    with app.app_context():
        viewed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.viewed"))
        assert viewed.patient_id == patient_id and viewed.actor_label == admin.email
        assert viewed.ip == "127.0.0.1"


def test_missing_chart_is_404(client, admin):
    assert client.get("/staff/patients/999").status_code == 404
    assert client.get("/staff/patients/999/edit").status_code == 404


@pytest.mark.parametrize("role", ["provider", "nurse", "front_desk", "billing"])
def test_every_staff_role_works_with_charts(client, auth, make_staff, app, role):
    add_patients(app, 1)
    auth.sign_in(make_staff(role).email)
    with app.app_context():
        patient_id = db.session.scalar(select(Patient.id))
    assert client.get("/staff/patients").status_code == 200
    assert client.get(f"/staff/patients/{patient_id}").status_code == 200


@pytest.mark.parametrize("url", ["/staff/patients", "/staff/patients/new", "/staff/patients/1",
                                 "/staff/patients/1/edit"])
def test_charts_need_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/sign-in?next=")


def search(client, query):
    post_form(client, "/staff/patients", {"q": query})
    return client.get("/staff/patients").get_data(as_text=True)


@pytest.mark.parametrize("query", ["lindqvist", "AVERY", "avery lindq", "Lindqvist, Avery",
                                   "a-1001", "03/14/1984", "1984-03-14", "3/14/1984"])
def test_search_finds_by_name_account_or_birth_date(client, admin, app, query):
    post_form(client, "/staff/patients/new", GOOD_CHART)
    add_patients(app, 3)
    body = search(client, query)
    assert "1 patient matches" in body and "Lindqvist, Avery" in body


def test_search_with_no_match_says_what_to_try(client, admin, app):
    add_patients(app, 2)
    body = search(client, "nobody-like-this")
    assert "0 patients match" in body and "Check the spelling" in body


def test_search_treats_wildcards_as_text(client, admin, app):
    add_patients(app, 3)
    assert "0 patients match" in search(client, "%")


def test_search_stays_out_of_the_url(client, admin, app):
    add_patients(app, 1)
    response = post_form(client, "/staff/patients", {"q": "Last0000"})
    assert response.headers["Location"] == "/staff/patients"
    body = client.get("/staff/patients").get_data(as_text=True)
    assert 'value="Last0000"' in body  # the box still shows the search
    post_form(client, "/staff/patients/clear-search", {}, page_url="/staff/patients")
    assert re.search(r"1 patient\s*</h2>", client.get("/staff/patients").get_data(as_text=True))


def test_list_is_paginated(client, admin, app):
    add_patients(app, 30)  # 25 charts a page
    first = client.get("/staff/patients").get_data(as_text=True)
    assert first.count("<tr>") == 25 + 1 and "Page 1 of 2" in first
    assert 'href="/staff/patients?page=2"' in first
    second = client.get("/staff/patients?page=2").get_data(as_text=True)
    assert second.count("<tr>") == 5 + 1 and "Last0029" in second
    assert client.get("/staff/patients?page=99").status_code == 200


def test_patient_list_runs_a_fixed_number_of_queries(client, admin, app):
    """No N+1: the query count does not grow with the number of patients on the page (the
    audit row naming every chart shown included)."""
    add_patients(app, 2)
    few = count_queries(app, lambda: client.get("/staff/patients"))
    with app.app_context():
        for number in range(20):
            create_patient({"account_number": f"Q{number}", "first_name": "Q", "last_name": "Q",
                            "sex": "unknown", "status": "active", "date_of_birth": date(1990, 1, 1)},
                           audit.SYSTEM)
        db.session.commit()
    assert count_queries(app, lambda: client.get("/staff/patients")) == few


def test_search_form_needs_csrf(client, admin):
    assert client.post("/staff/patients", data={"q": "x"}).status_code == 400
    token = csrf_token(client, "/staff/patients")
    assert client.post("/staff/patients", data={"q": "x", "csrf_token": token}).status_code == 302


def test_chart_page_query_count_does_not_grow_with_portal_sections(client, admin, app, make_account):
    """The chart's portal sections share one account lookup (no query per section)."""
    account = make_account()
    chart = f"/staff/patients/{account.patient_id}"
    with_account = count_queries(app, lambda: client.get(chart))
    add_patients(app, 1)
    with app.app_context():
        bare_id = db.session.scalar(select(Patient.id).where(Patient.account_number == "P0000"))
    without_account = count_queries(app, lambda: client.get(f"/staff/patients/{bare_id}"))
    assert with_account <= without_account
