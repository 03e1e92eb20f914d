"""A CSV import of lab results or immunizations for one patient: a file read into rows, each
row checked by the rule that checks a typed entry (categories.checked_facts), and the rows of a
file saved only when every one of them is fine, in one transaction.

Rules:
- A file is CSV text with commas between cells: UTF-8 (with or without the byte-order mark
  Excel writes) or, failing that, Windows-1252 as older Excel saves it. At most 1 MB and 500
  rows; anything else (a spreadsheet's own format, a PDF, an image) is refused whole.
- The first row that is not blank names the columns: a field's name ("resulted_on") or its
  label ("Resulted on"), in any case and order. A column the category does not have, or one
  it needs that is missing, refuses the whole file, naming the columns.
- Blank lines are skipped; every other row is checked and numbered as a spreadsheet shows it
  (the headings are row 1). A choice may be written as its value or its label ("high",
  "High"); anything else is checked as written.
- Nothing is saved unless every row is fine; the file is read again, in full, from whatever
  the browser sends back before it is saved.
"""

import csv
import io
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import audit, permissions
from ..errors import FieldError
from . import entries
from .categories import CATEGORIES, Category, RecordError, checked_facts

IMPORTABLE = ("lab", "immunization")
MAX_ROWS = 500
MAX_MB = 1
MAX_BYTES = MAX_MB * 1024 * 1024
ENCODINGS = ("utf-8-sig", "cp1252")  # tried in this order
# Control characters no text file holds (a tab, CR and LF are text).
NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CsvError(FieldError):
    """A file that cannot be read as a batch at all (not one row's problem): `message` for
    people, `field` the form input it is about ("file" or "category")."""


@dataclass(frozen=True)
class Row:
    """One data row: its number as a spreadsheet shows it, its cells as written ({field name:
    text}), the values entries.publish is given, and its problem in words (None when fine)."""

    number: int
    cells: dict
    values: dict
    problem: object = None

    @property
    def fine(self):
        """Whether the row can be saved as it is."""
        return self.problem is None


@dataclass(frozen=True)
class Batch:
    """A file read for one category: its text (for the page to send back) and its rows."""

    category: Category
    text: str
    rows: tuple

    @property
    def problems(self):
        """How many rows cannot be saved."""
        return sum(not row.fine for row in self.rows)

    @property
    def valid(self):
        """Whether every row can be saved (a file has at least one row)."""
        return bool(self.rows) and self.problems == 0


def _refused(message):
    """A CsvError about the file as a whole."""
    return CsvError(message, "file")


def _not_csv():
    return _refused(_l("This is not a CSV file. In the spreadsheet, save it as “CSV” "
                       "(comma-separated values) and choose that file."))


def _too_large():
    return _refused(_l("The file is larger than %(size)d MB. Split it into smaller files.",
                       size=MAX_MB))


def importable(category_key):
    """The Category a file may be imported for (lab results or immunizations), else raise
    CsvError on the "category" input."""
    if category_key not in IMPORTABLE:
        raise CsvError(_l("Choose lab results or immunizations."), "category")
    return CATEGORIES[category_key]


def _text_of(data):
    """The file's text: bytes decoded (UTF-8, else Windows-1252), or the text the page sent
    back, its line breaks as one character again. Raises CsvError."""
    if data is None:
        raise _refused(_l("Choose the CSV file to import."))
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise _too_large()
        text = _decoded(data)
    else:  # from the preview page: a browser sends a line break back as CR LF
        text = data.replace("\r\n", "\n")
        if len(text) > MAX_BYTES:  # a file's text never has more characters than bytes
            raise _too_large()
    if text is not None and not text.strip():
        raise _refused(_l("The file is empty."))
    if text is None or NOT_TEXT.search(text):
        raise _not_csv()
    return text


def _decoded(data):
    """The bytes as text in the first encoding that fits, else None."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _folded(name):
    """A heading as compared: case, spaces and underscores do not matter."""
    return " ".join(name.replace("_", " ").split()).casefold()


def _columns(category, headings):
    """[the Field of each column], from the heading row. Raises CsvError naming unknown,
    repeated or missing columns."""
    known = {}
    for item in category.fields:
        known[_folded(item.name)] = known[_folded(str(item.label))] = item
    while headings and not headings[-1].strip():  # empty cells after the last heading
        headings = headings[:-1]
    if not all(heading.strip() for heading in headings):
        raise _refused(_l("Every column needs a heading in the first row: column %(number)d "
                          "has none.", number=1 + [h.strip() for h in headings].index("")))
    unknown = [heading.strip() for heading in headings if _folded(heading) not in known]
    if unknown:
        raise _refused(_("The file has columns this import does not know: %(names)s. Use the "
                          "columns listed on this page.", names=_quoted(unknown)))
    columns = [known[_folded(heading)] for heading in headings]
    repeated = [item.name for index, item in enumerate(columns) if item in columns[:index]]
    if repeated:
        raise _refused(_("The file has more than one column for %(names)s.",
                          names=_quoted(repeated)))
    missing = [item.name for item in category.fields if item.required and item not in columns]
    if missing:
        raise _refused(_("The file has no column for %(names)s, which every row needs.",
                          names=_quoted(missing)))
    return columns


def _quoted(names):
    return ", ".join(f"“{name}”" for name in names)


def _cell_value(item, text):
    """A cell as the form would have sent it: a choice's label stands for its value."""
    if item.kind == "choice":
        for value, label in item.choices:
            if text.casefold() in (value.casefold(), str(label).casefold()):
                return value
    return text


def _row(category, columns, number, cells):
    """One data row, checked by checked_facts."""
    extra = cells[len(columns):]
    written = {item.name: cell.strip() for item, cell in zip(columns, cells, strict=False)}
    written = {item.name: written.get(item.name, "") for item in category.fields}
    values = {item.name: _cell_value(item, written[item.name]) for item in category.fields}
    if any(cell.strip() for cell in extra):
        return Row(number, written, values,
                   _l("This row has more cells than the first row has headings."))
    try:
        checked_facts(category, values)
    except RecordError as error:
        item = category.field(error.field)
        problem = error.message
        if item.kind == "choice":
            problem = _("Use one of: %(options)s.",
                         options=", ".join(str(label) for _value, label in item.choices))
        return Row(number, written, values,
                   _("%(column)s: %(problem)s", column=item.label, problem=problem))
    return Row(number, written, values)


def read(category_key, data):
    """The file `data` (the upload's bytes, or the text the preview page sent back) read for
    one category as a Batch, every row checked; raise CsvError when the file as a whole cannot
    be read (no file, empty, too large, not CSV, unknown or missing columns, too many rows)."""
    category = importable(category_key)
    text = _text_of(data)
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise _not_csv() from None
    numbered = [(number, cells) for number, cells in enumerate(lines, start=1)
                if any(cell.strip() for cell in cells)]
    if not numbered:
        raise _refused(_l("The file is empty."))
    (_first, headings), body = numbered[0], numbered[1:]
    columns = _columns(category, headings)
    if len(body) > MAX_ROWS:
        raise _refused(_l("The file has more than %(max)d rows. Split it into files of at "
                          "most %(max)d rows.", max=MAX_ROWS))
    if not body:
        raise _refused(_l("The file has headings but no rows under them."))
    rows = tuple(_row(category, columns, number, cells) for number, cells in body)
    return Batch(category, text, rows)


def publish_batch(patient, batch, origin, *, release):
    """Every row of a fully valid batch published to `patient`'s chart (released now, or
    drafts), with one "record.imported" audit row naming the category and the count, never a
    value. The caller commits once; if any row is refused, nothing may be committed (raise
    CsvError or RecordError; the caller rolls back)."""
    permissions.require_origin(origin, "publish_clinical")
    if not batch.valid:
        raise _refused(_l("Nothing was saved: correct every row first."))
    published = [entries.publish(patient, batch.category.key, row.values, origin,
                                 release=release)
                 for row in batch.rows]
    audit.record("record.imported", origin, patient_id=patient.id, object_type="patient",
                 object_id=patient.id, detail=f"category: {batch.category.key}; "
                 f"rows: {len(published)}; {'released' if release else 'drafts'}")
    return published
