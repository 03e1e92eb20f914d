"""A shared health record, for the provider the patient gave the link and code to.

The link (/record-share?s=...) is opened once: its token is put away and the address bar is
cleaned, so it is not left in the browser's history. The browser's signed session then holds
the share's id, and after the right access code, until when it stays open (an hour at most;
the share's own end and a revocation count at once). Every page and download is on the audit
trail with the share as the actor, and only what the share allows: released entries of the
patient's own chart in its categories; anything else is 404. The pages and downloads are
drawn by the builders the patient's own pages use (web/record_pages.py,
web/record_downloads.py). Links made before the move say /shared: each GET there redirects.
"""

from functools import wraps

from flask import abort, g, redirect, render_template, request, session, url_for

from ...extensions import db
from ...flash_messages import flash_message
from ...page_texts import SHARE_PROBLEMS
from ...services import audit, ratelimit
from ...services.records import categories, share_opens, shares
from ...web import login, record_downloads, record_pages
from ...web.routing import keep_old_url
from . import bp
from .forms import ShareCodeForm

# {"id": the share's id, "open": the nonce of this browser's opening (services/records/
# share_opens keeps its hash, and the opening's end), absent until the right code}
SHARE_KEY = "record_share"
PAGES = "record_share"  # the templates' folder and the links' blueprint


def _problem(problem):
    status, title, text = SHARE_PROBLEMS[problem]
    return render_template("record_share/problem.html", problem=problem, title=title,
                           text=text), status


def _held():
    """(share, problem page or None) for the share this browser opened the link of."""
    held = session.get(SHARE_KEY) or {}
    if not held:
        return None, _problem("missing")
    share, problem = shares.opened_share(held.get("id"))
    if problem:
        return share, _problem(problem)
    return share, None


def _is_open(share):
    """Whether this browser typed the share's code, within the hour, and has not closed it:
    checked on the server, so a cookie kept from before Close opens nothing."""
    return share_opens.is_open(share, (session.get(SHARE_KEY) or {}).get("open"))


def share_open(view):
    """Decorator: a share this browser gave the right code for, still working, as g.share
    and its patient as g.shared_patient; else its problem page, or the code's page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        share, refused = _held()
        if refused:
            return refused
        if not _is_open(share):
            return redirect(url_for("record_share.code"))
        g.share, g.shared_patient = share, shares.shared_patient(share)
        return view(*args, **kwargs)

    return wrapped


def _origin():
    """This request on the audit trail: the share acting, from the provider's address."""
    return shares.acting_as(g.share, login.origin())


def _shown():
    """The category keys the share shows."""
    return shares.category_keys(g.share)


def _banner():
    """What every shared page shows on top besides whose record: with whom, until when."""
    return {"share": g.share}


def _put_link_away():
    """The link's token into this browser's session, and the address cleaned; else the
    link's problem page."""
    share, problem = shares.find_by_link(request.args["s"][:200])
    if problem:
        return _problem(problem)
    if (session.get(SHARE_KEY) or {}).get("id") != share.id:
        session[SHARE_KEY] = {"id": share.id}
    return redirect(url_for("record_share.code"))


@bp.route("/record-share", methods=["GET", "POST"])
def code():
    """The link lands here (its token is put away, the address cleaned); then the access
    code; then the shared record."""
    if request.method == "GET" and "s" in request.args:
        return _put_link_away()
    share, refused = _held()
    if refused:
        return refused
    if _is_open(share):
        return redirect(url_for("record_share.overview"))
    form, wrong = ShareCodeForm(), False
    if form.validate_on_submit():
        origin = login.origin()
        try:  # per address; each share also locks after its 10th wrong code
            ratelimit.hit("share-code", origin.ip)
        except ratelimit.RateLimited:
            abort(429)
        right = shares.check_code(share, form.code.data, origin)
        nonce = share_opens.open_in_browser(share)[0] if right else None
        db.session.commit()
        if right:
            session[SHARE_KEY] = {"id": share.id, "open": nonce}
            return redirect(url_for("record_share.overview"))
        if shares.state(share) != "active":
            return _problem(shares.state(share))
        wrong = True
    return render_template("record_share/code.html", form=form, wrong=wrong), (
        400 if wrong or form.errors else 200)


@bp.route("/record-share/record")
@share_open
def overview():
    """The shared parts of the record, with how many entries each has, and the downloads."""
    audit.record("record_share.overview_viewed", _origin(), patient_id=g.share.patient_id,
                 object_type="record_share", object_id=g.share.id)
    html = record_pages.overview_page(
        PAGES, g.shared_patient, [categories.CATEGORIES[key] for key in _shown()], **_banner())
    db.session.commit()
    return html


@bp.route("/record-share/record/<category>")
@share_open
def category(category):
    """One shared category's entries, newest first, 25 a page."""
    kind = record_pages.category_or_404(category, _shown())
    return record_pages.category_page(PAGES, g.shared_patient, _origin(), kind, **_banner())


@bp.route("/record-share/record/<category>/<int:entry_id>")
@share_open
def entry(category, entry_id):
    """One shared entry with all its facts (not marked seen: that is the patient's)."""
    kind, found = record_pages.entry_or_404(g.shared_patient, category, entry_id, _shown())
    return record_pages.entry_page(PAGES, g.shared_patient, _origin(), kind, found,
                                   **_banner())


@bp.route("/record-share/record/<category>/<int:entry_id>.pdf")
@share_open
def entry_pdf(category, entry_id):
    """A shared entry as a PDF, as a download."""
    _kind, found = record_pages.entry_or_404(g.shared_patient, category, entry_id, _shown())
    return record_downloads.counted("pdf", g.share) or record_downloads.entry_pdf(
        found, g.shared_patient, _origin())


@bp.route("/record-share/record/<category>.pdf")
@share_open
def category_pdf(category):
    """A shared category's entries as one PDF, as a download."""
    kind = record_pages.category_or_404(category, _shown())
    return record_downloads.counted("pdf", g.share) or record_downloads.category_pdf(
        kind, g.shared_patient, _origin())


@bp.route("/record-share/record/documents/<int:entry_id>/file")
@share_open
def document_file(entry_id):
    """A shared document's original file, as published, as a download."""
    _kind, found = record_pages.entry_or_404(g.shared_patient, "document", entry_id, _shown())
    return record_downloads.counted("pdf", g.share) or record_downloads.document_file(
        found, _origin())


@bp.route("/record-share/record/download.zip")
@share_open
def archive():
    """Everything shared as one ZIP (a PDF, the documents, a FHIR R4 copy, a README)."""
    return record_downloads.counted("zip", g.share) or record_downloads.archive(
        g.shared_patient, _origin(), _shown())


@bp.route("/record-share/close", methods=["POST"])
def close():
    """Close the share in this browser, on the server too (a copy of the cookie opens
    nothing after this): the code is asked again next time."""
    held = session.pop(SHARE_KEY, None) or {}
    if isinstance(held.get("id"), int) and share_opens.close_in_browser(
            held["id"], held.get("open"), login.origin()):
        db.session.commit()
    flash_message("share_closed")
    return redirect(url_for("public.home"))


# Links already emailed and printed say /shared: each GET there redirects to its new URL.
for _old, _endpoint in (
        ("/shared", "record_share.code"),
        ("/shared/record", "record_share.overview"),
        ("/shared/record/<category>", "record_share.category"),
        ("/shared/record/<category>/<int:entry_id>", "record_share.entry"),
        ("/shared/record/<category>/<int:entry_id>.pdf", "record_share.entry_pdf"),
        ("/shared/record/<category>.pdf", "record_share.category_pdf"),
        ("/shared/record/documents/<int:entry_id>/file", "record_share.document_file"),
        ("/shared/record/download.zip", "record_share.archive")):
    keep_old_url(bp, _old, _endpoint)
