"""Steps on the account pages that several test modules take: staff invite a patient or print
an activation letter and the patient enters its code; the three enrollment steps; a patient
asks for a password reset, the reset links emailed, and a new password set from one."""

import re
from datetime import date

from conftest import RESET_LINK, Outbox, open_link, post_form
from helpers import pdf_text
from records_data import text
from sqlalchemy import select

from portal.extensions import db
from portal.models import OutboxEmail

CODE = re.compile(r"\b([2-9A-HJ-NP-Z]{4} [2-9A-HJ-NP-Z]{4} [2-9A-HJ-NP-Z]{4})\b")
NEW_PASSWORD = "lantern orchard velvet harbor"
RESET_SUBJECT = "Reset your portal password"
QUESTION = "Who was your childhood hero?"


def chart_url(patient):
    return f"/staff/patients/{patient.id}"


ENROLL_LINK = re.compile(r"http://portal\.test(/enroll\?t=[A-Za-z0-9_.\-]+)")
ACCOUNT_NUMBER = "MG-1001"
BORN = date(1980, 4, 9)
PASSWORD = "maple river lantern cello 42"
IDENTITY = {"date_of_birth-month": "04", "date_of_birth-day": "09", "date_of_birth-year": "1980",
            "account_number": ACCOUNT_NUMBER}
ACCOUNT = {"username": "robin", "password": PASSWORD, "confirm": PASSWORD,
           "question": "childhood_hero", "answer": "Grace Hopper"}
CONSENT = {"legal_name": "robin  QUILL", "agree": "y"}


def invite(front_desk_client, patient):
    """Staff press "Send invitation"; returns the link's path from the queued email."""
    response = post_form(front_desk_client, chart_url(patient) + "/invitation", {},
                         page_url=chart_url(patient))
    assert response.status_code == 302
    return latest_link(front_desk_client.application)


def latest_link(app):
    with app.app_context():
        email = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()
        return ENROLL_LINK.search(email.body_text).group(1)


def verify(client, link, **changes):
    """Step 1 of 3: open the emailed link and pass the identity check."""
    open_link(client, link)
    return post_form(client, "/enroll", {**IDENTITY, **changes})


def save_account(client, page_url=None, **changes):
    """Step 2 of 3: the account's details."""
    return post_form(client, "/enroll/account", {**ACCOUNT, **changes}, page_url=page_url)


def sign_consent(client, page_url=None, **changes):
    """Step 3 of 3: sign the portal consent."""
    return post_form(client, "/enroll/consent", {**CONSENT, **changes}, page_url=page_url)


def create(client, page_url=None, **changes):
    """Steps 2 and 3 (`changes` go to the step whose field they name): the account step's
    response when it did not lead on to the consent, else the consent step's."""
    kept = save_account(client, page_url, **{k: v for k, v in changes.items() if k in ACCOUNT})
    if kept.headers.get("Location") != "/enroll/consent":
        return kept
    return sign_consent(client, page_url, **{k: v for k, v in changes.items() if k not in ACCOUNT})


def print_letter(staff_client, patient):
    """Staff press "Print activation letter"; returns (response, the code as printed)."""
    response = post_form(staff_client, chart_url(patient) + "/activation-letter.pdf", {},
                         page_url=chart_url(patient))
    assert response.status_code == 200, text(response)
    found = CODE.search(pdf_text(response.data))
    return response, found.group(1) if found else None


def enter_activation_code(client, code):
    return post_form(client, "/activate", {"code": code})


def reset_links(outbox):
    return [RESET_LINK.search(mail.body_text).group(1) for mail in outbox.queued
            if mail.subject == RESET_SUBJECT]


def request_reset(client, name="robin"):
    """The forgot-password form, then the mail worker's round that answers it."""
    response = post_form(client, "/forgot-password", {"name": name})
    Outbox(client.application).process_requests()
    return response


def set_password(client, password=NEW_PASSWORD, **extra):
    return post_form(client, "/reset", {"password": password, "confirm": password, **extra})
