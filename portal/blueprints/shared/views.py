"""A shared health record, for the provider the patient gave the link and code to.

The link (/shared?s=...) is opened once: its token is put away and the address bar is cleaned,
so it is not left in the browser's history. The browser's signed session then holds the
share's id, and after the right access code, until when it stays open (an hour at most; the
share's own end and a revocation count at once). Every page and download is on the audit trail
with the share as the actor, and only what the share allows: released entries of the patient's
own chart in its categories; anything else is 404.
"""

from functools import wraps

from flask import abort, g, redirect, render_template, request, session, url_for

from ...extensions import db
from ...flash_messages import flash_message
from ...models import Patient
from ...page_texts import SHARE_PROBLEMS
from ...services import audit, ratelimit, record_share_opens, record_shares, records
from ...web import login
from ..records import files
from ..records.views import LAST_PAGE, extras, table
from . import bp
from .forms import ShareCodeForm

# {"id": the share's id, "open": the nonce of this browser's opening (services/record_share_opens
# keeps its hash, and the opening's end), absent until the right code}
SHARE_KEY = "record_share"


def _problem(problem):
    status, title, text = SHARE_PROBLEMS[problem]
    return render_template("shared/problem.html", problem=problem, title=title, text=text), status


def _held():
    """(share, problem page or None) for the share this browser opened the link of."""
    held = session.get(SHARE_KEY) or {}
    if not held:
        return None, _problem("missing")
    share, problem = record_shares.opened_share(held.get("id"))
    if problem:
        return share, _problem(problem)
    return share, None


def _is_open(share):
    """Whether this browser typed the share's code, within the hour, and has not closed it:
    checked on the server, so a cookie kept from before Close opens nothing."""
    return record_share_opens.is_open(share, (session.get(SHARE_KEY) or {}).get("open"))


def share_open(view):
    """Decorator: a share this browser gave the right code for, still working, as g.share
    and its patient as g.shared_patient; else its problem page, or the code's page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        share, refused = _held()
        if refused:
            return refused
        if not _is_open(share):
            return redirect(url_for("shared.code"))
        g.share, g.shared_patient = share, db.session.get(Patient, share.patient_id)
        return view(*args, **kwargs)

    return wrapped


def _origin():
    """This request on the audit trail: the share acting, from the provider's address."""
    return record_shares.acting_as(g.share, login.origin())


def _category_or_404(key):
    category = records.CATEGORIES.get(key)
    if category is None or not record_shares.allows(g.share, category.key):
        abort(404)
    return category


def _entry_or_404(category_key, entry_id):
    category = _category_or_404(category_key)
    entry = records.patient_entry(g.share.patient_id, entry_id)
    if entry is None or entry.category != category.key:
        abort(404)
    return category, entry


@bp.route("/shared", methods=["GET", "POST"])
def code():
    """The link lands here (its token is put away, the address cleaned); then the access
    code; then the shared record."""
    if request.method == "GET" and "s" in request.args:
        share, problem = record_shares.find_by_link(request.args["s"][:200])
        if problem:
            return _problem(problem)
        if (session.get(SHARE_KEY) or {}).get("id") != share.id:
            session[SHARE_KEY] = {"id": share.id}
        return redirect(url_for("shared.code"))
    share, refused = _held()
    if refused:
        return refused
    if _is_open(share):
        return redirect(url_for("shared.overview"))
    form, wrong = ShareCodeForm(), False
    if form.validate_on_submit():
        origin = login.origin()
        try:  # per address; each share also locks after its 10th wrong code
            ratelimit.hit("share-code", origin.ip)
        except ratelimit.RateLimited:
            abort(429)
        right = record_shares.check_code(share, form.code.data, origin)
        nonce = record_share_opens.open_in_browser(share)[0] if right else None
        db.session.commit()
        if right:
            session[SHARE_KEY] = {"id": share.id, "open": nonce}
            return redirect(url_for("shared.overview"))
        if record_shares.state(share) != "active":
            return _problem(record_shares.state(share))
        wrong = True
    return render_template("shared/code.html", form=form, wrong=wrong), (
        400 if wrong or form.errors else 200)


@bp.route("/shared/record")
@share_open
def overview():
    """The shared parts of the record, with how many entries each has, and the downloads."""
    counts = records.overview(g.share.patient_id)
    shown = [records.CATEGORIES[key] for key in record_shares.category_keys(g.share)]
    audit.record("record_share.overview_viewed", _origin(), patient_id=g.share.patient_id,
                 object_type="record_share", object_id=g.share.id)
    html = render_template("shared/overview.html", share=g.share, patient=g.shared_patient,
                           categories=shown, counts=counts)
    db.session.commit()
    return html


@bp.route("/shared/record/<category>")
@share_open
def category(category):
    """One shared category's entries, newest first, 25 a page."""
    kind = _category_or_404(category)
    number = min(max(request.args.get("page", 1, type=int), 1), LAST_PAGE)
    page = records.patient_page(g.share.patient_id, kind.key, number)
    records.record_viewed(_origin(), g.share.patient_id, f"list {kind.key}", page.items)
    columns, rows = table(kind, page.items)
    html = render_template("shared/category.html", share=g.share, patient=g.shared_patient,
                           category=kind, page=page, columns=columns, rows=rows,
                           **extras(kind, rows, g.share.patient_id))
    db.session.commit()
    return html


@bp.route("/shared/record/<category>/<int:entry_id>")
@share_open
def entry(category, entry_id):
    """One shared entry with all its facts (not marked seen: that is the patient's)."""
    kind, found = _entry_or_404(category, entry_id)
    records.record_viewed(_origin(), g.share.patient_id, f"entry {kind.key}", [found])
    html = render_template("shared/entry.html", share=g.share, patient=g.shared_patient,
                           category=kind, entry=found, facts=records.facts_for_people(found))
    db.session.commit()
    return html


@bp.route("/shared/record/<category>/<int:entry_id>.pdf")
@share_open
def entry_pdf(category, entry_id):
    """A shared entry as a PDF, as a download."""
    _kind, found = _entry_or_404(category, entry_id)
    return files.counted("pdf", g.share) or files.entry_pdf(found, g.shared_patient, _origin())


@bp.route("/shared/record/<category>.pdf")
@share_open
def category_pdf(category):
    """A shared category's entries as one PDF, as a download."""
    kind = _category_or_404(category)
    return files.counted("pdf", g.share) or files.category_pdf(kind, g.shared_patient, _origin())


@bp.route("/shared/record/documents/<int:entry_id>/file")
@share_open
def document_file(entry_id):
    """A shared document's original file, as published, as a download."""
    _kind, found = _entry_or_404("document", entry_id)
    return files.counted("pdf", g.share) or files.document_file(found, _origin())


@bp.route("/shared/record/download.zip")
@share_open
def archive():
    """Everything shared as one ZIP (a PDF, the documents, a FHIR R4 copy, a README)."""
    return files.counted("zip", g.share) or files.archive(
        g.shared_patient, _origin(), record_shares.category_keys(g.share))


@bp.route("/shared/close", methods=["POST"])
def close():
    """Close the share in this browser, on the server too (a copy of the cookie opens
    nothing after this): the code is asked again next time."""
    held = session.pop(SHARE_KEY, None) or {}
    if isinstance(held.get("id"), int) and record_share_opens.close_in_browser(
            held["id"], held.get("open"), login.origin()):
        db.session.commit()
    flash_message("share_closed")
    return redirect(url_for("public.home"))
