"""Issue 22: a guardian joins from the practice's invitation, reaches their child's record with
an account of their own, switches between children, and sees nothing confidential or outside
a limited scope; access ends at the next request once it ends.

The clock stands at 2026-11-23 15:00 UTC (conftest START); the children are 10 and 14.
"""

import html
import io
import re
import zipfile
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from conftest import PATIENT_PASSWORD, SECURITY_ANSWER, post_form
from consent_data import sign_on_page
from messages_data import compose
from pypdf import PdfReader
from records_data import words
from sqlalchemy import select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import PatientAccount, ProxyGrant, ProxyInvitation

LINK = re.compile(r"http://portal\.test(/guardian\?t=\S+)")
MILO_BORN, JUNE_BORN = date(2016, 5, 2), date(2012, 8, 30)
DANA = {"full_name": "Dana Rivers", "relationship": "parent", "email": "dana@example.com",
        "date_of_birth-month": "07", "date_of_birth-day": "19", "date_of_birth-year": "1984",
        "document": "birth_certificate"}
SAM = {**DANA, "full_name": "Sam Rivers", "email": "sam@example.com",
       "date_of_birth-month": "01", "date_of_birth-day": "05", "date_of_birth-year": "1982"}
NEW_PASSWORD = "maple river lantern cello"


@pytest.fixture
def milo(make_patient, clock):
    return make_patient(account_number="T-3001", first_name="Milo", last_name="Rivers",
                        date_of_birth=MILO_BORN, email="")


@pytest.fixture
def june(make_patient, clock):
    return make_patient(account_number="T-3002", first_name="June", last_name="Rivers",
                        date_of_birth=JUNE_BORN, email="")


@pytest.fixture
def desk(clock, staff_client):
    return staff_client("front_desk", direct=True)


def text(response):
    """The page as a person reads it (Jinja writes an apostrophe as &#39;)."""
    return html.unescape(response.get_data(as_text=True))


def grant_of(app, patient_id, email):
    with app.app_context():
        grant = db.session.scalar(select(ProxyGrant).where(ProxyGrant.patient_id == patient_id,
                                                           ProxyGrant.email == email))
        db.session.expunge(grant)
        return grant


def invite(app, desk, outbox, child, guardian=DANA):
    """Staff add the guardian to the child's chart and email the invitation: its link."""
    section = f"/staff/patients/{child.id}/access"
    added = post_form(desk, f"{section}/guardians", guardian, page_url=section)
    assert added.status_code == 302, text(added)
    grant = grant_of(app, child.id, guardian["email"])
    page = f"{section}/grants/{grant.id}"
    sent = post_form(desk, f"{page}/invite", {}, page_url=page)
    assert sent.status_code == 302, text(sent)
    email = outbox.queued[-1]
    assert email.recipient == guardian["email"] and email.template == "guardian_invitation"
    return LINK.search(email.body_text).group(1)


def open_link(browser, link):
    """Follow an emailed invitation: its token goes to the session, and the check opens."""
    landed = browser.get(link)
    assert landed.status_code == 302 and landed.location.endswith("/join")
    return browser.get("/join")


def assert_sign_in_link(app, email):
    """The email's one link is the portal's sign-in page, and it opens."""
    [link] = re.findall(r"http://portal\.test(/\S*)", email.body_text)
    assert link == "/sign-in" and app.test_client().get(link).status_code == 200


def identity(child, guardian=DANA, **changes):
    born = child.date_of_birth
    return {"child_date_of_birth-month": f"{born.month:02d}",
            "child_date_of_birth-day": f"{born.day:02d}",
            "child_date_of_birth-year": str(born.year), "account_number": child.account_number,
            "date_of_birth-month": guardian["date_of_birth-month"],
            "date_of_birth-day": guardian["date_of_birth-day"],
            "date_of_birth-year": guardian["date_of_birth-year"], **changes}


def prove(browser, link, child, guardian=DANA):
    page = open_link(browser, link)
    assert page.status_code == 200 and "Confirm it is you" in text(page)
    passed = post_form(browser, "/join", identity(child, guardian))
    assert passed.status_code == 302 and passed.location.endswith("/join/account")
    return passed


def consent_on_file(app, child):
    """The child's portal consent on file, so the consent gate lets a guardian through (one
    test signs it for real: test_a_guardian_signs_a_consent_for_the_child)."""
    from conftest import _consent_on_file

    with app.app_context():
        _consent_on_file(SimpleNamespace(patient_id=child.id, id=None))
        db.session.commit()


def join_new(app, link, child, guardian=DANA, username="dana.rivers", consented=True):
    """A new browser follows the link, proves who it is and opens an account: signed in."""
    if consented:
        consent_on_file(app, child)
    browser = app.test_client()
    prove(browser, link, child, guardian)
    made = post_form(browser, "/join/account", {
        "username": username, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
        "question": "childhood_hero", "answer": SECURITY_ANSWER, "agree": "y"})
    assert made.status_code == 302 and made.location.endswith("/home"), text(made)
    return browser


def test_a_guardian_joins_from_the_emailed_link_and_reaches_the_child(app, desk, outbox, milo,
                                                                       audit_trail):
    link = invite(app, desk, outbox, milo)
    email = outbox.queued[-1]
    # The email names the guardian and never the child.
    assert "Hello Dana Rivers" in email.body_text
    assert "Milo" not in email.body_text and "Milo" not in email.subject
    assert "expires on" in email.body_text
    guardian = join_new(app, link, milo)
    home = text(guardian.get("/home"))
    assert get_message("proxy_joined", name="Milo")[0] in home
    assert "Record of Milo Rivers, born May 2, 2016" in home
    assert "you act for them as their parent" in home
    assert guardian.get("/records").status_code == 200
    assert guardian.get("/messages").status_code == 200
    with app.app_context():
        account = db.session.scalar(select(PatientAccount).where(
            PatientAccount.username == "dana.rivers"))
        assert account.patient_id is None and account.holder_name == "Dana Rivers"
        assert account.holder_date_of_birth == date(1984, 7, 19)
        assert account.email == "dana@example.com"
        grant = db.session.scalar(select(ProxyGrant).where(ProxyGrant.patient_id == milo.id))
        assert (grant.status, grant.account_id) == ("active", account.id)
    assert [row.patient_id for row in audit_trail.rows("proxy.guardian_joined")] == [milo.id]
    # Single use: the link does not work again.
    again = open_link(app.test_client(), link)
    assert again.status_code == 410 and "already been used" in text(again)
    # The staff page says they signed up.
    grant_page = text(desk.get(f"/staff/patients/{milo.id}/access/grants/{grant.id}"))
    assert "Signed up" in grant_page and "Send a new invitation" not in grant_page


def test_five_wrong_answers_void_the_invitation(app, desk, outbox, milo, audit_trail):
    link = invite(app, desk, outbox, milo)
    browser = app.test_client()
    open_link(browser, link)
    # Right child, wrong guardian's date of birth: refused, without saying which was wrong.
    for tries_left in (4, 3, 2, 1):
        wrong = post_form(browser, "/join", identity(milo, **{"date_of_birth-year": "1985"}))
        assert wrong.status_code == 200
        assert get_message("guardian_identity_failed")[0] in text(wrong)
        assert f"{tries_left} more time" in text(wrong)
    fifth = post_form(browser, "/join", identity(milo, account_number="T-9999"))
    assert fifth.status_code == 410 and "stopped working" in text(fifth)
    # The link no longer works, whatever is typed.
    assert browser.get("/join").status_code == 410
    assert len(audit_trail.rows("proxy.identity_failed")) == 5
    with app.app_context():
        invitation = db.session.scalar(select(ProxyInvitation))
        assert invitation.void_reason == "identity_failures"


def test_an_invitation_expires_after_7_days(app, desk, outbox, milo, clock):
    link = invite(app, desk, outbox, milo)
    clock.tick(timedelta(days=7, seconds=1))
    expired = open_link(app.test_client(), link)
    assert expired.status_code == 410 and "expired" in text(expired)


def test_a_new_invitation_voids_the_older_link(app, desk, outbox, milo):
    first = invite(app, desk, outbox, milo)
    grant = grant_of(app, milo.id, DANA["email"])
    page = f"/staff/patients/{milo.id}/access/grants/{grant.id}"
    assert post_form(desk, f"{page}/invite", {}, page_url=page).status_code == 302
    assert open_link(app.test_client(), first).status_code == 410
    second = LINK.search(outbox.queued[-1].body_text).group(1)
    assert open_link(app.test_client(), second).status_code == 200


def test_two_guardians_each_with_their_own_account_neither_sees_the_others_record(
        app, desk, outbox, milo, make_account, patient_client):
    # Sam is a patient of the practice too, with an account of his own.
    sam_own = make_account(username="sam", account_number="T-4001", first_name="Sam",
                           last_name="Rivers", date_of_birth=date(1982, 1, 5),
                           email="sam@example.com")
    dana = join_new(app, invite(app, desk, outbox, milo), milo)
    sam_link = invite(app, desk, outbox, milo, SAM)
    sam = patient_client("sam")
    prove(sam, sam_link, milo, SAM)
    confirm = sam.get("/join/account")
    assert "Add Milo's record to your account" in text(confirm)
    added = post_form(sam, "/join/account", {})
    assert added.status_code == 302 and added.location.endswith("/home")
    # Sam now opens his own record and Milo's; Dana only Milo's.
    sam_home = text(sam.get("/home"))
    assert "Record of Milo Rivers" in sam_home and f'value="{sam_own.patient_id}"' in sam_home
    assert "Record of Milo Rivers" in text(dana.get("/home"))
    # Dana cannot switch to Sam's own chart: refused, and she stays on Milo's.
    refused = post_form(dana, "/acting-for", {"patient_id": sam_own.patient_id}, page_url="/home")
    assert refused.status_code == 302
    after = text(dana.get("/home"))
    assert get_message("switch_refused")[0] in after and "Record of Milo Rivers" in after
    assert "Sam Rivers" not in after


def test_a_guardian_of_two_children_switches_between_them(app, desk, outbox, milo, june,
                                                          audit_trail):
    dana = join_new(app, invite(app, desk, outbox, milo), milo)
    # June's invitation, opened while signed in: June joins the same account.
    consent_on_file(app, june)
    prove(dana, invite(app, desk, outbox, june), june)
    assert post_form(dana, "/join/account", {}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(PatientAccount.id).where(
            PatientAccount.holder_name == "Dana Rivers")) is not None
        assert len(db.session.scalars(select(PatientAccount)).all()) == 1  # one account
    home = text(dana.get("/home"))
    assert "Record of June Rivers, born August 30, 2012" in home  # the one just added
    assert '<label for="acting-for-choice">Open the record of</label>' in home
    switched = post_form(dana, "/acting-for", {"patient_id": milo.id}, page_url="/home")
    assert switched.status_code == 302
    assert "Record of Milo Rivers" in text(dana.get("/records"))
    chosen = audit_trail.rows("proxy.chart_chosen")
    assert [row.patient_id for row in chosen] == [milo.id]


def test_a_confidential_result_is_absent_from_every_guardian_view(
        app, desk, outbox, milo, publish_entry, nurse, staff_client):
    plain = publish_entry("immunization", patient_id=milo.id)
    secret = publish_entry("lab", patient_id=milo.id, test="Pregnancy test, urine")
    nurse_browser = staff_client(staff=nurse, direct=True)
    marked = post_form(nurse_browser,
                       f"/staff/patients/{milo.id}/access/confidential/record_entry/{secret}/mark",
                       {"basis": "minor_consent", "service": "pregnancy"},
                       page_url=f"/staff/patients/{milo.id}/access/confidential/record_entry/{secret}")
    assert marked.status_code == 302
    dana = join_new(app, invite(app, desk, outbox, milo), milo)
    sam = join_new(app, invite(app, desk, outbox, milo, SAM), milo, SAM, username="sam.rivers")
    for guardian in (dana, sam):
        overview = words(guardian.get("/records"))
        assert "Lab and test results Nothing shared yet" in overview
        assert "Immunizations 1 entry 1 new" in overview
        labs = text(guardian.get("/records/lab"))
        assert "Pregnancy" not in labs
        assert guardian.get(f"/records/lab/{secret}").status_code == 404
        assert guardian.get(f"/records/lab/{secret}.pdf").status_code == 404
        category_pdf = guardian.get("/records/lab.pdf")
        assert category_pdf.status_code == 200
        pdf_text = "".join(page.extract_text() for page in
                           PdfReader(io.BytesIO(category_pdf.data)).pages)
        assert "Pregnancy" not in pdf_text
        with guardian.get("/records/download.zip") as response:  # closed, as a server does
            archive = zipfile.ZipFile(io.BytesIO(response.data))
        for name in archive.namelist():
            assert b"Pregnancy" not in archive.read(name), name
        home = words(guardian.get("/home"))
        assert "1 new in your health record Immunizations : 1 new" in home
        assert "Pregnancy" not in home and "Lab and test results" not in home
        # The access history is the patient's own page.
        assert guardian.get("/records/history").status_code == 403
    # The immunization, not marked, is there: nothing is hidden by age alone.
    assert sam.get(f"/records/immunization/{plain}").status_code == 200
    # No email to a guardian told of the result.
    assert not [email for email in outbox.queued
                if email.recipient in (DANA["email"], SAM["email"])
                and email.template != "guardian_invitation"]


def test_a_limited_guardian_sees_immunizations_but_not_results(app, desk, outbox, june,
                                                               publish_entry):
    shot = publish_entry("immunization", patient_id=june.id)
    lab = publish_entry("lab", patient_id=june.id)
    dana = join_new(app, invite(app, desk, outbox, june), june)
    grant = grant_of(app, june.id, DANA["email"])
    page = f"/staff/patients/{june.id}/access/grants/{grant.id}"
    limited = post_form(desk, f"{page}/scope", {"scope-scope": "limited",
                                                "scope-reason": "June asked, aged 14"},
                        page_url=page)
    assert limited.status_code == 302, text(limited)
    assert dana.get(f"/records/immunization/{shot}").status_code == 200
    assert dana.get(f"/records/lab/{lab}").status_code == 404
    assert dana.get("/records/lab").status_code == 404
    overview = text(dana.get("/records"))
    assert "Immunizations" in overview and "Lab and test results" not in overview
    assert dana.get("/messages").status_code == 200


def test_access_ends_at_the_18th_birthday_in_the_practice_zone(app, staff_client, outbox,
                                                               make_patient, clock, save_practice):
    save_practice(time_zone="America/New_York")
    # Ada and Cal turn 18 on 2026-11-24; midnight in New York is 05:00 UTC. The guardian
    # signs in ten minutes before (a session lasts 15 idle minutes).
    clock.move_to("2026-11-24 04:50:00")
    desk = staff_client("front_desk", direct=True)
    teen = make_patient(account_number="T-3010", first_name="Ada", last_name="Rivers",
                        date_of_birth=date(2008, 11, 24), email="")
    conserved = make_patient(account_number="T-3011", first_name="Cal", last_name="Rivers",
                             date_of_birth=date(2008, 11, 24), email="")
    dana = join_new(app, invite(app, desk, outbox, teen), teen)
    consent_on_file(app, conserved)
    prove(dana, invite(app, desk, outbox, conserved), conserved)
    assert post_form(dana, "/join/account", {}).status_code == 302
    grant = grant_of(app, conserved.id, DANA["email"])
    page = f"/staff/patients/{conserved.id}/access/grants/{grant.id}"
    order = post_form(desk, f"{page}/court-order", {
        "order-order": "conservatorship", "order-review_on-month": "11",
        "order-review_on-day": "30", "order-review_on-year": "2027"}, page_url=page)
    assert order.status_code == 302, text(order)
    post_form(dana, "/acting-for", {"patient_id": teen.id}, page_url="/home")
    clock.move_to("2026-11-24 04:59:59")
    assert "Record of Ada Rivers" in text(dana.get("/records"))
    clock.move_to("2026-11-24 05:00:00")
    # The next request: Ada's record is gone, Cal's (the conservatorship) remains.
    page = text(dana.get("/records"))
    assert "Ada Rivers" not in page and "Record of Cal Rivers" in page


def test_a_paused_or_ended_grant_ends_access_at_the_next_request(app, desk, outbox, milo):
    dana = join_new(app, invite(app, desk, outbox, milo), milo)
    grant = grant_of(app, milo.id, DANA["email"])
    page = f"/staff/patients/{milo.id}/access/grants/{grant.id}"
    paused = post_form(desk, f"{page}/suspend", {"suspend-reason": "Custody review"},
                       page_url=page)
    assert paused.status_code == 302
    gone = dana.get("/records")
    assert gone.status_code == 302 and gone.location.endswith("/no-record")
    assert "No record to open" in text(dana.get("/no-record"))
    assert dana.get("/profile").status_code == 200  # their own account stays theirs
    post_form(desk, f"{page}/reinstate", {}, page_url=page)
    assert dana.get("/records").status_code == 200
    post_form(desk, f"{page}/end", {"end-reason": "custody_changed"}, page_url=page)
    assert dana.get("/records").location.endswith("/no-record")


def test_a_guardian_signs_a_consent_for_the_child(app, desk, outbox, milo):
    dana = join_new(app, invite(app, desk, outbox, milo), milo, consented=False)
    # Milo owes the portal consent: the gate sends his guardian to sign it for him.
    home = dana.get("/home")
    assert home.status_code == 302 and "/consents/" in home.location
    document_id = int(re.search(r"/consents/(\d+)/sign", home.location).group(1))
    assert "Before you continue, please read and sign" in text(dana.get(home.location))
    wrong, _data = sign_on_page(dana, document_id, name="Milo Rivers")
    assert "does not match the name the practice has for you" in text(wrong)
    signed, _data = sign_on_page(dana, document_id, name="Dana Rivers")
    assert signed.status_code == 302, text(signed)
    from portal.models import Signature
    with app.app_context():
        signature = db.session.scalars(select(Signature).where(
            Signature.patient_id == milo.id)).one()
        assert (signature.signer_name, signature.signer_role) == ("Dana Rivers", "guardian")
        pdf = PdfReader(io.BytesIO(signature.pdf))
        words = " ".join("".join(page.extract_text() for page in pdf.pages).split())
    assert "Signed by Dana Rivers (Parent or guardian) for Milo Rivers" in words
    assert dana.get("/home").status_code == 200



def test_guardians_are_emailed_30_days_before_the_18th_birthday(app, desk, outbox, make_patient,
                                                                 clock):
    # Turns 18 on 2026-12-23: 30 days after today (2026-11-23).
    teen = make_patient(account_number="T-3020", first_name="Ada", last_name="Rivers",
                        date_of_birth=date(2008, 12, 23), email="")
    join_new(app, invite(app, desk, outbox, teen), teen)
    from portal.services.proxies import notices

    def ending_emails():
        return [email for email in outbox.queued if email.template == "guardian_access_ending"]

    clock.move_to("2026-11-22 15:00:00")  # 31 days before: not yet
    with app.app_context():
        assert notices.send_ending_notices() == 0
    clock.move_to("2026-11-23 15:00:00")
    with app.app_context():
        assert notices.send_ending_notices() == 1
        assert notices.send_ending_notices() == 0  # once
    [email] = ending_emails()
    assert email.recipient == DANA["email"]
    assert "Your access to it ends on December 23, 2026" in email.body_text
    assert "Ada" not in email.body_text and "Ada" not in email.subject
    assert_sign_in_link(app, email)


def test_the_patients_own_invitation_never_goes_to_a_guardians_email(app, desk, outbox,
                                                                     make_patient):
    teen = make_patient(account_number="T-3030", first_name="Ada", last_name="Rivers",
                        date_of_birth=date(2010, 3, 1), email="dana@example.com")
    invite(app, desk, outbox, teen)
    before = len(outbox.queued)
    chart = f"/staff/patients/{teen.id}"
    refused = post_form(desk, f"{chart}/invitation", {}, page_url=chart)
    assert refused.status_code == 302
    page = text(desk.get(refused.location))
    assert get_message("invitation_guardian_email")[0] in page
    assert len(outbox.queued) == before


# -- Representatives an adult patient chooses (part 2) -----------------------------------------

REP_LINK = re.compile(r"http://portal\.test(/representative\?t=\S+)")
ALEX = {"full_name": "Alex Quill", "email": "alex@example.com", "relationship": "adult_child",
        "permissions": ["records"], "ends_on-month": "05", "ends_on-day": "23",
        "ends_on-year": "2028"}


@pytest.fixture
def robin(make_account, patient_client, clock):
    """Robin Quill (born 1980-04-09), signed in to her own account."""
    account = make_account()
    browser = patient_client("robin")
    browser.account = account
    return browser


def authorize(robin, **changes):
    """Robin chooses Alex and signs the authorization: the invitation's link."""
    choice = {**ALEX, **changes}
    shown = post_form(robin, "/profile/access/new", choice)
    assert shown.status_code == 200 and "Read and sign your authorization" in text(shown), text(shown)
    signed = post_form(robin, "/profile/access/authorize",
                       {**choice, "legal_name": "Robin Quill", "agree": "y"},
                       page_url="/profile/access/new")
    assert signed.status_code == 302 and signed.location.endswith("/profile/access")
    return signed


def rep_identity(**changes):
    return {"patient_date_of_birth-month": "04", "patient_date_of_birth-day": "09",
            "patient_date_of_birth-year": "1980", "date_of_birth-month": "02",
            "date_of_birth-day": "11", "date_of_birth-year": "2001", **changes}


def join_as_rep(app, outbox):
    link = REP_LINK.search(outbox.queued[-1].body_text).group(1)
    alex = app.test_client()
    assert alex.get(link).location.endswith("/join")
    passed = post_form(alex, "/join", rep_identity())
    assert passed.status_code == 302, text(passed)
    made = post_form(alex, "/join/account", {
        "username": "alex.quill", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
        "question": "childhood_hero", "answer": SECURITY_ANSWER, "agree": "y"})
    assert made.status_code == 302 and made.location.endswith("/home"), text(made)
    return alex


def test_a_patient_authorizes_a_representative_who_joins(app, robin, outbox, audit_trail):
    form = text(robin.get("/profile/access/new"))
    assert 'value="2028"' in form and 'name="ends_on-month"' in form  # 18 months from today
    shown = post_form(robin, "/profile/access/new", ALEX)
    page = words(shown)
    # What, to whom, why, until when, how to revoke.
    assert "I, Robin Quill, born April 9, 1980, authorize" in page
    assert "Alex Quill (alex@example.com, son or daughter)" in page
    assert "to: view the health record." in page
    assert "Purpose: to help me with my health care, at my request." in page
    assert "ends at the end of May 23, 2028" in page
    assert "I can revoke it at any time" in page
    unsigned = post_form(robin, "/profile/access/authorize",
                         {**ALEX, "legal_name": "Someone Else", "agree": "y"},
                         page_url="/profile/access/new")
    assert "The name you typed does not match our records." in text(unsigned)
    assert not [email for email in outbox.queued if email.recipient == "alex@example.com"]
    authorize(robin)
    email = outbox.queued[-1]
    assert email.recipient == "alex@example.com" and email.template == "representative_invitation"
    with app.app_context():
        grant = db.session.scalar(select(ProxyGrant).where(ProxyGrant.kind == "representative"))
        assert (grant.may_records, grant.may_message, grant.may_sign) == (True, False, False)
        assert grant.access_ends_on == date(2028, 5, 23)
        assert grant.authorized_name == "Robin Quill"
        assert "Purpose: to help me with my health care" in grant.authorization_text
    listed = words(robin.get("/profile/access"))
    assert "Alex Quill Invited" in listed and "View the health record" in listed
    alex = join_as_rep(app, outbox)
    assert "Record of Robin Quill, born April 9, 1980" in words(alex.get("/home"))
    assert [row.action for row in audit_trail.rows("proxy.representative_joined")] == [
        "proxy.representative_joined"]


def test_a_wrong_date_of_birth_is_refused_and_five_void_the_invitation(app, robin, outbox):
    authorize(robin)
    link = REP_LINK.search(outbox.queued[-1].body_text).group(1)
    alex = app.test_client()
    alex.get(link)
    young = post_form(alex, "/join", rep_identity(**{"date_of_birth-year": "2010"}))
    assert get_message("representative_identity_too_young")[0] in text(young)
    for _try in range(4):
        wrong = post_form(alex, "/join", rep_identity(**{"patient_date_of_birth-day": "10"}))
        assert get_message("representative_identity_failed")[0] in text(wrong)
    fifth = post_form(alex, "/join", rep_identity(**{"patient_date_of_birth-day": "10"}))
    assert fifth.status_code == 410 and "stopped working" in text(fifth)
    assert alex.get("/join").status_code == 410


def test_a_view_only_representative_gets_403_on_messages_audited(app, robin, outbox, audit_trail):
    authorize(robin)
    alex = join_as_rep(app, outbox)
    assert alex.get("/records").status_code == 200
    nav = text(alex.get("/home"))
    assert 'href="/messages"' not in nav and 'href="/records"' in nav
    assert alex.get("/messages").status_code == 403
    sent = alex.post("/messages/new", data={"subject": "Hello", "body": "Hi"})
    assert sent.status_code in (400, 403)  # no CSRF token: refused before or at the guard
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(alex.get("/records"))).group(1)
    refused = alex.post("/messages/new", data={"csrf_token": token, "subject": "Hello",
                                               "body": "Hi", "topic": "1"})
    assert refused.status_code == 403
    rows = audit_trail.rows("proxy.refused")
    assert [row.detail for row in rows][-1] == "POST messages.compose"
    assert alex.get("/consents").status_code == 403


def test_revoking_a_representative_ends_their_access_at_once(app, robin, outbox, audit_trail):
    authorize(robin)
    alex = join_as_rep(app, outbox)
    assert alex.get("/records").status_code == 200
    with app.app_context():
        grant_id = db.session.scalar(select(ProxyGrant.id).where(
            ProxyGrant.kind == "representative"))
    revoked = post_form(robin, "/profile/access/revoke", {"grant_id": grant_id},
                        page_url="/profile/access")
    assert revoked.status_code == 302
    assert get_message("representative_revoked", name="Alex Quill")[0] in text(
        robin.get("/profile/access"))
    gone = alex.get("/records")
    assert gone.status_code == 302 and gone.location.endswith("/no-record")
    assert len(audit_trail.rows("proxy.representative_revoked")) == 1


def test_the_patient_is_reminded_30_days_before_a_representatives_last_day(app, robin, outbox,
                                                                           clock):
    from portal.services.proxies import notices

    # The last day is 2026-12-22: the reminder goes from 2026-11-23 (29 days before).
    authorize(robin, **{"ends_on-month": "12", "ends_on-day": "22", "ends_on-year": "2026"})
    join_as_rep(app, outbox)
    with app.app_context():
        assert notices.send_ending_notices() == 1
        assert notices.send_ending_notices() == 0
    email = outbox.queued[-1]
    assert email.recipient == "robin.quill@example.com"
    assert email.template == "representative_access_ending"
    assert "can do so until December 22, 2026" in email.body_text
    assert_sign_in_link(app, email)


def test_staff_make_a_childs_account_the_parents_keeping_its_messages(
        app, desk, make_account, patient_client, audit_trail, topics):
    # A parent enrolled as Milo: Milo's chart has its own account, at the parent's address.
    own = make_account(username="milo", account_number="T-3040", first_name="Milo",
                       last_name="Rivers", date_of_birth=MILO_BORN, email="dana@example.com")
    parent = patient_client("milo")
    sent = compose(parent, topics["Question for my care team"], subject="Ear infection",
                   body="Still sore.")
    assert sent.status_code == 302, text(sent)
    section = f"/staff/patients/{own.patient_id}/access"
    assert post_form(desk, f"{section}/guardians", DANA, page_url=section).status_code == 302
    grant = grant_of(app, own.patient_id, DANA["email"])
    page = f"{section}/grants/{grant.id}"
    assert "Make it Dana Rivers's account" in text(desk.get(page))
    taken = post_form(desk, f"{page}/take-over", {}, page_url=page)
    assert taken.status_code == 302
    with app.app_context():
        account = db.session.get(PatientAccount, own.id)
        assert (account.patient_id, account.holder_name) == (None, "Dana Rivers")
        assert account.holder_date_of_birth == date(1984, 7, 19)
        assert db.session.get(ProxyGrant, grant.id).account_id == own.id
    # The same sign-in now opens Milo's record as his parent; the message is still there.
    home = words(parent.get("/home"))
    assert "Hello, Dana" in home
    assert "Record of Milo Rivers, born May 2, 2016 (you act for them as their parent)" in home
    assert "Ear infection" in text(parent.get("/messages"))
    [row] = audit_trail.rows("proxy.account_taken_over")
    assert (row.patient_id, row.object_id) == (own.patient_id, str(own.id))


def test_staff_see_what_a_guardian_did(app, desk, outbox, milo, publish_entry):
    entry = publish_entry("immunization", patient_id=milo.id)
    dana = join_new(app, invite(app, desk, outbox, milo), milo)
    assert dana.get(f"/records/immunization/{entry}").status_code == 200
    grant = grant_of(app, milo.id, DANA["email"])
    page = words(desk.get(f"/staff/patients/{milo.id}/access/grants/{grant.id}"))
    assert "What they did in the portal" in page
    assert f"record.viewed entry immunization; shown: {entry}" in page
    assert "proxy.guardian_joined" in page


def test_the_home_sums_up_what_waits_for_each_child(app, desk, outbox, milo, june,
                                                    publish_entry):
    publish_entry("immunization", patient_id=june.id)
    publish_entry("lab", patient_id=june.id)
    dana = join_new(app, invite(app, desk, outbox, milo), milo)
    consent_on_file(app, june)
    prove(dana, invite(app, desk, outbox, june), june)
    assert post_form(dana, "/join/account", {}).status_code == 302
    post_form(dana, "/acting-for", {"patient_id": milo.id}, page_url="/home")
    home = words(dana.get("/home"))
    assert "Record of Milo Rivers" in home
    assert "Waiting for June Rivers" in home
    assert "2 new in the health record" in home
    page = text(dana.get("/home"))
    assert f'<input type="hidden" name="patient_id" value="{june.id}">' in page
    assert "Open the record of June Rivers" in page


# -- A teen's own account and messages (part 4) ------------------------------------------------

def test_a_minor_gets_an_own_account_only_from_the_practices_age(app, desk, make_patient,
                                                                 save_practice, outbox):
    twelve = make_patient(account_number="T-3050", first_name="Ivy", last_name="Rivers",
                          date_of_birth=date(2014, 6, 1), email="ivy@example.com")
    chart = f"/staff/patients/{twelve.id}"
    refused = post_form(desk, f"{chart}/invitation", {}, page_url=chart)
    assert get_message("invitation_too_young")[0] in text(desk.get(refused.location))
    assert "gives a patient this young no account of their own" in text(desk.get(chart))
    letter = post_form(desk, f"{chart}/activation-letter.pdf", {}, page_url=chart)
    assert letter.status_code == 302  # no letter either
    assert not outbox.queued
    save_practice(teen_account_age=12)
    sent = post_form(desk, f"{chart}/invitation", {}, page_url=chart)
    assert get_message("invitation_sent")[0] in text(desk.get(sent.location))
    assert [email.recipient for email in outbox.queued] == ["ivy@example.com"]


def test_a_teen_chooses_who_reads_each_message(app, desk, outbox, make_account, patient_client,
                                               topics, save_practice):
    teen = make_account(username="june", account_number="T-3060", first_name="June",
                        last_name="Rivers", date_of_birth=JUNE_BORN, email="june@example.com")
    june = patient_client("june")
    chart = SimpleNamespace(id=teen.patient_id, date_of_birth=JUNE_BORN,
                            account_number="T-3060")
    dana = join_new(app, invite(app, desk, outbox, chart), chart, consented=False)
    care_team = topics["Question for my care team"]
    page = text(june.get(f"/messages/new?topic={care_team}"))
    assert "Who may read this conversation?" in page
    assert '<input checked class="radio-input" id="audience-0" name="audience" type="radio" ' \
        'value="private">' in page
    private = compose(june, care_team, subject="A private question", body="Just for you.",
                      audience="private")
    shared = compose(june, care_team, subject="A shared question", body="Mom can see.",
                     audience="family")
    assert private.status_code == shared.status_code == 302
    inbox_page = text(dana.get("/messages"))
    assert "A shared question" in inbox_page and "A private question" not in inbox_page
    private_id = int(private.location.rsplit("/", 1)[1])
    assert dana.get(f"/messages/{private_id}").status_code == 404
    # The teen sees both; staff see the mark, at the patient's request.
    mine = text(june.get("/messages"))
    assert "A private question" in mine and "A shared question" in mine
    section = text(desk.get(f"/staff/patients/{teen.patient_id}/access"))
    assert "The patient asked" in section
    # A practice that includes the family by default: "family" comes chosen.
    save_practice(teen_messages_private=False)
    again = text(june.get(f"/messages/new?topic={care_team}"))
    assert '<input checked class="radio-input" id="audience-1" name="audience" type="radio" ' \
        'value="family">' in again


def test_a_parent_at_the_desk_joins_with_a_printed_letter(app, desk, milo, audit_trail):
    consent_on_file(app, milo)
    section = f"/staff/patients/{milo.id}/access"
    assert post_form(desk, f"{section}/guardians", DANA, page_url=section).status_code == 302
    grant = grant_of(app, milo.id, DANA["email"])
    page = f"{section}/grants/{grant.id}"
    assert "Print an activation letter (PDF)" in text(desk.get(page))
    printed = post_form(desk, f"{page}/letter.pdf", {}, page_url=page)
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    [printed_row] = audit_trail.rows("proxy.letter_printed")
    [exported] = audit_trail.rows("guardian_letter.exported")
    assert printed_row.patient_id == exported.patient_id == milo.id
    letter = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(printed.data)).pages)
                      .split())
    assert "Dear Dana Rivers" in letter and "Milo" in letter
    assert "T-3001" not in letter and "2016" not in letter  # no account number, no birth date
    assert "go to http://portal.test/activate" in letter  # the page the code is typed on
    code = re.search(r"Your activation code ([A-Z0-9]{4} [A-Z0-9]{4} [A-Z0-9]{4})", letter).group(1)
    parent = app.test_client()
    typed = post_form(parent, "/activate", {"code": code.lower()})
    assert typed.status_code == 302 and typed.location.endswith("/join")
    assert "Your child's date of birth" in text(parent.get("/join"))
    assert post_form(parent, "/join", identity(milo)).status_code == 302
    made = post_form(parent, "/join/account", {
        "username": "dana.rivers", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
        "question": "childhood_hero", "answer": SECURITY_ANSWER, "agree": "y"})
    assert made.status_code == 302 and made.location.endswith("/home"), text(made)
    assert "Record of Milo Rivers" in words(parent.get("/home"))
    again = post_form(app.test_client(), "/activate", {"code": code})
    assert again.status_code == 410


def test_a_guardian_with_an_account_signs_in_from_the_invitation(app, desk, outbox, milo,
                                                                 make_account, auth):
    make_account(username="sam", account_number="T-4001", first_name="Sam", last_name="Rivers",
                 date_of_birth=date(1982, 1, 5), email="sam@example.com")
    consent_on_file(app, milo)
    link = invite(app, desk, outbox, milo, SAM)
    browser = auth.client
    prove(browser, link, milo, SAM)
    asked = text(browser.get("/join/account"))
    assert "You already have a portal account" in asked
    assert 'href="/sign-in?next=/join/account"' in asked
    signed_in = post_form(browser, "/sign-in?next=/join/account",
                          {"username": "sam", "password": PATIENT_PASSWORD},
                          page_url="/sign-in?next=/join/account")
    assert signed_in.status_code == 302 and signed_in.location.endswith("/join/account")
    # The verified invitation survived signing in: one button adds Milo.
    assert "Add Milo's record to your account" in text(browser.get("/join/account"))
    added = post_form(browser, "/join/account", {})
    assert added.status_code == 302 and added.location.endswith("/home")
    assert "Record of Milo Rivers" in words(browser.get("/home"))


@pytest.mark.parametrize("changes, message", [
    ({"permissions": []}, "Choose at least one thing they may do."),
    ({"ends_on-year": "2026", "ends_on-month": "11", "ends_on-day": "23"},
     "The last day must be after today."),
    ({"ends_on-year": "2031", "ends_on-month": "11", "ends_on-day": "25"},
     "The last day can be at most 5 years from today."),
    ({"email": "Robin.Quill@example.com"}, "That is your own email address."),
])
def test_a_representatives_choice_is_checked_and_kept_when_refused(robin, outbox, changes,
                                                                   message):
    refused = post_form(robin, "/profile/access/new", {**ALEX, **changes})
    page = text(refused)
    assert refused.status_code == 200 and message in page
    assert "Read and sign your authorization" not in page
    assert 'value="Alex Quill"' in page  # nothing typed is lost
    assert not outbox.queued
