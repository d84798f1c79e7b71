"""The environment variables config/settings.py reads for Django and the infrastructure.

The apps' own settings are declared, with their defaults, in each app's `conf.py`; these are the
rest, in the same record format, so the configuration reference lists both. A default here is
the text the variable would hold (`None`: worked out in config/settings.py, as `shown` says).
"""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from core.conf import Setting, SettingGroup, parse_bool


def _variables(*records: Setting) -> dict[str, Setting]:
    return {record.env: record for record in records if record.env}


VARIABLES = SettingGroup(
    "Django and infrastructure",
    _variables(
        Setting(
            None,
            "DATABASE_URL",
            "any dj-database-url URL; PostgreSQL for production (`postgres://user@host:5432/db`)",
            shown="`sqlite:///var/skillport.sqlite3`",
        ),
        Setting(
            "60",
            "DB_CONN_MAX_AGE",
            "how long a process keeps its database connection (health-checked before reuse)",
            unit="s",
        ),
        Setting(
            None,
            "SECRET_KEY",
            "signs download links and sessions; set it when processes do not share the var dir "
            "(several hosts); see [Signing keys](../security.md#signing-keys)",
            shown="a random key made on first start, kept in `$SKILLPORT_VAR_DIR/secret_key` "
            "(mode 0600)",
        ),
        Setting(
            "",
            "SECRET_KEY_FALLBACKS",
            "comma-separated former keys that still verify links and sessions (rotation)",
            shown="none",
        ),
        Setting("false", "DEBUG", "Django debug mode"),
        Setting("127.0.0.1,localhost,testserver,[::1]", "ALLOWED_HOSTS", "comma-separated"),
        Setting(
            "",
            "CSRF_TRUSTED_ORIGINS",
            "comma-separated origins trusted for the admin's forms (Django's setting)",
            shown="none",
        ),
        Setting(
            "",
            "CORS_ALLOWED_ORIGINS",
            "comma-separated origins (`https://app.example.com`) whose browser pages may call "
            "`/api/`; `*` alone: any origin (never with credentials); see "
            "[CORS](../security.md#cors)",
            shown="none",
        ),
        Setting("8000", "PORT", "`make serve` port"),
        Setting("2", "WEB_CONCURRENCY", "gunicorn worker processes in `make serve`"),
        Setting(
            None,
            "SKILLPORT_VAR_DIR",
            "SQLite file, static files, local media and (`make serve`) the supervisor socket and "
            "`log/` live here",
            shown="`./var`",
        ),
        Setting(None, "MEDIA_ROOT", "local file storage", shown="`$SKILLPORT_VAR_DIR/media`"),
        Setting(
            None,
            "AWS_STORAGE_BUCKET_NAME",
            "when set, files go to S3 (or any S3-compatible store) through django-storages",
        ),
        Setting(None, "AWS_S3_REGION_NAME", "the bucket's region (with `AWS_STORAGE_BUCKET_NAME`)"),
        Setting(
            None, "AWS_S3_ENDPOINT_URL", "the endpoint of an S3-compatible store other than AWS"
        ),
        Setting(None, "AWS_ACCESS_KEY_ID", "S3 credentials"),
        Setting(None, "AWS_SECRET_ACCESS_KEY", "S3 credentials"),
        Setting(
            "",
            "REDIS_URL",
            "e.g. `redis://host:6379/0`: rate-limit counts and the task queue (django-tasks-rq) go "
            "to Redis instead of the database",
            shown="unset",
        ),
        Setting(
            None,
            "SKILLPORT_TASKS_BACKEND",
            "`database` keeps the task queue in the database although `REDIS_URL` is set (Redis "
            "for rate limits only)",
            shown="`redis` when `REDIS_URL` is set, else `database`",
        ),
        Setting(
            None,
            "TASKS_BACKEND",
            "dotted path of the Django Tasks backend class, instead of the one "
            "`SKILLPORT_TASKS_BACKEND` chooses",
            shown="that backend's class",
        ),
        Setting("skillport", "SKILLPORT_REDIS_KEY_PREFIX", "prefix of the Redis keys"),
        Setting(
            "",
            "SECURE_PROXY_SSL_HEADER",
            "`HEADER,value` a TLS-terminating proxy always sets, e.g. "
            "`HTTP_X_FORWARDED_PROTO,https`; requests carrying it count as HTTPS",
            shown="unset",
        ),
        Setting(
            str(365 * 24 * 3600),
            "SECURE_HSTS_SECONDS",
            "`Strict-Transport-Security` max-age, sent on HTTPS requests only; `0` sends none",
        ),
        Setting(
            "false",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "adds `includeSubDomains` to `Strict-Transport-Security`",
        ),
        Setting("false", "SECURE_HSTS_PRELOAD", "adds `preload` to `Strict-Transport-Security`"),
        Setting("INFO", "LOG_LEVEL", "root log level"),
        Setting(
            "text",
            "SKILLPORT_LOG_FORMAT",
            "`text` or `json` (one JSON object per line); either way each line names its "
            "request id (see [Monitoring](../operations/monitoring.md#logs))",
        ),
        Setting(
            None,
            "PROMETHEUS_MULTIPROC_DIR",
            "a directory every process of the install writes its metric counts to (read by "
            "prometheus-client itself); needed with more than one process, which `make serve` "
            "has: it sets `$SKILLPORT_VAR_DIR/prometheus` and empties it at start",
            shown="unset (one process's counts)",
        ),
    ),
)


def env(name: str) -> str | None:
    """The variable `name`, else its default above (as `os.environ.get(name, default)`)."""
    return os.environ.get(name, VARIABLES.defaults[name].default)


def env_bool(name: str) -> bool:
    return parse_bool(env(name) or "")


def env_list(name: str) -> list[str]:
    return [item.strip() for item in (env(name) or "").split(",") if item.strip()]


def env_origins(name: str) -> list[str]:
    """Comma-separated origins (`scheme://host[:port]`), or `*` alone; anything else stops the
    start with a message that says what is wrong (a path or a trailing slash matches no browser's
    `Origin`)."""
    origins = env_list(name)
    if origins == ["*"]:
        return origins
    for origin in origins:
        parts = urlsplit(origin)
        if (
            parts.scheme not in {"http", "https"}
            or not parts.netloc
            or origin != f"{parts.scheme}://{parts.netloc}"
        ):
            raise ImproperlyConfigured(
                f"{name}: {origin!r} is not an origin. Give scheme://host[:port] entries without "
                "a path or trailing slash, comma-separated, or `*` alone for any origin."
            )
    return origins
