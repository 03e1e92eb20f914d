"""The main navigation (web/navigation.py): drawn once per combination and reused, it must still
show each person their own links, mark the page they are on, and follow the practice's holds
setting and the unread count on the very next request."""

import re

import pytest
from records_data import text

from portal.extensions import db
from portal.services.practice import get_practice, update_practice


def nav_links(page):
    """[(label, current)] of the main navigation's links."""
    nav = re.search(r'<nav class="site-nav".*?<ul>(.*?)</ul>', page, re.S).group(1)
    return [(re.sub(r"<[^>]+>", "", label).strip(), 'aria-current="page"' in attributes)
            for attributes, label in re.findall(r"<a href=\"[^\"]+\"([^>]*)>(.*?)</a>", nav, re.S)]


def labels(page):
    return [label for label, _ in nav_links(page)]


def current(page):
    return [label for label, is_current in nav_links(page) if is_current]


STAFF = ["Patients", "Messages", "Consents", "Two-step sign-in", "Your account"]
ADMIN = ["Practice settings", "Audit log", "Staff", "Staff roles", "Documents", "Message topics"]


@pytest.mark.parametrize("path, marked", [
    ("/staff/patients", "Patients"),
    ("/staff/messages", "Messages"),
    ("/staff/account", "Your account"),
])
def test_staff_see_their_links_and_the_page_they_are_on(staff_client, path, marked):
    page = text(staff_client("front_desk", direct=True).get(path))
    assert labels(page) == STAFF
    assert current(page) == [marked]


def test_an_admin_sees_the_admin_links_and_a_front_desk_beside_them_does_not(staff_client):
    admin = text(staff_client("admin", direct=True).get("/admin/settings"))
    assert labels(admin) == STAFF[:3] + ADMIN + STAFF[3:]
    assert current(admin) == ["Practice settings"]
    desk = text(staff_client("front_desk", direct=True, email="desk@practice.test")
                .get("/staff/patients"))
    assert labels(desk) == STAFF


def test_held_results_shows_from_the_next_request_after_the_practice_allows_holds(
        app, staff_client):
    browser = staff_client("nurse", direct=True)
    assert "Held results" not in labels(text(browser.get("/staff/patients")))
    with app.app_context():
        update_practice(get_practice(), {"result_holds_allowed": True})
        db.session.commit()
    assert labels(text(browser.get("/staff/patients"))) == (
        STAFF[:2] + ["Held results"] + STAFF[2:])


@pytest.mark.parametrize("path, marked", [
    ("/home", "Home"),
    ("/consents", "Forms and consents"),
    ("/messages", "Messages"),
    ("/records", "Health record"),
    ("/records/lab", "Health record"),
    ("/profile", "Your account"),
])
def test_a_patient_sees_their_links_and_the_page_they_are_on(robin_client, path, marked):
    page = text(robin_client.get(path))
    assert labels(page) == ["Home", "Forms and consents", "Messages", "Health record",
                            "Your account"]
    assert current(page) == [marked]
