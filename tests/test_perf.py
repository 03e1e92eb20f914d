"""Every signed-in page fast again (issue 21, part 7): the statements a signed-in page runs,
pinned at their numbers, and what the speed-ups must not change (a session check that writes
at most once a minute, an ended session or a suspended account that stops at once, a
practice setting that shows on the next request)."""

import pytest
from conftest import engine_events, post_form
from messages_data import compose, question
from sqlalchemy import select

from portal.extensions import db
from portal.models import PatientAccount
from portal.services import sessions


@pytest.fixture(autouse=True)
def practice(save_practice):
    """A practice that has saved its settings, as every real one has (without the row, each
    caller would look for it again)."""
    save_practice(name="Maple Grove Family Medicine", time_zone="America/Chicago")


def statements_of(app, client, path):
    """The SQL statements one GET of `path` runs (after a first GET, so nothing is first)."""
    assert client.get(path).status_code == 200
    seen = engine_events(app, "before_cursor_execute", lambda: client.get(path))
    return [args[2] for args in seen]


# the session with the account, the practice, the unread count and whether a consent may be
# owed; then one a to-do section (consents, forms, what is new, the next appointment, the
# balance)
HOME = 6
# the session with the account, the practice, the unread count and whether a consent may be owed
PROFILE = 1
# the session with the staff member and the practice, count, page of charts, the audit row
STAFF_LIST = 4


def test_the_patient_home_runs_6_statements(app, robin_client):
    assert len(statements_of(app, robin_client, "/home")) == HOME == 6


def test_the_profile_runs_1_statement(app, robin_client):
    assert len(statements_of(app, robin_client, "/profile")) == PROFILE == 1


def test_the_consents_page_runs_5_statements(app, robin_client):
    # the session with the account and the practice, the signatures, the documents in use,
    # the open form assignments, the form drafts
    assert len(statements_of(app, robin_client, "/consents")) == 5


def test_a_conversation_read_again_runs_5_statements(app, robin_client, topics):
    response = compose(robin_client, question(topics))
    found = statements_of(app, robin_client, response.headers["Location"])
    # the session with the account and the practice, the conversation, its messages (with
    # their staff), their attachments, the audit row: no kept draft looked for (none was
    # handed to this session) and no read written again
    assert len(found) == 5, found


def test_the_staff_list_runs_4_statements_with_a_search_kept(app, staff_client, make_patient):
    make_patient()
    browser = staff_client(direct=True)
    found = statements_of(app, browser, "/staff/patients")
    assert len(found) == STAFF_LIST == 4
    # The search kept on the session row is read from the row the session check found.
    assert sum("FROM auth_sessions" in statement for statement in found) == 1


# The session check, the chart, then the section's own reads, then the audit row: the summary
# reads the account, its open invitation and any undelivered notice; consents and forms the
# signatures and the documents in use; the health record its entries and its shares; messages
# the conversations and any undelivered notice.
@pytest.mark.parametrize(("section", "count"), [("", 6), ("/consents", 5), ("/records", 5),
                                              ("/messages", 5)])
def test_each_section_of_the_chart_runs_its_statements_and_records_the_view(
        app, staff_client, make_patient, audit_trail, section, count):
    patient = make_patient()
    browser = staff_client(direct=True)
    found = statements_of(app, browser, f"/staff/patients/{patient.id}{section}")
    assert len(found) == count, found
    # Drawn first, recorded last: nothing is read again after the audit row is written.
    assert found[-1].startswith("INSERT INTO audit_events")
    assert [row.detail for row in audit_trail.rows("patient.viewed")] == \
        [section.strip("/") or "summary"] * 2


def test_a_page_within_a_minute_writes_nothing_and_after_it_touches_once(app, clock,
                                                                         robin_client):
    robin_client.get("/profile")
    clock.tick(30)
    seen = [args[2] for args in engine_events(app, "before_cursor_execute",
                                              lambda: robin_client.get("/profile"))]
    assert not [s for s in seen if s.lstrip().upper().startswith(("UPDATE", "INSERT"))]
    clock.tick(31)  # 61 seconds since the last touch
    seen = [args[2] for args in engine_events(app, "before_cursor_execute",
                                              lambda: robin_client.get("/profile"))]
    assert len([s for s in seen if s.lstrip().upper().startswith("UPDATE AUTH_SESSIONS")]) == 1


def test_an_ended_session_stops_the_next_request(app, robin_client):
    assert robin_client.get("/profile").status_code == 200
    with app.app_context():
        account = db.session.scalar(select(PatientAccount).where(PatientAccount.username == "robin"))
        sessions.end_all_sessions(account, "test")
        db.session.commit()
    response = robin_client.get("/profile")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_a_suspended_account_stops_the_next_request(app, robin_client):
    assert robin_client.get("/home").status_code == 200
    with app.app_context():
        account = db.session.scalar(select(PatientAccount).where(PatientAccount.username == "robin"))
        account.status = "suspended"
        db.session.commit()
    response = robin_client.get("/home")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_a_changed_practice_setting_shows_on_the_next_request(app, robin_client, save_practice):
    save_practice(name="Cedar Clinic")
    assert "Cedar Clinic" in robin_client.get("/profile").get_data(as_text=True)
    save_practice(name="Birch Clinic")
    page = robin_client.get("/profile").get_data(as_text=True)
    assert "Birch Clinic" in page and "Cedar Clinic" not in page


@pytest.mark.parametrize("path", ["/staff/patients"])
def test_the_kept_search_belongs_to_this_session_only(app, staff_client, make_patient, path):
    make_patient(last_name="Quill")
    make_patient(account_number="T-2002", first_name="Ash", last_name="Birch",
                 email="ash@example.com")
    searching = staff_client(direct=True)
    other = staff_client(direct=True, email="other@practice.test")
    post_form(searching, path, {"q": "Birch"})
    assert "Ash" in searching.get(path).get_data(as_text=True)
    page = other.get(path).get_data(as_text=True)
    assert "Ash" in page and "Robin" in page  # the other member's list is not searched
    assert "Robin" not in searching.get(path).get_data(as_text=True)


def test_the_session_check_reads_the_row_and_account_in_one_statement(app, robin_client):
    session_reads = [s for s in statements_of(app, robin_client, "/profile")
                     if "FROM auth_sessions" in s]
    assert len(session_reads) == 1 and "patient_accounts" in session_reads[0]
