"""The practice admin's consent documents and health forms (/admin/consents): the list, a
document's published version and its history, the open draft, and a health form's questions.

Publishing fixes a draft and makes it current; editing a published document starts the next
version as a draft (services/consents/documents.py), so a signed copy keeps the version signed.
"""

from flask import abort, flash, redirect, render_template, request, url_for

from ...extensions import db
from ...flash_messages import flash_message
from ...forms import ButtonForm
from ...services.consents import blocks, defaults, documents, fields
from ...web import login
from ...web.guards import staff_required
from . import bp
from .consent_forms import NewDocumentForm, draft_form, field_form


def _document(document_id):
    return documents.document_by_id(document_id) or abort(404)


def _posted(document_id):
    """The document named in the URL, after a one-button form's CSRF token is checked."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    return _document(document_id)


def _open_draft(document):
    """The draft the admin may edit, or None (a retired document has none)."""
    return None if document.retired_at else documents.draft_of(document)


def _to_document(document, error=None):
    if error is not None:
        flash(str(error), "error")
    return redirect(url_for("admin.document", document_id=document.id))


def _to_draft(document, anchor=None):
    return redirect(url_for("admin.document_draft", document_id=document.id, _anchor=anchor))


@bp.route("/consents")
@staff_required()
def document_list():
    """Consents, then health forms, then retired documents. Looking makes nothing: before the
    portal's two defaults exist, the page offers a button that adds them."""
    rows = documents.for_admin()
    in_use = [row for row in rows if row[0].retired_at is None]
    return render_template(
        "admin/consents/list.html", consents=[row for row in in_use if row[0].kind == "consent"],
        health_forms=[row for row in in_use if row[0].kind == "form"],
        retired=[row for row in rows if row[0].retired_at is not None])


@bp.route("/consents/defaults", methods=["POST"])
@staff_required()
def add_default_documents():
    """Add the portal consent and the medical history form, unless documents exist."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    defaults.ensure_defaults()
    db.session.commit()
    flash_message("document_defaults_added")
    return redirect(url_for("admin.document_list"))


@bp.route("/consents/new", methods=["GET", "POST"])
@staff_required()
def new_document():
    kind = request.args.get("kind")  # ?kind=consent or ?kind=form preselects the kind
    form = NewDocumentForm(kind=kind if kind in ("consent", "form") else None)
    if form.validate_on_submit():
        version = documents.new_document(form.kind.data, form.title.data, login.origin())
        db.session.commit()
        flash_message("document_created")
        return redirect(url_for("admin.document_draft", document_id=version.document_id))
    return render_template("admin/consents/new.html", form=form)


@bp.route("/consents/<int:document_id>")
@staff_required()
def document(document_id):
    document = _document(document_id)
    current = documents.current_version(document)
    return render_template(
        "admin/consents/document.html", document=document, current=current,
        blocks=blocks.body_blocks(current.body) if current else [],
        history=documents.history_of(document), draft=_open_draft(document),
        retire_problem=documents.retire_problem(document), field_types=fields.FIELD_TYPES)


@bp.route("/consents/<int:document_id>/edit", methods=["POST"])
@staff_required()
def edit_document(document_id):
    """Open the draft of the next version (a copy of the current one), or the open draft."""
    document = _posted(document_id)
    try:
        draft = documents.start_draft(document, login.origin())
    except documents.DocumentError as error:
        db.session.rollback()
        return _to_document(document, error)
    db.session.commit()
    flash_message("document_draft_started", number=draft.number)
    return _to_draft(document)


@bp.route("/consents/<int:document_id>/retire", methods=["GET", "POST"])
@staff_required()
def retire_document(document_id):
    """Ask first, then retire: the document is no longer offered; its signatures stand."""
    document = _document(document_id)
    problem = documents.retire_problem(document)
    if problem:
        return _to_document(document, problem)
    form = ButtonForm()
    if form.validate_on_submit():
        documents.retire(document, login.origin())
        db.session.commit()
        flash_message("document_retired")
        return redirect(url_for("admin.document_list"))
    version = documents.current_version(document) or documents.draft_of(document)
    return render_template("admin/consents/retire.html", document=document, version=version)


@bp.route("/consents/<int:document_id>/available-to-all/<any(on, off):state>",
          methods=["POST"])
@staff_required()
def document_availability(document_id, state):
    """Offer a health form to every patient (on), or only to those staff assign it to (off)."""
    document = _posted(document_id)
    try:
        changed = documents.set_available_to_all(document, state == "on", login.origin())
    except documents.DocumentError as error:
        return _to_document(document, error)
    db.session.commit()
    flash_message(("document_available_on" if state == "on" else "document_available_off")
                  if changed else "document_unchanged")
    return _to_document(document)


@bp.route("/consents/<int:document_id>/draft", methods=["GET", "POST"])
@staff_required()
def document_draft(document_id):
    """Edit the draft; "Publish" saves it, then publishes it unless something is missing."""
    document = _document(document_id)
    draft = _open_draft(document)
    if draft is None:
        flash_message("document_no_draft")
        return _to_document(document)
    form, problems = draft_form(document, draft), []
    if form.validate_on_submit():
        documents.edit_draft(draft, login.origin(), **form.draft_values())
        problems = documents.publication_problems(draft) if form.publish.data else []
        if form.publish.data and not problems:
            documents.publish(draft, login.origin())
        db.session.commit()
        if not problems:
            flash_message("document_published" if form.publish.data else "document_saved",
                          number=draft.number)
            return _to_document(document) if form.publish.data else _to_draft(document)
    return render_template("admin/consents/draft.html", document=document, draft=draft,
                           form=form, problems=problems, field_types=fields.FIELD_TYPES,
                           blocks=blocks.body_blocks(draft.body))


def _field_page(document_id, name):
    """Add a question to a draft health form (name None), or edit the question `name`."""
    document = _document(document_id)
    if document.kind != "form":
        abort(404)
    draft = _open_draft(document)
    if draft is None:
        flash_message("document_no_draft")
        return _to_document(document)
    field = fields.field_named(draft, name) if name else None
    if name and field is None:
        abort(404)
    form = field_form(field)
    if form.validate_on_submit():
        try:
            saved = fields.save_field(draft, form.field_values(), login.origin(),
                                         replacing=name)
        except documents.DocumentError as error:
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash_message("document_field_saved")
            return _to_draft(document, anchor=f"question-{saved['name']}")
    return render_template("admin/consents/field.html", document=document, draft=draft,
                           form=form, field=field)


@bp.route("/consents/<int:document_id>/draft/fields/new", methods=["GET", "POST"])
@staff_required()
def new_document_field(document_id):
    return _field_page(document_id, None)


@bp.route("/consents/<int:document_id>/draft/fields/<name>", methods=["GET", "POST"])
@staff_required()
def edit_document_field(document_id, name):
    return _field_page(document_id, name)


def _posted_field(document_id, name):
    """(document, its open draft or None) for a question's button; 404 for no such question."""
    document = _posted(document_id)
    draft = _open_draft(document)
    if draft is not None and fields.field_named(draft, name) is None:
        abort(404)
    return document, draft


@bp.route("/consents/<int:document_id>/draft/fields/<name>/remove", methods=["POST"])
@staff_required()
def remove_document_field(document_id, name):
    document, draft = _posted_field(document_id, name)
    if draft is None:
        flash_message("document_no_draft")
        return _to_document(document)
    fields.remove_field(draft, name, login.origin())
    db.session.commit()
    flash_message("document_field_removed")
    return _to_draft(document, anchor="questions")


@bp.route("/consents/<int:document_id>/draft/fields/<name>/move/<any(up, down):direction>",
          methods=["POST"])
@staff_required()
def move_document_field(document_id, name, direction):
    document, draft = _posted_field(document_id, name)
    if draft is None:
        flash_message("document_no_draft")
        return _to_document(document)
    moved = fields.move_field(draft, name, -1 if direction == "up" else 1, login.origin())
    db.session.commit()
    flash_message("document_field_moved" if moved else "document_unchanged")
    return _to_draft(document, anchor=f"question-{name}")

