"""Handing a share over (issue 21, part 6), in Chromium.

Right after making a share, the patient prints the share sheet (it opens in a new window: the
link as text, its QR code with an accessible name, what is shared and until when, never the
access code) and checks it prints on one page, US Letter and A4 alike. Then they email the
link: a mistyped address is refused with the address kept, a good one is sent, and the email
(read from the outbox) has the link and no code. On a desktop and on a phone (375 px), with
JavaScript (axe-core on every page) and without it; and over HTTPS, where the sheet's link is
the https address and every post goes without a Referer.
"""

import re

import pytest
from conftest import PATIENT_PASSWORD
from playwright.sync_api import expect
from pypdf import PdfReader
from records_data import SAMPLES

from portal.extensions import db
from portal.models import Patient, StaffUser
from portal.services import audit
from portal.services.records import entries

from .helpers import RECIPIENT, PostLog, assert_unique_ids, make_share

PROVIDER = "records@lakeside.example"


@pytest.fixture
def record(app, make_account, make_staff):
    """Robin's account and a released lab result."""
    account = make_account()
    with app.app_context():
        patient = db.session.get(Patient, account.patient_id)
        origin = audit.Origin(db.session.get(StaffUser, make_staff("nurse").id), "127.0.0.1",
                              "test")
        entries.publish(patient, "lab", SAMPLES["lab"], origin, release=True)
        db.session.commit()
    return account


def print_sheet(page):
    """Click "Print a share sheet" on the share's page: the sheet, in its new window."""
    with page.context.expect_page() as opening:
        page.get_by_role("button", name="Print a share sheet").click()
    sheet = opening.value
    sheet.wait_for_load_state()
    expect(sheet.get_by_role("heading", level=1)).to_have_text("A shared health record")
    return sheet


def printed_pages(sheet, paper, tmp_path):
    """How many pages the sheet prints on (Chromium's print to PDF, print styles applied)."""
    path = tmp_path / f"sheet-{paper}.pdf"
    sheet.pdf(path=str(path), format=paper, print_background=True)
    reader = PdfReader(str(path))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def emails_sent(outbox):
    return [row for row in outbox.queued if row.template == "record_share_link"]


@pytest.mark.parametrize("kind, javascript", [("desktop", True), ("phone", True),
                                              ("phone", False)],
                         ids=["desktop", "phone", "phone-no-javascript"])
def test_print_the_share_sheet_and_email_the_link(app, open_context, record, patient_sign_in,
                                                  axe_check, assert_phone_layout, outbox,
                                                  tmp_path, kind, javascript):
    def ok(on):
        assert_unique_ids(on)
        if javascript:
            axe_check(on)
        if kind == "phone":
            assert_phone_layout(on)

    page = open_context(kind, java_script_enabled=javascript).new_page()
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    link, code = make_share(page)
    expect(page.locator(".share-handover")).to_contain_text(
        "The provider needs both halves: the link, which you can print or have us email to "
        "them, and the access code, which you tell them separately")
    ok(page)

    sheet = print_sheet(page)
    expect(sheet.locator("#sheet-link")).to_have_text(link)
    qr = sheet.get_by_role("img", name="QR code of the link below")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 100  # the SVG drew
    expect(sheet.locator("main")).to_contain_text(RECIPIENT)
    expect(sheet.locator("main")).to_contain_text("Lab and test results")
    expect(sheet.locator("main")).to_contain_text("The access code is not on this sheet")
    assert code not in sheet.content() and code.replace(" ", "") not in sheet.content()
    ok(sheet)
    if kind == "desktop":
        for paper in ("Letter", "A4"):  # page.pdf prints with the print stylesheet
            count, printed = printed_pages(sheet, paper, tmp_path)
            assert count == 1, (paper, count)
            assert "A shared health record" in printed and code not in printed
            assert "Print a share sheet" not in printed and "Sign out" not in printed
    sheet.close()

    # Email the link: a mistyped address first, then the provider's.
    page.get_by_label("The provider's email address").fill("lakeside clinic")
    page.get_by_role("button", name="Email the link").click()
    expect(page.locator(".error-summary")).to_contain_text(
        "Enter an email address like office@example.com.")
    expect(page.get_by_label("The provider's email address")).to_have_value("lakeside clinic")
    assert page.title().startswith("Error:")
    assert not emails_sent(outbox)
    ok(page)
    page.get_by_label("The provider's email address").fill(PROVIDER)
    page.get_by_role("button", name="Email the link").click()
    expect(page.get_by_role("status")).to_contain_text(f"We emailed the link to {PROVIDER}.")
    ok(page)
    sent = emails_sent(outbox)
    assert [row.recipient for row in sent] == [PROVIDER]
    assert link in sent[0].body_text and code not in sent[0].body_text
    # The sheet can still be printed from the answer.
    expect(print_sheet(page).locator("#sheet-link")).to_have_text(link)


def test_the_share_sheet_over_https(app, https_server, open_https_context, record,
                                    patient_sign_in, outbox):
    base = https_server.url
    posts = PostLog(base)
    context = open_https_context("phone", java_script_enabled=False)
    posts.watch(context)  # every window's posts: the sheet opens in a new one
    page = context.new_page()
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    link, code = make_share(page, days="1")
    assert link.startswith(f"{base}/record-share?s="), link
    sheet = print_sheet(page)
    expect(sheet.locator("#sheet-link")).to_have_text(link)
    expect(sheet.get_by_role("img", name="QR code of the link below")).to_be_visible()
    assert code not in sheet.content()
    page.get_by_label("The provider's email address").fill(PROVIDER)
    page.get_by_role("button", name="Email the link").click()
    expect(page.get_by_role("status")).to_contain_text(f"We emailed the link to {PROVIDER}.")
    sent = emails_sent(outbox)
    assert len(sent) == 1 and re.search(re.escape(link), sent[0].body_text)
    posted = posts.check()
    for path in ("/records/shares/new", re.sub(r"^.*?(/records/shares/\d+/sheet)$", r"\1",
                                               sheet.url)):
        assert path in posted, (path, posted)
    assert any(path.endswith("/email") for path in posted), posted
