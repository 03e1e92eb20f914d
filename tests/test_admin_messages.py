"""The practice admin's side of messages: topics, saved replies and the attachment sizes in
the practice settings. Admins only; nothing is deleted; every change is on the audit trail."""

import pytest
from conftest import post_form
from sqlalchemy import func, select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import MessageTopic, Practice, ReplyTemplate

TOPIC = {"label": "Travel vaccines", "pool": "nurse", "form": "plain",
         "reply_business_days": "4", "position": "20", "active": "y"}
TEMPLATE = {"title": "Results are normal", "body": "Your results are normal. No action is needed.",
            "active": "y"}
SETTINGS = {"name": "Cedar Hollow Pediatrics", "phone": "555-010-4400",
            "time_zone": "America/Denver", "attachments_allowed": "y", "attachment_max_mb": "5",
            "attachment_message_max_mb": "12", "attachment_types": "pdf, jpg, png"}


def topics(app):
    """Every topic as stored now, by id (detached)."""
    with app.app_context():
        rows = db.session.scalars(select(MessageTopic).order_by(MessageTopic.id)).all()
        db.session.expunge_all()
        return rows


def templates(app):
    with app.app_context():
        rows = db.session.scalars(select(ReplyTemplate).order_by(ReplyTemplate.id)).all()
        db.session.expunge_all()
        return rows


def topic_named(app, label):
    [topic] = [topic for topic in topics(app) if topic.label == label]
    return topic


def add_template(client, **changes):
    response = post_form(client, "/admin/reply-templates/new", {**TEMPLATE, **changes})
    assert response.headers["Location"] == "/admin/reply-templates"
    return templates(app=client.application)[-1]


# -- who may come in ---------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/admin/message-topics", "/admin/message-topics/new",
                                 "/admin/reply-templates", "/admin/reply-templates/new"])
@pytest.mark.parametrize("role", ["provider", "nurse", "front_desk", "billing"])
@pytest.mark.no_defaults  # counts every row it makes
def test_only_admins_reach_the_message_pages(client, auth, make_staff, app, url, role):
    auth.sign_in(make_staff(role).email)
    assert client.get(url).status_code == 403
    assert client.post(url, data={**TOPIC, **TEMPLATE}).status_code in (400, 403, 405)
    assert topics(app) == [] and templates(app) == []


def test_the_nav_shows_message_topics_to_admins_only(client, auth, make_staff, staff_client):
    nurse = staff_client("nurse")
    assert "/admin/message-topics" not in nurse.get("/staff/patients").get_data(as_text=True)
    auth.sign_in(make_staff("admin").email)
    assert ">Message topics</a>" in client.get("/staff/patients").get_data(as_text=True)


def test_no_such_topic_or_reply_is_404(client, admin):
    assert client.get("/admin/message-topics/999").status_code == 404
    assert client.get("/admin/reply-templates/999").status_code == 404
    assert client.get("/admin/message-topics/99999999999").status_code == 404


# -- topics ------------------------------------------------------------------------------------

@pytest.mark.no_defaults  # the admin's button adds them here (`portal setup` does in a new practice)
def test_the_defaults_appear_once_and_on_the_record(client, admin, app, audit_trail):
    add_defaults = ("/admin/message-topics", {})
    assert post_form(client, *add_defaults).headers["Location"] == "/admin/message-topics"
    page = client.get("/admin/message-topics").get_data(as_text=True)
    for label in ("Appointment request", "Prescription refill", "Billing question",
                  "Question for my care team", "Test results", "Forms and records",
                  "Update my details"):
        assert f">{label}</a>" in page
    assert "1 business day" in page and "3 business days" in page
    assert "Front desk" in page and "Billing" in page and "Appointment request" in page
    client.get("/admin/message-topics")
    post_form(client, *add_defaults)  # a second press adds nothing
    assert len(topics(app)) == 7
    [row] = audit_trail.rows("message_topic.created")
    assert row.detail == "the default topics" and row.actor_label == admin.email


def test_a_new_topic_is_listed_and_audited(client, admin, app, audit_trail):
    page = client.get("/admin/message-topics/new").get_data(as_text=True)
    assert 'name="position" type="number" value="7"' in page  # after the 7 defaults (0 to 6)
    response = post_form(client, "/admin/message-topics/new", TOPIC)
    assert response.headers["Location"] == "/admin/message-topics"
    page = client.get("/admin/message-topics").get_data(as_text=True)
    assert get_message("topic_saved")[0] in page
    assert ">Travel vaccines</a>" in page and "4 business days" in page
    topic = topic_named(app, "Travel vaccines")
    assert (topic.pool, topic.form, topic.reply_business_days, topic.position, topic.active) \
        == ("nurse", "plain", 4, 20, True)
    row = audit_trail.rows("message_topic.created")[-1]
    assert row.object_id == str(topic.id) and row.detail == "pool: nurse; form: plain"


def test_editing_a_topic_changes_it_and_records_what_changed(client, admin, app, audit_trail):
    client.get("/admin/message-topics")
    refill = topic_named(app, "Prescription refill")
    url = f"/admin/message-topics/{refill.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'value="Prescription refill"' in page
    response = post_form(client, url, {"label": "Medication refill", "pool": "provider",
                                       "form": "refill", "reply_business_days": "3",
                                       "position": "1", "active": "y"})
    assert response.headers["Location"] == "/admin/message-topics"
    topic = topic_named(app, "Medication refill")
    assert (topic.id, topic.pool, topic.reply_business_days) == (refill.id, "provider", 3)
    [row] = audit_trail.rows("message_topic.updated")
    assert row.detail == "changed: label, pool, reply_business_days"
    assert row.object_id == str(refill.id)


def test_a_topic_is_turned_off_never_deleted(client, admin, app, audit_trail):
    client.get("/admin/message-topics")
    billing = topic_named(app, "Billing question")
    post_form(client, f"/admin/message-topics/{billing.id}",
              {"label": "Billing question", "pool": "billing", "form": "plain",
               "reply_business_days": "3", "position": "2"})  # "active" unticked
    assert len(topics(app)) == 7
    assert topic_named(app, "Billing question").active is False
    assert "No, turned off" in client.get("/admin/message-topics").get_data(as_text=True)
    assert audit_trail.rows("message_topic.updated")[-1].detail == "changed: active (off)"
    with app.app_context():
        from portal.services.messages.topics import offered_topics

        assert "Billing question" not in [topic.label for topic in offered_topics()]


def test_saving_an_unchanged_topic_records_nothing(client, admin, app, audit_trail):
    client.get("/admin/message-topics")
    test_results = topic_named(app, "Test results")
    post_form(client, f"/admin/message-topics/{test_results.id}",
              {"label": "Test results", "pool": "provider", "form": "plain",
               "reply_business_days": "2", "position": "4", "active": "y"})
    assert audit_trail.rows("message_topic.updated") == []


@pytest.mark.parametrize("changes, message", [
    ({"label": ""}, "Enter the topic as patients will see it."),
    ({"label": "x" * 81}, "Use at most 80 characters in the topic."),
    ({"label": "billing QUESTION"}, "Another topic is already called “billing QUESTION”."),
    ({"pool": "kitchen"}, "Not a valid choice"),
    ({"form": "essay"}, "Not a valid choice"),
    ({"reply_business_days": "0"}, "Enter a number of business days from 1 to 10."),
    ({"reply_business_days": "11"}, "Enter a number of business days from 1 to 10."),
    ({"reply_business_days": ""}, "Enter a number of business days from 1 to 10."),
    ({"reply_business_days": "two"}, "Enter a number of business days from 1 to 10."),
    ({"position": "1000"}, "Enter a place in the list from 0 to 999."),
])
def test_a_bad_topic_is_explained_and_not_saved(client, admin, app, audit_trail, changes, message):
    client.get("/admin/message-topics")
    response = post_form(client, "/admin/message-topics/new", {**TOPIC, **changes})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in body and body.count(message) == 2  # summary and field
    assert 'aria-invalid="true"' in body
    assert len(topics(app)) == 7 and audit_trail.rows("message_topic.created")[-1].detail \
        == "the default topics"


def test_a_topic_may_keep_its_own_name(client, admin, app):
    client.get("/admin/message-topics")
    billing = topic_named(app, "Billing question")
    response = post_form(client, f"/admin/message-topics/{billing.id}",
                         {"label": "Billing question", "pool": "billing", "form": "plain",
                          "reply_business_days": "5", "position": "2", "active": "y"})
    assert response.status_code == 302
    assert topic_named(app, "Billing question").reply_business_days == 5


def test_a_topic_label_of_80_characters_is_fine(client, admin, app):
    response = post_form(client, "/admin/message-topics/new", {**TOPIC, "label": "x" * 80})
    assert response.status_code == 302 and topic_named(app, "x" * 80).active


# -- saved replies -----------------------------------------------------------------------------

def test_saved_replies_are_added_edited_and_audited(client, admin, app, audit_trail):
    assert "No saved replies in use." in client.get("/admin/reply-templates").get_data(as_text=True)
    template = add_template(client)
    page = client.get("/admin/reply-templates").get_data(as_text=True)
    assert get_message("reply_template_saved")[0] in page and ">Results are normal</a>" in page
    response = post_form(client, f"/admin/reply-templates/{template.id}",
                         {**TEMPLATE, "body": "Your results are normal."})
    assert response.headers["Location"] == "/admin/reply-templates"
    [stored] = templates(app)
    assert stored.body == "Your results are normal." and stored.active
    [created] = audit_trail.rows("reply_template.created")
    [updated] = audit_trail.rows("reply_template.updated")
    assert created.object_id == updated.object_id == str(template.id)
    assert updated.detail == "changed: body"  # the names only: never the text
    assert "normal" not in created.detail + updated.detail


def test_a_saved_reply_is_turned_off_and_on_again(client, admin, app, audit_trail):
    template = add_template(client)
    response = post_form(client, f"/admin/reply-templates/{template.id}/off", {},
                         page_url="/admin/reply-templates")
    assert response.headers["Location"] == "/admin/reply-templates"
    [stored] = templates(app)
    assert stored.active is False
    page = client.get("/admin/reply-templates").get_data(as_text=True)
    assert "Turned off" in page and "Turn on Results are normal" in page
    with app.app_context():
        from portal.services.messages.admin import reply_templates

        assert reply_templates() == []
    post_form(client, f"/admin/reply-templates/{template.id}/on", {},
              page_url="/admin/reply-templates")
    assert templates(app)[0].active is True
    assert [row.detail for row in audit_trail.rows("reply_template.updated")] \
        == ["changed: active (off)", "changed: active (on)"]


def test_turning_off_needs_the_form_s_token(client, admin, app):
    template = add_template(client)
    assert client.post(f"/admin/reply-templates/{template.id}/off").status_code == 400
    assert templates(app)[0].active is True
    assert post_form(client, "/admin/reply-templates/999/off", {},
                     page_url="/admin/reply-templates").status_code == 404


@pytest.mark.parametrize("changes, message", [
    ({"title": ""}, "Give the saved reply a title."),
    ({"title": "t" * 81}, "Use at most 80 characters in the title."),
    ({"body": ""}, "Write the text of the reply."),
    ({"body": "b" * 5001}, "Use at most 5000 characters in the reply."),
])
def test_a_bad_saved_reply_is_explained_and_not_saved(client, admin, app, changes, message):
    response = post_form(client, "/admin/reply-templates/new", {**TEMPLATE, **changes})
    body = response.get_data(as_text=True)
    assert "There is a problem" in body and body.count(message) == 2
    assert templates(app) == []


def test_a_saved_reply_of_5000_characters_is_fine(client, admin, app):
    add_template(client, title="t" * 80, body="b" * 5000)
    assert len(templates(app)[0].body) == 5000


# -- attachment sizes and types in the practice settings ---------------------------------------

def test_the_size_per_message_is_saved_beside_the_size_per_file(client, admin, app, audit_trail):
    page = client.get("/admin/settings").get_data(as_text=True)
    assert page.index('name="attachment_max_mb"') < page.index('name="attachment_message_max_mb"') \
        < page.index('name="attachment_types"')
    assert 'name="attachment_message_max_mb" type="number" value="20"' in page
    assert post_form(client, "/admin/settings", SETTINGS).status_code == 302
    with app.app_context():
        practice = db.session.get(Practice, 1)
        assert (practice.attachment_max_mb, practice.attachment_message_max_mb) == (5, 12)
    assert "attachment_message_max_mb" in audit_trail.rows("practice.settings_changed")[0].detail


@pytest.mark.parametrize("changes, message", [
    ({"attachment_message_max_mb": "4"},
     "The total for one message (4 MB) cannot be smaller than the largest attachment (5 MB)."),
    ({"attachment_max_mb": "10", "attachment_message_max_mb": "9"},
     "The total for one message (9 MB) cannot be smaller than the largest attachment (10 MB)."),
    ({"attachment_message_max_mb": "21"}, "Enter a size from 1 to 20 MB."),
    ({"attachment_message_max_mb": "0"}, "Enter a size from 1 to 20 MB."),
    ({"attachment_message_max_mb": ""}, "Enter a size from 1 to 20 MB."),
    ({"attachment_types": "pdf, exe"},
     "The portal cannot check exe files. Use only these endings: pdf, jpg, jpeg, png, gif."),
    ({"attachment_types": "docx, png, heic"},
     "The portal cannot check docx, heic files. Use only these endings: pdf, jpg, jpeg, png, gif."),
])
def test_bad_attachment_settings_are_explained_and_not_saved(client, admin, app, changes, message):
    response = post_form(client, "/admin/settings", {**SETTINGS, **changes})
    body = response.get_data(as_text=True)
    assert "There is a problem" in body and body.count(message) == 2
    assert 'value="Cedar Hollow Pediatrics"' in body
    with app.app_context():
        assert db.session.get(Practice, 1) is None


@pytest.mark.parametrize("per_file, per_message", [("5", "5"), ("10", "20"), ("1", "1")])
def test_the_total_may_equal_the_largest_file(client, admin, app, per_file, per_message):
    response = post_form(client, "/admin/settings", {**SETTINGS, "attachment_max_mb": per_file,
                                                     "attachment_message_max_mb": per_message})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Practice)) == 1
