"""Practice settings and the audit log: practice admins only."""

from datetime import UTC, date, datetime

import pytest
from conftest import count_queries, post_form
from helpers import PRACTICE_SETTINGS
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Practice
from portal.services import audit
from portal.services.patients import create_patient


@pytest.mark.parametrize("url", ["/admin/settings", "/admin/audit"])
@pytest.mark.parametrize("role", ["provider", "nurse", "front_desk", "billing"])
def test_only_admins_reach_admin_pages(client, auth, make_staff, url, role):
    auth.sign_in(make_staff(role).email)
    response = client.get(url)
    assert response.status_code == 403
    assert "You do not have access to this page" in response.get_data(as_text=True)
    assert client.post(url, data={}).status_code in (400, 403)


def test_admin_nav_is_hidden_from_other_roles(client, auth, make_staff):
    auth.sign_in(make_staff("nurse").email)
    page = client.get("/staff/patients").get_data(as_text=True)
    assert "/admin/settings" not in page and "/admin/audit" not in page


def test_settings_are_saved_shown_everywhere_and_audited(client, admin, app):
    response = post_form(client, "/admin/settings", PRACTICE_SETTINGS)
    assert response.status_code == 302
    page = client.get("/staff/patients").get_data(as_text=True)
    assert "Cedar Hollow Pediatrics" in page and "555-010-4400" in page and "Mon-Thu 9-4" in page
    assert "Call 911 in an emergency." in page
    front = app.test_client().get("/").get_data(as_text=True)
    assert "We answer within one business day." in front and "Riverton, WY 82501" in front
    with app.app_context():
        practice = db.session.get(Practice, 1)
        assert practice.attachment_types == "pdf, jpg" and practice.attachment_max_mb == 5
        changed = db.session.scalar(select(AuditEvent.detail)
                                    .where(AuditEvent.action == "practice.settings_changed"))
        assert "name" in changed and "public_verification" in changed
        assert practice.public_verification is True


@pytest.mark.parametrize("changes, message", [
    ({"name": ""}, "Enter the practice&#39;s name."),
    ({"phone": ""}, "Enter the phone number patients call."),
    ({"attachment_max_mb": "50"}, "Choose a size from 1 to 10 MB."),
    ({"attachment_types": "pdf; exe"}, "List file endings separated by commas."),
    ({"postal_code": "ABCDE"}, "Enter a ZIP code like 12345."),
    ({"time_zone": "Mars/Olympus"}, "Not a valid choice"),
])
def test_bad_settings_are_explained_and_not_saved(client, admin, app, changes, message):
    response = post_form(client, "/admin/settings", {**PRACTICE_SETTINGS, **changes})
    body = response.get_data(as_text=True)
    assert message in body and "There is a problem" in body
    assert 'value="Riverton"' in body
    with app.app_context():
        assert db.session.get(Practice, 1) is None


def test_times_are_shown_in_the_practice_time_zone(client, admin, app):
    post_form(client, "/admin/settings", PRACTICE_SETTINGS)  # America/Denver
    with app.app_context():
        db.session.add(AuditEvent(action="test.marker", actor_kind="system",
                                  at=datetime(2026, 7, 1, 18, 30, tzinfo=UTC)))
        db.session.commit()
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Jul 01, 2026 12:30 PM MDT" in page


def add_chart(app, account):
    with app.app_context():
        patient = create_patient({"account_number": account, "first_name": "Test", "last_name": "Person",
                                  "sex": "unknown", "status": "active", "date_of_birth": date(1980, 5, 5)},
                                 audit.SYSTEM)
        db.session.commit()
        return patient.id


def test_audit_log_filters_by_patient_action_and_date(client, admin, app):
    first, second = add_chart(app, "AUD-1"), add_chart(app, "AUD-2")
    client.get(f"/staff/patients/{first}")
    client.get(f"/staff/patients/{second}")
    response = post_form(client, "/admin/audit", {"account_number": "aud-1"})
    assert response.headers["Location"] == "/admin/audit"
    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.count("AUD-1</a>") == 2 and "AUD-2</a>" not in page  # created + viewed
    post_form(client, "/admin/audit/clear", {}, page_url="/admin/audit")
    post_form(client, "/admin/audit", {"action": "viewed"})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert page.count("<code>patient.viewed</code>") == 2 and "patient.created" not in page
    post_form(client, "/admin/audit/clear", {}, page_url="/admin/audit")
    post_form(client, "/admin/audit", {"actor": admin.email.upper(), "action": "sign_in"})
    assert "<code>staff.sign_in</code>" in client.get("/admin/audit").get_data(as_text=True)


def test_audit_date_filter_uses_whole_local_days(client, admin, app):
    with app.app_context():
        for moment in (datetime(2026, 3, 1, 4, 59, tzinfo=UTC),    # Feb 28, 11:59 pm New York
                       datetime(2026, 3, 1, 5, 0, tzinfo=UTC)):    # Mar 1, midnight New York
            db.session.add(AuditEvent(action="test.edge", actor_kind="system", at=moment))
        db.session.commit()
    post_form(client, "/admin/audit", {"action": "test.edge", "date_from": "03/01/2026",
                                       "date_to": "03/01/2026"})
    assert client.get("/admin/audit").get_data(as_text=True).count("<code>test.edge</code>") == 1


def test_bad_audit_dates_are_explained(client, admin):
    body = post_form(client, "/admin/audit", {"date_from": "yesterday"}).get_data(as_text=True)
    assert "Enter the date as MM/DD/YYYY." in body and 'href="#date_from"' in body


def test_audit_log_pages_with_a_fixed_query_count(client, admin, app):
    """Account numbers for a page of events come in one query, however many patients appear."""
    def add_events(count, with_patients):
        with app.app_context():
            for number in range(count):
                patient_id = add_chart(app, f"B{count}-{number}") if with_patients else None
                db.session.add(AuditEvent(action="test.bulk", actor_kind="system", patient_id=patient_id))
            db.session.commit()

    add_events(2, with_patients=True)
    few = count_queries(app, lambda: client.get("/admin/audit"))
    add_events(20, with_patients=True)
    assert count_queries(app, lambda: client.get("/admin/audit")) == few
    add_events(60, with_patients=False)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Page 1 of 3" in page
    assert "test.bulk" in client.get("/admin/audit?page=3").get_data(as_text=True)
