"""Staff roles that match the jobs (issue 19, part 1): one table says what each role may do
(services/permissions.py), every staff and admin route is declared in it, and the whole
matrix, role by action, is walked through the app: each allowed case works, each refused one
answers 403, is audited and changes nothing. The practice admin widens or narrows the rows a
practice may change; the rest stay as they are."""

import html
import io
import re

import pytest
from conftest import CSRF_INPUT
from records_data import CATEGORIES, HOLD_REASON, PDF
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.test import encode_multipart

from portal.extensions import db
from portal.models import (
    AuditEvent,
    Conversation,
    PatientAccount,
    Practice,
    RecordEntry,
    StaffUser,
)
from portal.services import audit, permissions
from portal.services.messages import conversations
from portal.services.messages.topics import ensure_topics
from portal.services.practice import PRACTICE_ID
from portal.services.records import entries

ROLES = ("admin", "provider", "nurse", "front_desk", "billing")
ORIGIN = audit.Origin(None, "203.0.113.7", "Test browser 1.0")

# The issue's table, as the defaults every new practice has.
DEFAULTS = {
    "charts": {"admin", "provider", "nurse", "front_desk", "billing"},
    "publish_clinical": {"admin", "provider", "nurse"},
    "publish_front": {"admin", "provider", "nurse", "front_desk"},
    "publish_statements": {"admin", "front_desk", "billing"},
    "hold": {"provider"},
    "release_held": {"admin", "provider"},
    "retract": {"admin", "provider", "nurse"},
    "read_all_conversations": {"admin", "provider", "nurse"},
    "review_forms": {"admin", "provider", "nurse", "front_desk"},
    "suspend": {"admin", "provider", "nurse"},
    "proxies": {"admin", "provider", "nurse", "front_desk"},  # issue 22: not billing
    "confidential": {"admin", "provider", "nurse"},
    "stop_share": {"admin", "provider", "nurse"},
    "reset_two_step": {"admin"},
    "administer": {"admin"},
}
# Staff-blueprint pages open before sign-in (signing in, its second step, recovery).
PUBLIC_STAFF = {"staff.auth.staff_sign_in", "staff.twostep.setup"}
# Tables a refused request may touch: the audit trail, and the session it came in with.
UNCOUNTED = {"audit_events", "auth_sessions", "rate_limit_hits"}


@pytest.fixture(autouse=True)
def practice(app):
    with app.app_context():
        db.session.add(Practice(id=PRACTICE_ID, name="Maple Street Family Practice",
                                result_holds_allowed=True))
        db.session.commit()


@pytest.fixture
def patient(make_patient):
    return make_patient(account_number="ROLE-1")


@pytest.fixture
def staff(staff_client):
    """staff(role) -> a signed-in browser for a new member of that role (one per role); the
    admin is made first (make_entry publishes as the first admin)."""
    made = {}

    def make(role):
        if role not in made:
            made[role] = staff_client(role, direct=True, email=f"{role}.m@practice.test",
                                      name=f"{role.title()} Member")
        return made[role]

    make("admin")
    return make


def token(browser):
    """The session's CSRF token, from a page every staff member may open."""
    return CSRF_INPUT.search(browser.get("/staff/account/password").get_data(as_text=True)).group(1)


def counts(app):
    """{table: rows} of every table a refused request must leave alone."""
    with app.app_context():
        return {table.name: db.session.scalar(select(func.count()).select_from(table))
                for table in db.metadata.sorted_tables if table.name not in UNCOUNTED}


def refusals(app):
    """The refused-request audit rows, oldest first: (action, detail)."""
    with app.app_context():
        return [(row.action, row.detail) for row in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(
                ("patient.access_refused", "staff.access_refused"))).order_by(AuditEvent.id))]


def assert_refused(app, response, before, action, audited_before):
    """403, nothing changed, and one refusal more on the audit trail naming the action."""
    assert response.status_code == 403, response.get_data(as_text=True)[:300]
    assert counts(app) == before
    rows = refusals(app)
    assert len(rows) == audited_before + 1
    assert rows[-1][1].endswith(f"action: {action}")


def refused_post(app, browser, url, data, action, files=None):
    """POST as a browser would, with the session's token; then assert the refusal."""
    before, audited = counts(app), len(refusals(app))
    response = browser.post(url, data={"csrf_token": token(browser), **data})
    assert_refused(app, response, before, action, audited)


def entry_row(app, entry_id):
    with app.app_context():
        row = db.session.get(RecordEntry, entry_id)
        db.session.expunge(row)
        return row


def make_entry(app, patient_id, category="lab", status="released", held_by=None):
    """An entry straight through the service, by the first admin; its id."""
    from portal.models import Patient

    with app.test_request_context():
        patient = db.session.get(Patient, patient_id)
        author = db.session.scalar(select(StaffUser).where(StaffUser.role == "admin")
                                   .order_by(StaffUser.id))
        entry = entries.publish(patient, category, CATEGORIES[category][0],
                                audit.Origin(author, "203.0.113.7", "Test"),
                                release=status == "released")
        if status == "held":
            provider = db.session.get(StaffUser, held_by)
            entries.hold(entry, HOLD_REASON, provider, db.session.get(Practice, PRACTICE_ID),
                         audit.Origin(provider, "203.0.113.7", "Test"))
        db.session.commit()
        return entry.id


def entry_url(patient_id, entry_id, action=""):
    return f"/staff/patients/{patient_id}/records/{entry_id}" + (f"/{action}" if action else "")


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


# -- the table -------------------------------------------------------------------------------

def test_the_defaults_are_the_issue_s_table(app):
    with app.app_context():
        assert permissions.table() == DEFAULTS
        assert set(permissions.EDITABLE) == {
            "publish_clinical", "publish_front", "publish_statements", "retract",
            "read_all_conversations", "review_forms", "suspend", "stop_share", "proxies",
            "confidential"}


def test_every_staff_and_admin_route_is_guarded_and_declared(app):
    """Walk the URL map: a staff or admin route, or any view behind staff_required, must carry
    the guard and be declared in permissions.ROUTES (or be admin-only by its blueprint)."""
    undeclared, unguarded, seen = [], [], set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        staff_side = rule.endpoint.split(".")[0] in ("staff", "admin")
        if not (staff_side or getattr(view, "staff_guard", False)):
            continue
        if rule.endpoint in PUBLIC_STAFF:
            continue
        seen.add(rule.endpoint)
        if not getattr(view, "staff_guard", False):
            unguarded.append(rule.endpoint)
        if permissions.route_action(rule.endpoint) is None:
            undeclared.append(rule.endpoint)
    assert unguarded == [] and undeclared == []
    assert set(permissions.ROUTES) - seen == set()  # no stale names in the table
    # issue 21: an image attachment, a lab panel, an appointment change, the chart's sections;
    # issue 22: the family and access section, a guardian's page, adding, pausing,
    # reinstating, limiting, continuing past 18 and ending guardians, adding and lifting
    # blocks, an item's confidential page, marking and removing the mark (13), inviting a
    # guardian by email or by a printed letter, and making a child's own account the
    # guardian's (3)
    assert len(seen) == 99


def _placeholder(converter):
    """A value the converter accepts: 1 for an id, the first of an `any(...)`, else a word."""
    if isinstance(converter, IntegerConverter):
        return 1
    return sorted(getattr(converter, "items", None) or ["placeholder"])[0]


def _walk_cases(app):
    """(endpoint, method, url, action) for every declared route whose guard checks one
    action, with placeholder ids (the guard refuses before any lookup)."""
    cases = []
    with app.test_request_context():
        from flask import url_for

        for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
            action = permissions.route_action(rule.endpoint)
            if action in (None, permissions.ANY_STAFF, permissions.IN_SERVICE):
                continue
            values = {name: _placeholder(rule._converters[name]) for name in rule.arguments}
            url = url_for(rule.endpoint, **values)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                cases.append((rule.endpoint, method, url, action))
    return cases


def test_every_declared_route_refuses_each_role_the_table_refuses(app, staff):
    """Every route and method whose guard checks an action, for every role the default
    table refuses: 403, audited with the action, nothing changed."""
    cases = _walk_cases(app)
    assert len(cases) > 40
    walked = 0
    for role in ROLES:
        browser = staff(role)
        for endpoint, method, url, action in cases:
            if role in DEFAULTS[action]:
                continue
            before, audited = counts(app), len(refusals(app))
            if method == "GET":
                response = browser.get(url)
            else:
                response = browser.open(url, method=method, data={"csrf_token": token(browser)})
            assert response.status_code == 403, (role, endpoint, method, response.status_code)
            assert_refused(app, response, before, action, audited)
            walked += 1
    assert walked > 100


# -- publishing ------------------------------------------------------------------------------

PUBLISH_CASES = [(category, permissions.CATEGORY_ACTIONS[category]) for category in CATEGORIES]


def _publish(browser, patient_id, category, csrf):
    values, *_rest = CATEGORIES[category]
    url = f"/staff/patients/{patient_id}/records/new?category={category}"
    data = {"csrf_token": csrf, **values, "publish": "Publish now"}
    if category != "document":
        return browser.post(url, data=data)
    boundary, body = encode_multipart({**data, "file": FileStorage(io.BytesIO(PDF), "r.pdf")})
    return browser.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize("role", ROLES)
def test_publishing_each_kind_of_record(app, staff, patient, role):
    browser = staff(role)
    chooser = text_of(browser.get(f"/staff/patients/{patient.id}/records/new"))
    offered = re.findall(r'records/new\?category=(\w+)"', chooser)
    assert offered == [category for category, action in PUBLISH_CASES
                       if role in DEFAULTS[action]]
    assert ("records/import" in chooser) == (role in DEFAULTS["publish_clinical"])
    for category, action in PUBLISH_CASES:
        form = browser.get(f"/staff/patients/{patient.id}/records/new?category={category}")
        if role in DEFAULTS[action]:
            assert form.status_code == 200
            before = counts(app)["record_entries"]
            response = _publish(browser, patient.id, category, token(browser))
            assert response.status_code == 302, (category, response.get_data(as_text=True))
            assert counts(app)["record_entries"] == before + 1
        else:
            assert form.status_code == 403
            before, audited = counts(app), len(refusals(app))
            response = _publish(browser, patient.id, category, token(browser))
            assert_refused(app, response, before, action, audited)


@pytest.mark.parametrize("role", ROLES)
def test_importing_a_csv_file(app, staff, patient, role):
    browser = staff(role)
    url = f"/staff/patients/{patient.id}/records/import/publish"
    text = ("test,value,unit,reference_range,flag,collected_on,resulted_on\n"
            "Glucose,126,mg/dL,70-99,high,03/01/2026,03/02/2026\n")
    data = {"category": "lab", "text": text, "release": "publish"}
    if role in DEFAULTS["publish_clinical"]:
        before = counts(app)["record_entries"]
        response = browser.post(url, data={"csrf_token": token(browser), **data})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        assert counts(app)["record_entries"] == before + 1
    else:
        refused_post(app, browser, url, data, "publish_clinical")
        assert browser.get(f"/staff/patients/{patient.id}/records/import").status_code == 403


# -- holding, releasing, retracting ----------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_holding_a_result(app, staff, patient, role):
    browser = staff(role)
    draft = make_entry(app, patient.id, status="draft")
    page = text_of(browser.get(entry_url(patient.id, draft)))
    assert ("Hold for review" in page) == (role in DEFAULTS["hold"])
    url = entry_url(patient.id, draft, "hold")
    if role in DEFAULTS["hold"]:
        response = browser.post(url, data={"csrf_token": token(browser),
                                           "reason": HOLD_REASON})
        assert response.status_code == 302 and entry_row(app, draft).status == "held"
    else:
        refused_post(app, browser, url, {"reason": HOLD_REASON}, "hold")
        assert entry_row(app, draft).status == "draft"


@pytest.mark.parametrize("role", ROLES)
def test_releasing_a_held_result(app, staff, make_staff, patient, role):
    holder = make_staff("provider", email="holder@practice.test", name="Dr Holder")
    browser = staff(role)
    held = make_entry(app, patient.id, status="held", held_by=holder.id)
    page = text_of(browser.get(entry_url(patient.id, held)))
    url = entry_url(patient.id, held, "release")
    if role == "provider":  # any provider, not only the one who held it
        assert "Release to the patient" in page and "Why you release" not in page
        response = browser.post(url, data={"csrf_token": token(browser)})
        assert response.status_code == 302 and entry_row(app, held).status == "released"
    elif role == "admin":  # only with a written reason, which goes on the audit trail
        assert "Why you release this held result" in page
        response = browser.post(url, data={"csrf_token": token(browser), "reason": ""})
        assert response.status_code == 200 and "at least 5 characters" in text_of(response)
        assert entry_row(app, held).status == "held"
        response = browser.post(url, data={"csrf_token": token(browser),
                                           "reason": "The provider is away for a month"})
        assert response.status_code == 302 and entry_row(app, held).status == "released"
        with app.app_context():
            detail = db.session.scalars(select(AuditEvent.detail).where(
                AuditEvent.action == "record.released")).all()[-1]
        assert detail == "held; reason: The provider is away for a month"
    else:
        assert "Release to the patient" not in page
        refused_post(app, browser, url, {"reason": "I want to"}, "release_held")
        assert entry_row(app, held).status == "held"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("category", ["lab", "appointment", "statement"])
def test_releasing_a_draft_needs_the_right_to_publish_its_kind(app, staff, patient, role,
                                                               category):
    browser = staff(role)
    draft = make_entry(app, patient.id, category=category, status="draft")
    action = permissions.CATEGORY_ACTIONS[category]
    page = text_of(browser.get(entry_url(patient.id, draft)))
    assert ("Release to the patient" in page) == (role in DEFAULTS[action])
    url = entry_url(patient.id, draft, "release")
    if role in DEFAULTS[action]:
        response = browser.post(url, data={"csrf_token": token(browser)})
        assert response.status_code == 302 and entry_row(app, draft).status == "released"
    else:
        refused_post(app, browser, url, {}, action)
        assert entry_row(app, draft).status == "draft"


@pytest.mark.parametrize("role", ROLES)
def test_retracting_an_entry(app, staff, patient, role):
    browser = staff(role)
    released = make_entry(app, patient.id)
    page = text_of(browser.get(entry_url(patient.id, released)))
    assert ("Retract: entered in error" in page) == (role in DEFAULTS["retract"])
    url = entry_url(patient.id, released, "retract")
    if role in DEFAULTS["retract"]:
        response = browser.post(url, data={"csrf_token": token(browser)})
        assert response.status_code == 302 and entry_row(app, released).status == "retracted"
    else:
        refused_post(app, browser, url, {}, "retract")
        assert entry_row(app, released).status == "released"


# -- conversations ---------------------------------------------------------------------------

def start_conversation(app, account_id, topic):
    """A patient writes on `topic` (routed to its pool); the conversation's id."""
    from portal.models import MessageTopic

    with app.test_request_context():
        ensure_topics()
        chosen = db.session.scalar(select(MessageTopic).where(MessageTopic.label == topic))
        conversation = conversations.start_conversation(
            db.session.get(PatientAccount, account_id), chosen, subject="About my tablets",
            body="A question for the practice.", origin=ORIGIN, files=[])
        db.session.commit()
        return conversation.id


@pytest.mark.parametrize("role", ROLES)
def test_reading_conversations_by_pool(app, staff, make_account, role):
    """Admins, providers and nurses read every conversation and its notes; front desk and
    billing read their own pool's, and nothing of another pool is offered or opened."""
    account = make_account()
    nurse_pool = start_conversation(app, account.id, "Question for my care team")
    billing_pool = start_conversation(app, account.id, "Billing question")
    front_pool = start_conversation(app, account.id, "Forms and records")
    browser = staff(role)
    inbox = text_of(browser.get("/staff/messages?pool=all&status=active"))
    chart = text_of(browser.get(f"/staff/patients/{account.patient_id}/messages"))
    own = {"front_desk": front_pool, "billing": billing_pool}.get(role)
    for conversation_id in (nurse_pool, billing_pool, front_pool):
        url = f"/staff/messages/{conversation_id}"
        readable = role in DEFAULTS["read_all_conversations"] or conversation_id == own
        assert (f'href="{url}"' in inbox) == readable, (role, conversation_id)
        assert (f'href="{url}"' in chart) == readable, (role, conversation_id)
        if readable:
            assert browser.get(url).status_code == 200
            response = browser.post(url + "/note", data={"csrf_token": token(browser),
                                                         "note": "Called back."})
            assert response.status_code == 302
        else:
            before, audited = counts(app), len(refusals(app))
            assert_refused(app, browser.get(url), before, "read_all_conversations", audited)
            for action, data in (("note", {"note": "x"}), ("reply", {"body": "x"}),
                                 ("close", {}), ("assign", {"assignee": ""}),
                                 ("move", {"pool": "billing"})):
                refused_post(app, browser, f"{url}/{action}", data, "read_all_conversations")
            with app.app_context():
                assert db.session.get(Conversation, conversation_id).status == "new"


# -- health forms, portal access -------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_reviewing_health_forms(app, staff, patient, role):
    browser = staff(role)
    assert (browser.get("/staff/forms/review").status_code == 200) == (
        role in DEFAULTS["review_forms"])
    if role not in DEFAULTS["review_forms"]:
        refused_post(app, browser, f"/staff/patients/{patient.id}/forms/1/reviewed", {},
                     "review_forms")


@pytest.mark.parametrize("role", ROLES)
def test_suspending_and_reinstating_portal_access(app, staff, make_account, role):
    account = make_account()
    browser = staff(role)
    chart = text_of(browser.get(f"/staff/patients/{account.patient_id}"))
    url = f"/staff/patients/{account.patient_id}/portal/"
    if role in DEFAULTS["suspend"]:
        assert "Suspend portal access" in chart or "Pause portal access" in chart
        response = browser.post(url + "suspend", data={"csrf_token": token(browser),
                                                       "reason": "Lost phone"})
        assert response.status_code == 302
        response = browser.post(url + "reinstate", data={"csrf_token": token(browser)})
        assert response.status_code == 302
    else:
        refused_post(app, browser, url + "suspend", {"reason": "Lost phone"}, "suspend")
        with app.app_context():
            assert db.session.get(PatientAccount, account.id).status == "active"
        refused_post(app, browser, url + "reinstate", {}, "suspend")


# -- the admin's page ------------------------------------------------------------------------

def table_form(**roles):
    """The permissions form as posted: each editable action with the roles given (default:
    the defaults)."""
    chosen = {key: sorted(roles.get(key, DEFAULTS[key])) for key in permissions.EDITABLE}
    return [(key, role) for key, values in chosen.items() for role in values]


def test_the_admin_widens_and_narrows_the_table_and_it_is_audited(app, staff, patient):
    admin = staff("admin")
    page = text_of(admin.get("/admin/permissions"))
    assert page.count("<fieldset") == len(permissions.EDITABLE) == 10
    assert "<legend>Publish statements</legend>" in page
    data = table_form(publish_clinical={"admin", "provider", "front_desk"},
                      administer=set())  # a fixed row cannot be posted away
    response = admin.post("/admin/permissions", data=MultiDict(
        [("csrf_token", token(admin)), *data, ("administer", "provider")]))
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get(Practice, PRACTICE_ID).role_permissions
        assert stored["publish_clinical"] == ["admin", "front_desk", "provider"]
        assert "administer" not in stored
        [row] = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "admin.permissions_changed")).all()
        assert row.detail == "publish_clinical: admin, front_desk, provider"
    # The front desk may now publish a lab result; a nurse may not.
    assert _publish(staff("front_desk"), patient.id, "lab", token(staff("front_desk"))) \
        .status_code == 302
    nurse = staff("nurse")
    before, audited = counts(app), len(refusals(app))
    assert_refused(app, _publish(nurse, patient.id, "lab", token(nurse)), before,
                   "publish_clinical", audited)
    assert staff("provider").get("/admin/permissions").status_code == 403


def test_saving_the_same_table_changes_nothing(app, staff):
    admin = staff("admin")
    response = admin.post("/admin/permissions", data=MultiDict([("csrf_token", token(admin)),
                                                               *table_form()]))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Practice, PRACTICE_ID).role_permissions is None
    assert "Nothing was changed" in text_of(admin.get("/admin/permissions"))


def test_the_table_page_is_read_without_writing(app, staff):
    """Reads never write: a practice not set up gets the defaults without a row."""
    admin = staff("admin")
    with app.app_context():
        db.session.delete(db.session.get(Practice, PRACTICE_ID))
        db.session.commit()
    before = counts(app)
    assert admin.get("/admin/permissions").status_code == 200
    assert counts(app) == before
