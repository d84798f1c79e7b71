"""gunicorn settings for `make serve` (and the tests that serve the app).

Every answer is a JSON:API document, gunicorn's own too: a request that gunicorn refuses before
Django sees it (request line over `limit_request_line`, too many or too large headers, a malformed
request) gets a JSON:API error instead of gunicorn's HTML page. Django refuses URIs above
`SKILLPORT_MAX_URI_LENGTH` (4096, lower than the limits here) itself, with a JSON:API `414`.
"""

import json
import os

from gunicorn import util
from prometheus_client import multiprocess

from api.errors import error_object
from core import logs

# Explicit HTTP limits (gunicorn's maxima for the line and header size).
limit_request_line = 8190  # bytes of "GET <uri> HTTP/1.1"; beyond: 414
limit_request_fields = 100  # header count; beyond: 431
limit_request_field_size = 8190  # bytes of one header; beyond: 431
# Whether a request came over TLS is Django's SECURE_PROXY_SSL_HEADER alone (README "Headers").
# gunicorn would otherwise trust X-Forwarded-Proto/-Ssl/-Protocol from 127.0.0.1 (its default
# forwarded_allow_ips), so any local client, or a proxy passing the header through, could claim it.
secure_scheme_headers: dict[str, str] = {}


def write_json_api_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Drop-in for `gunicorn.util.write_error`, which writes an HTML page."""
    code = reason.lower().replace(" ", "_")
    # gunicorn's reason phrase is the title (e.g. "Request-URI Too Long", not Python's wording).
    error = error_object(status_int, code, mesg or reason, title=reason)
    body = json.dumps({"errors": [error]}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/vnd.api+json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


# The workers call `util.write_error(...)` through the module, so this covers all of them.
util.write_error = write_json_api_error


def child_exit(server, worker) -> None:
    """A worker ended: prometheus-client drops its live-gauge files (its counters stay summed
    in the scrape; core/metrics.py). Only with the multiprocess directory set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


# gunicorn's own lines (its error log, the access log) in the app's format when JSON is asked
# for (core/logs.py); the app's request line (`skillport.requests`) carries the request id.
if os.environ.get("SKILLPORT_LOG_FORMAT") == "json":
    logconfig_dict = {
        "formatters": {"json": {"()": logs.JsonFormatter}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
        },
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }
