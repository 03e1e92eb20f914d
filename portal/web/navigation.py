"""The main navigation of a signed-in page: its links, and which one is the current page.

Every signed-in page draws it, and drawn link by link it was about a fifth of a page's time
(a URL built, a label translated and the request read again for each link). Its markup
depends only on who is signed in (staff or patient, admin or not), the practice's holds
setting, the current link, the unread count and the language, so it is drawn once per
combination per process (templates/navigation.html) and reused.
"""

import functools

from flask import g, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from ..services.proxies import viewing

# (endpoint, label, who sees it, is it the current page: f(endpoint, blueprint)).
# Labels are translated when drawn, in the request's language.
STAFF_LINKS = (
    ("staff.patients", _l("Patients"), "all",
     lambda endpoint, blueprint: blueprint == "staff" and not endpoint.startswith("staff.account")),
    ("staff.messages.inbox", _l("Messages"), "all",
     lambda endpoint, blueprint: blueprint == "staff.messages"),
    ("staff.records.held", _l("Held results"), "holds",
     lambda endpoint, blueprint: endpoint == "staff.records.held"),
    ("staff.consents.overview", _l("Consents"), "all",
     lambda endpoint, blueprint: blueprint == "staff.consents"),
    ("admin.settings", _l("Practice settings"), "admin",
     lambda endpoint, blueprint: endpoint == "admin.settings"),
    ("admin.audit_log", _l("Audit log"), "admin",
     lambda endpoint, blueprint: endpoint == "admin.audit_log"),
    ("admin.staff_list", _l("Staff"), "admin",
     lambda endpoint, blueprint: endpoint == "admin.staff_list"),
    ("admin.role_permissions", _l("Staff roles"), "admin",
     lambda endpoint, blueprint: endpoint == "admin.role_permissions"),
    ("admin.document_list", _l("Documents"), "admin",
     lambda endpoint, blueprint: blueprint == "admin" and "document" in endpoint),
    ("admin.message_topics", _l("Message topics"), "admin",
     lambda endpoint, blueprint: blueprint == "admin"
     and ("message_topic" in endpoint or "reply_template" in endpoint)),
    ("staff.twostep.manage_staff", _l("Two-step sign-in"), "all",
     lambda endpoint, blueprint: endpoint == "staff.twostep.manage_staff"),
    ("staff.account", _l("Your account"), "all",
     lambda endpoint, blueprint: endpoint.startswith("staff.account")),
)
PATIENT_LINKS = (
    ("patient.home", _l("Home"), "all", lambda endpoint, blueprint: endpoint == "patient.home"),
    ("consents.index", _l("Forms and consents"), "consents",
     lambda endpoint, blueprint: blueprint == "consents"),
    ("messages.inbox", _l("Messages"), "messages",
     lambda endpoint, blueprint: blueprint == "messages"),
    ("records.overview", _l("Health record"), "records",
     lambda endpoint, blueprint: blueprint == "records"),
    ("profile.overview", _l("Your account"), "all",
     lambda endpoint, blueprint: blueprint in ("profile", "twostep")),
)
LINKS = {"staff": STAFF_LINKS, "patient": PATIENT_LINKS}
# The link that carries the patient's unread count.
UNREAD_ON = "messages.inbox"


def main_navigation():
    """The navigation's list items for the signed-in person on this request (Markup)."""
    kind = current_user.kind
    shown = {"all"}
    if kind == "staff":
        shown.update(("admin",) if current_user.is_admin else ())
        shown.update(("holds",) if g.practice.result_holds_allowed else ())
    else:  # the parts the chart's reader may use (a representative's permissions)
        reader = g.get("reader")
        shown.update(part for part in viewing.PARTS if reader is None or reader.may_use(part))
    endpoint, blueprint = request.endpoint or "", request.blueprint or ""
    current = next((link[0] for link in LINKS[kind]
                    if link[2] in shown and link[3](endpoint, blueprint)), None)
    return _drawn(kind, frozenset(shown), current, g.get("unread_messages") or 0,
                  str(get_locale()), request.script_root)


@functools.lru_cache(maxsize=512)
def _drawn(kind, shown, current, unread, locale, script_root):
    """The markup for one combination (with the language and where the app is mounted, as
    the labels and the URLs depend on them). navigation.html escapes what it draws."""
    items = [(endpoint, label) for endpoint, label, who, _ in LINKS[kind] if who in shown]
    drawn = render_template("navigation.html", items=items, current=current, unread=unread,
                            unread_on=UNREAD_ON)
    return Markup(drawn)  # noqa: S704 - an autoescaped template's output
