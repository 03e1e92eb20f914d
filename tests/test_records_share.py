"""Sharing the health record with another provider (issue 10, item 4), through the pages: the
patient makes a share (who, what, 1 to 30 days) and gets a link and a separate access code,
shown once and stored only as keyed hashes; the provider's browser needs both; it sees only
released entries of the chosen categories, read-only, with downloads; every use is audited and
in the patient's access history; the patient stops it at any time; an expired, stopped or
locked share, a wrong code (throttled) and another patient's entries open nothing."""

import json
import re
from datetime import timedelta

import pytest
from conftest import PATIENT_PASSWORD, post_form
from freezegun import freeze_time
from helpers import pdf_text
from records_data import (
    CODE_PAGE,
    PDF,
    RECORD,
    archive_of,
    change,
    enter_share_code,
    make_share,
    open_share,
    text,
    words,
)

from portal.extensions import db
from portal.models import RecordShare
from portal.models.types import utcnow
from portal.services.records import entries


def wrong(code):
    """Another code of the same shape."""
    return ("Z" if code[0] != "Z" else "Y") + code[1:]


@pytest.fixture
def shared(app, robin_client, publish_entry):
    """Robin's whole record shared (a lab, an immunization and a document), the provider's
    browser open on it: (provider, {category: entry id}, link, code)."""
    ids = {category: publish_entry(category) for category in ("lab", "immunization", "document")}
    link, code, _page = make_share(robin_client)
    return open_share(app, link, code), ids, link, code


# -- making a share ------------------------------------------------------------------------------

def test_the_record_overview_offers_sharing_and_the_list_starts_empty(robin_client):
    assert 'href="/records/shares"' in text(robin_client.get("/records"))
    page = robin_client.get("/records/shares")
    assert "You have not shared your record yet." in text(page)
    assert 'href="/records/shares/new"' in text(page)


def test_a_share_shows_its_link_and_code_once_and_keeps_only_their_hashes(
        app, robin_client, audit_trail):
    link, code, page = make_share(robin_client, days="30")
    assert "shown only on this page" in words(page)
    assert re.fullmatch(r"[A-Z2-9]{4} [A-Z2-9]{4}", code)  # 8 symbols in two groups
    token = link.split("s=", 1)[1]
    assert len(token) >= 32
    with app.app_context():
        share = db.session.scalars(db.select(RecordShare)).one()
        stored = " ".join(str(value) for value in (share.link_hash, share.code_hash,
                                                   share.recipient, share.categories))
        assert token not in stored and code.replace(" ", "") not in stored
        assert share.whole_record and share.recipient == "Dr. Lee, Lakeside Cardiology"
        assert timedelta(days=29, hours=23) < share.expires_at - utcnow() <= timedelta(days=30)
    assert audit_trail.rows("record_share.created")[0].detail == "parts: all; days: 30"
    listed = words(robin_client.get("/records/shares"))
    assert "Dr. Lee, Lakeside Cardiology The whole record" in listed
    assert "Not yet Working" in listed
    assert token not in text(robin_client.get("/records/shares"))  # never shown again


@pytest.mark.parametrize("form, field, message", [
    ({"recipient": ""}, "recipient", "Enter who you are sharing with"),
    ({"recipient": "x" * 121}, "recipient", "Use at most 120 characters."),
    ({"scope": ""}, "categories", "Choose the whole record, or at least one part of it."),
    ({"scope": "parts"}, "categories", "Choose the whole record, or at least one part of it."),
    ({"days": "0"}, "days", "Choose from 1 to 30 days."),
    ({"days": "31"}, "days", "Choose from 1 to 30 days."),
    ({"days": "a week"}, "days", "Choose from 1 to 30 days."),
])
def test_a_refused_share_says_why_keeps_what_was_typed_and_saves_nothing(
        app, robin_client, form, field, message):
    answer = post_form(robin_client, "/records/shares/new",
                       {"recipient": "Dr. Lee", "scope": "whole", "days": "7",
                        "current_password": PATIENT_PASSWORD, **form})
    assert answer.status_code == 400
    assert message in text(answer)
    assert f'id="{field}-error"' in text(answer)
    if form.get("recipient", "").startswith("x"):
        assert 'value="' + "x" * 121 in text(answer)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(RecordShare)) == 0


def test_1_and_30_days_are_accepted(robin_client):
    for days in ("1", "30"):
        make_share(robin_client, days=days)


def test_ticked_parts_share_only_those(app, robin_client, publish_entry):
    lab, vaccine = publish_entry("lab"), publish_entry("immunization")
    link, code, page = make_share(robin_client, scope="parts", categories=["lab"])
    assert "Lab and test results" in words(page) and "Immunizations" not in words(page)
    provider = open_share(app, link, code)
    overview = words(provider.get(RECORD))
    assert "Lab and test results 1 entry" in overview and "Immunizations" not in overview
    assert provider.get(f"{RECORD}/lab/{lab}").status_code == 200
    for path in (f"{RECORD}/immunization", f"{RECORD}/immunization/{vaccine}",
                 f"{RECORD}/immunization/{vaccine}.pdf", f"{RECORD}/immunization.pdf"):
        assert provider.get(path).status_code == 404, path
    with archive_of(provider) as archive:
        bundle = json.loads(archive.read("record.fhir.json"))
        summary = pdf_text(archive.read("record-summary.pdf"))
        readme = archive.read("README.txt").decode()
    kinds = {item["resource"]["resourceType"] for item in bundle["entry"]}
    assert "Observation" in kinds and "Immunization" not in kinds
    assert "Lab and test results" in summary and "Glucose, fasting" in summary
    assert "Immunizations" not in summary and "Influenza" not in summary
    assert "- Lab and test results: 1" in readme
    assert "Immunizations" not in readme and "Bills and statements" not in readme


# -- what the provider sees ---------------------------------------------------------------------

def test_the_provider_reads_and_downloads_the_shared_record(app, shared, robin_account, audit_trail):
    provider, ids, _link, _code = shared
    overview = words(provider.get(RECORD))
    assert "Shared health record of Robin Quill, born 04/09/1980." in overview
    assert "Shared by the patient with Dr. Lee, Lakeside Cardiology until" in overview
    lab_list = words(provider.get(f"{RECORD}/lab"))
    assert "Glucose, fasting 03/02/2026 126 mg/dL 70-99 Abnormal: high" in lab_list
    assert "New" not in lab_list.split("Lab and test results", 1)[1]  # the patient's marks
    entry = provider.get(f"{RECORD}/lab/{ids['lab']}")
    assert "Abnormal: high." in words(entry)
    with app.app_context():  # the provider's reading does not mark it seen for the patient
        assert db.session.get(entries.RecordEntry, ids["lab"]).patient_seen_at is None

    pdf = provider.get(f"{RECORD}/lab/{ids['lab']}.pdf")
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="lab-{ids["lab"]}.pdf"'
    assert pdf.headers["Cache-Control"] == "no-store"
    assert "Glucose, fasting" in pdf_text(pdf.data) and "126" in pdf_text(pdf.data)
    assert "Influenza" in pdf_text(provider.get(f"{RECORD}/immunization.pdf").data)
    original = provider.get(f"{RECORD}/documents/{ids['document']}/file")
    assert original.data == PDF and original.headers["Cache-Control"] == "no-store"
    with archive_of(provider) as opened:
        names = set(opened.namelist())
    assert {"record-summary.pdf", "record.fhir.json", "README.txt",
            f"documents/document-{ids['document']}.pdf"} <= names

    for action in ("record_entry.exported", "record_category.exported", "record_file.exported",
                   "record_archive.exported"):  # each download once, by the share
        assert [(row.actor_kind, row.patient_id) for row in audit_trail.rows(action)] == [
            ("share", robin_account.patient_id)], action
    assert all(row.patient_id == robin_account.patient_id for row in audit_trail.rows("record.viewed"))


def test_the_link_alone_opens_nothing(app, robin_client, publish_entry):
    lab = publish_entry("lab")
    link, _code, _page = make_share(robin_client)
    provider = app.test_client()
    landed = provider.get(link)
    assert landed.status_code == 302 and landed.headers["Location"] == CODE_PAGE  # token put away
    assert "Type the access code" in text(provider.get(CODE_PAGE))
    for path in (RECORD, f"{RECORD}/lab", f"{RECORD}/lab/{lab}", f"{RECORD}/lab/{lab}.pdf",
                 f"{RECORD}/download.zip"):
        answer = provider.get(path)
        assert answer.status_code == 302 and answer.headers["Location"] == CODE_PAGE, path
    # Without the link at all, the pages say to open it.
    stranger = app.test_client()
    assert stranger.get(CODE_PAGE).status_code == 400
    assert stranger.get(RECORD).status_code == 400
    assert "Open the link you were given" in text(stranger.get(RECORD))


def test_a_link_sent_before_the_move_to_record_share_still_opens_the_code_page(
        app, robin_client, publish_entry):
    """Links emailed and printed before the URLs moved say /shared: a GET there redirects
    permanently to /record-share with the same query, which opens the code page."""
    lab = publish_entry("lab")
    link, code, _page = make_share(robin_client)
    old_link = link.replace("/record-share?", "/shared?", 1)
    provider = app.test_client()
    moved = provider.get(old_link)
    assert moved.status_code == 301 and moved.headers["Location"] == link
    assert provider.get(link).headers["Location"] == CODE_PAGE
    code_page = provider.get(CODE_PAGE)
    assert code_page.status_code == 200 and "Access code" in text(code_page)
    assert enter_share_code(provider, code).headers["Location"] == RECORD
    for old, new in (("/shared", CODE_PAGE), ("/shared/record", RECORD),
                     ("/shared/record/lab?page=2", f"{RECORD}/lab?page=2"),
                     (f"/shared/record/lab/{lab}", f"{RECORD}/lab/{lab}"),
                     (f"/shared/record/lab/{lab}.pdf", f"{RECORD}/lab/{lab}.pdf")):
        answer = provider.get(old)
        assert answer.status_code == 301 and answer.headers["Location"] == new
    assert provider.get(f"{RECORD}/lab/{lab}").status_code == 200
    assert provider.post("/shared/close").status_code == 404  # only GETs keep their old URL


def test_an_unknown_or_damaged_link_opens_nothing(app, robin_client):
    link, _code, _page = make_share(robin_client)
    provider = app.test_client()
    for bad in (link[:-3] + "abc", "/record-share?s=", "/record-share?s=" + "x" * 300):
        answer = provider.get(bad)
        assert answer.status_code == 404, bad
        assert "This link does not open a shared record" in text(answer)


def test_a_wrong_code_is_refused_counted_and_shown_to_the_patient(
        app, robin_client, audit_trail):
    link, code, _page = make_share(robin_client)
    provider = app.test_client()
    provider.get(link)
    answer = enter_share_code(provider, wrong(code))
    assert answer.status_code == 400
    assert "That access code is not right." in text(answer)
    assert provider.get(RECORD).headers["Location"] == CODE_PAGE
    assert audit_trail.rows("record_share.code_refused")[0].detail == "wrong codes: 1"
    assert enter_share_code(provider, code.lower().replace(" ", "-")).headers["Location"] == RECORD
    history = words(robin_client.get("/records/history"))
    assert ("Someone with the link you shared with Dr. Lee, Lakeside Cardiology typed a wrong "
            "access code") in history
    assert ("Someone with the link you shared with Dr. Lee, Lakeside Cardiology opened it with "
            "the access code") in history


def test_the_share_locks_at_the_10th_wrong_code(app, robin_client):
    link, code, _page = make_share(robin_client)
    provider = app.test_client()
    provider.get(link)
    for _attempt in range(9):
        assert enter_share_code(provider, wrong(code)).status_code == 400
    locked = enter_share_code(provider, wrong(code))
    assert locked.status_code == 410
    assert "This shared record is locked" in text(locked)
    assert app.test_client().get(link).status_code == 410  # the right code comes too late
    listed = words(robin_client.get("/records/shares"))
    assert "Locked: too many wrong access codes" in listed


def test_codes_are_limited_to_10_per_address_per_15_minutes(app, clock, robin_client):
    first, first_code, _page = make_share(robin_client, recipient="Dr. One")
    second, second_code, _page = make_share(robin_client, recipient="Dr. Two")
    provider = app.test_client()
    provider.get(first)
    for _attempt in range(5):
        enter_share_code(provider, wrong(first_code))
    provider.get(second)
    for _attempt in range(5):
        assert enter_share_code(provider, wrong(second_code)).status_code == 400
    assert enter_share_code(provider, second_code).status_code == 429  # the 11th, even right
    clock.tick(15 * 60 + 1)
    assert enter_share_code(provider, second_code).headers["Location"] == RECORD


def test_a_post_without_the_csrf_token_is_refused_and_not_counted(app, robin_client):
    link, code, _page = make_share(robin_client)
    provider = app.test_client()
    provider.get(link)
    assert provider.post(CODE_PAGE, data={"code": code}).status_code == 400
    with app.app_context():
        assert db.session.scalars(db.select(RecordShare)).one().opened_count == 0


def test_an_open_share_asks_for_the_code_again_after_an_hour(app, clock, robin_client):
    link, code, _page = make_share(robin_client)
    provider = open_share(app, link, code)
    clock.tick(59 * 60)
    assert provider.get(RECORD).status_code == 200
    clock.tick(2 * 60)
    assert provider.get(RECORD).headers["Location"] == CODE_PAGE


def test_an_expired_share_shows_a_clear_page(app, robin_client, publish_entry, patient_client):
    lab = publish_entry("lab")
    link, code, _page = make_share(robin_client, days="1")
    provider = open_share(app, link, code)
    with freeze_time(utcnow() + timedelta(days=1, minutes=1)):
        for path in (RECORD, f"{RECORD}/lab/{lab}.pdf", CODE_PAGE, link):
            answer = provider.get(path)
            assert answer.status_code == 410, path
            assert "This shared record has expired" in text(answer)
        assert "Expired" in words(patient_client("robin").get("/records/shares"))


def test_the_patient_stops_a_share_and_it_opens_nothing_at_once(app, robin_client, shared,
                                                                  audit_trail):
    provider, ids, link, code = shared
    listed = robin_client.get("/records/shares")
    stop = re.search(r'action="(/records/shares/\d+/stop)"', text(listed)).group(1)
    answer = post_form(robin_client, stop, {}, page_url="/records/shares",
                       follow_redirects=True)
    assert "You stopped sharing with Dr. Lee, Lakeside Cardiology." in words(answer)
    assert "Stopped by you" in words(answer)
    assert audit_trail.rows("record_share.revoked")
    for path in (RECORD, f"{RECORD}/lab/{ids['lab']}", f"{RECORD}/download.zip", link):
        answer = provider.get(path)
        assert answer.status_code == 410, path
        assert "This shared record was stopped" in text(answer)
    assert app.test_client().get(link).status_code == 410


def test_held_draft_and_retracted_entries_never_reach_a_share(app, robin_client, publish_entry):
    held = publish_entry("lab", release=False, test="Held potassium")
    draft = publish_entry("immunization", release=False, vaccine="Draft vaccine")
    retracted = publish_entry("lab", test="Retracted sodium")
    change(app, retracted, entries.retract)
    with app.app_context():
        entry = db.session.get(entries.RecordEntry, held)
        entry.status = "held"
        db.session.commit()
    publish_entry("lab", test="Released calcium")
    link, code, _page = make_share(robin_client)
    provider = open_share(app, link, code)
    assert "Released calcium" in words(provider.get(f"{RECORD}/lab"))
    for entry_id, category in ((held, "lab"), (draft, "immunization"), (retracted, "lab")):
        assert provider.get(f"{RECORD}/{category}/{entry_id}").status_code == 404
        assert provider.get(f"{RECORD}/{category}/{entry_id}.pdf").status_code == 404
    everything = pdf_text(provider.get(f"{RECORD}/lab.pdf").data)
    with archive_of(provider) as archive:
        everything += pdf_text(archive.read("record-summary.pdf"))
        everything += archive.read("record.fhir.json").decode()
    assert "Released calcium" in everything
    for hidden in ("Held potassium", "Draft vaccine", "Retracted sodium"):
        assert hidden not in everything


def test_another_patient_s_entries_and_shares_are_404(app, shared, make_account, publish_entry,
                                                      patient_client):
    provider, _ids, _link, _code = shared
    other = make_account(username="sam", account_number="T-2002",
                         email="sam@example.com", first_name="Sam")
    theirs = publish_entry("lab", patient_id=other.patient_id, test="Sam's glucose")
    theirs_document = publish_entry("document", patient_id=other.patient_id)
    for path in (f"{RECORD}/lab/{theirs}", f"{RECORD}/lab/{theirs}.pdf",
                 f"{RECORD}/documents/{theirs_document}/file"):
        assert provider.get(path).status_code == 404, path
    assert "Sam's glucose" not in text(provider.get(f"{RECORD}/lab"))
    # Sam sees none of Robin's shares and cannot stop one.
    sam = patient_client("sam")
    assert "Dr. Lee" not in text(sam.get("/records/shares"))
    with app.app_context():
        robin_share = db.session.scalars(db.select(RecordShare)).one().id
    stop = f"/records/shares/{robin_share}/stop"
    assert post_form(sam, stop, {}, page_url="/records/shares").status_code == 404
    assert provider.get(RECORD).status_code == 200  # still working


def test_the_access_history_names_the_share_for_each_use(app, robin_client, shared):
    provider, ids, _link, _code = shared
    provider.get(f"{RECORD}/lab")
    provider.get(f"{RECORD}/lab/{ids['lab']}")
    provider.get(f"{RECORD}/lab/{ids['lab']}.pdf")
    archive_of(provider).close()
    history = words(robin_client.get("/records/history"))
    who = "Someone with the link you shared with Dr. Lee, Lakeside Cardiology"
    for line in (f"{who} opened it with the access code",
                 f"{who} opened your list of lab and test results",
                 f"{who} opened Glucose, fasting",
                 f"{who} downloaded Glucose, fasting as a PDF",
                 f"{who} downloaded your whole record"):
        assert line in history, line
    assert history.index("downloaded your whole record") < history.index("opened it with")
    listed = words(robin_client.get("/records/shares"))
    assert "1 time, last on" in listed


def test_staff_and_visitors_cannot_manage_shares(staff_client, client):
    staff = staff_client("nurse")
    assert staff.get("/records/shares").status_code == 403
    assert staff.get("/records/shares/new").status_code == 403
    answer = client.get("/records/shares")
    assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]


def test_closing_forgets_the_share_in_this_browser(app, shared):
    provider, _ids, _link, _code = shared
    answer = post_form(provider, "/record-share/close", {}, page_url=RECORD, follow_redirects=True)
    assert "You closed the shared record in this browser." in words(answer)
    assert provider.get(RECORD).status_code == 400
