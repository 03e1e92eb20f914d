"""Limits on account recovery: 20 wrong security answers in all close self-service reset
until the practice reopens it; per-address limits on the forgot and answer pages, held in
the database (so across gunicorn workers); forgot requests answered by the mail worker."""

from datetime import timedelta

import pytest
from account_steps import QUESTION, request_reset, reset_links
from conftest import SECURITY_ANSWER, AuthActions, Outbox, open_link, post_form, stored

from portal import create_app
from portal.extensions import db
from portal.models import PatientAccount, RecoveryRequest
from portal.models.types import utcnow

CLOSED = "Call the practice to reset your password"
TOO_MANY = "Too many attempts"


def five_wrong_answers(client, outbox):
    request_reset(client)
    open_link(client, reset_links(outbox)[-1])
    for _ in range(5):
        response = post_form(client, "/reset", {"answer": "Ada Lovelace"})
    return response


def test_twenty_wrong_answers_in_all_close_self_service_reset(app, make_account, outbox,
                                                              clock, audit_trail):
    account = make_account()
    for _round in range(3):  # 15 wrong answers over three links, an hour apart
        client = app.test_client()
        assert five_wrong_answers(client, outbox).status_code == 403
        clock.tick(timedelta(hours=1, seconds=1))
    client = app.test_client()
    request_reset(client)
    open_link(client, reset_links(outbox)[-1])
    for _ in range(4):
        assert post_form(client, "/reset", {"answer": "Ada Lovelace"}).status_code == 200
    twentieth = post_form(client, "/reset", {"answer": "Ada Lovelace"})
    assert twentieth.status_code == 403 and CLOSED in twentieth.get_data(as_text=True)
    row = stored(app, PatientAccount, account.id)
    assert row.wrong_answers_total == 20 and row.self_reset_closed_at is not None
    assert audit_trail.rows("recovery.self_reset_closed")
    # Days later, a new request sends no link: the owner is told to call the practice.
    clock.tick(timedelta(days=3))
    links_before = len(reset_links(outbox))
    request_reset(app.test_client())
    assert len(reset_links(outbox)) == links_before
    assert outbox.queued[-1].subject == "Call the practice to reset your portal password"


def test_a_right_answer_starts_the_count_again(app, make_account, outbox, clock):
    account = make_account()
    client = app.test_client()
    request_reset(client)
    open_link(client, reset_links(outbox)[-1])
    for _ in range(4):
        post_form(client, "/reset", {"answer": "Ada Lovelace"})
    assert post_form(client, "/reset", {"answer": SECURITY_ANSWER}).status_code == 302
    assert stored(app, PatientAccount, account.id).wrong_answers_total == 0


def test_practice_reopens_self_service_reset_from_the_chart(app, client, staffer, make_account,  # noqa: F811
                                                             outbox, audit_trail):
    account = make_account()
    with app.app_context():
        row = db.session.get(PatientAccount, account.id)
        row.wrong_answers_total, row.self_reset_closed_at = 20, utcnow()
        db.session.commit()
    chart_url = f"/staff/patients/{account.patient_id}"
    chart = client.get(chart_url).get_data(as_text=True)
    assert "after 20 wrong answers" in chart
    response = post_form(client, f"{chart_url}/self-reset/reopen", {}, page_url=chart_url)
    assert response.headers["Location"] == chart_url
    row = stored(app, PatientAccount, account.id)
    assert row.self_reset_closed_at is None and row.wrong_answers_total == 0
    [event] = audit_trail.rows("recovery.self_reset_reopened")
    assert event.actor_kind == "staff" and event.patient_id == account.patient_id
    # Self-service works again.
    patient = app.test_client()
    request_reset(patient)
    assert QUESTION in open_link(patient, reset_links(outbox)[-1]).get_data(as_text=True)


def test_reopen_needs_staff(app, client, auth, make_account):
    account = make_account()
    auth.patient_sign_in("robin")
    response = client.post(f"/staff/patients/{account.patient_id}/self-reset/reopen")
    assert response.status_code in (400, 403)
    assert stored(app, PatientAccount, account.id).self_reset_closed_at is None


# -- per-address limits ------------------------------------------------------------------

def forgot_username(client):
    return post_form(client, "/forgot-username", {
        "email": "someone@example.com", "date_of_birth-month": "1",
        "date_of_birth-day": "2", "date_of_birth-year": "1990"})


@pytest.mark.parametrize("send", [
    lambda client: post_form(client, "/forgot-password", {"name": "someone"}),
    forgot_username,
], ids=["forgot-password", "forgot-username"])
def test_forgot_pages_allow_ten_requests_per_address_in_fifteen_minutes(app, send, clock):
    for _ in range(10):
        assert send(app.test_client()).status_code == 302
    refused = send(app.test_client())
    assert refused.status_code == 429 and TOO_MANY in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(RecoveryRequest).count() == 10
    clock.tick(timedelta(minutes=15, seconds=1))
    assert send(app.test_client()).status_code == 302


def test_another_address_is_not_limited(app, clock):
    for _ in range(10):
        post_form(app.test_client(), "/forgot-password", {"name": "someone"})
    other = app.test_client()
    response = post_form(other, "/forgot-password", {"name": "someone"},
                         environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert response.status_code == 302


def test_address_limit_holds_across_workers(app, database_url, tmp_path, clock):
    """Two app instances on one database stand for two gunicorn workers."""
    from conftest import _settings

    second = create_app(_settings(database_url, tmp_path / "second"))
    try:
        for number in range(10):
            worker = app if number % 2 else second
            assert post_form(worker.test_client(), "/forgot-password",
                             {"name": "x"}).status_code == 302
        assert post_form(second.test_client(), "/forgot-password",
                         {"name": "x"}).status_code == 429
        assert post_form(app.test_client(), "/forgot-password", {"name": "x"}).status_code == 429
    finally:
        with second.app_context():
            db.session.remove()
            db.engine.dispose()


def test_reset_answers_allow_twenty_per_address_in_fifteen_minutes(app, make_account, outbox,
                                                                   clock):
    for number in range(5):
        make_account(username=f"user{number}", account_number=f"T-{number}",
                     email=f"user{number}@example.com")
    answered = 0
    for number in range(5):
        client = app.test_client()
        request_reset(client, f"user{number}")
        open_link(client, reset_links(outbox)[-1])
        for _ in range(4):
            if answered == 20:
                break
            assert post_form(client, "/reset", {"answer": "Ada Lovelace"}).status_code == 200
            answered += 1
    client = app.test_client()
    request_reset(client, "user4")
    open_link(client, reset_links(outbox)[-1])
    assert post_form(client, "/reset", {"answer": SECURITY_ANSWER}).status_code == 429


# -- the mail worker answers forgot requests -----------------------------------------------

def test_worker_answers_each_request_once_and_forgets_it(app, make_account, outbox, audit_trail):
    make_account()
    post_form(app.test_client(), "/forgot-password", {"name": "robin"})
    assert outbox.queued == []
    assert Outbox(app).deliver() == (1, 0)
    assert outbox.deliver() == (0, 0)
    with app.app_context():
        assert db.session.query(RecoveryRequest).count() == 0
    [event] = audit_trail.rows("recovery.reset_requested")
    assert event.ip == "127.0.0.1" and event.patient_id is not None
    assert len(outbox.eml_files) == 1


def test_unknown_name_is_answered_with_nothing(app, make_account, outbox, audit_trail):
    make_account()
    post_form(app.test_client(), "/forgot-password", {"name": "my password is hunter2"})
    assert outbox.deliver() == (0, 0)
    [event] = audit_trail.rows("recovery.reset_requested")
    assert event.detail == "no matching account, nothing sent"
    assert AuthActions(app.test_client()).patient_sign_in("robin").status_code == 302
