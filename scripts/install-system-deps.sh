#!/usr/bin/env bash
# Install the Debian packages the test suite uses, only those that are missing:
# chromium (browser tests; never a downloaded browser), Pango and fonts (WeasyPrint PDFs),
# poppler-utils and qpdf (reading and checking PDFs), wrk (make bench), openssl (the HTTPS suite's certificate).
# PostgreSQL is .ci/run's business.
set -euo pipefail
packages=()
[ -x /usr/bin/chromium ] || packages+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || packages+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so' || packages+=(libpangoft2-1.0-0)
command -v fc-list >/dev/null && fc-list | grep -qi dejavu || packages+=(fonts-dejavu-core)
command -v pdftotext >/dev/null || packages+=(poppler-utils)
command -v qpdf >/dev/null || packages+=(qpdf)
command -v wrk >/dev/null || packages+=(wrk)
command -v openssl >/dev/null || packages+=(openssl)
[ ${#packages[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; else
        echo "Missing Debian packages: ${packages[*]}" >&2
        echo "Install them with: sudo apt-get install -y ${packages[*]}" >&2
        exit 1
    fi
fi
if ! command -v apt-get >/dev/null; then
    echo "Missing packages (${packages[*]}) and no apt-get to install them." >&2
    exit 1
fi
echo "Installing Debian packages: ${packages[*]}"
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"
