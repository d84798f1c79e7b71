"""The one log format: every line carries the request id of the request it serves (or of the
request that enqueued the task a worker runs: core/jobs/queue.py), as text or, with
`SKILLPORT_LOG_FORMAT=json`, as one JSON object per line (config/settings.py `LOGGING`;
config/gunicorn.py gives gunicorn's own lines the same formatter)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from core.context import request_id_var

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

# The attributes every LogRecord has; anything else on a record came as `extra=` and is a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class RequestIdFilter(logging.Filter):
    """Sets `record.request_id` (`-` outside a request or task), for both formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: `time` (UTC, ISO 8601), `level`, `logger`, `message`,
    `request_id` (null outside a request or task), `process`, the record's `extra=` fields, and
    `exception` (the traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": None if request_id in (None, "-") else request_id,
            "process": record.process,
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and name not in line and name != "request_id":
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            line["exception"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def logging_config(log_format: str, level: str) -> dict:
    """Django's `LOGGING` for `log_format` (`text` or `json`): one console handler, every
    line through the request-id filter."""
    formatter = {"()": JsonFormatter} if log_format == "json" else {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"skillport": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "skillport",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
    }
