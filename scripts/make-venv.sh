#!/usr/bin/env bash
# Create the virtual environment; on a bare Debian/Ubuntu, install python3-venv first.
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}
"$python" -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
if ! "$python" -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    echo "Installing python${version}-venv (needed to create $venv)..."
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${version}-venv" \
        || $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    "$python" -m venv "$venv"
fi
