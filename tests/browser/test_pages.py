"""Every staff console page (the consent pages and the admin's documents included), the
patient's consent and health form pages, and the public check of a verification code pass
axe-core at desktop width and at 375 px on a phone.

At phone width the page must not scroll sideways and its buttons and inputs must be at
least 44 px high. Each page is shown with content in it (a saved practice, patients, form
errors), since empty pages hide most problems.
"""

import re
from datetime import date, timedelta

import consent_data
import pytest
from conftest import PATIENT_PASSWORD
from consent_data import sign as sign_online
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import OutboxEmail

from .helpers import chart_section, fill_guardian, main_nav

ADMIN_EMAIL = "admin@practice.test"


@pytest.fixture
def app_overrides(tmp_path_factory):
    """`app` with one seal certificate for the run, for the pages that show signed PDFs."""
    return {"SEAL_P12": str(consent_data.seal_p12(tmp_path_factory))}


class Scene:
    """What a page test needs to put a page on screen: a browser page and the test data."""

    def __init__(self, page, make_staff, sign_in, add_patient, make_account=None,
                 patient_sign_in=None, app=None):
        self.page = page
        self.app = app
        self.make_staff = make_staff
        self.sign_in = sign_in
        self.add_patient = add_patient
        self.make_account = make_account
        self.patient_sign_in = patient_sign_in

    def sign_in_patient(self, consented=True):
        """Robin Quill's portal account, signed in; without a consent on file the sign-in
        ends on the consent page (the gate)."""
        self.make_account(consented=consented)
        self.patient_sign_in(self.page, "robin", PATIENT_PASSWORD, expect_home=consented)

    def sign_in_admin(self):
        self.make_staff("admin", email=ADMIN_EMAIL, name="Dana Whitfield")
        self.sign_in(self.page, ADMIN_EMAIL)

    def add_patients(self, count):
        first_names = ["Maria", "James", "Aisha", "Wei", "Olga", "Tomas", "Grace", "Sam"]
        last_names = ["Lopez", "Okafor", "Nguyen", "Schmidt", "Brown", "Rossi"]
        ids = []
        for n in range(count):
            ids.append(self.add_patient(
                account_number=f"RFM-{1000 + n}",
                first_name=first_names[n % len(first_names)],
                last_name=last_names[n % len(last_names)],
                preferred_name="Bea" if n == 2 else "",
                date_of_birth=date(1940 + n, 1 + n % 12, 1 + n % 28),
                status="inactive" if n == 5 else "active",
            ))
        return ids

    def sign_in_nurse(self):
        self.make_staff("nurse", email="nurse@practice.test", name="Jo Rivera")
        self.sign_in(self.page, "nurse@practice.test")

    def documents_in_use(self):
        """The default consent and health form: {"consent": id, "form": id}."""
        return consent_data.default_documents(self.app)

    def search(self, text):
        self.page.get_by_label("Name, account number or date of birth").fill(text)
        self.page.get_by_role("button", name="Search").click()
        self.page.wait_for_url("**/staff/patients")


def show_front_page(scene):
    scene.page.goto("/")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Welcome to the patient portal")


def show_sign_in(scene):
    scene.page.goto("/staff/sign-in")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Staff sign in")


def show_sign_in_failed(scene):
    scene.make_staff("admin", email=ADMIN_EMAIL)
    scene.sign_in(scene.page, ADMIN_EMAIL, password="not the right password")
    expect(scene.page.locator(".error-summary")).to_contain_text("There is a problem")
    assert scene.page.title().startswith("Error:")


def show_patient_list(scene):
    scene.add_patients(30)
    scene.sign_in_admin()
    expect(scene.page.get_by_role("heading", level=2)).to_have_text("30 patients")
    expect(scene.page.locator("table tbody tr")).to_have_count(25)
    expect(scene.page.get_by_role("link", name="Next page")).to_be_visible()


def show_patient_search(scene):
    scene.add_patients(12)
    scene.sign_in_admin()
    scene.search("lopez")
    expect(scene.page.get_by_role("heading", level=2)).to_have_text("2 patients match")
    expect(scene.page.get_by_role("button", name="Clear search and show all")).to_be_visible()


def show_patient_search_without_match(scene):
    scene.add_patients(3)
    scene.sign_in_admin()
    scene.search("Zzyzx")
    expect(scene.page.get_by_text("No chart matches that search")).to_be_visible()


def show_new_patient_form(scene):
    scene.sign_in_admin()
    scene.page.get_by_role("link", name="New patient chart").click()
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("New patient chart")


def show_new_patient_form_with_errors(scene):
    scene.sign_in_admin()
    scene.page.goto("/staff/patients/new")
    scene.page.locator("#date_of_birth-month").fill("13")
    scene.page.locator("#email").fill("not an address")
    scene.page.locator("#postal_code").fill("1234")
    scene.page.get_by_role("button", name="Save chart").click()
    expect(scene.page.locator(".error-summary")).to_contain_text("There is a problem")
    expect(scene.page.locator(".field-error")).to_have_count(7)


def show_chart(scene):
    patient_id = scene.add_patient(
        middle_name="Elena", preferred_name="Mari", email="maria@example.com",
        phone="555-201-0199", address_line1="12 Elm Street", address_line2="Apt 4",
        city="Springfield", state="IL", postal_code="62704")
    scene.sign_in_admin()
    scene.page.goto(f"/staff/patients/{patient_id}")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Maria Elena Lopez")


def show_chart_messages(scene):
    """The chart's messages section, from its tab: none yet, and the way to send one."""
    patient_id = scene.add_patient()
    scene.sign_in_admin()
    scene.page.goto(f"/staff/patients/{patient_id}")
    chart_section(scene.page, "Messages")
    expect(scene.page.locator("#messages")).to_contain_text("No messages with this patient yet.")
    expect(scene.page.get_by_role("link", name="Send a message to this patient")).to_be_visible()


def show_chart_access(scene):
    """A child's family and access section (issue 22): a parent recorded, someone who must
    not have access, and a second parent refused for sharing the first one's email."""
    today = date.today()
    patient_id = scene.add_patient(first_name="Milo", date_of_birth=date(today.year - 10, 1, 15))
    scene.sign_in_admin()
    page = scene.page
    page.goto(f"/staff/patients/{patient_id}")
    chart_section(page, "Family and access")
    fill_guardian(page, "Dana Rivers", "dana@example.com")
    expect(page.locator(".notice-success")).to_contain_text("Dana Rivers is recorded")
    page.locator("#block-full_name").fill("Lee Park")
    page.locator("#block-basis").fill("Custody order of 11/02/2026")
    page.get_by_role("button", name="Add the entry").click()
    expect(page.locator(".notice-success")).to_contain_text("Access will not be granted to Lee Park")
    fill_guardian(page, "Sam Rivers", "dana@example.com")
    expect(page.locator(".error-summary")).to_contain_text("Dana Rivers already uses this email")
    expect(page.locator("#full_name")).to_have_value("Sam Rivers")


def _guardian_invited(scene):
    """A 9-year-old's parent recorded and invited by the admin, who then leaves (the cookies
    cleared): the invitation's link (path and token)."""
    today = date.today()
    patient_id = scene.add_patient(first_name="Milo", account_number="T-5100",
                                   date_of_birth=date(today.year - 9, 1, 15))
    scene.sign_in_admin()
    page = scene.page
    page.goto(f"/staff/patients/{patient_id}")
    chart_section(page, "Family and access")
    fill_guardian(page, "Dana Rivers", "dana@example.com")
    page.get_by_role("row").filter(has_text="Dana Rivers").get_by_role("link", name="Manage").click()
    page.get_by_role("button", name="Send the invitation by email").click()
    expect(page.locator(".notice-success")).to_contain_text("An invitation was emailed to Dana Rivers.")
    page.context.clear_cookies()
    with scene.app.app_context():
        body = db.session.scalars(select(OutboxEmail.body_text)
                                  .order_by(OutboxEmail.id.desc())).first()
    return re.search(r"(/guardian\?t=\S+)", body).group(1)


def show_guardian_identity_error(scene):
    """A guardian's first step (issue 22), refused once: the child's details do not match."""
    scene.page.goto(_guardian_invited(scene))
    page = scene.page
    for group, values in (("Your child's date of birth", ("01", "15", "2001")),
                          ("Your own date of birth", ("07", "19", "1984"))):
        born = page.get_by_role("group", name=group)
        for part, value in zip(("Month", "Day", "Year"), values, strict=True):
            born.get_by_label(part).fill(value)
    page.get_by_label("Your child's account number").fill("T-5100")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".error-summary")).to_contain_text("Those details do not match our records.")
    assert page.title().startswith("Error:")


def show_guardian_account_errors(scene):
    """A guardian's second step with its errors: no password, the terms not agreed to."""
    scene.page.goto(_guardian_invited(scene))
    page = scene.page
    today = date.today()
    for group, values in (("Your child's date of birth", ("01", "15", str(today.year - 9))),
                          ("Your own date of birth", ("07", "19", "1984"))):
        born = page.get_by_role("group", name=group)
        for part, value in zip(("Month", "Day", "Year"), values, strict=True):
            born.get_by_label(part).fill(value)
    page.get_by_label("Your child's account number").fill("T-5100")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your sign-in details")
    page.get_by_label("Choose a username").fill("dana.rivers")
    page.get_by_role("button", name="Create my account").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Enter a new password.")
    expect(summary).to_contain_text("Tick the box to agree to the portal's terms.")
    expect(page.get_by_label("Choose a username")).to_have_value("dana.rivers")


def show_guardian_with_error(scene):
    """One guardian's page on a 13-year-old's chart (pause, limit, end), after a limit refused
    for want of a reason."""
    today = date.today()
    patient_id = scene.add_patient(first_name="Ivy", date_of_birth=date(today.year - 13, 1, 15))
    scene.sign_in_admin()
    page = scene.page
    page.goto(f"/staff/patients/{patient_id}/access")
    fill_guardian(page, "Dana Rivers", "dana@example.com")
    page.get_by_role("link", name="Manage").click()
    page.get_by_role("group", name="What they may reach").get_by_label("Limited", exact=False).check()
    page.get_by_role("button", name="Save what they may reach").click()
    expect(page.locator(".error-summary")).to_contain_text("Give the reason for limiting the access.")
    assert page.title().startswith("Error:")


def show_confidential_with_error(scene):
    """A lab result's "Confidential from parents and guardians?" page on a child's chart, from
    the entry page, after the minor-consent basis was chosen without its service."""
    from records_data import SAMPLES
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Patient, StaffUser
    from portal.services import audit
    from portal.services.records import entries

    today = date.today()
    patient_id = scene.add_patient(first_name="Milo", date_of_birth=date(today.year - 14, 1, 15))
    scene.sign_in_admin()
    with scene.app.app_context():
        admin = db.session.scalar(select(StaffUser).where(StaffUser.email == ADMIN_EMAIL))
        entry = entries.publish(db.session.get(Patient, patient_id), "lab", SAMPLES["lab"],
                                audit.Origin(admin, "127.0.0.1", "test"), release=True)
        db.session.commit()
        entry_id = entry.id
    page = scene.page
    page.goto(f"/staff/patients/{patient_id}/records/{entry_id}")
    page.get_by_role("link", name="Confidential from parents and guardians?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confidential from guardians")
    page.get_by_label("A minor-consent service the law protects").check()
    page.get_by_role("button", name="Mark confidential").click()
    expect(page.locator(".error-summary")).to_contain_text("Choose the minor-consent service.")


def show_edit_form(scene):
    patient_id = scene.add_patient(email="maria@example.com", phone="555-201-0199")
    scene.sign_in_admin()
    scene.page.goto(f"/staff/patients/{patient_id}/edit")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Edit patient chart")
    expect(scene.page.locator("#first_name")).to_have_value("Maria")


def show_settings(scene):
    scene.sign_in_admin()
    main_nav(scene.page).get_by_role("link", name="Practice settings").click()
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Practice settings")


def show_settings_with_error(scene):
    scene.sign_in_admin()
    scene.page.goto("/admin/settings")
    scene.page.get_by_label("Practice name").fill("")
    scene.page.get_by_label("Largest attachment, in MB").fill("50")
    scene.page.get_by_role("button", name="Save settings").click()
    expect(scene.page.locator(".error-summary")).to_contain_text("Enter the practice's name.")
    expect(scene.page.locator(".field-error")).to_have_count(2)


def show_audit_log(scene):
    patient_id = scene.add_patients(2)[0]
    scene.sign_in_admin()
    scene.page.goto(f"/staff/patients/{patient_id}")
    scene.page.goto("/admin/audit")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Audit log")
    # two charts created, the sign-in, the patient list shown after it, the chart viewed
    expect(scene.page.locator("table.audit tbody tr")).to_have_count(5)


def show_staff_list(scene):
    scene.make_staff("nurse", email="nurse@practice.test", name="Jo Rivera")
    scene.sign_in_admin()
    main_nav(scene.page).get_by_role("link", name="Staff", exact=True).click()
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Staff accounts")
    expect(scene.page.get_by_role("button", name="Disable Jo Rivera")).to_be_visible()


def show_staff_account(scene):
    scene.sign_in_admin()
    main_nav(scene.page).get_by_role("link", name="Your account").click()
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Your staff account")


def show_staff_password_with_errors(scene):
    scene.sign_in_admin()
    scene.page.goto("/staff/account/password")
    scene.page.get_by_label("New password", exact=True).fill("too short")
    scene.page.get_by_role("button", name="Change password").click()
    expect(scene.page.locator(".error-summary")).to_contain_text("There is a problem")
    assert scene.page.title().startswith("Error:")


def show_staff_activity(scene):
    scene.sign_in_admin()
    scene.page.goto("/staff/account/activity")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Recent sign-in activity")
    expect(scene.page.get_by_text("Active (this browser)")).to_be_visible()


def show_not_found(scene):
    scene.sign_in_admin()
    response = scene.page.goto("/staff/no-such-page")
    assert response.status == 404
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Page not found")


def show_policy(scene):
    scene.page.goto("/policy")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Patient portal consent")


def show_documents(scene):
    scene.sign_in_patient()
    scene.page.goto("/consents")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Forms and consents")
    expect(scene.page.get_by_role("link", name="Fill in “Medical history questionnaire”")).to_be_visible()
    expect(scene.page.get_by_role("table", name="Your signed documents, newest first")).to_be_visible()


def _choose_representative(page):
    page.goto("/profile/access")
    page.get_by_role("link", name="Invite someone to help with your care").click()
    page.get_by_label("Their full name").fill("Alex Quill")
    page.get_by_label("Their email address").fill("alex@example.com")
    page.get_by_label("Son or daughter").check()
    page.get_by_label("View the health record").check()
    page.get_by_role("button", name="Continue to the authorization").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Read and sign your authorization")


def show_authorization_with_errors(scene):
    """The authorization a patient signs for a representative (issue 22), sent unsigned."""
    scene.sign_in_patient()
    page = scene.page
    _choose_representative(page)
    page.get_by_role("button", name="Sign and send the invitation").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Type your full legal name to sign.")
    expect(summary).to_contain_text("Tick the box to sign the authorization.")


def show_people_who_can_act(scene):
    """The patient's list after inviting a representative: their name, what they may do,
    since when, until when, and the revoke button."""
    scene.sign_in_patient()
    page = scene.page
    _choose_representative(page)
    page.get_by_label("Type your full legal name to sign").fill("Robin Quill")
    page.get_by_label("I authorize this, as written above").check()
    page.get_by_role("button", name="Sign and send the invitation").click()
    expect(page.locator(".notice-success")).to_contain_text("Alex Quill has been emailed")
    expect(page.get_by_role("button", name="Revoke Alex Quill's access")).to_be_visible()


def show_consent_sign_with_errors(scene):
    """The page the consent gate opens, after a try with a name that is not the chart's."""
    scene.sign_in_patient(consented=False)
    scene.page.wait_for_url(re.compile(r"/consents/\d+/sign\?required=1$"))
    expect(scene.page.locator("#signature-pad canvas")).to_be_visible()
    scene.page.get_by_label("Type your full legal name").fill("Robin Smith")
    scene.page.get_by_label("I have read and agree to this document").check()
    scene.page.get_by_role("button", name="Sign “Patient portal consent”").click()
    expect(scene.page.locator(".error-summary")).to_contain_text("does not match our records")
    expect(scene.page.locator("#legal_name")).to_have_attribute("aria-invalid", "true")
    assert scene.page.title().startswith("Error:")


def show_health_form(scene):
    scene.sign_in_patient()
    scene.page.goto("/consents")
    scene.page.get_by_role("link", name="Fill in “Medical history questionnaire”").click()
    scene.page.wait_for_url(re.compile(r"/consents/forms/\d+$"))
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Medical history questionnaire")
    expect(scene.page.locator("#signature-pad canvas")).to_be_visible()


# -- consents and health forms, staff side (issue 8) --------------------------------------------

NURSE_EMAIL = "nurse@practice.test"
QUESTIONS = [
    {"label": "What is your occupation?", "type": "text", "required": True,
     "help": "Your main job."},
    {"label": "Blood type", "type": "single_choice", "choices": ["A", "B", "AB", "O"]},
    {"label": "Date of your last check-up", "type": "date"},
]


def show_chart_consents(scene):
    """A signed consent with its PDF, a required one missing, and a health form assigned."""
    in_use = scene.documents_in_use()
    consent_data.add_document(scene.app, "consent", "Photography consent", required=True,
                              validity_months=24, body="We may photograph a skin condition.")
    patient_id = scene.add_patient()
    sign_online(scene.app, patient_id, in_use["consent"])
    nurse = scene.make_staff("nurse", email=NURSE_EMAIL, name="Jo Rivera")
    consent_data.assign_form(scene.app, patient_id, in_use["form"], nurse)
    scene.sign_in(scene.page, NURSE_EMAIL)
    scene.page.goto(f"/staff/patients/{patient_id}/consents")
    section = scene.page.locator("#consents")
    expect(section).to_contain_text("1 required consent is missing:")
    expect(section.get_by_role("link", name=re.compile(r"^Open PDF"))).to_have_count(1)
    expect(section.get_by_role("link", name=re.compile(r"^Record a paper signature"))).to_have_count(2)
    expect(section.get_by_role("listitem").filter(has_text="Medical history questionnaire")) \
        .to_contain_text("not yet filled in")
    expect(section.get_by_role("button", name="Assign a health form")).to_be_visible()


def show_paper_signature_with_errors(scene):
    in_use = scene.documents_in_use()
    patient_id = scene.add_patient()
    tomorrow = consent_data.practice_today(scene.app) + timedelta(days=1)
    scene.sign_in_nurse()
    scene.page.goto(f"/staff/patients/{patient_id}/consents/{in_use['consent']}/paper")
    scene.page.get_by_label("Name of the person who signed").fill("")
    scene.page.get_by_label("Month", exact=True).fill(f"{tomorrow.month:02d}")
    scene.page.get_by_label("Day", exact=True).fill(f"{tomorrow.day:02d}")
    scene.page.get_by_label("Year", exact=True).fill(str(tomorrow.year))
    scene.page.get_by_role("button", name="Record the paper signature").click()
    summary = scene.page.locator(".error-summary")
    expect(summary).to_contain_text("The date signed cannot be in the future.")
    expect(summary).to_contain_text("Enter the name of the person who signed.")
    expect(scene.page.locator(".field-error")).to_have_count(2)
    assert scene.page.title().startswith("Error:")


def show_consents_overview(scene):
    """Signed online, signed on paper 350 days ago (ending within 30 days), and missing."""
    in_use = scene.documents_in_use()
    signed, ending, _missing = scene.add_patients(3)
    sign_online(scene.app, signed, in_use["consent"])
    long_ago = consent_data.practice_today(scene.app) - timedelta(days=350)
    consent_data.record_on_paper(scene.app, ending, in_use["consent"], long_ago)
    scene.sign_in_nurse()
    scene.page.goto("/staff/consents")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Consents")
    expect(scene.page.get_by_role("link", name=re.compile(r"^1 patient"))).to_be_visible()
    expect(scene.page.locator("table")).to_have_count(3)
    expect(scene.page.get_by_role("link", name=re.compile(r"^Open PDF"))).to_have_count(2)


def show_missing_consents(scene):
    in_use = scene.documents_in_use()
    scene.add_patients(4)
    scene.sign_in_nurse()
    scene.page.goto(f"/staff/consents/{in_use['consent']}/missing")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text(
        "Not signed: Patient portal consent")
    expect(scene.page.get_by_role("heading", level=2)).to_have_text("4 patients")
    expect(scene.page.locator("table tbody tr")).to_have_count(4)


def show_batch_print_with_error(scene):
    scene.documents_in_use()
    scene.sign_in_nurse()
    scene.page.goto("/staff/consents/batch")
    for field, day in (("first", "31"), ("last", "01")):
        scene.page.locator(f"#{field}-month").fill("10")
        scene.page.locator(f"#{field}-day").fill(day)
        scene.page.locator(f"#{field}-year").fill("2026")
    scene.page.get_by_role("button", name="Download the PDF").click()
    expect(scene.page.locator(".error-summary")).to_contain_text(
        "The last day must be on or after the first day.")
    assert scene.page.title().startswith("Error:")


def show_verified_code(scene):
    in_use = scene.documents_in_use()
    patient_id = scene.add_patient()
    code = consent_data.verification_code(
        scene.app, sign_online(scene.app, patient_id, in_use["consent"]))
    scene.sign_in_nurse()
    scene.page.goto("/staff/consents/verify")
    scene.page.get_by_label("Verification code").fill(code)
    scene.page.get_by_role("button", name="Check", exact=True).click()
    expect(scene.page.get_by_role("heading", level=3)).to_have_text("What was signed")
    expect(scene.page.locator("dl.details")).to_contain_text("Maria Lopez (Patient)")
    expect(scene.page.get_by_role("link", name="Open the stored PDF")).to_be_visible()


def show_forms_to_review(scene):
    in_use = scene.documents_in_use()
    patient_id = scene.add_patient()
    sign_online(scene.app, patient_id, in_use["form"])
    scene.sign_in_nurse()
    scene.page.goto("/staff/forms/review")
    expect(scene.page.get_by_role("heading", level=2)).to_have_text("1 form waiting for review")
    expect(scene.page.get_by_role("button", name="Mark reviewed")).to_be_visible()


def show_public_verification(scene):
    in_use = scene.documents_in_use()
    patient_id = scene.add_patient()
    code = consent_data.verification_code(
        scene.app, sign_online(scene.app, patient_id, in_use["consent"]))
    consent_data.public_verification(scene.app, True)
    scene.page.goto("/verify")
    scene.page.get_by_label("Verification code").fill(code)
    scene.page.get_by_role("button", name="Check", exact=True).click()
    expect(scene.page.get_by_role("status")).to_contain_text("Valid: signed on")


# -- the admin's documents ------------------------------------------------------------------

def show_document_list(scene):
    """The defaults, an own consent, a form still in draft and a retired consent."""
    consent_data.add_document(scene.app, "consent", "Photography consent", required=True,
                              validity_months=24, body="We may photograph a skin condition.")
    consent_data.add_document(scene.app, "form", "Sleep and health", fields=QUESTIONS[:1],
                              publish=False)
    scene.sign_in_admin()
    scene.page.goto("/admin/consents")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Consents and health forms")
    expect(scene.page.get_by_role("link", name="Version 1 draft")).to_be_visible()
    expect(scene.page.locator("table")).to_have_count(2)


def show_document(scene):
    """The medical history form: published, with a draft of version 2 open."""
    in_use = scene.documents_in_use()
    consent_data.start_next_version(scene.app, in_use["form"])
    scene.sign_in_admin()
    scene.page.goto(f"/admin/consents/{in_use['form']}")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Medical history questionnaire")
    expect(scene.page.get_by_role("button", name="Continue the draft of version 2")).to_be_visible()
    expect(scene.page.locator("table tbody tr")).to_have_count(2)


def show_consent_draft_with_problem(scene):
    """Publishing a consent without its text: saved, but not published."""
    document_id = consent_data.add_document(scene.app, "consent", "Photography consent",
                                            publish=False)
    scene.sign_in_admin()
    scene.page.goto(f"/admin/consents/{document_id}/draft")
    scene.page.get_by_label("Statements the signer must tick (optional)").fill(
        "I live in California\nI am 18 or older")
    scene.page.get_by_role("button", name="Publish").click()
    summary = scene.page.locator(".error-summary")
    expect(summary).to_contain_text("cannot be published yet")
    expect(summary).to_contain_text("A consent needs its text.")
    assert scene.page.title().startswith("Error:")


def show_form_draft(scene):
    document_id = consent_data.add_document(scene.app, "form", "Sleep and health",
                                            body="## Sleep\n\nA few questions.",
                                            fields=QUESTIONS, publish=False)
    scene.sign_in_admin()
    scene.page.goto(f"/admin/consents/{document_id}/draft")
    expect(scene.page.locator("#questions + table tbody tr")).to_have_count(3)
    expect(scene.page.get_by_role("button", name="Move question 2 up")).to_be_visible()
    expect(scene.page.get_by_role("link", name="Add a question")).to_be_visible()


def show_new_question_with_error(scene):
    document_id = consent_data.add_document(scene.app, "form", "Sleep and health",
                                            publish=False)
    scene.sign_in_admin()
    scene.page.goto(f"/admin/consents/{document_id}/draft/fields/new")
    scene.page.get_by_label("Question", exact=True).fill("Blood type")
    scene.page.get_by_label("Single choice").check()
    scene.page.get_by_label("Choices (for single and multiple choice)").fill("A")
    scene.page.get_by_role("button", name="Save the question").click()
    expect(scene.page.locator(".error-summary")).to_contain_text(
        "A choice question needs at least two choices, one per line.")
    assert scene.page.title().startswith("Error:")


PAGES = {
    "front": show_front_page,
    "sign-in": show_sign_in,
    "sign-in-failed": show_sign_in_failed,
    "patient-list": show_patient_list,
    "patient-search": show_patient_search,
    "patient-search-no-match": show_patient_search_without_match,
    "new-patient": show_new_patient_form,
    "new-patient-errors": show_new_patient_form_with_errors,
    "chart": show_chart,
    "chart-messages": show_chart_messages,
    "chart-access": show_chart_access,
    "guardian-error": show_guardian_with_error,
    "guardian-identity-error": show_guardian_identity_error,
    "guardian-account-errors": show_guardian_account_errors,
    "confidential-error": show_confidential_with_error,
    "edit-chart": show_edit_form,
    "settings": show_settings,
    "settings-error": show_settings_with_error,
    "audit-log": show_audit_log,
    "not-found": show_not_found,
    "staff-list": show_staff_list,
    "staff-account": show_staff_account,
    "staff-password-errors": show_staff_password_with_errors,
    "staff-activity": show_staff_activity,
    "policy": show_policy,
    "documents": show_documents,
    "consent-sign-errors": show_consent_sign_with_errors,
    "authorization-errors": show_authorization_with_errors,
    "people-who-can-act": show_people_who_can_act,
    "health-form": show_health_form,
    "chart-consents": show_chart_consents,
    "paper-signature-errors": show_paper_signature_with_errors,
    "consents": show_consents_overview,
    "consents-missing": show_missing_consents,
    "batch-print-error": show_batch_print_with_error,
    "verify-code": show_verified_code,
    "forms-review": show_forms_to_review,
    "public-verify": show_public_verification,
    "admin-documents": show_document_list,
    "admin-document": show_document,
    "consent-draft-problem": show_consent_draft_with_problem,
    "form-draft": show_form_draft,
    "new-question-error": show_new_question_with_error,
}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("name", [
    # The audit log's rows are counted one by one: it starts without the setup's own rows.
    pytest.param(name, marks=pytest.mark.no_defaults) if name == "audit-log" else name
    for name in PAGES])
def test_page_is_accessible(name, viewport, app, open_context, make_staff, sign_in, add_patient,
                            make_account, patient_sign_in, save_practice, axe_check,
                            assert_phone_layout):
    save_practice()
    page = open_context(viewport).new_page()
    PAGES[name](Scene(page, make_staff, sign_in, add_patient, make_account, patient_sign_in, app))
    axe_check(page)
    if viewport == "phone":
        assert_phone_layout(page)


def test_pages_before_the_practice_is_set_up_are_accessible(open_context, axe_check,
                                                           assert_phone_layout):
    """Before the admin saves any settings the header and footer are nearly empty."""
    page = open_context("phone").new_page()
    for path, status, heading in (("/", 200, "Welcome to the patient portal"),
                                  ("/no-such-page", 404, "Page not found")):
        response = page.goto(path)
        assert response.status == status
        expect(page.locator(".brand")).to_have_text("Patient portal")
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        axe_check(page)
        assert_phone_layout(page)


def test_skip_link_shows_on_focus_and_moves_focus_to_main(open_context, save_practice):
    save_practice()
    page = open_context("desktop").new_page()
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_axe_check_reports_violations(browser, axe_check):
    """The helper itself: a page with known problems must fail, naming the rules."""
    page = browser.new_page()
    try:
        page.set_content('<html><body><main><img src="x.png"><input type="text"></main></body></html>')
        with pytest.raises(pytest.fail.Exception) as failure:
            axe_check(page)
    finally:
        page.close()
    for rule in ("html-has-lang", "image-alt", "label"):
        assert rule in str(failure.value)


def test_phone_layout_check_reports_problems(browser, assert_phone_layout):
    """The helper itself: sideways scrolling and a small button must each fail."""
    page = browser.new_page(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    try:
        page.set_content('<meta name="viewport" content="width=device-width, initial-scale=1">'
                         '<div style="width: 500px">wide</div>')
        with pytest.raises(AssertionError, match="scrolls sideways"):
            assert_phone_layout(page)
        page.set_content('<meta name="viewport" content="width=device-width, initial-scale=1">'
                         '<button style="height: 30px">Go</button><input type="hidden">'
                         '<input type="radio" id="r"><label for="r">Radio</label>')
        with pytest.raises(AssertionError, match="tap targets") as failure:
            assert_phone_layout(page)
        assert "<button" in str(failure.value) and 'type="radio"' in str(failure.value)
        assert 'type="hidden"' not in str(failure.value)
    finally:
        page.close()
