"""Skillport settings: everything configurable comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from api.conf import api_conf
from config import secret_key, storage
from config.environment import env, env_bool, env_list, env_origins
from core import logs
from core.conf import core_conf, environment_settings
from events.conf import events_conf
from exports.conf import exports_conf
from organizations.conf import organizations_conf
from skills.conf import skills_conf

BASE_DIR = Path(__file__).resolve().parent.parent

# Each variable read here is declared once, with its default, in config/environment.py; the
# apps' own settings in each app's conf.py (mapped at the end of this file).
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

VAR_DIR = Path(env("SKILLPORT_VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Security (README "Security"): the signing key is SECRET_KEY from the environment, else a
# random key made on first start and kept in $SKILLPORT_VAR_DIR/secret_key (mode 0600) for every
# process of this install. Older keys in SECRET_KEY_FALLBACKS still verify links and sessions.
SECRET_KEY = env("SECRET_KEY") or secret_key.read_or_create(VAR_DIR)
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
# HSTS is sent on secure requests only; behind a TLS-terminating proxy, name the header that says
# so, e.g. SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https (only if the proxy always sets it).
SECURE_PROXY_SSL_HEADER = tuple(env_list("SECURE_PROXY_SSL_HEADER")) or None
if SECURE_PROXY_SSL_HEADER is not None and len(SECURE_PROXY_SSL_HEADER) != 2:
    raise ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER is 'HEADER,value', e.g. HTTP_X_FORWARDED_PROTO,https"
    )
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")

# CORS (django-cors-headers; docs/security.md#cors): browser pages of these origins may call
# /api/. None by default; `*` alone allows any origin. Never with credentials: API keys travel
# in headers a page sets itself, not in cookies, so no origin gets `Allow-Credentials`.
CORS_ALLOWED_ORIGINS = env_origins("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_ALL_ORIGINS = CORS_ALLOWED_ORIGINS == ["*"]
if CORS_ALLOW_ALL_ORIGINS:
    CORS_ALLOWED_ORIGINS = []
CORS_ALLOW_CREDENTIALS = False
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_METHODS = ("GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS")
# The request headers a client sets (api/idempotency.py, skills/downloads.py, api/middleware.py).
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "x-api-key",
    "idempotency-key",
    "if-none-match",
    "x-request-id",
)
# The response headers a client reads beyond the CORS-safelisted ones (tests/api/test_cors.py
# checks that every header the API sends is one or the other).
CORS_EXPOSE_HEADERS = (
    "Location",
    "ETag",
    "Content-Disposition",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
    "X-Request-Id",
    "Idempotent-Replayed",
    "Allow",
    "WWW-Authenticate",
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
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
    "api.middleware.RequestMetricsMiddleware",
    # Preflights answered from the configuration below, before anything else; CORS headers on
    # every /api/ answer, errors (401, 414, 429) included, so browser pages can read them.
    "corsheaders.middleware.CorsMiddleware",
    "api.middleware.UriLengthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "api.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the resolver and the views: `/api/x/` is `/api/x`; OPTIONS answered from the route.
    "api.middleware.TrailingSlashMiddleware",
    "api.middleware.OptionsMiddleware",
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
        conn_max_age=int(env("DB_CONN_MAX_AGE")),
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
MEDIA_ROOT = Path(env("MEDIA_ROOT") or VAR_DIR / "media")
MEDIA_URL = "media/"

# Storage: local files by default, S3 (or any S3-compatible store) when AWS_STORAGE_BUCKET_NAME
# is set, with AWS_S3_ENDPOINT_URL, AWS_S3_REGION_NAME and the AWS credentials (config/storage.py).
STORAGES = storage.storages(os.environ, MEDIA_ROOT)

# The task queue (Django Tasks API): the database (django-tasks-db) by default; Redis
# (django-tasks-rq, run by `manage.py rqworker`) when REDIS_URL is set, unless
# SKILLPORT_TASKS_BACKEND=database. Export leases and delivery state stay in the database either
# way. `manage.py task_worker` runs the worker of the backend chosen here.
REDIS_URL = env("REDIS_URL")
TASKS_QUEUE_BACKEND = env("SKILLPORT_TASKS_BACKEND") or ("redis" if REDIS_URL else "database")
if TASKS_QUEUE_BACKEND not in {"redis", "database"}:
    raise ImproperlyConfigured("SKILLPORT_TASKS_BACKEND must be 'redis' or 'database'")
if TASKS_QUEUE_BACKEND == "redis" and not REDIS_URL:
    raise ImproperlyConfigured("SKILLPORT_TASKS_BACKEND=redis needs REDIS_URL")
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND")
        or (
            "django_tasks_rq.RQBackend"
            if TASKS_QUEUE_BACKEND == "redis"
            else "django_tasks_db.DatabaseBackend"
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
        "KEY_PREFIX": env("SKILLPORT_REDIS_KEY_PREFIX"),
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
        # Filters before the order: `filter[search]` annotates the rank the default order uses.
        "api.filters.FilterBackend",
        "api.filters.OrderingFilter",
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
        "api.schema.document_options",
    ],
}

# The apps' settings: each app's conf.py declares them with their defaults (written there once);
# the variables that are set fill these dicts (always defined, so tests can extend them) and the
# top-level settings a few of them have (SKILLPORT_WEBHOOKS_ALLOW_PRIVATE).
_from_environment = environment_settings(
    os.environ, [core_conf, api_conf, organizations_conf, skills_conf, exports_conf, events_conf]
)
SKILLPORT = _from_environment.pop("SKILLPORT")
SKILLPORT_SKILLS = _from_environment.pop("SKILLPORT_SKILLS")
SKILLPORT_WEBHOOKS = _from_environment.pop("SKILLPORT_WEBHOOKS")
globals().update(_from_environment)
if REDIS_URL:
    # Rate-limit counts go to the Redis cache defined above (organizations/conf.py).
    SKILLPORT.setdefault("RATE_LIMIT_CACHE", "ratelimit")

# One log format (core/logs.py): text, or JSON lines with SKILLPORT_LOG_FORMAT=json; each line
# names the request id of its request, or of the request that enqueued the task being run.
LOG_FORMAT = env("SKILLPORT_LOG_FORMAT")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("SKILLPORT_LOG_FORMAT must be 'text' or 'json'")
LOGGING = logs.logging_config(LOG_FORMAT, env("LOG_LEVEL"))

# Metrics (core/metrics.py): with several processes (gunicorn's workers, the task workers) each
# writes its counts under this directory and a scrape sums them; prometheus-client reads the
# variable itself, at import. `make serve` sets it under var/ and empties it at start.
PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR")
if PROMETHEUS_MULTIPROC_DIR:
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
