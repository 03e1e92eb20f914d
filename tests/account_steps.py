"""Steps on the account pages that several test modules take: staff print an activation letter
and the patient enters its code; a patient asks for a password reset, the reset links emailed,
and a new password set from one."""

import re

from conftest import RESET_LINK, Outbox, post_form
from helpers import pdf_text
from records_data import text

CODE = re.compile(r"\b([2-9A-HJ-NP-Z]{4} [2-9A-HJ-NP-Z]{4} [2-9A-HJ-NP-Z]{4})\b")
NEW_PASSWORD = "lantern orchard velvet harbor"
RESET_SUBJECT = "Reset your portal password"
QUESTION = "Who was your childhood hero?"


def chart_url(patient):
    return f"/staff/patients/{patient.id}"


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
