"""The rule for a legal name typed as a signature: does it name the chart's patient?

People type names the way they write them: without accents on a phone keyboard, without the
apostrophe, in capitals, with a second space, or with only the parts of a long name they use
every day. The rule below accepts those and nothing looser.
"""

import unicodedata

# Characters that separate the words of a name; every other character that is neither a
# letter nor a digit (apostrophes, full stops) is dropped, so "O'Neil" is "oneil".
WORD_BREAKS = frozenset(" \t-‐‑‒–—―/,")
# Short words that belong to the family name after them ("de la Cruz", "van der Berg"):
# on their own they never count as the family name.
PARTICLES = frozenset({"da", "das", "de", "del", "della", "der", "den", "di", "do", "dos",
                       "du", "e", "el", "i", "la", "las", "le", "les", "los", "van", "von", "y"})


def name_words(name):
    """The words of a name as the rule compares them: accents removed (é is e), case folded,
    split at spaces, hyphens, dashes, slashes and commas, other punctuation dropped."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    words, word = [], []
    for ch in plain + " ":
        if ch in WORD_BREAKS or ch.isspace():
            if word:
                words.append("".join(word))
            word = []
        elif ch.isalnum():
            word.append(ch)
    return words


def holder_name_matches(account, typed):
    """True when `typed` names the holder of a portal account: the chart's names for a
    patient's own; for a guardian's, the name staff recorded as one string, its first word
    the given name, its last the family name, any between middle names."""
    if account.patient is not None:
        person = account.patient
        return typed_name_matches(person.first_name, person.middle_name, person.last_name, typed)
    words = account.holder_name.split()
    return bool(words) and typed_name_matches(words[0], " ".join(words[1:-1]), words[-1], typed)


def typed_name_matches(given, middle, family, typed):
    """True when `typed` names the person whose chart holds `given` (first name), `middle`
    and `family` (last name). Compared as name_words: case, accents, extra spaces and
    punctuation never matter.

    The typed words are the given part, then the family part:
    - given part: the first given name (the first word of `given`), then any of the other
      words of `given` and `middle`, in the chart's order; a middle word may be its initial;
    - family part: the words of `family` in the chart's order, any of them left out, as
      long as the first family name (its first word that is not a particle such as "de" or
      "van") is there.
    So for "María José García López": "Maria Garcia", "maria jose garcia", "Maria J. Garcia
    Lopez" match; "Jose Garcia", "Maria Lopez", "Garcia Maria" and "Maria" do not.
    """
    words = name_words(typed)
    given_words = name_words(given) + name_words(middle)
    family_words = name_words(family)
    if not words or not given_words or not family_words or words[0] != given_words[0]:
        return False
    return any(_given_rest_matches(words[1:split], given_words[1:])
               and _family_matches(words[split:], family_words)
               for split in range(1, len(words)))


def _in_order(typed, chart, same):
    """True when each typed word is `same` as a chart word, the chart words used in order."""
    position = 0
    for word in typed:
        while position < len(chart) and not same(word, chart[position]):
            position += 1
        if position == len(chart):
            return False
        position += 1
    return True


def _given_rest_matches(typed, chart):
    return _in_order(typed, chart, lambda word, name: word in (name, name[0]))


def _family_matches(typed, chart):
    """The family part: chart words in order, with the first family name among them."""
    anchor = next((word for word in chart if word not in PARTICLES), chart[-1])
    return anchor in typed and _in_order(typed, chart, str.__eq__)
