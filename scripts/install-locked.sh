#!/usr/bin/env bash
# Install a lock from requirements/ into the virtual environment: every package pinned, every
# hash required (a package missing from the lock, or a file whose hash differs, stops here with
# pip's message); then the portal itself without dependencies or a build environment, so
# nothing unlocked is fetched; then check the environment against the lock.
# Usage: install-locked.sh VENV LOCK [check_lock.py options: --exact, --extra dev]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$1 lock=$2
shift 2
python="$venv/bin/python"
"$python" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$lock"
if [[ " $* " == *" --exact "* ]]; then
    # What an earlier lock installed and this one dropped (pip-sync would do the same).
    "$python" scripts/check_lock.py "$lock" --extras | xargs --no-run-if-empty "$python" -m pip uninstall --quiet --yes
fi
"$python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
"$python" scripts/check_lock.py "$lock" "$@"
