#!/usr/bin/env bash
# The Debian packages the suite runs against, with their versions: paste into
# docs/dependencies.md after a run of make upgrade or .ci/run.
set -uo pipefail
echo "Debian $(cat /etc/debian_version 2>/dev/null || echo '?'), Python $(python3 -c 'import platform; print(platform.python_version())')"
dpkg-query -W -f='${Package} ${Version}\n' chromium libpango-1.0-0 libpangoft2-1.0-0 \
    fonts-dejavu-core poppler-utils qpdf wrk openssl postgresql-15 2>&1
