"""The practice admin's message topics (/admin/message-topics) and saved replies
(/admin/reply-templates): the lists, adding, editing, turning off.

Nothing here is deleted: conversations point at their topic, so a topic is turned off
instead, and so is a saved reply (services/messages/admin.py). The default topics come with
`portal setup`; a practice without any topics gets a button that adds them (a POST: the list
itself never writes).
"""

from flask import abort, redirect, render_template, request, url_for

from ...extensions import db
from ...flash_messages import flash_message
from ...forms import ButtonForm, show_refusal
from ...models.messages import TOPIC_FORMS
from ...services.messages import admin, topics
from ...web import login
from ...web.guards import staff_required
from . import bp
from .message_forms import ReplyTemplateForm, TopicForm


@bp.route("/message-topics", methods=["GET", "POST"])
@staff_required()
def message_topics():
    """Every topic, offered or not, in the order patients see them. The list's one POST is
    its button in a practice with no topics: add the default ones."""
    if request.method == "POST":
        if not ButtonForm().validate_on_submit():
            abort(400)
        if admin.add_default_topics(login.origin()):
            db.session.commit()
        return redirect(url_for("admin.message_topics"))
    return render_template("admin/messages/topics.html", topics=topics.all_topics(),
                           topic_forms=TOPIC_FORMS)


def _topic_page(topic):
    """Add a topic (topic None) or edit one; on success back to the list."""
    form = TopicForm(obj=topic) if topic else TopicForm(position=admin.next_position())
    if form.validate_on_submit():
        try:
            if topic is None:
                admin.create_topic(form.topic_values(), login.origin())
            else:
                admin.update_topic(topic, form.topic_values(), login.origin())
        except admin.TopicError as error:
            db.session.rollback()
            show_refusal(form, error)  # a topic's errors are always on one of its fields
        else:
            db.session.commit()
            flash_message("topic_saved")
            return redirect(url_for("admin.message_topics"))
    return render_template("admin/messages/topic.html", form=form, topic=topic)


@bp.route("/message-topics/new", methods=["GET", "POST"])
@staff_required()
def new_message_topic():
    """A topic of the practice's own, placed after the others."""
    return _topic_page(None)


@bp.route("/message-topics/<int:topic_id>", methods=["GET", "POST"])
@staff_required()
def edit_message_topic(topic_id):
    return _topic_page(admin.topic_by_id(topic_id) or abort(404))


@bp.route("/reply-templates")
@staff_required()
def reply_templates():
    """Saved replies in use, then those turned off, each by title."""
    templates = admin.reply_templates(active_only=False)
    return render_template("admin/messages/reply_templates.html",
                           in_use=[template for template in templates if template.active],
                           turned_off=[template for template in templates if not template.active])


def _template_page(template):
    """Add a saved reply (template None) or edit one; on success back to the list."""
    form = ReplyTemplateForm(obj=template)
    if form.validate_on_submit():
        if template is None:
            admin.create_reply_template(form.template_values(), login.origin())
        else:
            admin.update_reply_template(template, form.template_values(), login.origin())
        db.session.commit()
        flash_message("reply_template_saved")
        return redirect(url_for("admin.reply_templates"))
    return render_template("admin/messages/reply_template.html", form=form, template=template)


@bp.route("/reply-templates/new", methods=["GET", "POST"])
@staff_required()
def new_reply_template():
    return _template_page(None)


@bp.route("/reply-templates/<int:template_id>", methods=["GET", "POST"])
@staff_required()
def edit_reply_template(template_id):
    return _template_page(admin.template_by_id(template_id) or abort(404))


@bp.route("/reply-templates/<int:template_id>/<any(on, off):state>", methods=["POST"])
@staff_required()
def reply_template_state(template_id, state):
    """The list's one button: turn a saved reply off (or back on)."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    template = admin.template_by_id(template_id) or abort(404)
    admin.update_reply_template(template, {"active": state == "on"}, login.origin())
    db.session.commit()
    flash_message("reply_template_saved")
    return redirect(url_for("admin.reply_templates"))
