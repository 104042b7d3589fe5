#!/usr/bin/env bash
# The demo of `make run`: migrate, seed, then the web server, the outbox worker and a local SMTP sink
# that prints every message the worker sends, all on 127.0.0.1. Ctrl+C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
SMTP_PORT=${SMTP_PORT:-8025}
mkdir -p instance
# In development the secret key and the contact data key are made once for this checkout in instance/
# (never committed) by config.py; nothing here needs setting.
export COMMENTS_ENV=development FLASK_APP=wsgi
export MAIL_SERVER=127.0.0.1 MAIL_PORT="$SMTP_PORT"
# Links in mail are built on the address the demo is served at; a request for another host is refused.
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://$HOST:$PORT}"
export TRUSTED_HOSTS="${TRUSTED_HOSTS:-$HOST,127.0.0.1,localhost}"
"$BIN/flask" db upgrade
"$BIN/flask" seed-demo
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
"$BIN/python" -m aiosmtpd -n -c aiosmtpd.handlers.Debugging stdout -l "127.0.0.1:$SMTP_PORT" &
pids+=($!)
# The mail the seed queued is sent (and printed) before the worker starts, so the pages to start from are
# printed after it rather than lost among it.
"$BIN/python" -c 'import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        break
    except OSError:
        time.sleep(0.1)' "$SMTP_PORT"
"$BIN/flask" outbox send --once
"$BIN/flask" worker --interval 2 &
pids+=($!)
echo
"$BIN/flask" demo-pages --base-url "http://$HOST:$PORT"
echo
echo "  Mail the outbox worker sends is printed here by a local SMTP server on 127.0.0.1:$SMTP_PORT."
echo "  Ctrl+C stops everything."
echo
"$BIN/gunicorn" --bind "$HOST:$PORT" --workers 2 --access-logfile - wsgi:app &
pids+=($!)
wait -n "${pids[@]}"
