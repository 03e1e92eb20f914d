"""Ids in URLs (issue 19, part 4): every route with an `<int:...>` id answers 404 for an id
no row can have (past 64 bits, or past the 32-bit ids PostgreSQL keeps), whoever asks, and
never a 500. The walk covers the whole URL map, so a new route cannot escape it."""

import pytest
from conftest import csrf_token
from flask import url_for
from werkzeug.routing import IntegerConverter

from portal.extensions import db
from portal.services.messages.topics import ensure_topics

PAST_64_BITS = 2**64 + 1
PAST_32_BITS = 2**31
LARGEST = 2**31 - 1  # the largest id a row can have (services/access.LARGEST_ID)
OTHER_VALUES = {"category": "lab", "name": "question_1", "state": "on", "direction": "up",
                "kind": "record_entry"}


def id_rules(app):
    """Every rule with an integer argument, but static files."""
    return [rule for rule in app.url_map.iter_rules()
            if any(isinstance(converter, IntegerConverter)
                   for converter in rule._converters.values())]


def urls(app, rule, bad, good):
    """(url, method) for `rule` with `bad` in each integer argument in turn (the others `good`):
    GET for a page, POST for a form's target."""
    method = "GET" if "GET" in rule.methods else "POST"
    ints = [name for name, converter in rule._converters.items()
            if isinstance(converter, IntegerConverter)]
    for wrong in ints:
        values = {name: (bad if name == wrong else good) for name in ints}
        values.update({name: OTHER_VALUES[name] for name in rule.arguments if name not in values})
        with app.test_request_context():
            yield url_for(rule.endpoint, **values), method


def walk(app, browser, token, bad, good):
    """{url: status} for every id route, asked by `browser` with `bad` ids."""
    answers = {}
    for rule in id_rules(app):
        for url, method in urls(app, rule, bad, good):
            response = browser.open(url, method=method,
                                    data={"csrf_token": token} if method == "POST" else None)
            answers[f"{method} {url}"] = response.status_code
            response.close()
    return answers


@pytest.fixture
def people(app, make_account, staff_client, patient_client):
    """(the signed-in admin, the signed-in patient, the patient's id): the admin reaches every
    staff and admin route, the patient every patient route."""
    account = make_account()
    with app.app_context():
        ensure_topics()
        db.session.commit()
    staff = staff_client("admin", direct=True)
    patient = patient_client("robin")
    return staff, patient, account.patient_id


def test_the_walk_covers_every_id_route_named_in_the_issue(app):
    rules = {rule.rule for rule in id_rules(app)}
    for named in ("/consents/<int:document_id>/sign", "/consents/signed/<int:signature_id>.pdf",
                  "/staff/patients/<int:patient_id>/signatures/<int:signature_id>.pdf",
                  "/staff/patients/<int:patient_id>/signatures/<int:signature_id>/scan/download",
                  "/staff/patients/<int:patient_id>/consents/<int:document_id>/wet-signature.pdf",
                  "/staff/consents/<int:document_id>/missing",
                  "/staff/patients/<int:patient_id>/forms/<int:signature_id>/reviewed"):
        assert named in rules
    assert len(rules) >= 60
    assert any("POST" in rule.methods and "GET" not in rule.methods for rule in id_rules(app))


@pytest.mark.parametrize("bad", [PAST_64_BITS, PAST_32_BITS, 0], ids=["2**64+1", "2**31", "0"])
def test_an_id_no_row_can_have_is_not_found_on_every_route(app, people, bad):
    staff, patient, patient_id = people
    tokens = {staff: csrf_token(staff, f"/staff/patients/{patient_id}"),
              patient: csrf_token(patient, "/profile")}
    for browser in (staff, patient):
        answers = walk(app, browser, tokens[browser], bad, patient_id)
        assert len(answers) >= 70
        assert {url: status for url, status in answers.items() if status != 404} == {}


def test_the_largest_id_reaches_the_views_and_is_never_a_500(app, people):
    """An id within range goes on to the view: a row that is not there is its own 404 (or a
    guard's 403 or redirect), never a 500."""
    staff, patient, patient_id = people
    tokens = {staff: csrf_token(staff, f"/staff/patients/{patient_id}"),
              patient: csrf_token(patient, "/profile")}
    for browser in (staff, patient):
        answers = walk(app, browser, tokens[browser], LARGEST, patient_id)
        # 301: an address that moved (web/routing.keep_old_url) redirects before any lookup.
        assert {url: status for url, status in answers.items()
                if status not in (301, 302, 400, 403, 404)} == {}
        assert list(answers.values()).count(404) >= 10
