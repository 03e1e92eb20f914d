"""Check that a virtual environment holds exactly what a lock file in requirements/ pins.

Run with the environment's own Python:

    .venv/bin/python scripts/check_lock.py requirements/dev.txt --exact

It compares the lock's `name==version` lines with what `pip freeze --all` says is installed,
and with pyproject.toml's ranges:

- every locked package must be installed at exactly the locked version;
- with --exact, nothing else may be installed (but the portal itself and pip);
- every range pyproject.toml names (its dependencies, and with --extra dev that extra's too)
  must be met by the lock, so a range edited without `make lock` is caught here.

--extras only prints the installed packages the lock does not name, one a line, for
scripts/install-locked.sh to remove. Exit status 0 when all holds, 1 with one line per problem.
"""

import argparse
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")
# The installer (the run lock leaves it as the venv made it) and the project under test may be
# installed without a pin.
NOT_LOCKED = {"pip", "portal"}
RELOCK = "run make lock"


def canonical(name):
    """A distribution name as PEP 503 compares them (Flask_SQLAlchemy == flask-sqlalchemy)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path):
    """The lock's pins: {canonical name: version}."""
    pins = {}
    for line in Path(path).read_text().splitlines():
        match = PIN.match(line)
        if match:
            pins[canonical(match.group(1))] = match.group(2)
    return pins


def installed():
    """What `pip freeze --all` lists in this interpreter's environment: {canonical name: version}.

    The portal's own editable install is a `-e` line, which PIN skips.
    """
    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all", "--disable-pip-version-check"],
                            capture_output=True, text=True, check=True).stdout
    return {canonical(match.group(1)): match.group(2)
            for match in map(PIN.match, freeze.splitlines()) if match}


def project_requirements(extras):
    """The ranges pyproject.toml names for the portal and the given extras, as Requirements."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def problems(pins, present, requirements, exact):
    """Every way the environment or the lock falls short, one sentence each."""
    found = []
    for name, version in sorted(pins.items()):
        if name not in present:
            found.append(f"{name} {version} is locked but not installed")
        elif present[name] != version:
            found.append(f"{name} is locked at {version} but {present[name]} is installed")
    if exact:
        for name in sorted(set(present) - set(pins) - NOT_LOCKED):
            found.append(f"{name} {present[name]} is installed but not in the lock")
    for requirement in requirements:
        name = canonical(requirement.name)
        if name not in pins:
            found.append(f"pyproject.toml asks for {requirement} but the lock has no {name}: {RELOCK}")
        elif not requirement.specifier.contains(pins[name], prereleases=True):
            found.append(f"pyproject.toml asks for {requirement} but the lock pins {pins[name]}: {RELOCK}")
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", help="a lock file, such as requirements/dev.txt")
    parser.add_argument("--exact", action="store_true", help="nothing unlocked may be installed")
    parser.add_argument("--extra", action="append", default=[], help="also check this extra's ranges")
    parser.add_argument("--extras", action="store_true", help="only list what is installed but not locked")
    args = parser.parse_args(argv)

    pins = read_lock(args.lock)
    present = installed()
    if args.extras:
        for name in sorted(set(present) - set(pins) - NOT_LOCKED):
            print(name)
        return 0
    found = problems(pins, present, project_requirements(args.extra), args.exact)
    for problem in found:
        print(f"{args.lock}: {problem}", file=sys.stderr)
    if not found:
        print(f"The environment matches {args.lock} ({len(pins)} packages).")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
