"""Password rules (SECURITY.md A1-A7) and argon2id hashing."""

import re

import pytest

from portal.services.passwords import hash_password, password_problem, verify_password


@pytest.mark.parametrize("password", [
    "fifteen chars!!",                      # exactly 15
    "a" * 3 + "bcdefghijklmnop",            # no composition rules
    "çà et là, où l'été",                   # any Unicode
    "🐢🐇🦊🦉🐝🐞🦋🐌🐙🦀🐠🐬🐳🦈🐊",            # 15 code points
    "the quick brown fox jumps over the lazy dog, then naps in the sun",  # 64+
])
def test_acceptable_passwords(password):
    assert password_problem(password) is None


@pytest.mark.parametrize("password, reason", [
    ("fourteen chars", "at least 15"),
    ("a" * 129, "at most 128"),
    ("passwordpassword", "most common"),
    ("iloveyouiloveyou", "most common"),
    ("aaaaaaaaaaaaaaaa", "too few characters"),
    ("ababababababababab", "too few characters"),
    ("!!!!!!!!!!!!!!!!", "too few characters"),
])
def test_refused_passwords_say_why(password, reason):
    assert reason in str(password_problem(password))


def test_personal_words_are_refused():
    assert "too close" in str(password_problem("riverajo1984!!!!", ["jo.rivera", "Rivera Jo"]))
    assert password_problem("rivera and seven other words", ["rivera"]) is None


def test_hash_is_argon2id_with_strong_parameters():
    stored = hash_password("correct horse battery staple")
    memory, time, lanes = map(int, re.search(r"m=(\d+),t=(\d+),p=(\d+)", stored).groups())
    assert stored.startswith("$argon2id$") and memory >= 19456 and time >= 2 and lanes >= 1


def test_verify_is_exact():
    password = "p" * 40 + "q" * 40
    stored = hash_password(password)
    assert verify_password(stored, password) == (True, None)
    assert verify_password(stored, password[:-1])[0] is False
    assert verify_password(stored, password.upper())[0] is False
    assert verify_password(None, password)[0] is False


def test_normalized_forms_match():
    composed, decomposed = "caf\u00e9 au lait, s'il vous", "cafe\u0301 au lait, s'il vous"
    assert verify_password(hash_password(composed), decomposed)[0] is True
