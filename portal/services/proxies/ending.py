"""When a guardian's access ends, and the ages its rules turn on.

A guardian's access ends at the start of the patient's 18th birthday in the practice's zone
(a 29 February birthday: 1 March in a common year). It is worked out from the chart's date
of birth whenever it is read, not stored, so a corrected date of birth changes every grant at
once. It continues past 18 only under a court order staff record, through its review date.
"""

from datetime import date, timedelta

from ..patients import age_on

# The ages at which a guardian's scope may be limited (issue 22: a patient aged 12 to 17).
LIMITED_SCOPE_AGES = range(12, 18)


def eighteenth_birthday(born):
    """The day a person born on `born` turns 18 (1 March for 29 February in a common year)."""
    try:
        return born.replace(year=born.year + 18)
    except ValueError:
        return date(born.year + 18, 3, 1)


def ends_on(grant, patient):
    """The first day the grant gives no access: a representative's, the day after the end
    date the patient chose; a guardian's, the patient's 18th birthday, or, under a court
    order, the day after its review date."""
    if grant.kind == "representative":
        return grant.access_ends_on + timedelta(days=1)
    if grant.continues_under and grant.review_on is not None:
        return grant.review_on + timedelta(days=1)
    return eighteenth_birthday(patient.date_of_birth)


def lapsed(grant, patient, today):
    """Whether the grant's end (ends_on) has come: the patient is 18, or the court order's
    review date has passed. Paused and ended grants are the grant's own state, not this."""
    return today >= ends_on(grant, patient)


def too_young_for_own_account(patient, practice, today):
    """Whether the patient is younger than the practice lets have an account of their own
    (its setting teen_account_age: 12, 13, or 18 for none before adulthood)."""
    return age_on(patient.date_of_birth, today) < (practice.teen_account_age or 18)


def may_limit(patient, today):
    """Whether a guardian's scope may be limited on this chart: the patient is 12 to 17."""
    return age_on(patient.date_of_birth, today) in LIMITED_SCOPE_AGES
