"""Installs come from the locks in requirements/ (issue 18): the environment the suite runs in
is exactly the dev lock, the check that says so can fail, and the install script stops on a
changed hash or an unhashed package with pip's own message."""

import importlib.util
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
RUN_LOCK = ROOT / "requirements" / "run.txt"
DEV_LOCK = ROOT / "requirements" / "dev.txt"
CHECK = ROOT / "scripts" / "check_lock.py"
INSTALL = ROOT / "scripts" / "install-locked.sh"


@pytest.fixture(scope="module")
def check_lock():
    spec = importlib.util.spec_from_file_location("check_lock", CHECK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_check(lock, *options):
    """scripts/check_lock.py as CI runs it, with this environment's Python."""
    return subprocess.run([sys.executable, str(CHECK), str(lock), *options],
                          capture_output=True, text=True, cwd=ROOT)


def block(lock_text, name):
    """The lines of one package in a lock: its pin, its hashes and its 'via' comments."""
    match = re.search(rf"^{re.escape(name)}==.*?(?=^\S)", lock_text, re.M | re.S)
    assert match, f"{name} is not in the lock"
    return match.group(0)


def test_the_suite_runs_on_exactly_the_dev_lock():
    result = run_check(DEV_LOCK, "--exact", "--extra", "dev")
    assert result.returncode == 0, result.stderr
    assert re.match(r"The environment matches \S*requirements/dev.txt \(\d+ packages\)", result.stdout)


def test_every_package_is_pinned_with_hashes_and_the_run_lock_agrees_with_the_dev_lock(check_lock):
    run, dev = check_lock.read_lock(RUN_LOCK), check_lock.read_lock(DEV_LOCK)
    assert {"flask", "sqlalchemy", "cryptography", "pyhanko", "weasyprint", "setuptools"} <= set(run)
    assert {"pytest", "playwright", "pip-tools"} <= set(dev) - set(run)
    assert {name: dev[name] for name in run} == run
    for lock in (RUN_LOCK, DEV_LOCK):
        text = lock.read_text()
        pins = re.findall(r"^\S+==\S+ \\\n((?:    --hash=sha256:[0-9a-f]{64}.*\n)+)", text, re.M)
        assert len(pins) == len(check_lock.read_lock(lock))
        # No machine's own package index or wheel folder is written into the lock.
        assert "--index-url" not in text and "--find-links" not in text and "file://" not in text


def test_a_version_other_than_the_lock_s_is_named(tmp_path):
    lock = tmp_path / "dev.txt"
    text = DEV_LOCK.read_text()
    flask = re.search(r"^flask==(\S+) ", text, re.M).group(1)
    lock.write_text(text.replace(f"\nflask=={flask} ", "\nflask==2.0.0 "))
    result = run_check(lock, "--exact")
    assert result.returncode == 1
    assert f"flask is locked at 2.0.0 but {flask} is installed" in result.stderr


def test_a_package_outside_the_lock_is_named(tmp_path):
    lock = tmp_path / "dev.txt"
    text = DEV_LOCK.read_text()
    lock.write_text(text.replace(block(text, "freezegun"), ""))
    exact = run_check(lock, "--exact")
    assert exact.returncode == 1
    assert re.search(r"freezegun \S+ is installed but not in the lock", exact.stderr)
    # Without --exact (make run in an environment that also holds the dev packages) it may stay.
    assert run_check(lock).returncode == 0


def test_a_range_the_lock_does_not_meet_asks_for_make_lock(check_lock):
    requirements = [check_lock.Requirement("flask>=99"), check_lock.Requirement("leftpad>=1")]
    found = check_lock.problems({"flask": "3.1.3"}, {"flask": "3.1.3"}, requirements, exact=True)
    assert found == [
        "pyproject.toml asks for flask>=99 but the lock pins 3.1.3: run make lock",
        "pyproject.toml asks for leftpad>=1 but the lock has no leftpad: run make lock",
    ]


@pytest.fixture(scope="module")
def empty_venv(tmp_path_factory):
    """A new virtual environment with only pip, as a fresh machine's make test starts."""
    path = tmp_path_factory.mktemp("venv")
    venv.create(path, with_pip=True)
    return path


def install(venv_path, lock):
    env = {**os.environ, "PIP_NO_CACHE_DIR": "1"}
    return subprocess.run([str(INSTALL), str(venv_path), str(lock)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)


@pytest.mark.slow
def test_a_changed_hash_stops_the_install(tmp_path, empty_venv):
    package = block(RUN_LOCK.read_text(), "itsdangerous")
    lock = tmp_path / "run.txt"
    # Every hash of the package changed, so whichever of its files pip picks, none matches.
    lock.write_text(re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, package))
    result = install(empty_venv, lock)
    assert result.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE" in result.stderr
    assert not list(empty_venv.glob("lib/python*/site-packages/itsdangerous"))


@pytest.mark.slow
@pytest.mark.parametrize(("line", "refusal"), [
    ("blinker==1.9.0", "Hashes are required in --require-hashes mode"),
    ("blinker", "In --require-hashes mode, all requirements must have their versions pinned with =="),
])
def test_a_package_without_a_pin_and_hash_stops_the_install(tmp_path, empty_venv, line, refusal):
    lock = tmp_path / "run.txt"
    lock.write_text(block(RUN_LOCK.read_text(), "itsdangerous") + line + "\n")
    result = install(empty_venv, lock)
    assert result.returncode != 0
    assert refusal in result.stderr
    assert not list(empty_venv.glob("lib/python*/site-packages/blinker"))
