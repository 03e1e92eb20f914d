"""What the reader of a chart may see: the patient everything of their own; a guardian
everything but what is marked confidential; a guardian with limited scope only messages with
the care team, immunizations, allergies and forms (issue 22, part 4).

The patient guard makes one Reader per request (g.reader) from the chart chosen; the record
and message services add its conditions to the statements they run, so a list, a count, a
download, a ZIP and the home all leave out the same items, and nothing a guardian is shown
says that a hidden item exists.
"""

from dataclasses import dataclass

from sqlalchemy import exists, false

from ...models import ConfidentialMark, Conversation, RecordEntry

# The record categories a guardian with limited scope reaches.
LIMITED_CATEGORIES = ("immunization", "allergy")


def not_marked(kind, id_column):
    """A condition true for an item (record_entry or conversation) with no current mark."""
    return ~exists().where(ConfidentialMark.object_type == kind,
                           ConfidentialMark.object_id == id_column,
                           ConfidentialMark.removed_at.is_(None))


# The parts of the portal a grant's permissions open (a blueprint -> the Reader's flag).
PARTS = {"records": "may_records", "messages": "may_message", "consents": "may_sign"}


@dataclass(frozen=True)
class Reader:
    """Who reads the chart: the patient, a guardian (full or limited), or a representative
    with the permissions the patient chose."""

    guardian: bool = False
    limited: bool = False
    representative: bool = False
    may_records: bool = True
    may_message: bool = True
    may_sign: bool = True

    def may_use(self, blueprint):
        """Whether this reader may use a part of the portal (its blueprint's name)."""
        return getattr(self, PARTS[blueprint]) if blueprint in PARTS else True

    def may_open(self, category_key):
        """Whether this reader reaches a record category at all."""
        return self.may_records and (not self.limited or category_key in LIMITED_CATEGORIES)

    def categories(self, every):
        """The categories of `every` (Category objects) this reader reaches."""
        return [category for category in every if self.may_open(category.key)]

    def entry_conditions(self):
        """Conditions on RecordEntry for what this reader may see, beyond being released."""
        shown = [] if self.may_records else [false()]
        if self.guardian:
            shown.append(not_marked("record_entry", RecordEntry.id))
        if self.limited:
            shown.append(RecordEntry.category.in_(LIMITED_CATEGORIES))
        return tuple(shown)

    def conversation_conditions(self):
        """Conditions on Conversation for what this reader may see."""
        shown = [] if self.may_message else [false()]
        if self.guardian:
            shown.append(not_marked("conversation", Conversation.id))
        return tuple(shown)

    @property
    def narrowed(self):
        """Whether this reader sees less than the patient."""
        return self.guardian or self.representative

    def narrow_entries(self, statement):
        """`statement` (on RecordEntry) narrowed to what this reader may see; the patient's
        own, unchanged (a statement built once stays that one)."""
        return statement.where(*self.entry_conditions()) if self.narrowed else statement

    def narrow_conversations(self, statement):
        """`statement` (on Conversation) narrowed to what this reader may see."""
        return statement.where(*self.conversation_conditions()) if self.narrowed else statement

PATIENT = Reader()


def reader_of(chart):
    """The Reader for a chart chosen (services/proxies/acting.Chart)."""
    if chart is None or chart.own:
        return PATIENT
    grant = chart.grant
    if grant.kind == "representative":
        return Reader(representative=True, may_records=grant.may_records,
                      may_message=grant.may_message, may_sign=grant.may_sign)
    return Reader(guardian=True, limited=grant.scope == "limited")
