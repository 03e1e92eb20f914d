"""A lab panel published in one go: a panel name, one collected and one resulted date, and
result rows (test, value, unit, range, flag). Each filled row becomes one lab entry through
entries.publish, so a panel follows the same permission, draft/release/hold and audit rules
as a single result, and categories.checked_facts checks each row as it checks one entry.

Rules:
- A row with nothing typed is ignored; a panel needs at least one filled row.
- A row left without a flag gets the one its range suggests (suggested_flag); with no range
  to read, staff choose it.
- Every row is checked before any is stored: one bad row stores nothing, and each problem is
  reported on its row.
"""

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from ..errors import FieldError
from . import entries
from .categories import CATEGORIES, TITLE_MAX, RecordError, checked_facts

MAX_ROWS = 60  # rows one form may carry: a large panel fits, a runaway form does not
ROW_FIELDS = ("test", "value", "unit", "reference_range", "flag")
NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
BETWEEN = re.compile(rf"\s*({NUMBER})\s*(?:-|–|to)\s*({NUMBER})\s*", re.IGNORECASE)
BOUND = re.compile(rf"\s*(<=?|>=?|≤|≥)\s*({NUMBER})\s*")


class PanelRefused(FieldError):
    """Nothing of the panel was stored. `message`/`field` is a problem of the panel's own
    fields (or None); `rows` maps a row's index to (field name, message)."""

    def __init__(self, message=None, field=None, rows=None):
        super().__init__(message or "", field)
        self.rows = rows or {}


def _number(text):
    try:
        return Decimal(str(text).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None


def _limits(reference_range):
    """(low, high) a range allows, either one None when open ("<5", ">40"), or None when the
    range is not numbers."""
    found = BETWEEN.fullmatch(reference_range or "")
    if found:
        return Decimal(found.group(1)), Decimal(found.group(2))
    found = BOUND.fullmatch(reference_range or "")
    if found:
        sign, limit = found.group(1), Decimal(found.group(2))
        return (None, limit) if sign in ("<", "<=", "≤") else (limit, None)
    return None


def suggested_flag(value, reference_range):
    """The flag a result's range suggests: "low" below it, "high" above it, "normal" inside;
    "" when the value or the range is not a number to compare ("negative", "see note")."""
    number, limits = _number(value), _limits(reference_range)
    if number is None or limits is None:
        return ""
    low, high = limits
    if low is not None and number < low:
        return "low"
    if high is not None and number > high:
        return "high"
    return "normal"


def is_blank(row):
    """Whether nothing was typed in a row (the flag alone is a choice, not typing)."""
    return not any((row.get(name) or "").strip() for name in ROW_FIELDS if name != "flag")


def with_suggestions(rows):
    """The rows, each without a flag given the one its range suggests (shown for staff to
    change before they publish)."""
    return [row if row.get("flag") or is_blank(row)
            else {**row, "flag": suggested_flag(row.get("value"), row.get("reference_range"))}
            for row in rows]


def _checked_rows(rows, shared):
    """{index: lab values} of the filled rows, or raise PanelRefused with every row's problem."""
    lab, filled, problems = CATEGORIES["lab"], {}, {}
    for index, row in enumerate(with_suggestions(rows)):
        if is_blank(row):
            continue
        values = {**{name: row.get(name) or "" for name in ROW_FIELDS}, **shared}
        try:
            checked_facts(lab, values)
        except RecordError as error:
            field = error.field if error.field in ROW_FIELDS else "flag"
            problems[index] = (field, _row_message(error, row))
            continue
        filled[index] = values
    if problems:
        raise PanelRefused(rows=problems)
    if not filled:
        raise PanelRefused(_l("Enter at least one result: a test name and its result."))
    return filled


def _row_message(error, row):
    """A row's refusal; a missing flag says why it could not be suggested."""
    if error.field == "flag" and not row.get("flag"):
        return _l("Choose the flag: the reference range gives no numbers to compare.")
    return error.message


def _shared(name, collected, resulted):
    """The facts every row carries, checked once: the panel name and its two dates."""
    name = (name or "").strip()
    if not name:
        raise PanelRefused(_l("Enter the panel's name."), "name")
    if len(name) > TITLE_MAX:
        raise PanelRefused(_l("Use at most %(max)d characters.", max=TITLE_MAX), "name")
    shared = {"panel": name, "collected_on": collected or "", "resulted_on": resulted or ""}
    sample = {"test": "-", "value": "-", "flag": "normal", **shared}
    try:
        checked_facts(CATEGORIES["lab"], sample)
    except RecordError as error:
        raise PanelRefused(error.message, error.field) from None
    return shared


def publish_panel(patient, name, collected, resulted, rows, origin, *, release):
    """One lab entry per filled row of a panel on `patient`'s chart, released now or drafts
    (`release`), as entries.publish makes each; the caller commits. `rows` are dicts of
    ROW_FIELDS as typed. Raises PanelRefused (nothing stored) or permissions.Refused."""
    shared = _shared(name, collected, resulted)
    filled = _checked_rows(rows[:MAX_ROWS], shared)
    return [entries.publish(patient, "lab", values, origin, release=release)
            for values in filled.values()]
