"""gunicorn's settings for this service; gunicorn reads ./gunicorn.conf.py from the folder it starts in.

gunicorn writes ``Server: gunicorn`` on every response and has no setting to leave it out; the app's own
``Server`` header cannot replace it. The name it writes is a module attribute read for each response, so
it is set here, once, before the workers start (hand-written: no library does this for gunicorn).
"""

import glob
import os
import re

import gunicorn.http.wsgi

from comments.logging_setup import GunicornLogger, gunicorn_logconfig

gunicorn.http.wsgi.SERVER = "comments"

# The settings below are what production runs with (deploy/systemd/comments-web.service starts
# `gunicorn wsgi:app` here); a command-line option still wins over each (`make run` passes --bind and --workers).

# Loopback only: nginx in front terminates TLS (deploy/nginx/comments.conf). Set here so that gunicorn's own
# default, 0.0.0.0:$PORT whenever a PORT variable is set, never opens the service to the network.
bind = [address.strip() for address in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")]

# Sync workers, each one request at a time: nginx buffers a slow client's upload and the answer, so a worker is
# held only while the app works. gunicorn's rule of thumb, on the CPUs this process may use.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * len(os.sched_getaffinity(0)) + 1)

# A request still running after 30 s is stopped (the worker is replaced). Reading a request's PDF and Word files
# may take FILE_READ_WALL_SECONDS (20) and must end before this, so a refusal reaches the sender as a page;
# nginx waits longer than this (proxy_read_timeout), so it is gunicorn that decides.
timeout = 30
# On a stop or a reload a worker finishes the request it is on within this.
graceful_timeout = 30
# Each worker is replaced after about 20,000 requests (jittered, so not all at once): whatever a long-lived
# process gathers (fragmented memory, a library's caches) is given back. Not more often: starting a worker costs
# about 0.8 s of CPU, which every 2,000 requests was about 5 % of the form's capacity under load, with a
# second-long wait for the requests queued behind it (bench/submit_load.py, issue 13). The sync worker keeps no
# connection open between requests, so there is no keep-alive to set.
max_requests = 20000
max_requests_jitter = 2000

# gunicorn 25+ opens a control socket at $XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl: two instances
# on one host (the service and a second one, a test server, a benchmark) would take each other's, and the
# service's user has no home to write to. Nothing here uses it (systemd starts, reloads and stops gunicorn).
control_socket_disable = True

# Only the app reads X-Forwarded-For and X-Forwarded-Proto, through ProxyFix with the hops PROXY_FIX_X_FOR and
# PROXY_FIX_X_PROTO name (comments/__init__.py). gunicorn would otherwise take X-Forwarded-Proto (and
# X-Forwarded-Ssl, ...) from 127.0.0.1 by itself, and a SCRIPT_NAME header: one place decides, not two.
secure_scheme_headers: dict[str, str] = {}
forwarder_headers = ""

# gunicorn's own lines, its error log and its access log, go through the app's cleaning and format
# (comments/logging_setup.py: LOG_FORMAT, JSON in production) to standard error, the journal under systemd, each
# access line with the request id the app answered with (X-Request-Id, nginx's own). This replaces any
# --access-logfile. The access line keeps no query string, ever, and no reset-link token: see AccessLog below.
logconfig_dict = gunicorn_logconfig()
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# A path whose last part is a secret: the token of a password-reset link, alive until it is used.
_SECRET_IN_PATH = re.compile(r"(/auth/password-reset/)[^/?#]+")


def logged_path(address: str) -> str:
    """A path or URL as the access logs keep it: without its query string and fragment, with a reset-link
    token replaced. A query may hold what a person typed (a search, a name); the path never does."""
    path = address.split("?", 1)[0].split("#", 1)[0]
    return _SECRET_IN_PATH.sub(r"\1[token]", path)


class AccessLog(GunicornLogger):
    """The app's gunicorn logger (the request id on the access line), with every atom that may hold a query
    string or a token cleaned: the request line (%(r)s), the path (%(U)s), the query (%(q)s, always empty), the
    Referer (%(f)s: the previous page's full address), and the same values reached as headers or environ
    variables by a custom format. The one logger_class of this file: a second one would undo either."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        method, protocol = environ.get("REQUEST_METHOD", "-"), environ.get("SERVER_PROTOCOL", "-")
        atoms["r"] = f"{method} {logged_path(environ.get('RAW_URI') or environ.get('PATH_INFO') or '')} {protocol}"
        atoms["q"] = ""
        for key in ("U", "f", "{referer}i", "{http_referer}e", "{raw_uri}e", "{path_info}e", "{request_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = logged_path(atoms[key])
        atoms["{query_string}e"] = ""
        return atoms


logger_class = AccessLog


def on_starting(server):
    """prometheus_client's multiprocess mode keeps one file per worker in PROMETHEUS_MULTIPROC_DIR; a previous
    run's files would be counted as if alive, so the folder starts empty."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        for stale in glob.glob(os.path.join(folder, "*.db")):
            os.remove(stale)


def child_exit(server, worker):
    """A worker that exited (replaced, stopped, killed) no longer counts in the live gauges of /metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
