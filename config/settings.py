"""Skillport settings: everything configurable comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config import secret_key, storage

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

VAR_DIR = Path(os.environ.get("SKILLPORT_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Security (README "Security"): the signing key is SECRET_KEY from the environment, else a
# random key made on first start and kept in $SKILLPORT_VAR_DIR/secret_key (mode 0600) for every
# process of this install. Older keys in SECRET_KEY_FALLBACKS still verify links and sessions.
SECRET_KEY = os.environ.get("SECRET_KEY") or secret_key.read_or_create(VAR_DIR)
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
# HSTS is sent on secure requests only; behind a TLS-terminating proxy, name the header that says
# so, e.g. SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https (only if the proxy always sets it).
SECURE_PROXY_SSL_HEADER = tuple(env_list("SECURE_PROXY_SSL_HEADER")) or None
if SECURE_PROXY_SSL_HEADER is not None and len(SECURE_PROXY_SSL_HEADER) != 2:
    raise ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER is 'HEADER,value', e.g. HTTP_X_FORWARDED_PROTO,https"
    )
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_json_api",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "core",
    "organizations",
    "skills",
    "exports",
    "events",
    "files",
]

MIDDLEWARE = [
    "api.middleware.RequestIdMiddleware",
    "api.middleware.UriLengthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "api.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "events.middleware.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "organizations.middleware.RateLimitMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'skillport.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        # A kept connection is checked before a request reuses it: after a database restart
        # the first request of each process would otherwise fail on a dead connection.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# A change and its event/audit/webhook outbox rows commit together, or not at all.
DATABASES["default"]["ATOMIC_REQUESTS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"

# Storage: local files by default, S3 (or any S3-compatible store) when AWS_STORAGE_BUCKET_NAME
# is set, with AWS_S3_ENDPOINT_URL, AWS_S3_REGION_NAME and the AWS credentials (config/storage.py).
STORAGES = storage.storages(os.environ, MEDIA_ROOT)

# The task queue (Django Tasks API): the database (django-tasks-db) by default; Redis
# (django-tasks-rq, run by `manage.py rqworker`) when REDIS_URL is set, unless
# SKILLPORT_TASKS_BACKEND=database. Export leases and delivery state stay in the database either
# way. `manage.py task_worker` runs the worker of the backend chosen here.
REDIS_URL = os.environ.get("REDIS_URL", "")
TASKS_QUEUE_BACKEND = os.environ.get("SKILLPORT_TASKS_BACKEND") or (
    "redis" if REDIS_URL else "database"
)
if TASKS_QUEUE_BACKEND not in {"redis", "database"}:
    raise ImproperlyConfigured("SKILLPORT_TASKS_BACKEND must be 'redis' or 'database'")
if TASKS_QUEUE_BACKEND == "redis" and not REDIS_URL:
    raise ImproperlyConfigured("SKILLPORT_TASKS_BACKEND=redis needs REDIS_URL")
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TASKS_BACKEND",
            "django_tasks_rq.RQBackend"
            if TASKS_QUEUE_BACKEND == "redis"
            else "django_tasks_db.DatabaseBackend",
        ),
        "QUEUES": ["default"],
    }
}
if TASKS_QUEUE_BACKEND == "redis":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "skillport",
    }
}
# Rate-limit counts live in the database (organizations/ratelimit.py), or in Redis when given.
if REDIS_URL:
    CACHES["ratelimit"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("SKILLPORT_REDIS_KEY_PREFIX", "skillport"),
    }

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": ["organizations.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "organizations.permissions.KeyMayWrite",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["organizations.throttling.ApiKeyRateThrottle"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.JsonApiContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.JsonApiPagination",
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JsonApiParser"],
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.JsonApiRenderer"],
    "DEFAULT_METADATA_CLASS": "rest_framework_json_api.metadata.JSONAPIMetadata",
    "DEFAULT_FILTER_BACKENDS": [
        "api.filters.QueryParameterValidationFilter",
        "api.filters.OrderingFilter",
        "api.filters.FilterBackend",
    ],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ResourceAutoSchema",
    "ORDERING_PARAM": "sort",
    "URL_FIELD_NAME": "self",
    "PAGE_SIZE": 10,
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "vnd.api+json",
    "TEST_REQUEST_RENDERER_CLASSES": [
        "rest_framework_json_api.renderers.JSONRenderer",
        "rest_framework.renderers.MultiPartRenderer",
    ],
}

JSON_API_FORMAT_TYPES = False
JSON_API_PLURALIZE_TYPES = False
JSON_API_UNIFORM_EXCEPTIONS = True

SPECTACULAR_SETTINGS = {
    "TITLE": "Skillport API",
    "DESCRIPTION": "A JSON:API registry of agent skills and an export service.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Endpoints that are not JSON:API viewsets (health, downloads, zip upload, PromptLayer).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.postprocess",
        "api.schema.document_idempotency_key",
    ],
}

# Seconds between the runs of the periodic jobs (`manage.py scheduler`; the table and its default
# intervals are in core/jobs/schedule.py): only the jobs whose variable is set are overridden.
# SKILLPORT_SWEEP_INTERVAL sets the four upkeep jobs, SKILLPORT_WEBHOOK_SWEEP_INTERVAL the
# webhook re-enqueue.
_SCHEDULE_VARIABLES = {
    "export_leases": "SKILLPORT_SWEEP_INTERVAL",
    "export_files": "SKILLPORT_SWEEP_INTERVAL",
    "idempotency_keys": "SKILLPORT_SWEEP_INTERVAL",
    "git_trees": "SKILLPORT_SWEEP_INTERVAL",
    "webhooks": "SKILLPORT_WEBHOOK_SWEEP_INTERVAL",
}
SKILLPORT_SCHEDULE_INTERVALS = {
    name: float(os.environ[variable])
    for name, variable in _SCHEDULE_VARIABLES.items()
    if os.environ.get(variable)
}

SKILLPORT = {
    # Request bodies nesting arrays/objects deeper than this are a 400 (api/parsers.py).
    "MAX_JSON_DEPTH": int(os.environ.get("SKILLPORT_MAX_JSON_DEPTH", "64")),
    # Requests a minute per API key when the key sets no limit of its own; 0 means unlimited.
    "DEFAULT_RATE_LIMIT": int(os.environ.get("SKILLPORT_DEFAULT_RATE_LIMIT", "0")),
    # Cache alias that counts requests (Redis); None counts in the database.
    "RATE_LIMIT_CACHE": "ratelimit" if REDIS_URL else None,
    # Linkage `data` of a to-many relationship that is not included: at most this many entries,
    # then `meta.capped` (api/serializers.py); `meta.count` always gives the full size.
    "MAX_RELATIONSHIP_LINKAGE": int(os.environ.get("SKILLPORT_MAX_RELATIONSHIP_LINKAGE", "20")),
    # Longest URI (path and query) answered; longer is a JSON:API 414 (config/gunicorn.py).
    "MAX_URI_LENGTH": int(os.environ.get("SKILLPORT_MAX_URI_LENGTH", "4096")),
    # Background jobs (core/jobs/leases.py): a worker renews its lease while it runs; a job whose
    # lease expired is requeued, then interrupted after JOB_MAX_ATTEMPTS.
    "JOB_LEASE_SECONDS": float(os.environ.get("SKILLPORT_JOB_LEASE_SECONDS", "60")),
    "JOB_MAX_ATTEMPTS": int(os.environ.get("SKILLPORT_JOB_MAX_ATTEMPTS", "3")),
    # Signed download URLs (core/signing.py).
    "DOWNLOAD_URL_EXPIRES_SECONDS": int(os.environ.get("SKILLPORT_DOWNLOAD_URL_EXPIRES", "3600")),
    # Exports.
    "EXPORT_MAX_CONCURRENT": int(os.environ.get("SKILLPORT_EXPORT_MAX_CONCURRENT", "5")),
    "EXPORT_MAX_RECORDS": int(os.environ.get("SKILLPORT_EXPORT_MAX_RECORDS", "0")) or None,
    "EXPORT_FILE_RETENTION_SECONDS": int(
        os.environ.get("SKILLPORT_EXPORT_FILE_RETENTION", str(7 * 24 * 3600))
    ),
    "EXPORT_CHUNK_SIZE": int(os.environ.get("SKILLPORT_EXPORT_CHUNK_SIZE", "2000")),
    # gzip level of export files: 0-3 compress with ISA-L igzip (level 1: ~10x zlib's speed at
    # about its level-6 ratio), 4-9 with zlib; the output is standard gzip either way.
    "EXPORT_GZIP_LEVEL": int(os.environ.get("SKILLPORT_EXPORT_GZIP_LEVEL", "1")),
    # PostgreSQL: parallel workers that may build one export's records (0: the export's own
    # backend alone); PostgreSQL's max_parallel_workers still caps them all.
    "EXPORT_PARALLEL_WORKERS": int(os.environ.get("SKILLPORT_EXPORT_PARALLEL_WORKERS", "2")),
    # Seconds to pause between chunks, to go easy on a busy database (0: full speed).
    "EXPORT_CHUNK_PAUSE_SECONDS": float(os.environ.get("SKILLPORT_EXPORT_CHUNK_PAUSE", "0")),
    # Idempotency-Key (api/idempotency.py): how long a key's first outcome is replayed; how long
    # (PostgreSQL) a request waits for a concurrent one with the same key before a 409.
    "IDEMPOTENCY_KEY_TTL_SECONDS": int(
        os.environ.get("SKILLPORT_IDEMPOTENCY_KEY_TTL", str(24 * 3600))
    ),
    "IDEMPOTENCY_WAIT_SECONDS": float(os.environ.get("SKILLPORT_IDEMPOTENCY_WAIT", "10")),
    # Metorial-compatible `GET /skill-exports`: default and largest `limit`.
    "METORIAL_DEFAULT_LIMIT": int(os.environ.get("SKILLPORT_METORIAL_DEFAULT_LIMIT", "10")),
    "METORIAL_MAX_LIMIT": int(os.environ.get("SKILLPORT_METORIAL_MAX_LIMIT", "100")),
}

# Webhook deliveries (see events/conf.py for every key and its default).
SKILLPORT_WEBHOOKS = {
    "PUBLIC_URL": os.environ.get("SKILLPORT_PUBLIC_URL", "http://localhost:8000"),
    "CIRCUIT_THRESHOLD": int(os.environ.get("SKILLPORT_WEBHOOKS_CIRCUIT_THRESHOLD", "10")),
    "CIRCUIT_COOLDOWN": float(os.environ.get("SKILLPORT_WEBHOOKS_CIRCUIT_COOLDOWN", "3600")),
    "TIMEOUT": float(os.environ.get("SKILLPORT_WEBHOOKS_TIMEOUT", "10")),
    "LEASE_SECONDS": float(os.environ.get("SKILLPORT_WEBHOOKS_LEASE_SECONDS", "120")),
}

MIB = 1024 * 1024
SKILLPORT_SKILLS = {
    # Limits on one skill collection version (JSON or zip upload); tests lower them.
    "MAX_FILE_SIZE": int(os.environ.get("SKILLPORT_SKILLS_MAX_FILE_SIZE", 10 * MIB)),
    "MAX_VERSION_SIZE": int(os.environ.get("SKILLPORT_SKILLS_MAX_VERSION_SIZE", 100 * MIB)),
    "MAX_FILES": int(os.environ.get("SKILLPORT_SKILLS_MAX_FILES", 10_000)),
    # Zip bomb guard: an entry of at least MIN_SIZE bytes may expand at most RATIO times.
    "MAX_COMPRESSION_RATIO": int(os.environ.get("SKILLPORT_SKILLS_MAX_COMPRESSION_RATIO", 200)),
    "COMPRESSION_RATIO_MIN_SIZE": 1 * MIB,
    # SKILL.md frontmatter: at most this many characters, collections nested this deep.
    "MAX_FRONTMATTER_SIZE": int(os.environ.get("SKILLPORT_SKILLS_MAX_FRONTMATTER_SIZE", 64 * 1024)),
    "MAX_FRONTMATTER_DEPTH": int(os.environ.get("SKILLPORT_SKILLS_MAX_FRONTMATTER_DEPTH", 32)),
    # Largest zip request body accepted (None: MAX_VERSION_SIZE + 16 MiB).
    "MAX_UPLOAD_SIZE": None,
    # Deflate level of `?format=zip` downloads (0 = stored, fastest; 6 = like `zip -r`).
    "ZIP_COMPRESS_LEVEL": int(os.environ.get("SKILLPORT_SKILLS_ZIP_COMPRESS_LEVEL", 6)),
    # Largest git-upload-pack request body (wants and haves, after gunzip) read.
    "GIT_MAX_REQUEST_SIZE": int(os.environ.get("SKILLPORT_SKILLS_GIT_MAX_REQUEST_SIZE", 10 * MIB)),
    # Version diffs (skills/diffs.py): a file with a side larger than DIFF_MAX_FILE_SIZE gets no
    # diff; one answer reads at most DIFF_MAX_TOTAL_SIZE bytes for at most DIFF_MAX_FILES diffs.
    "DIFF_MAX_FILE_SIZE": int(os.environ.get("SKILLPORT_SKILLS_DIFF_MAX_FILE_SIZE", 256 * 1024)),
    "DIFF_MAX_TOTAL_SIZE": int(os.environ.get("SKILLPORT_SKILLS_DIFF_MAX_TOTAL_SIZE", 1 * MIB)),
    "DIFF_MAX_FILES": int(os.environ.get("SKILLPORT_SKILLS_DIFF_MAX_FILES", 300)),
    # Seconds a `git-trees/` entry that is no longer any collection's current state is kept
    # before the scheduler's `git_trees` job deletes it (skills.git.sweep_trees).
    "GIT_TREES_RETENTION": int(os.environ.get("SKILLPORT_SKILLS_GIT_TREES_RETENTION", 86400)),
    # Largest git-receive-pack (push) request body (None: skills.git.push.DEFAULT_MAX_PUSH_SIZE).
    "GIT_MAX_PUSH_SIZE": int(os.environ["SKILLPORT_SKILLS_GIT_MAX_PUSH_SIZE"])
    if os.environ.get("SKILLPORT_SKILLS_GIT_MAX_PUSH_SIZE")
    else None,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
