#!/usr/bin/env bash
# Serve the portal with gunicorn (2 workers) and deliver outbox mail alongside it.
set -euo pipefail
cd "$(dirname "$0")/.."
# Exported: the mail worker and gunicorn build the development base URL from it.
export PORT=${PORT:-5000}
# Whatever the portal writes (database, keys, outbox, uploads) is for its own user only.
umask 077
# The mail worker is the only process that talks to the SMTP server: it sends queued mail
# within about a second (--interval 1), and a slow server delays no page.
.venv/bin/portal send-mail --watch --interval 1 &
mailer=$!
echo "Serving the portal on http://127.0.0.1:${PORT}  (Ctrl-C stops it)"
.venv/bin/gunicorn --config gunicorn.conf.py --bind "127.0.0.1:${PORT}" wsgi:app &
server=$!
# A TERM or Ctrl-C to this script stops both (bash runs a trap only between commands, so
# gunicorn runs in the background and the script waits for it).
stop() {
    kill -TERM "$server" "$mailer" 2>/dev/null || true
    wait "$server" "$mailer" 2>/dev/null || true
}
trap 'stop; exit 143' TERM
trap 'stop; exit 130' INT
trap stop EXIT
wait "$server"
