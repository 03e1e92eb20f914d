"""What the reader of a chart may see: the patient everything of their own; a guardian
everything but what is marked confidential; a guardian with limited scope only messages with
the care team, immunizations, allergies and forms (issue 22, part 4).

The patient guard makes one Reader per request (g.reader) from the chart chosen; the record
and message services add its conditions to the statements they run, so a list, a count, a
download, a ZIP and the home all leave out the same items, and nothing a guardian is shown
says that a hidden item exists.
"""

from dataclasses import dataclass

from sqlalchemy import exists

from ...models import ConfidentialMark, Conversation, RecordEntry

# The record categories a guardian with limited scope reaches.
LIMITED_CATEGORIES = ("immunization", "allergy")


def not_marked(kind, id_column):
    """A condition true for an item (record_entry or conversation) with no current mark."""
    return ~exists().where(ConfidentialMark.object_type == kind,
                           ConfidentialMark.object_id == id_column,
                           ConfidentialMark.removed_at.is_(None))


@dataclass(frozen=True)
class Reader:
    """Who reads the chart: the patient (`guardian` False) or a guardian, full or limited."""

    guardian: bool = False
    limited: bool = False

    def may_open(self, category_key):
        """Whether this reader reaches a record category at all."""
        return not self.limited or category_key in LIMITED_CATEGORIES

    def categories(self, every):
        """The categories of `every` (Category objects) this reader reaches."""
        return [category for category in every if self.may_open(category.key)]

    def entry_conditions(self):
        """Conditions on RecordEntry for what this reader may see, beyond being released."""
        if not self.guardian:
            return ()
        shown = [not_marked("record_entry", RecordEntry.id)]
        if self.limited:
            shown.append(RecordEntry.category.in_(LIMITED_CATEGORIES))
        return tuple(shown)

    def conversation_conditions(self):
        """Conditions on Conversation for what this reader may see."""
        return (not_marked("conversation", Conversation.id),) if self.guardian else ()

    def narrow_entries(self, statement):
        """`statement` (on RecordEntry) narrowed to what this reader may see; the patient's
        own, unchanged (a statement built once stays that one)."""
        return statement.where(*self.entry_conditions()) if self.guardian else statement

    def narrow_conversations(self, statement):
        """`statement` (on Conversation) narrowed to what this reader may see."""
        return statement.where(*self.conversation_conditions()) if self.guardian else statement

    @property
    def may_share(self):
        """Whether this reader may share the record with others: the patient only."""
        return not self.guardian


PATIENT = Reader()


def reader_of(chart):
    """The Reader for a chart chosen (services/proxies/acting.Chart)."""
    if chart is None or chart.own:
        return PATIENT
    return Reader(guardian=True, limited=chart.grant.scope == "limited")
