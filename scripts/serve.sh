#!/usr/bin/env bash
# Serve the portal with gunicorn (2 workers) and deliver outbox mail alongside it.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-5000}
.venv/bin/portal send-mail --watch &
mailer=$!
trap 'kill $mailer 2>/dev/null || true' EXIT INT TERM
echo "Serving the portal on http://127.0.0.1:${PORT}  (Ctrl-C stops it)"
.venv/bin/gunicorn --config gunicorn.conf.py --bind "127.0.0.1:${PORT}" wsgi:app
