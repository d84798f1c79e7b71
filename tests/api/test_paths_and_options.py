"""Paths with a trailing slash, and `OPTIONS`, the way JSON:API clients expect (issue #23).

Every `/api/` path answers the same with and without a trailing slash, for every method and
without a redirect (a redirect would drop a POST's or a PATCH's body); the links stay canonical.
`OPTIONS` on every routed path, an unknown id included, is a `204` with `Allow` and no body,
without a key; `Allow` names exactly the methods that are not a `405`, and a `405` carries it.
The sweeps are generated from the URL resolver (tests/api/routes.py), so a new route is covered.
"""

import orjson
import pytest

from skills.models import SkillPlugin
from tests.api.routes import routed_paths, view_name
from tests.conftest import JSON_API, JsonApiClient
from tests.skill_exports.factories import collection_with_skills
from tests.skills.factories import make_zip, skill_files

pytestmark = pytest.mark.django_db

ROUTED_PATHS = routed_paths()
API_PATHS = [path for path in ROUTED_PATHS if path.startswith("/api/")]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Compatibility surfaces that answer in their own media type or envelope (Metorial's,
# PromptLayer's, the skills CLI's search, Anthropic's Skills API).
OWN_ERROR_SHAPES = ("/skill-exports", "/api/public/v2/", "/api/search", "/v1/")


def _allow(response) -> list[str]:
    return [method.strip() for method in response["Allow"].split(",")]


def _untraced(value):
    """A document without its `trace_id`s (each request's own id)."""
    if isinstance(value, dict):
        return {key: _untraced(item) for key, item in value.items() if key != "trace_id"}
    if isinstance(value, list):
        return [_untraced(item) for item in value]
    return value


def _options(path: str):
    response = JsonApiClient().options(path)  # no key: OPTIONS is answered for every caller
    assert response.status_code == 204, path
    assert response.content == b"", path
    assert "Content-Type" not in response, path
    return response


@pytest.mark.parametrize("path", ROUTED_PATHS)
def test_options_on_every_path_names_exactly_the_methods_served(api_key, path):
    # A catch-all serving nothing, and /metrics while SKILLPORT_METRICS_TOKEN is unset: a 404
    # for any method.
    if view_name(path) in ("NotFoundView", "metrics_view"):
        assert JsonApiClient(api_key).options(path).status_code == 404
        return
    allowed = _allow(_options(path))
    assert "OPTIONS" in allowed and ("HEAD" in allowed) == ("GET" in allowed), path
    writer = JsonApiClient(api_key)
    for method in METHODS:
        response = writer.generic(method, path, "{}")
        case = f"{method} {path}: {response.status_code}, Allow {allowed}"
        assert response.status_code < 500, case
        if method in allowed:
            assert response.status_code != 405, case
            continue
        assert response.status_code == 405, case
        assert _allow(response) == allowed, case
        if not path.startswith(OWN_ERROR_SHAPES):
            # (the operations endpoint names its extension: `; ext="..."`)
            assert response["Content-Type"].split(";")[0] == JSON_API, case
            assert response.json()["errors"][0]["status"] == "405", case


@pytest.mark.parametrize("path", API_PATHS)
def test_every_api_path_answers_the_same_with_a_trailing_slash(client, path):
    assert _allow(_options(path + "/")) == _allow(_options(path))
    plain, slashed = client.get(path), client.get(path + "/")
    assert slashed.status_code == plain.status_code, path
    assert slashed.get("Content-Type") == plain.get("Content-Type"), path
    if plain.get("Content-Type") == JSON_API:
        assert _untraced(slashed.json()) == _untraced(plain.json()), path


def test_options_of_an_unknown_id_on_relationship_urls():
    """The issue's 500s: OPTIONS on relationship URLs of ids that do not exist."""
    unknown = "00000000-0000-4000-8000-000000000000"
    read_only = _options(f"/api/skill_collections/{unknown}/relationships/versions")
    assert _allow(read_only) == ["GET", "HEAD", "OPTIONS"]
    writable = _options(f"/api/skill_plugins/{unknown}/relationships/skills/")
    assert _allow(writable) == ["GET", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def test_writes_through_slashed_paths_keep_their_bodies(client, organization):
    """Create, update, upload, relationship writes and delete, every path with a slash."""
    created = client.post(
        "/api/skill_collections/",
        {"data": {"type": "skill_collections", "attributes": {"name": "s", "root_path": "s"}}},
    )
    assert created.status_code == 201, created.json()
    collection_id = created.json()["data"]["id"]
    canonical = f"http://testserver/api/skill_collections/{collection_id}"
    assert created["Location"] == canonical
    assert created.json()["data"]["links"]["self"] == canonical

    updated = client.patch(
        f"/api/skill_collections/{collection_id}/",
        {
            "data": {
                "type": "skill_collections",
                "id": collection_id,
                "attributes": {"provider": "codex"},
            }
        },
    )
    assert updated.status_code == 200, updated.json()
    assert updated.json()["data"]["attributes"]["provider"] == "codex"

    version = client.post(
        "/api/skill_collection_versions/",
        {
            "data": {
                "type": "skill_collection_versions",
                "attributes": {"files": skill_files("pdf-tools"), "commit_message": "first"},
                "relationships": {
                    "skill_collection": {"data": {"type": "skill_collections", "id": collection_id}}
                },
            }
        },
    )
    assert version.status_code == 201, version.json()
    upload = client.generic(
        "POST",
        f"/api/skill_collections/{collection_id}/versions/",
        make_zip(skill_files("csv-tools")),
        content_type="application/zip",
    )
    assert upload.status_code == 201, upload.json()
    versions = client.get(f"/api/skill_collections/{collection_id}/versions/").json()
    assert sorted(item["attributes"]["number"] for item in versions["data"]) == [1, 2]
    linkage = client.get(f"/api/skill_collections/{collection_id}/relationships/versions/")
    assert len(linkage.json()["data"]) == 2

    listing = client.get("/api/skill_collections/?page[size]=1").json()
    assert listing["links"]["first"].startswith("http://testserver/api/skill_collections?")

    skills = [
        {"type": "skills", "id": str(skill.pk)}
        for skill in collection_with_skills(organization, ["alpha", "beta"])
    ]
    plugin = client.post(
        "/api/skill_plugins/",
        {"data": {"type": "skill_plugins", "attributes": {"name": "kit", "version": "1.0.0"}}},
    )
    assert plugin.status_code == 201, plugin.json()
    relationship = f"/api/skill_plugins/{plugin.json()['data']['id']}/relationships/skills/"
    assert client.post(relationship, {"data": skills}).status_code in (200, 204)
    assert SkillPlugin.objects.get().skills.count() == 2
    assert client.generic(
        "DELETE", relationship, orjson.dumps({"data": skills[:1]})
    ).status_code in (
        200,
        204,
    )
    assert SkillPlugin.objects.get().skills.count() == 1

    assert client.delete(f"/api/skill_plugins/{plugin.json()['data']['id']}/").status_code == 204
    assert not SkillPlugin.objects.exists()


def test_only_api_paths_lose_their_slash(client):
    assert client.get("/api/openapi.json/", HTTP_ACCEPT="application/json").status_code == 200
    assert client.get("/health/").status_code == 404
    assert client.get("/api/").status_code == 404
