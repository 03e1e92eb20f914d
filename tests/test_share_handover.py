"""Handing a new share's link over to the provider (issue 21, part 6), through the pages: right
after making a share the patient prints a one-page share sheet (the link as text and as a QR
code, what is shared and until when, never the access code) or has the portal email the link
to the provider's address (no code, no health information, audited, 5 an account per 15
minutes). The page explains the two halves in one sentence. Another patient's share, a wrong
token and a stopped share hand nothing over; a bad address is refused and nothing is lost."""

import base64
import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
import segno
from conftest import post_form
from records_data import CODE_PAGE, make_share, text, words

from portal.extensions import db
from portal.models import RecordShare

LINK_TOKEN = re.compile(r'name="link_token" value="([^"]+)"')
PROVIDER = "records@lakeside.example"


@pytest.fixture
def made(app, robin_client, publish_entry):
    """Robin's labs shared with Dr. Lee: (share id, link path, code, token, the answer page)."""
    publish_entry("lab", test="Glucose, fasting")
    link, code, page = make_share(robin_client, scope="parts", categories=["lab"])
    with app.app_context():
        share_id = db.session.scalars(db.select(RecordShare.id)).one()
    token = LINK_TOKEN.search(text(page)).group(1)
    return share_id, link, code, token, page


def sheet(client, share_id, token):
    return post_form(client, f"/records/shares/{share_id}/sheet", {"link_token": token},
                     page_url="/records/shares/new")


def email(client, share_id, token, address=PROVIDER):
    return post_form(client, f"/records/shares/{share_id}/email",
                     {"link_token": token, "address": address}, page_url="/records/shares/new")


def test_the_new_share_explains_the_two_halves_and_offers_the_sheet_and_the_email(
        robin_client, made):
    share_id, link, _code, token, page = made
    said = words(page)
    assert ("The provider needs both halves: the link, which you can print or have us email to "
            "them, and the access code, which you tell them separately, for example by phone."
            ) in said
    assert f'action="/records/shares/{share_id}/sheet"' in text(page)
    assert f'action="/records/shares/{share_id}/email"' in text(page)
    assert link.endswith(token)  # the hidden field carries this very link's token
    assert text(page).count(f'value="{token}"') == 2
    assert "The link is not kept, so it cannot be shown again later." in words(
        robin_client.get("/records/shares"))


def test_the_sheet_shows_the_link_and_its_qr_code_and_never_the_code(app, robin_client, made):
    share_id, link, code, token, _page = made
    answer = sheet(robin_client, share_id, token)
    assert answer.status_code == 200
    page = text(answer)
    assert f'id="sheet-link">http://portal.test{link}<' in page
    qr = re.search(r'<img class="qr-code" src="data:image/svg\+xml;charset=utf-8,([^"]+)" '
                   r'alt="QR code of the link below">', page)
    assert qr, page
    svg = unquote(qr.group(1))
    assert svg.lstrip().startswith("<svg") and "<path" in svg
    # The picture is the QR code of the link itself (segno draws the same symbol every time).
    assert qr.group(0).count(segno.make(f"http://portal.test{link}", error="m")
                             .svg_data_uri(scale=4, border=4).split(",", 1)[1]) == 1
    said = words(answer)
    for line in ("A shared health record", "Robin", "Dr. Lee, Lakeside Cardiology",
                 "Lab and test results", "Works until",
                 "The access code is not on this sheet", "After 10 wrong codes the share locks"):
        assert line in said, line
    for secret in (code, code.replace(" ", "")):
        assert secret not in page and base64.b64encode(secret.encode()).decode() not in page
    assert "Glucose" not in page  # what is shared, by part: never an entry
    assert answer.headers["Cache-Control"].startswith("no-store")


def test_the_emailed_link_has_no_code_and_no_health_information_and_opens_the_code_page(
        app, robin_client, made, outbox, audit_trail):
    share_id, link, code, token, _page = made
    answer = email(robin_client, share_id, token, address=" Records@Lakeside.example ")
    assert answer.status_code == 200
    assert "We emailed the link to Records@Lakeside.example." in words(answer)
    sent = [row for row in outbox.queued if row.template == "record_share_link"]
    assert len(sent) == 1
    message = sent[0]
    assert message.recipient == "Records@Lakeside.example"
    assert message.subject == "A patient shared health records with you"
    for body in (message.body_text, message.body_html):
        assert f"http://portal.test{link}" in body
        assert "access code, which the patient gives you separately" in body
        for secret in (code, code.replace(" ", ""), "Robin", "Glucose", "Lakeside Cardiology",
                       "Dr. Lee", "Lab and test results", "lab"):
            assert secret not in body, secret
    emailed = audit_trail.rows("record_share.link_emailed")
    assert [(row.object_id, row.detail) for row in emailed] == [
        (str(share_id), "to an address at lakeside.example")]
    # The provider follows the emailed link to the share's code page.
    provider = app.test_client()
    found = re.search(r"http://portal\.test(/record-share\?s=\S+)", message.body_text)
    opened = provider.get(found.group(1))
    assert opened.status_code == 302 and opened.headers["Location"] == CODE_PAGE
    assert "Access code" in words(provider.get(CODE_PAGE))


@pytest.mark.parametrize("address, message", [
    ("", "Enter the provider's email address."),
    ("lakeside clinic", "Enter an email address like office@example.com."),
    ("records@", "Enter an email address like office@example.com."),
    ("a" * 250 + "@x.example", "Use at most 254 characters."),
])
def test_a_bad_address_is_refused_and_nothing_is_lost(app, robin_client, made, outbox, address,
                                                      message):
    share_id, _link, _code, token, _page = made
    answer = email(robin_client, share_id, token, address=address)
    assert answer.status_code == 400
    page = text(answer)
    assert message in page and 'id="address-error"' in page
    assert "<title>Error: " in page
    assert f'value="{address}"' in page or not address  # what was typed stays
    assert page.count(f'value="{token}"') == 2  # still ready to print or send
    assert not [row for row in outbox.queued if row.template == "record_share_link"]
    assert email(robin_client, share_id, token).status_code == 200  # the share still works


def test_5_emails_per_15_minutes_then_a_clear_refusal(app, clock, robin_client, made, outbox):
    share_id, _link, _code, token, _page = made
    for number in range(5):
        assert email(robin_client, share_id, token, f"desk{number}@x.example").status_code == 200
    refused = email(robin_client, share_id, token, "desk5@x.example")
    assert refused.status_code == 429
    assert "You have emailed 5 links in the last 15 minutes." in words(refused)
    assert 'value="desk5@x.example"' in text(refused)
    assert len([row for row in outbox.queued if row.template == "record_share_link"]) == 5
    clock.tick(timedelta(minutes=8))
    assert robin_client.get("/records/shares").status_code == 200  # not idle for 15 minutes
    clock.tick(timedelta(minutes=7, seconds=1))
    assert email(robin_client, share_id, token, "desk5@x.example").status_code == 200


def test_another_patient_or_a_wrong_token_hands_nothing_over(app, made, make_account,
                                                            patient_client, robin_client, outbox):
    share_id, _link, _code, token, _page = made
    make_account(username="sam", account_number="T-2002", email="sam@example.com",
                 first_name="Sam")
    sam = patient_client("sam")
    assert sheet(sam, share_id, token).status_code == 404
    assert email(sam, share_id, token).status_code == 404
    wrong = ("A" if token[0] != "A" else "B") + token[1:]
    for token_sent in (wrong, "", "x" * 500):
        assert sheet(robin_client, share_id, token_sent).status_code == 404
        assert email(robin_client, share_id, token_sent).status_code == 404
    assert sheet(robin_client, share_id + 1, token).status_code == 404
    assert not [row for row in outbox.queued if row.template == "record_share_link"]


def test_a_stopped_share_is_not_handed_over(app, robin_client, made, outbox):
    share_id, _link, _code, token, _page = made
    post_form(robin_client, f"/records/shares/{share_id}/stop", {}, page_url="/records/shares")
    for answer in (sheet(robin_client, share_id, token), email(robin_client, share_id, token)):
        assert answer.status_code == 302 and answer.headers["Location"] == "/records/shares"
    assert "That share is no longer working" in words(robin_client.get("/records/shares"))
    assert not [row for row in outbox.queued if row.template == "record_share_link"]


def test_posts_need_the_csrf_token_and_a_patient(app, robin_client, made, client, staff_client,
                                                 nurse):
    share_id, _link, _code, token, _page = made
    staff = staff_client(staff=nurse)
    for path in (f"/records/shares/{share_id}/sheet", f"/records/shares/{share_id}/email"):
        assert robin_client.post(path, data={"link_token": token,
                                             "address": PROVIDER}).status_code == 400
        answer = post_form(client, path, {"link_token": token}, page_url="/sign-in")
        assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]
        assert post_form(staff, path, {"link_token": token},
                         page_url="/staff/patients").status_code == 403
