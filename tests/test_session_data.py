"""Search text and audit filters live on the server-side session row; the signed cookie
(readable by anyone holding it) carries only the session token and Flask's bookkeeping."""

import json
from datetime import date

from conftest import post_form
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuthSession, StaffUser
from portal.services import audit, sessions
from portal.services.patients import create_patient

# What Flask-Login (_user_id, _fresh, _id), Flask-WTF (csrf_token) and flash() keep.
BOOKKEEPING = {"sid", "_user_id", "_fresh", "_id", "csrf_token", "_flashes"}


def cookie_contents(app, client):
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def add_chart(app, account_number, last_name):
    with app.app_context():
        create_patient({"account_number": account_number, "first_name": "Avery",
                        "last_name": last_name, "sex": "female", "status": "active",
                        "date_of_birth": date(1984, 3, 14)}, audit.SYSTEM)
        db.session.commit()


def session_rows(app):
    with app.app_context():
        rows = db.session.scalars(select(AuthSession).order_by(AuthSession.id)).all()
        db.session.expunge_all()
        return rows


def test_the_search_stays_out_of_the_cookie_and_on_the_session_row(client, admin, app):
    add_chart(app, "A-1001", "Lindqvist")
    add_chart(app, "A-1002", "Okafor")
    post_form(client, "/staff/patients", {"q": "Lindqvist 03/14/1984"})
    contents = cookie_contents(app, client)
    assert "sid" in contents and set(contents) <= BOOKKEEPING
    assert "Lindqvist" not in json.dumps(contents) and "03/14/1984" not in json.dumps(contents)
    [row] = session_rows(app)
    assert row.data == {"patient_search": "Lindqvist 03/14/1984"}


def test_the_search_holds_across_requests_and_clears(client, admin, app):
    add_chart(app, "A-1001", "Lindqvist")
    add_chart(app, "A-1002", "Okafor")
    post_form(client, "/staff/patients", {"q": "okafor"})
    for _ in range(2):
        page = client.get("/staff/patients").get_data(as_text=True)
        assert "1 patient matches" in page and 'value="okafor"' in page
    post_form(client, "/staff/patients/clear-search", {}, page_url="/staff/patients")
    assert "2 patients" in client.get("/staff/patients").get_data(as_text=True)
    assert session_rows(app)[0].data == {}


def test_the_search_goes_with_the_session(client, admin, auth, app):
    add_chart(app, "A-1001", "Lindqvist")
    add_chart(app, "A-1002", "Okafor")
    post_form(client, "/staff/patients", {"q": "okafor"})
    auth.sign_out()
    # What the ended session kept is gone from the database too.
    assert [row.data for row in session_rows(app)] == [None]
    auth.sign_in(admin.email)
    page = client.get("/staff/patients").get_data(as_text=True)
    assert "2 patients" in page and "okafor" not in page


def test_another_browser_of_the_same_person_has_its_own_search(app, admin, client):
    from conftest import AuthActions

    add_chart(app, "A-1001", "Lindqvist")
    add_chart(app, "A-1002", "Okafor")
    post_form(client, "/staff/patients", {"q": "okafor"})
    other = app.test_client()
    AuthActions(other).sign_in(admin.email)
    assert "2 patients" in other.get("/staff/patients").get_data(as_text=True)
    assert "1 patient matches" in client.get("/staff/patients").get_data(as_text=True)


def test_audit_filters_stay_out_of_the_cookie(client, admin, app):
    add_chart(app, "AUD-77", "Lindqvist")
    client.get("/staff/patients")
    post_form(client, "/admin/audit", {"account_number": "aud-77", "date_from": "03/01/2026"})
    contents = cookie_contents(app, client)
    assert set(contents) <= BOOKKEEPING
    assert "aud-77" not in json.dumps(contents) and "03/01/2026" not in json.dumps(contents)
    [row] = session_rows(app)
    assert row.data == {"audit_filters": {"account_number": "aud-77", "date_from": "03/01/2026"}}
    page = client.get("/admin/audit").get_data(as_text=True)
    assert 'value="aud-77"' in page
    post_form(client, "/admin/audit/clear", {}, page_url="/admin/audit")
    assert session_rows(app)[0].data == {}
    assert 'value="aud-77"' not in client.get("/admin/audit").get_data(as_text=True)


def test_session_values_belong_to_one_live_session(app, make_staff):
    staff = make_staff("nurse")
    with app.test_request_context("/"):
        account = db.session.get(StaffUser, staff.id)
        first = sessions.start_session(account, "127.0.0.1", "")
        second = sessions.start_session(account, "127.0.0.1", "")
        db.session.commit()
        assert sessions.set_session_value(first, "k", {"a": 1}) is True
        db.session.commit()
        assert sessions.session_value(first, "k") == {"a": 1}
        assert sessions.session_value(second, "k", "none") == "none"
        assert sessions.set_session_value(first, "k", None) is True  # None removes the key
        db.session.commit()
        assert sessions.session_value(first, "k", "gone") == "gone"
        sessions.set_session_value(first, "k", "again")
        sessions.end_session(first)
        db.session.commit()
        assert sessions.session_value(first, "k") is None
        assert sessions.set_session_value(first, "k", "late") is False
        assert sessions.session_value("no-such-token", "k", 5) == 5
        assert sessions.session_value(None, "k", 5) == 5
