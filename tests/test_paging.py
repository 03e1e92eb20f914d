"""One page clamp (issue 20): a page number typed into the URL, however large, shows a page
of the list (an empty one past the end) and never reaches the query's OFFSET."""

import pytest
from conftest import engine_events
from records_data import text

from portal.services.consents import documents

HUGE = "99999999999"


def largest_number_sent(app, action):
    """The largest whole number bound to any statement `action()` runs."""
    numbers = [value for _conn, _cursor, _statement, parameters, *_rest
               in engine_events(app, "before_cursor_execute", action)
               for value in (parameters.values() if isinstance(parameters, dict) else parameters)
               if isinstance(value, int)]
    return max(numbers, default=0)


@pytest.mark.parametrize("url", ["/staff/consents", "/staff/forms/review",
                                 "/staff/consents/{consent}/missing", "/staff/patients",
                                 "/admin/audit"])
def test_a_huge_page_on_a_staff_list_is_a_plain_page(app, staff_client, url):
    admin = staff_client("admin", direct=True)
    with app.app_context():  # the portal consent `portal setup` made (ids differ by engine)
        url = url.format(consent=documents.portal_consent()[0].id)
    responses = []
    largest = largest_number_sent(app, lambda: responses.append(admin.get(f"{url}?page={HUGE}")))
    assert responses[0].status_code == 200
    assert largest < 10_000_000


def test_a_huge_page_of_the_patients_records_is_a_plain_page(app, robin_client, publish_entry):
    publish_entry("lab")
    responses = []
    largest = largest_number_sent(
        app, lambda: responses.append(robin_client.get(f"/records/lab?page={HUGE}")))
    assert responses[0].status_code == 200
    assert "There is nothing on this page." in text(responses[0])
    assert largest < 10_000_000
