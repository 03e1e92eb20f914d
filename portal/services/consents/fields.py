"""The questions of a health form: the admin adds, changes, moves and removes them on a draft;
a patient's answers are read back from the submitted form and shown as words."""

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...models.consents import FIELD_TYPES
from .. import audit
from ..records.categories import MAX_NUMBER_CHARS
from .documents import DocumentError, update_draft

MAX_TEXT = 200  # a short text answer
MAX_LONG_TEXT = 4000  # a long text answer
MAX_NUMBER = Decimal("1000000")
CHOICE_FIELDS = {"single_choice", "multiple_choice"}
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def field_named(version, name):
    """The question with this internal name on the version, or None."""
    return next((field for field in version.fields or [] if field["name"] == name), None)


# Names a question may not take: the admin's page that adds a question is .../fields/new.
RESERVED_FIELD_NAMES = frozenset({"new"})


def field_name_for(label, others=()):
    """An internal name made from a question: lower-case letters, digits and underscores,
    starting with a letter, and not used by `others`."""
    text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "_", text).strip("_")[:32].strip("_") or "question"
    if not base[0].isalpha():
        base = f"q_{base}"[:32].strip("_")
    taken = {field["name"] for field in others} | RESERVED_FIELD_NAMES
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    return name


def save_field(version, field, origin, replacing=None):
    """Add a question to a draft health form, or put it in place of the question named
    `replacing`; returns the saved question (the caller commits).

    A blank internal name is made from the question. Choices are kept for choice questions
    only. A definition field_problem refuses raises DocumentError with its message.
    """
    fields = list(version.fields or [])
    if replacing is not None and field_named(version, replacing) is None:
        raise DocumentError(_l("That question is no longer on the draft."))
    others = [other for other in fields if other["name"] != replacing]
    field = {"name": "", "label": "", "type": "", "required": False, "help": "", "choices": [],
             **field}
    field["name"] = field["name"] or field_name_for(field["label"], others)
    field["choices"] = list(field["choices"]) if field["type"] in CHOICE_FIELDS else []
    problem = field_problem(field, others)
    if problem:
        raise DocumentError(problem)
    if replacing is None:
        fields.append(field)
    else:
        fields = [field if other["name"] == replacing else other for other in fields]
    update_draft(version, fields=fields)  # a new list: the JSON column sees the change
    audit.record("document.field_added" if replacing is None else "document.field_changed",
                 origin, object_type="document", object_id=version.document_id,
                 detail=f"version {version.number}; question {field['name']}")
    return field


def remove_field(version, name, origin):
    """Take the named question off a draft health form (the caller commits)."""
    if field_named(version, name) is None:
        raise DocumentError(_l("That question is no longer on the draft."))
    update_draft(version, fields=[field for field in version.fields if field["name"] != name])
    audit.record("document.field_removed", origin, object_type="document",
                 object_id=version.document_id, detail=f"version {version.number}; question {name}")


def move_field(version, name, step, origin):
    """Move the named question `step` places (-1 up, 1 down) on a draft health form; returns
    whether it moved (the first cannot go up, the last cannot go down). The caller commits."""
    fields = list(version.fields or [])
    names = [field["name"] for field in fields]
    if name not in names:
        raise DocumentError(_l("That question is no longer on the draft."))
    index = names.index(name)
    target = index + step
    if not 0 <= target < len(fields):
        return False
    fields[index], fields[target] = fields[target], fields[index]
    update_draft(version, fields=fields)
    audit.record("document.field_moved", origin, object_type="document",
                 object_id=version.document_id,
                 detail=f"version {version.number}; question {name} to place {target + 1}")
    return True


def field_problem(field, others=()):
    """Why a field definition cannot be saved, or None."""
    if not FIELD_NAME.match(field.get("name", "")):
        return _l("Internal names use lower-case letters, digits and underscores.")
    if any(other["name"] == field["name"] for other in others):
        return _l("Another question has that internal name.")
    if not field.get("label", "").strip():
        return _l("Write the question.")
    if field.get("type") not in FIELD_TYPES:
        return _l("Choose a kind of answer.")
    if field["type"] in CHOICE_FIELDS and len(field.get("choices") or []) < 2:
        return _l("A choice question needs at least two choices, one per line.")
    return None


def _date_parts(form, key):
    return [(form.get(f"{key}_{part}") or "").strip() for part in ("month", "day", "year")]


def read_answers(version, form, *, check_required):
    """Answers to a health form from a submitted form (a MultiDict): (answers, errors).

    Inputs are named f_<field>; a date is three inputs (_month, _day, _year). Every answer
    is checked for its type. Required questions are checked only when the form is submitted,
    not when a draft is saved. errors maps a field name to a message.
    """
    answers, errors = {}, {}
    for field in version.fields or []:
        name, kind, key = field["name"], field["type"], f"f_{field['name']}"
        value, problem = _read_one(field, kind, form, key)
        if problem:
            errors[name] = problem
        elif value in ("", [], None):
            if check_required and field.get("required"):
                errors[name] = _("Answer this question: %(label)s", label=field["label"])
        else:
            answers[name] = value
    return answers, errors


def _read_one(field, kind, form, key):
    """(value, problem) for one field; value "" when left blank."""
    if kind == "multiple_choice":
        picked = [choice for choice in form.getlist(key) if choice in field["choices"]]
        if len(picked) != len(form.getlist(key)):
            return None, _l("Choose from the list.")
        return picked, None
    if kind == "date":
        month, day, year = _date_parts(form, key)
        if not (month or day or year):
            return "", None
        try:
            return date(int(year), int(month), int(day)).isoformat(), None
        except (ValueError, OverflowError):  # a year of 30 digits overflows, it is no date
            return None, _l("Enter a real date: month, day and a four-digit year.")
    raw = (form.get(key) or "").strip()
    if not raw:
        return "", None
    if kind == "text" and len(raw) > MAX_TEXT:
        return None, _l("Use %(limit)d characters or fewer.", limit=MAX_TEXT)
    if kind == "long_text" and len(raw) > MAX_LONG_TEXT:
        return None, _l("Use %(limit)d characters or fewer.", limit=MAX_LONG_TEXT)
    if kind == "yes_no" and raw not in ("yes", "no"):
        return None, _l("Choose yes or no.")
    if kind == "single_choice" and raw not in field["choices"]:
        return None, _l("Choose from the list.")
    if kind == "number":
        return _number(raw)
    return raw, None


def _number(raw):
    """(the number as stored text, None) or (None, the message). Written out in full it is at
    most MAX_NUMBER_CHARS characters: 1e-999999 or 300 digits are no answer to store."""
    refused = None, _l("Enter a number, such as 3 or 2.5.")
    cleaned = raw.replace(",", "")
    if len(cleaned) > MAX_NUMBER_CHARS:
        return refused
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return refused
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        return refused
    if number and number.adjusted() < -MAX_NUMBER_CHARS:
        return refused  # written out, its zeros alone would be too long
    with localcontext(prec=2 * MAX_NUMBER_CHARS):  # exact: no digit is rounded away
        shown = format(number.normalize(), "f")
    return (shown, None) if len(shown) <= MAX_NUMBER_CHARS else refused


def answer_lines(version, answers):
    """(question, answer as words) for every field, in order, for pages and PDFs."""
    lines = []
    for field in version.fields or []:
        value = answers.get(field["name"])
        if value in (None, "", []):
            shown = str(_l("Not answered"))
        elif field["type"] == "yes_no":
            shown = str(_l("Yes")) if value == "yes" else str(_l("No"))
        elif field["type"] == "multiple_choice":
            shown = "; ".join(value)
        elif field["type"] == "date":
            shown = date.fromisoformat(value).strftime("%B %-d, %Y")
        else:
            shown = str(value)
        lines.append((field["label"], shown))
    return lines


def saved_inputs(version, answers):
    """What a health form's inputs show for saved `answers`: a date as its three parts."""
    shown = {}
    for field in version.fields or []:
        value = answers.get(field["name"], [] if field["type"] == "multiple_choice" else "")
        if field["type"] == "date":
            year, month, day = value.split("-") if value else ("", "", "")
            value = {"month": month, "day": day, "year": year}
        shown[field["name"]] = value
    return shown


def posted_inputs(version, form):
    """What a health form's inputs show again after a refused submit: the values typed."""
    shown = {}
    for field in version.fields or []:
        key = f"f_{field['name']}"
        if field["type"] == "multiple_choice":
            shown[field["name"]] = form.getlist(key)
        elif field["type"] == "date":
            shown[field["name"]] = {part: form.get(f"{key}_{part}", "") for part in ("month", "day", "year")}
        else:
            shown[field["name"]] = form.get(key, "")
    return shown
