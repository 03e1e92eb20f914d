"""The rule for a legal name typed as a signature (services/legal_names.py), as a table: what
a chart holds, what the patient types, and whether it matches."""

import pytest

from portal.services.legal_names import name_words, typed_name_matches

MARIA = ("María José", "", "García López")
MARIA_MIDDLE = ("María", "José", "García López")
JOSE = ("José", "", "O'Neil")
ROBIN = ("Robin", "Q", "Quill")
CRUZ = ("Ana", "", "de la Cruz")
ANNE = ("Anne-Marie", "", "Smith-Jones")


@pytest.mark.parametrize("chart, typed", [
    # case, extra spaces, accents and punctuation never matter
    (JOSE, "josé  o'neil"),
    (JOSE, "Jose ONeil"),
    (JOSE, "  JOSE  O'NEIL  "),
    (JOSE, "jose o’neil"),
    # a compound given name and two family names: the forms the chart allows
    (MARIA, "María José García López"),
    (MARIA, "Maria Garcia"),
    (MARIA, "María José García"),
    (MARIA, "Maria Garcia Lopez"),
    (MARIA, "maria jose garcia-lopez"),
    (MARIA, "MARIA J. GARCIA"),
    # the same person with José kept as a middle name
    (MARIA_MIDDLE, "Maria Garcia"),
    (MARIA_MIDDLE, "Maria Jose Garcia Lopez"),
    (MARIA_MIDDLE, "María J García López"),
    # a middle initial, with or without its full stop
    (ROBIN, "Robin Quill"),
    (ROBIN, "Robin Q. Quill"),
    (ROBIN, "robin  QUILL"),
    # particles belong to the family name, which may be typed with or without them
    (CRUZ, "Ana de la Cruz"),
    (CRUZ, "Ana Cruz"),
    (CRUZ, "ana De La Cruz"),
    # hyphens separate words like spaces
    (ANNE, "Anne Marie Smith Jones"),
    (ANNE, "Anne-Marie Smith"),
    (ANNE, "Anne Smith-Jones"),
])
def test_matches(chart, typed):
    assert typed_name_matches(*chart, typed) is True


@pytest.mark.parametrize("chart, typed", [
    (JOSE, "Jose Smith"),          # another family name
    (JOSE, "Joseph ONeil"),        # another given name
    (JOSE, "Jose"),                # no family name
    (JOSE, "ONeil"),               # no given name
    (JOSE, ""),
    (JOSE, "   "),
    (JOSE, "'' -- ..."),           # punctuation only
    (MARIA, "Jose Garcia"),        # the second given name alone
    (MARIA, "Maria Lopez"),        # the second family name alone
    (MARIA, "Garcia Maria"),       # family name first
    (MARIA, "Maria Lopez Garcia"), # family names out of order
    (MARIA, "Maria Garcia Garcia"),
    (MARIA, "M Garcia"),           # the first given name is never an initial
    (MARIA, "Maria X Garcia"),     # an initial of no name on the chart
    (ROBIN, "Robin Quill Smith"),
    (CRUZ, "Ana de"),              # a particle alone is not the family name
    (CRUZ, "Ana de la"),
])
def test_mismatches(chart, typed):
    assert typed_name_matches(*chart, typed) is False


def test_words_as_compared():
    assert name_words("  José  O'Neil-Smith, Jr. ") == ["jose", "oneil", "smith", "jr"]
    assert name_words("ÅSA Ångström") == ["asa", "angstrom"]
