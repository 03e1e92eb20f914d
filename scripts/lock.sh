#!/usr/bin/env bash
# make lock / make upgrade: write requirements/run.txt and requirements/dev.txt from the ranges
# in pyproject.toml, every package (and the setuptools that builds the portal) pinned with the
# hashes of all its files on the package index. The dev lock is constrained by the run lock, so
# the packages both hold have the same versions. Pass --upgrade to move every pin to the newest
# version its range allows; without it, pip-compile keeps each pin that still fits.
set -euo pipefail
cd "$(dirname "$0")/.."
compile=(.venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --all-build-deps
         --no-strip-extras --no-emit-index-url --no-emit-find-links "$@")
"${compile[@]}" --output-file requirements/run.txt pyproject.toml
"${compile[@]}" --extra dev --constraint requirements/run.txt --output-file requirements/dev.txt pyproject.toml
echo "Wrote requirements/run.txt and requirements/dev.txt; make test installs and tests them."
