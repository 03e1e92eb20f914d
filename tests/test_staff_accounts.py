"""Staff account life: an admin disables and enables staff (page and command line), staff
change their own password and read their own sign-in activity."""

import pytest
from conftest import STAFF_PASSWORD, AuthActions, post_form, stored
from markupsafe import escape
from sqlalchemy import select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import AuthSession, StaffUser

NEW_PASSWORD = "walnut harbor quietly ninety"
SIGN_IN_FAILED = get_message("staff_sign_in_failed")[0]


def message(key):
    return str(escape(get_message(key)[0]))


def press(client, url):
    """Press a button on the staff list (a form with only its CSRF token)."""
    return post_form(client, url, {}, page_url="/admin/staff")


# -- disabling and enabling ------------------------------------------------------------

def test_admin_disables_and_enables_from_the_staff_page(app, client, admin, make_staff, audit_trail,
                                                        staff_client):
    nurse = make_staff("nurse", name="Jo Rivera")
    nurse_browser = staff_client(staff=nurse)
    page = client.get("/admin/staff").get_data(as_text=True)
    assert f'action="/admin/staff/{nurse.id}/disable"' in page
    assert f'action="/admin/staff/{admin.id}/disable"' not in page  # not offered for oneself

    response = press(client, f"/admin/staff/{nurse.id}/disable")

    assert response.headers["Location"] == "/admin/staff"
    page = client.get("/admin/staff").get_data(as_text=True)
    assert message("staff_disabled") in page and "Disabled since" in page
    assert f'action="/admin/staff/{nurse.id}/enable"' in page
    # The live session ended at once: the next request goes to sign-in.
    assert nurse_browser.get("/staff/patients").headers["Location"].startswith("/staff/sign-in")
    row = stored(app, StaffUser, nurse.id)
    assert not row.active and row.disabled_at is not None
    refused = AuthActions(app.test_client()).sign_in(nurse.email)
    assert refused.status_code == 200 and SIGN_IN_FAILED in refused.get_data(as_text=True)
    [event] = audit_trail.rows("staff.disabled")
    assert (event.actor_kind, event.actor_id, event.object_type, event.object_id) == \
        ("staff", admin.id, "staff_account", str(nurse.id))

    response = press(client, f"/admin/staff/{nurse.id}/enable")

    assert response.headers["Location"] == "/admin/staff"
    assert message("staff_enabled") in client.get("/admin/staff").get_data(as_text=True)
    row = stored(app, StaffUser, nurse.id)
    assert row.active and row.disabled_at is None
    staff_client(staff=nurse)
    [event] = audit_trail.rows("staff.enabled")
    assert event.actor_id == admin.id and event.object_id == str(nurse.id)


def test_disable_from_the_command_line_ends_the_live_session(app, runner, make_staff, audit_trail,
                                                             staff_client):
    make_staff("admin")
    nurse = make_staff("nurse")
    nurse_browser = staff_client(staff=nurse)

    result = runner.invoke(args=["disable-staff", nurse.email.upper()])

    assert result.exit_code == 0, result.output
    assert f"Disabled {nurse.email}" in result.output
    assert nurse_browser.get("/staff/patients").headers["Location"].startswith("/staff/sign-in")
    with app.app_context():
        ended = db.session.scalars(select(AuthSession.end_reason).where(
            AuthSession.account_kind == "staff", AuthSession.account_id == nurse.id)).all()
        assert ended == ["disabled"]
    [event] = audit_trail.rows("staff.disabled")
    assert event.actor_kind == "system" and "command line" in event.detail
    assert "already disabled" in runner.invoke(args=["disable-staff", nurse.email]).output

    result = runner.invoke(args=["enable-staff", nurse.email])

    assert result.exit_code == 0 and f"Enabled {nurse.email}" in result.output
    staff_client(staff=nurse)
    assert len(audit_trail.rows("staff.enabled")) == 1


def test_command_line_refuses_unknown_staff_and_the_last_admin(app, runner, make_staff, audit_trail):
    only_admin = make_staff("admin")
    result = runner.invoke(args=["disable-staff", "nobody@practice.test"])
    assert result.exit_code != 0 and "There is no staff account" in result.output
    result = runner.invoke(args=["disable-staff", only_admin.email])
    assert result.exit_code != 0 and "last active practice admin" in result.output
    assert stored(app, StaffUser, only_admin.id).active
    second_admin = make_staff("admin", email="second@practice.test")
    assert runner.invoke(args=["disable-staff", second_admin.email]).exit_code == 0
    assert runner.invoke(args=["disable-staff", only_admin.email]).exit_code != 0
    assert not audit_trail.rows("staff.disabled")[1:]


def test_admin_cannot_disable_themselves(app, client, admin, audit_trail):
    response = press(client, f"/admin/staff/{admin.id}/disable")
    assert response.headers["Location"] == "/admin/staff"
    assert message("staff_disable_self") in client.get("/admin/staff").get_data(as_text=True)
    assert stored(app, StaffUser, admin.id).active
    assert not audit_trail.rows("staff.disabled")


@pytest.mark.parametrize("role", ["provider", "nurse", "front_desk", "billing"])
def test_other_roles_get_403_on_the_admin_staff_routes(app, client, auth, make_staff, role, audit_trail):
    other = make_staff("nurse", email="other@practice.test")
    staff = make_staff(role)
    auth.sign_in(staff.email)
    assert client.get("/admin/staff").status_code == 403
    for action in ("disable", "enable", "reset-two-step"):
        # A valid CSRF token (from the staff's own password page): refused for the role alone.
        response = post_form(client, f"/admin/staff/{other.id}/{action}", {},
                             page_url="/staff/account/password")
        assert response.status_code == 403, action
    assert stored(app, StaffUser, other.id).active
    assert not audit_trail.rows("staff.disabled")


# -- own password -----------------------------------------------------------------------

def change_password(client, current, new=NEW_PASSWORD):
    return post_form(client, "/staff/account/password",
                     {"current_password": current, "password": new, "confirm": new})


def test_staff_change_their_password_with_the_current_one(app, client, auth, make_staff, outbox, audit_trail,
                                                          staff_client):
    nurse = make_staff("nurse", name="Jo Rivera")
    auth.sign_in(nurse.email)
    other_browser = staff_client(staff=nurse)
    assert 'href="/staff/account"' in client.get("/staff/patients").get_data(as_text=True)
    assert 'href="/staff/account/password"' in client.get("/staff/account").get_data(as_text=True)
    page = client.get("/staff/account/password").get_data(as_text=True)
    assert 'type="password"' in page and "onpaste" not in page

    wrong = change_password(client, "not my password at all")

    assert wrong.status_code == 200
    assert message("staff_wrong_password") in wrong.get_data(as_text=True)
    assert [mail.template for mail in outbox.queued] == []

    done = change_password(client, STAFF_PASSWORD)

    assert done.headers["Location"] == "/staff/account"
    assert message("staff_password_changed") in client.get("/staff/account").get_data(as_text=True)
    assert client.get("/staff/patients").status_code == 200  # this browser starts afresh
    assert other_browser.get("/staff/patients").status_code == 302  # the other one ended
    [notice] = outbox.queued
    assert notice.recipient == nurse.email and notice.template == "password_changed_by_you"
    assert [event.object_id for event in audit_trail.rows("staff.password_changed")] == [str(nurse.id)]
    assert stored(app, StaffUser, nurse.id).password_changed_at is not None
    assert AuthActions(app.test_client()).sign_in(nurse.email).status_code == 200
    staff_client(staff=nurse, password=NEW_PASSWORD)


def test_new_password_follows_the_rules(client, auth, make_staff):
    nurse = make_staff("nurse", email="jo.rivera@practice.test", name="Jo Rivera")
    auth.sign_in(nurse.email)
    short = change_password(client, STAFF_PASSWORD, "fourteen chars")
    assert "Use at least 15 characters" in short.get_data(as_text=True)
    personal = change_password(client, STAFF_PASSWORD, "jo.rivera jo.rivera 1")
    assert "too close to your name" in personal.get_data(as_text=True)


def test_five_wrong_current_passwords_in_a_row_sign_the_staff_member_out(app, client, auth,
                                                                          make_staff, outbox, audit_trail):
    nurse = make_staff("nurse")
    auth.sign_in(nurse.email)
    for _attempt in range(4):
        wrong = change_password(client, "still not my password")
        assert message("staff_wrong_password") in wrong.get_data(as_text=True)
    assert client.get("/staff/patients").status_code == 200

    fifth = change_password(client, "still not my password")

    assert fifth.headers["Location"] == "/staff/sign-in"
    assert message("reauth_signed_out") in client.get("/staff/sign-in").get_data(as_text=True)
    assert client.get("/staff/patients").headers["Location"].startswith("/staff/sign-in")
    assert len(audit_trail.rows("staff.reauth_failed")) == 5
    assert [mail.recipient for mail in outbox.queued] == [nurse.email]
    assert auth.sign_in(nurse.email).headers["Location"] == "/staff/patients"  # unchanged


# -- own activity -----------------------------------------------------------------------

def test_activity_lists_sessions_and_failed_sign_ins(app, client, auth, make_staff, staff_client):
    nurse = make_staff("nurse")
    assert auth.sign_in(nurse.email, "a wrong password for sure").status_code == 200
    earlier = staff_client(staff=nurse)
    AuthActions(earlier).sign_out()
    auth.sign_in(nurse.email)

    page = client.get("/staff/account/activity").get_data(as_text=True)

    assert "Recent sign-in activity" in page
    assert page.count("<td data-label=\"Signed in\">") == 2
    assert "Active (this browser)" in page and "Signed out" in page
    assert "Wrong password" in page
    assert 'aria-current="page">Your account' in page
