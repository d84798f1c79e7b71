"""Read-only API keys (scope `read`): they read everything their tenant may read and change nothing.

The write sweep is generated from the URL resolver, not listed by hand: every routed path (the
JSON:API, the zip upload, the PromptLayer and Metorial surfaces, downloads, git) and every unsafe
method. A read key's answer is a `405` exactly when a write key's is (the method is not served
there), and otherwise a `403 read_only_key`, so a new writing endpoint is covered once routed.
"""

import uuid

import pytest
from django.core.management import call_command
from django.urls import resolve

from core.models import IdempotencyKey
from organizations.models import ApiKey, Scope, hash_key
from skills.models import SkillCollection
from tests.api.routes import SAMPLE_PARAMETERS, routed_paths, view_name
from tests.conftest import JsonApiClient
from tests.factories import ApiKeyFactory
from tests.skills.factories import SkillCollectionFactory, create_version, skill_files

pytestmark = pytest.mark.django_db

# Unsafe methods that write nothing: git's fetch negotiation is a POST that reads, the
# Metorial surface's catch-all serves nothing (its 404), and `/metrics` answers its own token,
# not API keys (a 404 while off, a 405 to writes). There a read key gets what a write key gets.
NOT_WRITES = {"upload_pack", "NotFoundView", "metrics_view"}

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

ROUTED_PATHS = routed_paths()


@pytest.fixture
def reader(api_key):
    return ApiKeyFactory(member=api_key.member, scope=Scope.READ)


def error_code(response) -> str:
    body = response.json()
    # JSON:API error documents, Metorial's error object or Anthropic's on their own surfaces.
    if body.get("type") == "error":
        return body["error"]["details"]["error_code"]
    return body["errors"][0]["code"] if "errors" in body else body["code"]


def test_every_route_is_swept():
    assert len(ROUTED_PATHS) > 100
    for expected in (
        "/api/skill_collections",
        f"/api/skill_collections/{SAMPLE_PARAMETERS['pk']}/versions",
        f"/api/skill_plugins/{SAMPLE_PARAMETERS['pk']}/relationships/skills",
        f"/git/skill_collections/{SAMPLE_PARAMETERS['pk']}.git/git-receive-pack",
        "/skill-exports",
        "/v1/skills",
        f"/v1/skills/{SAMPLE_PARAMETERS['skill_id']}/versions/latest",
    ):
        assert expected in ROUTED_PATHS


@pytest.mark.parametrize("path", ROUTED_PATHS)
def test_a_read_key_writes_nothing_anywhere(api_key, reader, path):
    writer = JsonApiClient(api_key)
    read_only = JsonApiClient(reader)
    for method in UNSAFE_METHODS:
        refused = read_only.generic(method, path, "{}")
        served = writer.generic(method, path, "{}")
        case = f"{method} {path}: read {refused.status_code}, write {served.status_code}"
        if view_name(path) in NOT_WRITES:
            assert refused.status_code == served.status_code != 403, case
            continue
        if served.status_code == 405:
            assert refused.status_code == 405, case
            continue
        assert refused.status_code == 403, case
        assert error_code(refused) == "read_only_key", case
        assert "read-only" in refused.content.decode(), case
        assert served.status_code != 403, case


def test_the_refusal_is_a_json_api_error_before_the_handler(
    api_key, reader, django_assert_max_num_queries
):
    body = {"data": {"type": "skill_collections", "attributes": {"name": "x", "root_path": "x"}}}
    # The key's lookup and its last use, then the request's savepoint, rolled back: no more.
    with django_assert_max_num_queries(5):
        response = JsonApiClient(reader).post("/api/skill_collections", body)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/vnd.api+json"
    [error] = response.json()["errors"]
    assert error["status"] == "403"
    assert error["code"] == "read_only_key"
    assert error["title"] == "Forbidden"
    assert "scope 'write'" in error["detail"]
    assert not SkillCollection.objects.exists()


def test_an_idempotent_replay_is_not_handed_to_a_read_key(api_key, reader):
    body = {"data": {"type": "skill_collections", "attributes": {"name": "x", "root_path": "x"}}}
    headers = {"HTTP_IDEMPOTENCY_KEY": "same-key"}
    created = JsonApiClient(api_key).post("/api/skill_collections", body, **headers)
    assert created.status_code == 201
    replayed = JsonApiClient(reader).post("/api/skill_collections", body, **headers)
    assert replayed.status_code == 403
    assert error_code(replayed) == "read_only_key"
    assert "Idempotent-Replayed" not in replayed
    fresh = JsonApiClient(reader).post(
        "/api/skill_collections", body, HTTP_IDEMPOTENCY_KEY="new-key"
    )
    assert fresh.status_code == 403
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["same-key"]
    assert SkillCollection.objects.count() == 1


def test_the_metorial_surface_refuses_in_its_own_shape(reader):
    response = JsonApiClient(reader).post(
        "/skill-exports", {"target": "skill"}, content_type="application/json"
    )
    assert response.status_code == 403
    body = response.json()
    assert body["object"] == "error"
    assert body["code"] == "read_only_key"


def ids(response) -> list[str]:
    data = response.json()["data"]
    return [item["id"] for item in data] if isinstance(data, list) else [data["id"]]


def test_a_read_key_reads_everything(api_key, reader):
    collection = SkillCollectionFactory(organization=api_key.organization, name="support")
    create_version(collection, files=skill_files("pdf-tools"), release_label="prod")
    writer, read_only = JsonApiClient(api_key), JsonApiClient(reader)
    lists = [path for path in ROUTED_PATHS if (resolve(path).url_name or "").endswith("-list")]
    assert "/api/skill_collections" in lists and "/api/webhooks" in lists
    for path in [*lists, f"/api/skill_collections/{collection.pk}?include=current_version"]:
        response = read_only.get(path)
        assert response.status_code == 200, path
        assert ids(response) == ids(writer.get(path)), path
    zipped = read_only.get(f"/api/skill_collections/{collection.pk}?format=zip", HTTP_ACCEPT="*/*")
    assert zipped.status_code == 200
    assert read_only.get("/api/public/v2/skill-collections/support").status_code == 200
    assert read_only.get("/skill-exports", HTTP_ACCEPT="application/json").status_code == 200
    assert read_only.options("/api/skill_collections").status_code == 204


def test_the_scope_defaults_to_write_and_a_write_key_still_writes(api_key):
    assert api_key.scope == Scope.WRITE and api_key.may_write
    body = {"data": {"type": "skill_collections", "attributes": {"name": "x", "root_path": "x"}}}
    assert JsonApiClient(api_key).post("/api/skill_collections", body).status_code == 201


def test_create_api_key_makes_a_read_key(capsys):
    call_command("create_api_key", "--organization", "acme", "--scope", "read")
    out, err = capsys.readouterr()
    key = ApiKey.objects.get(key_hash=hash_key(out.strip().splitlines()[-1]))
    assert key.scope == Scope.READ
    assert "read key" in err


def test_the_admin_narrows_a_key_to_read(admin_client, api_key):
    page = admin_client.get(f"/admin/organizations/apikey/{api_key.pk}/change/")
    assert 'name="scope"' in page.content.decode()
    response = admin_client.post(
        f"/admin/organizations/apikey/{api_key.pk}/change/",
        {"name": api_key.name, "scope": "read", "rate_limit": ""},
    )
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.scope == Scope.READ
    assert (
        JsonApiClient(api_key).delete(f"/api/skill_collections/{uuid.uuid4()}").status_code == 403
    )
    listing = admin_client.get("/admin/organizations/apikey/?scope__exact=read")
    assert api_key.prefix in listing.content.decode()


def test_the_openapi_document_names_the_refusal_on_every_write(anonymous_client):
    document = anonymous_client.get("/api/openapi.json", HTTP_ACCEPT="application/json").json()
    writes = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("post", "put", "patch", "delete") and not path.endswith("git-upload-pack")
    ]
    assert len(writes) > 20
    for path, method, operation in writes:
        assert "read_only_key" in operation["responses"]["403"]["description"], (method, path)
