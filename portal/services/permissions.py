"""What each staff role may do: one table (ACTIONS), the practice's own changes to it, and the
staff routes each action guards (ROUTES).

- ACTIONS: every action a role may be allowed, with its default roles. An action marked
  `fixed` is the same in every practice: administering the portal (so a practice can never
  lock itself out of this very table), holding a result (a provider's clinical judgement),
  releasing a held result (the holding provider or any provider; an admin only with a written
  reason, checked in services/records.release_held), resetting a patient's two-step sign-in,
  and working with charts (the job of every role).
- A practice's changes are stored on the practice row (`role_permissions`, JSON: action ->
  roles) for the actions that are not fixed; nothing is stored until the admin saves the
  table, so a new practice (and the demo one) has the defaults without any page writing.
- ROUTES: every staff and admin endpoint with the action its guard checks
  (web/guards.staff_required reads it; an endpoint missing here is refused), or ANY_STAFF for
  pages every staff member has (their own account, the inbox, the chart's lists), or
  IN_SERVICE where the action depends on the object (an entry's category, a conversation's
  pool) and the service the view calls decides. tests/test_permissions.py walks the URL map:
  a new staff route must be added here.

Services refuse with `Refused` (the web layer answers 403 and audits it); pages ask `allows`
to offer only what the person may do.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..models.staff import STAFF_ROLES

ROLES = tuple(STAFF_ROLES)  # admin, provider, nurse, front_desk, billing
CLINICAL = ("admin", "provider", "nurse")


class Refused(Exception):
    """The staff member's role may not do `action` (the web layer answers 403)."""

    def __init__(self, action):
        super().__init__(action)
        self.action = action


@dataclass(frozen=True)
class Action:
    """One row of the table: who may do it by default, and whether a practice may change it."""

    key: str
    label: object
    defaults: tuple
    fixed: bool = False
    note: object = ""


ACTIONS = {action.key: action for action in (
    Action("charts", _l("Find, read, register and edit charts; invite; print letters"), ROLES,
           fixed=True, note=_l("Every role: working with charts is every role's job.")),
    Action("publish_clinical", _l("Publish or draft labs, visit summaries, problems, "
                                  "medications, allergies, immunizations; import CSV files"),
           CLINICAL),
    Action("publish_front", _l("Publish appointments and documents"),
           CLINICAL + ("front_desk",)),
    Action("publish_statements", _l("Publish statements"), ("admin", "front_desk", "billing")),
    Action("hold", _l("Hold a result for review"), ("provider",), fixed=True,
           note=_l("Providers only, when the practice allows holds.")),
    Action("release_held", _l("Release a held result"), ("admin", "provider"), fixed=True,
           note=_l("The holding provider or any provider; an admin only with a written "
                   "reason.")),
    Action("retract", _l("Retract an entry entered in error"), CLINICAL),
    Action("read_all_conversations", _l("Read every conversation and its internal notes"),
           CLINICAL, note=_l("Other roles read the conversations of their own pool.")),
    Action("review_forms", _l("Review health forms; record a wet signature"),
           CLINICAL + ("front_desk",)),
    Action("suspend", _l("Suspend and reinstate portal access"), CLINICAL),
    Action("confidential", _l("Mark a record item or conversation confidential from every "
                              "guardian"), CLINICAL),
    Action("proxies", _l("Add, pause, limit and end a minor's parents and guardians; record "
                         "who must not have access"), CLINICAL + ("front_desk",)),
    Action("stop_share", _l("Stop a patient's record share"), CLINICAL),
    Action("reset_two_step", _l("Reset a patient's two-step sign-in"), ("admin",), fixed=True,
           note=_l("Admins only: it hands an account to whoever holds its password.")),
    Action("administer", _l("Settings, documents, topics, staff, audit log, this table"),
           ("admin",), fixed=True,
           note=_l("Admins only, so the practice can never lock itself out.")),
)}
EDITABLE = tuple(key for key, action in ACTIONS.items() if not action.fixed)

# Which action publishing (and releasing a draft of, and deciding corrections to) each
# category of record needs (services/records.CATEGORIES).
CATEGORY_ACTIONS = {  # in categories.CATEGORIES' order
    "lab": "publish_clinical", "immunization": "publish_clinical",
    "medication": "publish_clinical", "allergy": "publish_clinical",
    "problem": "publish_clinical", "appointment": "publish_front",
    "visit": "publish_clinical", "statement": "publish_statements",
    "document": "publish_front",
}

# The staff pool each role works (services/messages/inbox.py); admins have none of their own.
ROLE_POOLS = {"front_desk": "front_desk", "nurse": "nurse", "billing": "billing",
              "provider": "provider"}

ANY_STAFF = "any staff"
IN_SERVICE = "decided by the service"

ROUTES = {
    # Every staff member: their own account, sign-in steps, the lists every role works from.
    **dict.fromkeys((
        "staff.home", "staff.account", "staff.account_password", "staff.account_activity",
        "staff.twostep.manage_staff", "staff.twostep.new_staff_recovery_codes",
        "staff.messages.inbox", "staff.records.held",
    ), ANY_STAFF),
    # Charts: find, read, register, edit; invite; letters; consents and messages to start.
    **dict.fromkeys((
        "staff.patients", "staff.clear_search", "staff.new_patient", "staff.chart",
        "staff.chart_consents", "staff.chart_records", "staff.chart_messages",
        "staff.chart_access", "staff.manage_grant", "staff.confidential_item",
        "staff.edit_patient", "staff.send_invitation", "staff.activation_letter",
        "staff.revoke_invitation", "staff.assisted_reset", "staff.reopen_self_reset",
        "staff.consents.signature_pdf", "staff.consents.signature_scan",
        "staff.consents.assign_form", "staff.consents.overview", "staff.consents.missing",
        "staff.consents.batch", "staff.consents.verify", "staff.messages.start",
        "staff.records.entry", "staff.records.document",
    ), "charts"),
    # The kind of record (new, release, corrections) or the conversation's pool decides.
    **dict.fromkeys((
        "staff.records.new", "staff.records.release", "staff.records.hold",
        "staff.record_corrections.decide",
        "staff.messages.conversation", "staff.messages.reply", "staff.messages.note",
        "staff.messages.assign", "staff.messages.move", "staff.messages.close",
        "staff.messages.attachment_file", "staff.messages.attachment_image",
    ), IN_SERVICE),
    "staff.records.retract": "retract",
    "staff.appointment_changes.change": "publish_front",
    "staff.record_import.upload": "publish_clinical",
    "staff.records.panel": "publish_clinical",
    "staff.record_import.confirm": "publish_clinical",
    **dict.fromkeys((
        "staff.consents.wet_signature_pdf", "staff.consents.paper_signature",
        "staff.consents.review_forms", "staff.consents.mark_reviewed",
    ), "review_forms"),
    "staff.suspend": "suspend",
    "staff.reinstate": "suspend",
    "staff.stop_share": "stop_share",
    **dict.fromkeys((
        "staff.add_guardian", "staff.end_grant", "staff.suspend_grant", "staff.reinstate_grant",
        "staff.grant_scope", "staff.invite_guardian", "staff.guardian_letter",
        "staff.take_over_account",
        "staff.grant_court_order",
        "staff.add_block", "staff.lift_block",
    ), "proxies"),
    "staff.mark_confidential": "confidential",
    "staff.remove_confidential": "confidential",
    "staff.reset_two_step": "reset_two_step",
}
# Every admin page (blueprints/admin/): a new one is for admins until declared otherwise.
BLUEPRINT_ACTIONS = {"admin": "administer"}


def route_action(endpoint):
    """The action the guard checks for `endpoint`: ANY_STAFF, IN_SERVICE, an action key, or
    None for an endpoint no one declared (the guard refuses it)."""
    if endpoint in ROUTES:
        return ROUTES[endpoint]
    return BLUEPRINT_ACTIONS.get((endpoint or "").split(".")[0])


def _practice(practice):
    if practice is not None:
        return practice
    from .practice import get_practice
    return get_practice()


def roles_for(action, practice=None):
    """The roles allowed `action` in this practice: its own choice for a row it may change,
    else the default."""
    row = ACTIONS[action]
    if row.fixed:
        return set(row.defaults)
    stored = (_practice(practice).role_permissions or {}).get(action)
    return set(row.defaults) if stored is None else set(stored) & set(ROLES)


def table(practice=None):
    """{action: set of roles} for the whole table, as this practice has it."""
    return {key: roles_for(key, practice) for key in ACTIONS}


def allows(staff, action, practice=None):
    """Whether `staff` (a staff account) may do `action` in this practice."""
    return getattr(staff, "kind", None) == "staff" and staff.role in roles_for(action, practice)


def require(staff, action, practice=None):
    """Raise Refused unless `staff` may do `action`."""
    if not allows(staff, action, practice):
        raise Refused(action)


def require_origin(origin, action, practice=None):
    """Raise Refused unless the origin's staff member may do `action`. An origin without an
    account is a command or job (`portal demo`, audit.SYSTEM), which no role limits: every web
    route that reaches a service is behind web/guards.staff_required, so a web request always
    carries its staff member."""
    if origin.account is not None:
        require(origin.account, action, practice)


def category_action(category_key):
    """The action publishing an entry of this category needs."""
    return CATEGORY_ACTIONS.get(category_key, "publish_clinical")


def publishable(staff, practice=None):
    """The category keys `staff` may publish, in CATEGORY_ACTIONS' order."""
    practice = _practice(practice)  # found once, not once an action (the chart asks each view)
    allowed = {key for key in EDITABLE if allows(staff, key, practice)}
    return [key for key, action in CATEGORY_ACTIONS.items() if action in allowed]


def may_read_conversation(staff, conversation, practice=None):
    """Every conversation for a role allowed them all; else those of the role's own pool."""
    return allows(staff, "read_all_conversations", practice) or (
        getattr(staff, "kind", None) == "staff"
        and ROLE_POOLS.get(staff.role) == conversation.pool)


def require_conversation(staff, conversation, practice=None):
    """Raise Refused unless `staff` may read (and so work on) `conversation`."""
    if not may_read_conversation(staff, conversation, practice):
        raise Refused("read_all_conversations")


def save_table(practice, chosen, origin):
    """Store the practice's table: `chosen` is {action: roles} for the rows it may change
    (fixed rows and unknown roles are ignored). Audited with what changed; the caller commits.
    Returns the actions that changed."""
    from . import audit

    before = table(practice)
    stored = {key: sorted(set(chosen.get(key, ())) & set(ROLES)) for key in EDITABLE}
    changed = [key for key in EDITABLE if set(stored[key]) != before[key]]
    if changed:
        practice.role_permissions = stored
        audit.record("admin.permissions_changed", origin, object_type="practice",
                     object_id=practice.id,
                     detail="; ".join(f"{key}: {', '.join(stored[key]) or 'none'}"
                                      for key in changed)[:2000])
    return changed
