"""CORS (django-cors-headers) from `CORS_ALLOWED_ORIGINS` (issue #23).

Nothing is allowed by default; an allowed origin's preflight is answered from the configuration
before any key is looked at, on every `/api/` path (unknown ids, trailing slashes); its answers,
errors included, expose every header the API sends that a client reads; credentials never. How
the environment variable is read (a list, `*` alone, a malformed entry refused at start) is
checked on the real settings module in a subprocess. The browser check is test_cors_browser.py.
"""

import subprocess
import sys
import uuid

import pytest
from django.conf import settings as django_settings

from tests.conftest import JsonApiClient
from tests.factories import ApiKeyFactory
from tests.served import ROOT, install_env
from tests.skills.factories import SkillCollectionFactory, create_version

pytestmark = pytest.mark.django_db

APP = "https://app.example"
OTHER = "https://evil.example"
# Response headers a browser lets any page read (the Fetch standard's CORS-safelisted ones).
SAFELISTED = {
    "cache-control",
    "content-language",
    "content-length",
    "content-type",
    "expires",
    "last-modified",
    "pragma",
}
# Headers for the browser itself, not for a client's code.
FOR_THE_BROWSER = {
    "content-security-policy",
    "cross-origin-opener-policy",
    "referrer-policy",
    "strict-transport-security",
    "vary",
    "x-content-type-options",
    "x-frame-options",
}


@pytest.fixture
def allowed(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]


def preflight(path: str, origin: str = APP, method: str = "PATCH", headers: str = ""):
    return JsonApiClient().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


def _names(value: str) -> set[str]:
    return {name.strip().lower() for name in value.split(",") if name.strip()}


def test_nothing_is_allowed_by_default(client):
    assert django_settings.CORS_ALLOWED_ORIGINS == []
    assert not django_settings.CORS_ALLOW_ALL_ORIGINS
    answer = preflight("/api/skill_collections", method="POST")
    assert answer.status_code < 300  # answered, not a 401, but allowing nothing
    assert "Access-Control-Allow-Origin" not in answer
    assert "Access-Control-Allow-Origin" not in client.get("/api/skills", HTTP_ORIGIN=APP)


@pytest.mark.parametrize(
    "path",
    [
        "/api/skill_collections",
        "/api/skill_collections/",
        f"/api/skill_collections/{uuid.uuid4()}",
        f"/api/skill_plugins/{uuid.uuid4()}/relationships/skills/",
        f"/api/skill_collections/{uuid.uuid4()}/versions",
        "/api/openapi.json",
    ],
)
def test_a_preflight_needs_no_key_and_allows_what_clients_send(allowed, path):
    headers = "authorization,x-api-key,idempotency-key,content-type,if-none-match"
    answer = preflight(path, headers=headers)
    assert answer.status_code in (200, 204), answer.content
    assert answer["Access-Control-Allow-Origin"] == APP
    assert {"get", "post", "patch", "delete"} <= _names(answer["Access-Control-Allow-Methods"])
    assert _names(headers) <= _names(answer["Access-Control-Allow-Headers"])
    assert "Access-Control-Allow-Credentials" not in answer
    assert int(answer["Access-Control-Max-Age"]) > 0


def test_a_disallowed_origin_gets_no_cors_headers(allowed, client):
    assert "Access-Control-Allow-Origin" not in preflight("/api/skills", origin=OTHER)
    answer = client.get("/api/skills", HTTP_ORIGIN=OTHER)
    assert answer.status_code == 200  # the server answers; the browser withholds it from the page
    assert "Access-Control-Allow-Origin" not in answer


def test_only_the_api_speaks_cors(allowed, admin_client):
    assert "Access-Control-Allow-Origin" not in admin_client.get("/admin/", HTTP_ORIGIN=APP)
    assert "Access-Control-Allow-Origin" not in JsonApiClient().get("/health", HTTP_ORIGIN=APP)


def test_errors_carry_cors_headers_so_pages_can_read_them(allowed):
    unauthorized = JsonApiClient().get("/api/skills", HTTP_ORIGIN=APP)
    assert unauthorized.status_code == 401
    assert unauthorized["Access-Control-Allow-Origin"] == APP
    too_long = JsonApiClient().get("/api/skills?q=" + "x" * 5000, HTTP_ORIGIN=APP)
    assert too_long.status_code == 414
    assert too_long["Access-Control-Allow-Origin"] == APP


def test_every_header_the_api_sends_is_readable_by_an_allowed_page(allowed, settings):
    """Real answers that carry each header the API sends (Location, ETag, RateLimit-*,
    Retry-After, ...): each is CORS-safelisted, exposed, or meant for the browser alone."""
    key = ApiKeyFactory(rate_limit=8)
    client = JsonApiClient(key)
    origin = {"HTTP_ORIGIN": APP}
    body = {"data": {"type": "skill_collections", "attributes": {"name": "c", "root_path": "c"}}}
    created = client.post("/api/skill_collections", body, HTTP_IDEMPOTENCY_KEY="k-1", **origin)
    replayed = client.post("/api/skill_collections", body, HTTP_IDEMPOTENCY_KEY="k-1", **origin)
    collection = SkillCollectionFactory(organization=key.organization, created_by=key.member)
    create_version(collection)
    zipped = client.get(
        f"/api/skill_collections/{collection.pk}?format=zip", HTTP_ACCEPT="*/*", **origin
    )
    answers = [
        created,
        replayed,
        zipped,
        client.put("/api/skill_collections", body, **origin),  # 405, Allow
        JsonApiClient().get("/api/skills", **origin),  # 401, WWW-Authenticate
    ]
    answers += [client.get("/api/skills", **origin) for _ in range(5)]  # the last ones 429
    assert [created.status_code, replayed.status_code, zipped.status_code] == [201, 201, 200]
    assert answers[3].status_code == 405 and answers[4].status_code == 401
    assert answers[-1].status_code == 429

    exposed = {name.lower() for name in settings.CORS_EXPOSE_HEADERS}
    sent = {name.lower() for answer in answers for name in answer.headers}
    for answer in answers:
        assert answer["Access-Control-Allow-Origin"] == APP
        assert _names(answer["Access-Control-Expose-Headers"]) == exposed
    assert {
        "location",
        "etag",
        "content-disposition",
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "retry-after",
        "x-request-id",
        "idempotent-replayed",
        "allow",
        "www-authenticate",
    } <= sent
    unreadable = sent - exposed - SAFELISTED - FOR_THE_BROWSER
    assert {name for name in unreadable if not name.startswith("access-control-")} == set()


def _settings_with(tmp_path, origins: str) -> subprocess.CompletedProcess:
    """The real settings module, read with `CORS_ALLOWED_ORIGINS=origins`, in a new process."""
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CORS_ALLOWED_ORIGINS, s.CORS_ALLOW_ALL_ORIGINS, s.CORS_ALLOW_CREDENTIALS)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=install_env(
            tmp_path, DJANGO_SETTINGS_MODULE="config.settings", CORS_ALLOWED_ORIGINS=origins
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_environment_variable(tmp_path):
    listed = _settings_with(tmp_path, " https://app.example , http://localhost:8101")
    assert listed.stdout.split("\n")[0] == (
        "['https://app.example', 'http://localhost:8101'] False False"
    ), listed.stderr
    assert _settings_with(tmp_path, "*").stdout.startswith(
        "[] True False"
    )  # any origin, no credentials
    for wrong in ("*,https://app.example", "https://app.example/", "app.example", "https://"):
        refused = _settings_with(tmp_path, wrong)
        assert refused.returncode != 0, wrong
        assert "CORS_ALLOWED_ORIGINS" in refused.stderr and "is not an origin" in refused.stderr


def test_any_origin_gets_a_wildcard_without_credentials(settings, client):
    settings.CORS_ALLOWED_ORIGINS, settings.CORS_ALLOW_ALL_ORIGINS = [], True
    answer = client.get("/api/skills", HTTP_ORIGIN=OTHER)
    assert answer["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in answer
