"""The practice admin's consent documents and health forms: drafts, versions, questions,
availability, retiring, who may reach the pages, and the audit trail they leave."""

import re

import pytest
from conftest import post_form
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Document, DocumentVersion, Practice
from portal.services import audit
from portal.services.consents import blocks, documents, fields

CONSENT = {
    "title": "Photography consent",
    "body": "## Photos\n\nWe may photograph a skin condition for your chart.\n\n"
            "- Kept in your chart\n- Never used for advertising",
    "required": "y",
    "validity_months": "24",
    "signers": "adults",
    "attestations": "I live in California\n\nI am 18 or older",
}


def create(client, kind, title):
    """Start a new document through its page; returns its id (from the draft page URL)."""
    response = post_form(client, "/admin/consents/new", {"kind": kind, "title": title},
                         page_url=f"/admin/consents/new?kind={kind}")
    found = re.fullmatch(r"/admin/consents/(\d+)/draft", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def save_draft(client, document_id, values, publish=False):
    return post_form(client, f"/admin/consents/{document_id}/draft",
                     {**values, ("publish" if publish else "save"): "x"})


def press(client, document_id, url):
    """A one-button form on the document's pages (its CSRF token from the document page)."""
    return post_form(client, url, {}, page_url=f"/admin/consents/{document_id}")


def versions(app, document_id):
    """The document's versions as stored now, oldest first (detached)."""
    with app.app_context():
        rows = db.session.scalars(select(DocumentVersion).where(
            DocumentVersion.document_id == document_id).order_by(DocumentVersion.number)).all()
        db.session.expunge_all()
        return rows


def current_version_id(app, document_id):
    with app.app_context():
        return db.session.get(Document, document_id).current_version_id


def document_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Document.id)))


# -- the list and the defaults --------------------------------------------------------------

@pytest.mark.no_defaults  # a practice whose defaults were never made
def test_the_list_offers_the_defaults_and_looking_makes_nothing(client, admin, app):
    page = client.get("/admin/consents").get_data(as_text=True)
    assert "Add the default consent and health form" in page
    assert document_count(app) == 0

    response = post_form(client, "/admin/consents/defaults", {}, page_url="/admin/consents")
    assert response.headers["Location"] == "/admin/consents"
    page = client.get("/admin/consents").get_data(as_text=True)
    assert "Patient portal consent" in page and "Medical history questionnaire" in page
    assert "12 months" in page and "Required" in page and "All patients" in page
    assert "Add the default consent and health form" not in page
    assert document_count(app) == 2


def test_a_first_own_document_brings_the_defaults_with_it(client, admin, app):
    create(client, "consent", "Photography consent")
    assert document_count(app) == 3
    page = client.get("/admin/consents").get_data(as_text=True)
    assert page.index("Patient portal consent") < page.index("Medical history questionnaire")
    assert "Version 1 draft" in page and "Not published yet" in page


def test_admins_see_the_documents_link_and_other_staff_do_not(client, admin, staff_client):
    assert 'href="/admin/consents"' in client.get("/staff/patients").get_data(as_text=True)
    nurse = staff_client("nurse")
    assert 'href="/admin/consents"' not in nurse.get("/staff/patients").get_data(as_text=True)


# -- a consent through two versions ------------------------------------------------------------

def test_a_consent_is_drafted_published_and_versioned(client, admin, app):
    document_id = create(client, "consent", "Photo consent")
    response = save_draft(client, document_id, CONSENT)
    assert response.headers["Location"] == f"/admin/consents/{document_id}/draft"
    [draft] = versions(app, document_id)
    assert draft.is_draft and draft.title == "Photography consent"
    assert draft.attestations == ["I live in California", "I am 18 or older"]
    assert (draft.validity_months, draft.signers, draft.required) == (24, "adults", True)
    page = client.get(f"/admin/consents/{document_id}/draft").get_data(as_text=True)
    assert "<h3>Photos</h3>" in page and "<li>Never used for advertising</li>" in page

    response = save_draft(client, document_id, CONSENT, publish=True)
    assert response.headers["Location"] == f"/admin/consents/{document_id}"
    [first] = versions(app, document_id)
    assert first.number == 1 and not first.is_draft
    assert re.fullmatch(r"[0-9a-f]{64}", first.sha256)
    assert first.sha256 == blocks.content_digest(first)
    assert current_version_id(app, document_id) == first.id
    page = client.get(f"/admin/consents/{document_id}").get_data(as_text=True)
    assert first.sha256[:12] in page and f'<td data-label="By">{admin.name}</td>' in page
    assert "24 months" in page and "<li>I live in California</li>" in page

    response = press(client, document_id, f"/admin/consents/{document_id}/edit")
    assert response.headers["Location"] == f"/admin/consents/{document_id}/draft"
    save_draft(client, document_id, {**CONSENT, "body": "A new text.", "validity_months": "12"})
    unchanged, second = versions(app, document_id)
    assert second.number == 2 and second.is_draft and second.body == "A new text."
    assert (unchanged.sha256, unchanged.body, unchanged.validity_months) == (
        first.sha256, first.body, 24)
    assert current_version_id(app, document_id) == first.id
    page = client.get(f"/admin/consents/{document_id}").get_data(as_text=True)
    assert "We may photograph" in page and "A new text." not in page
    assert "Continue the draft of version 2" in page

    save_draft(client, document_id, {**CONSENT, "body": "A new text.", "validity_months": "12"},
               publish=True)
    kept, published = versions(app, document_id)
    assert current_version_id(app, document_id) == published.id
    assert (kept.sha256, kept.body, kept.published_at) == (first.sha256, first.body,
                                                           first.published_at)
    assert published.sha256 not in ("", first.sha256) and published.validity_months == 12


def test_editing_while_a_draft_is_open_reopens_that_draft(client, admin, app):
    document_id = create(client, "consent", "Photo consent")
    save_draft(client, document_id, CONSENT, publish=True)
    press(client, document_id, f"/admin/consents/{document_id}/edit")
    press(client, document_id, f"/admin/consents/{document_id}/edit")
    assert [version.number for version in versions(app, document_id)] == [1, 2]


def test_a_published_version_cannot_be_changed(client, admin, app):
    document_id = create(client, "consent", "Photo consent")
    save_draft(client, document_id, CONSENT, publish=True)
    with app.app_context():
        version = db.session.scalar(select(DocumentVersion).where(
            DocumentVersion.document_id == document_id))
        with pytest.raises(documents.DocumentError):
            documents.update_draft(version, body="Changed")
        with pytest.raises(documents.DocumentError):
            documents.edit_draft(version, audit.SYSTEM, body="Changed")
        with pytest.raises(documents.DocumentError):
            fields.save_field(version, {"label": "New?", "type": "text"}, audit.SYSTEM)
        db.session.rollback()
    # With no draft open, the draft page sends the admin back to the document.
    response = client.get(f"/admin/consents/{document_id}/draft")
    assert response.headers["Location"] == f"/admin/consents/{document_id}"


def test_publishing_an_empty_consent_shows_the_problem(client, admin, app):
    document_id = create(client, "consent", "Empty consent")
    response = save_draft(client, document_id, {**CONSENT, "body": ""}, publish=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page
    assert "cannot be published yet" in page and "A consent needs its text." in page
    assert 'value="Photography consent"' in page  # the input is kept
    [draft] = versions(app, document_id)
    assert draft.is_draft and draft.title == "Photography consent"  # saved, not published
    assert current_version_id(app, document_id) is None


@pytest.mark.parametrize("changes, message", [
    ({"title": ""}, "Give the document a title."),
    ({"validity_months": "121"}, "Enter a number of months from 0 to 120."),
    ({"validity_months": "-1"}, "Enter a number of months from 0 to 120."),
    ({"validity_months": ""}, "Enter a number of months from 0 to 120."),
    ({"validity_months": "twelve"}, "Enter a number of months from 0 to 120."),
    ({"signers": ""}, "Choose who signs."),
    ({"attestations": "\n".join(f"Statement {n}" for n in range(11))},
     "Use at most 10 statements."),
    ({"attestations": "x" * 301}, "Keep each statement to 300 characters or fewer."),
])
def test_bad_consent_terms_are_explained_and_nothing_is_saved(client, admin, app, changes,
                                                              message):
    document_id = create(client, "consent", "Photo consent")
    response = save_draft(client, document_id, {**CONSENT, **changes}, publish=True)
    page = response.get_data(as_text=True)
    assert message in page and "There is a problem" in page
    assert "We may photograph a skin condition" in page  # the other input is kept
    [draft] = versions(app, document_id)
    assert draft.is_draft and draft.body == "" and draft.title == "Photo consent"


def test_validity_of_0_and_120_months_is_accepted(client, admin, app):
    document_id = create(client, "consent", "Photo consent")
    save_draft(client, document_id, {**CONSENT, "validity_months": "120"})
    assert versions(app, document_id)[0].validity_months == 120
    save_draft(client, document_id, {**CONSENT, "validity_months": "0", "required": ""})
    [draft] = versions(app, document_id)
    assert draft.validity_months == 0 and draft.required is False


# -- health forms and their questions ----------------------------------------------------------

QUESTIONS = [
    ({"label": "What is your occupation?", "type": "text", "required": "y",
      "help": "Your main job.", "choices": "ignored\nfor text"}, "what_is_your_occupation"),
    ({"label": "Describe your symptoms", "type": "long_text"}, "describe_your_symptoms"),
    ({"label": "Do you smoke?", "type": "yes_no", "required": "y"}, "do_you_smoke"),
    ({"label": "Blood type", "type": "single_choice", "choices": "A\nB\n\nAB\nO"}, "blood_type"),
    ({"label": "Which vaccines have you had?", "type": "multiple_choice",
      "choices": "Flu\nCOVID-19\nTetanus"}, "which_vaccines_have_you_had"),
    ({"label": "Date of your last check-up", "type": "date"}, "date_of_your_last_check_up"),
    ({"label": "How many hours do you sleep?", "type": "number",
      "help": "On a usual night."}, "how_many_hours_do_you_sleep"),
]


def add_question(client, document_id, values):
    return post_form(client, f"/admin/consents/{document_id}/draft/fields/new",
                     {"choices": "", "help": "", "name": "", **values})


def fields_of(app, document_id):
    return versions(app, document_id)[-1].fields


def test_a_health_form_takes_one_question_of_each_type(client, admin, app):
    document_id = create(client, "form", "Sleep and health")
    for values, name in QUESTIONS:
        response = add_question(client, document_id, values)
        assert response.headers["Location"] == \
            f"/admin/consents/{document_id}/draft#question-{name}"
    fields = fields_of(app, document_id)
    assert [field["type"] for field in fields] == [
        "text", "long_text", "yes_no", "single_choice", "multiple_choice", "date", "number"]
    assert [field["name"] for field in fields] == [name for _values, name in QUESTIONS]
    assert fields[0] == {"name": "what_is_your_occupation", "label": "What is your occupation?",
                         "type": "text", "required": True, "help": "Your main job.",
                         "choices": []}
    assert fields[3]["choices"] == ["A", "B", "AB", "O"] and fields[3]["required"] is False
    assert fields[6]["help"] == "On a usual night."
    page = client.get(f"/admin/consents/{document_id}/draft").get_data(as_text=True)
    assert "Blood type" in page and "Single choice: A; B; AB; O" in page

    response = save_draft(client, document_id, {"title": "Sleep and health", "body": "Hi."},
                          publish=True)
    assert response.headers["Location"] == f"/admin/consents/{document_id}"
    [version] = versions(app, document_id)
    assert not version.is_draft and len(version.fields) == 7
    page = client.get(f"/admin/consents/{document_id}").get_data(as_text=True)
    assert "How many hours do you sleep?" in page and "Date" in page


def test_publishing_a_form_without_questions_shows_the_problem(client, admin, app):
    document_id = create(client, "form", "Empty form")
    page = save_draft(client, document_id, {"title": "Empty form", "body": ""},
                      publish=True).get_data(as_text=True)
    assert "A health form needs at least one question." in page
    assert versions(app, document_id)[0].is_draft


@pytest.mark.parametrize("changes, message", [
    ({"type": "single_choice", "choices": "Only one"},
     "A choice question needs at least two choices, one per line."),
    ({"type": "multiple_choice", "choices": "Same\nSame"}, "Each choice must be different."),
    ({"type": "multiple_choice", "choices": "\n".join(f"Choice {n}" for n in range(31))},
     "Use at most 30 choices."),
    ({"type": "single_choice", "choices": "x" * 201 + "\nShort"},
     "Keep each choice to 200 characters or fewer."),
    ({"label": ""}, "Write the question."),
    ({"label": "x" * 301}, "Use at most 300 characters in the question."),
    ({"help": "x" * 301}, "Use at most 300 characters in the help text."),
    ({"type": ""}, "Choose a kind of answer."),
    ({"name": "Blood Type"}, "Internal names use lower-case letters, digits and underscores"),
    ({"name": "new"}, "Choose another internal name."),
])
def test_bad_questions_are_explained_and_not_saved(client, admin, app, changes, message):
    document_id = create(client, "form", "Blood form")
    values = {"label": "Blood type", "type": "single_choice", "choices": "A\nB",
              "help": "From your donor card.", **changes}
    page = add_question(client, document_id, values).get_data(as_text=True)
    assert message in page and "There is a problem" in page
    assert "From your donor card." in page or "help" in changes  # the other input is kept
    assert fields_of(app, document_id) == []


def test_choice_questions_accept_2_and_30_choices(client, admin, app):
    document_id = create(client, "form", "Choices")
    add_question(client, document_id, {"label": "Two", "type": "single_choice",
                                       "choices": "Yes\nNo"})
    add_question(client, document_id, {"label": "Thirty", "type": "multiple_choice",
                                       "choices": "\n".join(f"C{n}" for n in range(30))})
    assert [len(field["choices"]) for field in fields_of(app, document_id)] == [2, 30]


def test_internal_names_are_unique_and_may_be_given(client, admin, app):
    document_id = create(client, "form", "Smoking")
    add_question(client, document_id, {"label": "Do you smoke?", "type": "yes_no"})
    add_question(client, document_id, {"label": "Do you smoke?", "type": "yes_no"})
    add_question(client, document_id, {"label": "2024 visits", "type": "number"})
    add_question(client, document_id, {"label": "Cigarettes a day", "type": "number",
                                       "name": "per_day"})
    assert [field["name"] for field in fields_of(app, document_id)] == [
        "do_you_smoke", "do_you_smoke_2", "q_2024_visits", "per_day"]
    page = add_question(client, document_id, {"label": "Again", "type": "number",
                                              "name": "per_day"}).get_data(as_text=True)
    assert "Another question has that internal name." in page
    assert len(fields_of(app, document_id)) == 4


def test_a_question_is_edited_in_place(client, admin, app):
    document_id = create(client, "form", "Smoking")
    add_question(client, document_id, {"label": "Do you smoke?", "type": "yes_no"})
    add_question(client, document_id, {"label": "Since when?", "type": "date"})
    url = f"/admin/consents/{document_id}/draft/fields/do_you_smoke"
    page = client.get(url).get_data(as_text=True)
    assert 'value="Do you smoke?"' in page and 'value="do_you_smoke"' in page
    response = post_form(client, url, {"label": "Do you smoke tobacco?", "type": "yes_no",
                                       "required": "y", "help": "Cigarettes, cigars or pipes.",
                                       "name": "do_you_smoke", "choices": ""})
    assert response.headers["Location"].endswith("#question-do_you_smoke")
    first, second = fields_of(app, document_id)
    assert first == {"name": "do_you_smoke", "label": "Do you smoke tobacco?", "type": "yes_no",
                     "required": True, "help": "Cigarettes, cigars or pipes.", "choices": []}
    assert second["name"] == "since_when"


def test_questions_are_reordered_and_removed(client, admin, app, audit_trail):
    document_id = create(client, "form", "Order")
    for label in ("First", "Second", "Third"):
        add_question(client, document_id, {"label": label, "type": "text"})
    draft_url = f"/admin/consents/{document_id}/draft"
    base = f"{draft_url}/fields"

    def move(name, direction):
        return post_form(client, f"{base}/{name}/move/{direction}", {}, page_url=draft_url)

    assert move("third", "up").headers["Location"] == f"{draft_url}#question-third"
    assert [field["name"] for field in fields_of(app, document_id)] == ["first", "third", "second"]
    move("first", "down")
    assert [field["name"] for field in fields_of(app, document_id)] == ["third", "first", "second"]
    move("third", "up")  # already first: nothing moves
    assert [field["name"] for field in fields_of(app, document_id)] == ["third", "first", "second"]
    response = post_form(client, f"{base}/first/remove", {}, page_url=draft_url)
    assert response.headers["Location"] == f"{draft_url}#questions"
    assert [field["name"] for field in fields_of(app, document_id)] == ["third", "second"]
    assert [row.detail for row in audit_trail.rows("document.field_moved")] == [
        "version 1; question third to place 2", "version 1; question first to place 2"]
    [removed] = audit_trail.rows("document.field_removed")
    assert removed.detail == "version 1; question first"


def test_questions_of_a_published_form_change_only_in_the_next_draft(client, admin, app):
    document_id = create(client, "form", "Order")
    add_question(client, document_id, {"label": "First", "type": "text"})
    add_question(client, document_id, {"label": "Second", "type": "text"})
    save_draft(client, document_id, {"title": "Order", "body": ""}, publish=True)
    # No draft is open: the question pages send the admin back to the document.
    url = f"/admin/consents/{document_id}/draft/fields/first/remove"
    response = post_form(client, url, {}, page_url=f"/admin/consents/{document_id}")
    assert response.headers["Location"] == f"/admin/consents/{document_id}"
    press(client, document_id, f"/admin/consents/{document_id}/edit")
    post_form(client, url, {}, page_url=f"/admin/consents/{document_id}/draft")
    first, second = versions(app, document_id)
    assert [field["name"] for field in first.fields] == ["first", "second"]
    assert [field["name"] for field in second.fields] == ["second"]
    assert first.sha256 == blocks.content_digest(first)


# -- availability and retiring -----------------------------------------------------------------

def test_a_health_form_is_made_available_to_all_and_back(client, admin, app, audit_trail):
    document_id = create(client, "form", "Travel form")
    add_question(client, document_id, {"label": "Where to?", "type": "text"})
    save_draft(client, document_id, {"title": "Travel form", "body": ""}, publish=True)
    page = client.get(f"/admin/consents/{document_id}").get_data(as_text=True)
    assert "Make it available to all patients" in page
    press(client, document_id, f"/admin/consents/{document_id}/available-to-all/on")
    with app.app_context():
        assert db.session.get(Document, document_id).available_to_all is True
    page = client.get(f"/admin/consents/{document_id}").get_data(as_text=True)
    assert "Every patient can now fill in this form." in page
    assert "Offer it only to patients staff assign it to" in page
    press(client, document_id, f"/admin/consents/{document_id}/available-to-all/off")
    with app.app_context():
        assert db.session.get(Document, document_id).available_to_all is False
    assert [row.detail for row in audit_trail.rows("document.availability_changed")] == [
        "available to all: yes", "available to all: no"]


def test_a_consent_cannot_be_made_available_to_all(client, admin, app):
    document_id = create(client, "consent", "Photo consent")
    response = press(client, document_id, f"/admin/consents/{document_id}/available-to-all/on")
    assert response.headers["Location"] == f"/admin/consents/{document_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Only a health form can be offered to all patients." in page
    with app.app_context():
        assert db.session.get(Document, document_id).available_to_all is False


def test_a_document_is_retired_after_a_confirmation(client, admin, app, audit_trail):
    document_id = create(client, "consent", "Photo consent")
    save_draft(client, document_id, CONSENT, publish=True)
    url = f"/admin/consents/{document_id}/retire"
    assert "Retire “Photography consent”?" in client.get(url).get_data(as_text=True)
    response = post_form(client, url, {})
    assert response.headers["Location"] == "/admin/consents"
    page = client.get("/admin/consents").get_data(as_text=True)
    assert page.index("Photography consent") > page.index("<h2>Retired</h2>")
    [row] = audit_trail.rows("document.retired")
    assert row.object_id == str(document_id) and row.actor_label == admin.email
    # A retired document is not edited any more.
    press(client, document_id, f"/admin/consents/{document_id}/edit")
    assert len(versions(app, document_id)) == 1


def test_the_portal_consent_cannot_be_retired(client, admin, app):
    post_form(client, "/admin/consents/defaults", {}, page_url="/admin/consents")
    with app.app_context():
        _document, version = documents.portal_consent()
        document_id = version.document_id
    page = client.get(f"/admin/consents/{document_id}").get_data(as_text=True)
    assert f"/admin/consents/{document_id}/retire" not in page
    response = client.get(f"/admin/consents/{document_id}/retire", follow_redirects=True)
    assert "it cannot be retired" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Document, document_id).retired_at is None


# -- the audit trail ---------------------------------------------------------------------------

def test_every_change_is_audited_as_the_admin(client, admin, app, audit_trail):
    document_id = create(client, "form", "Audit form")
    save_draft(client, document_id, {"title": "Audited form", "body": "Hello."})
    add_question(client, document_id, {"label": "Age", "type": "number"})
    save_draft(client, document_id, {"title": "Audited form", "body": "Hello."}, publish=True)
    press(client, document_id, f"/admin/consents/{document_id}/edit")
    actions = [action for action in audit_trail.actions() if action.startswith("document.")]
    assert actions == ["document.published", "document.published",  # the two defaults
                       "document.created", "document.draft_saved", "document.field_added",
                       "document.published", "document.draft_started"]
    [saved] = audit_trail.rows("document.draft_saved")
    assert saved.detail == "version 1; changed: title, body"
    [created] = audit_trail.rows("document.created")
    assert created.object_id == str(document_id) and created.actor_label == admin.email
    published = audit_trail.rows("document.published")[-1]
    assert published.detail.startswith("version 1 sha256 ") and published.ip == "127.0.0.1"
    assert audit_trail.rows("document.draft_started")[0].detail == "version 2"


# -- who may reach the pages, forged ids and forged posts --------------------------------------

@pytest.mark.parametrize("role", ["provider", "nurse", "front_desk", "billing"])
@pytest.mark.no_defaults  # counts every row it makes
def test_only_admins_reach_the_document_pages(app, staff_client, role):
    browser = staff_client(role)
    for url in ("/admin/consents", "/admin/consents/new", "/admin/consents/1",
                "/admin/consents/1/draft", "/admin/consents/1/draft/fields/new"):
        assert browser.get(url).status_code == 403, url
    response = post_form(browser, "/admin/consents/new", {"kind": "consent", "title": "X"},
                         page_url="/staff/patients")
    assert response.status_code == 403
    assert post_form(browser, "/admin/consents/defaults", {},
                     page_url="/staff/patients").status_code == 403
    assert document_count(app) == 0


@pytest.mark.parametrize("url", [
    "/admin/consents/999", "/admin/consents/999/draft", "/admin/consents/999/retire",
    "/admin/consents/999/draft/fields/new", "/admin/consents/0",
    "/admin/consents/99999999999999999999999", "/admin/consents/not-a-number",
])
def test_unknown_documents_are_404(client, admin, url):
    assert client.get(url).status_code == 404


def test_forged_posts_and_questions_are_404(client, admin, app):
    consent_id = create(client, "consent", "Photo consent")
    form_id = create(client, "form", "A form")
    assert press(client, form_id, "/admin/consents/999/edit").status_code == 404
    assert press(client, form_id, "/admin/consents/999/available-to-all/on").status_code == 404
    assert client.get(f"/admin/consents/{form_id}/draft/fields/nothing").status_code == 404
    assert client.get(f"/admin/consents/{consent_id}/draft/fields/new").status_code == 404
    draft_url = f"/admin/consents/{form_id}/draft"
    assert post_form(client, f"{draft_url}/fields/nothing/remove", {},
                     page_url=draft_url).status_code == 404
    assert post_form(client, f"{draft_url}/fields/nothing/move/up", {},
                     page_url=draft_url).status_code == 404
    assert client.post(f"{draft_url}/fields/nothing/move/sideways").status_code in (404, 405)


def test_posts_without_a_csrf_token_are_refused(client, admin, app):
    document_id = create(client, "consent", "Photo consent")
    before = document_count(app)
    for url, data in [("/admin/consents/new", {"kind": "consent", "title": "Forged"}),
                      ("/admin/consents/defaults", {}),
                      (f"/admin/consents/{document_id}/draft", {**CONSENT, "save": "x"}),
                      (f"/admin/consents/{document_id}/edit", {}),
                      (f"/admin/consents/{document_id}/retire", {})]:
        response = client.post(url, data=data)
        assert response.status_code == 400, url
    assert document_count(app) == before
    [draft] = versions(app, document_id)
    assert draft.title == "Photo consent" and draft.body == ""


# -- practice settings: the verification switch replaces the policy field ----------------------

def test_settings_save_public_verification_and_show_no_policy_field(client, admin, app):
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Portal policy and procedures" not in page and 'name="portal_policy"' not in page
    assert "verification code on a public page" in page
    values = {"name": "Cedar Hollow", "phone": "555-010-4400", "time_zone": "America/Denver",
              "attachment_max_mb": "5", "attachment_types": "pdf",
              "public_verification": "y", "portal_policy": "Forged policy"}
    assert post_form(client, "/admin/settings", values).status_code == 302
    with app.app_context():
        practice = db.session.get(Practice, 1)
        assert practice.public_verification is True and practice.portal_policy == ""
    post_form(client, "/admin/settings", {**values, "public_verification": ""})
    with app.app_context():
        assert db.session.get(Practice, 1).public_verification is False
