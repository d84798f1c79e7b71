"""The OpenAPI document at `/api/openapi.json` tells API users the truth about every endpoint."""

import pytest
from django.urls import reverse

from tests.skills.factories import SkillPluginFactory

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "patch", "put", "delete"}
# Phrases of developer docstrings that must never reach users.
INTERNAL = ("tenancy gate", "queryset", "Subclasses", "`/api/<type>", "read-only unless")


@pytest.fixture(scope="module")
def document(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/openapi.json", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_operation_has_its_own_summary_and_description_for_users(document):
    summaries, descriptions = [], []
    for path, method, operation in operations(document):
        summary, description = operation.get("summary"), operation.get("description")
        assert summary and description, (method, path)
        assert not any(phrase in description for phrase in INTERNAL), (method, path, description)
        summaries.append(summary)
        descriptions.append(description)
    assert len(summaries) > 150
    assert len(set(summaries)) == len(summaries)
    assert len(set(descriptions)) == len(descriptions)


def test_each_relationship_has_its_own_paths_under_its_resource_tag(document):
    paths = document["paths"]
    assert not [path for path in paths if "related_field" in path]
    for path, _method, operation in operations(document):
        if path.startswith("/api/") and "public" not in path and "downloads" not in path:
            assert operation["tags"] == [path.split("/")[2]], path
    writable = {"get", "post", "patch", "delete"}
    assert set(paths["/api/skill_plugins/{id}/relationships/skills"]) & METHODS == writable
    marketplace_plugins = paths["/api/skill_marketplaces/{id}/relationships/skill_plugins"]
    assert set(marketplace_plugins) & METHODS == writable
    assert set(paths["/api/skills/{id}/relationships/skill_collection"]) & METHODS == {"get"}
    assert set(paths["/api/skill_plugins/{id}/skills"]) & METHODS == {"get"}
    related = paths["/api/skill_plugins/{id}/skills"]["get"]["responses"]["200"]
    schema = related["content"]["application/vnd.api+json"]["schema"]
    assert schema["properties"]["data"]["items"] == {"$ref": "#/components/schemas/Skill"}


def test_relationship_links_still_reverse_to_the_concrete_paths(client, organization):
    plugin = SkillPluginFactory(organization=organization)
    body = client.get(f"/api/skill_plugins/{plugin.pk}").json()
    links = body["data"]["relationships"]["skills"]["links"]
    assert links["self"].endswith(f"/api/skill_plugins/{plugin.pk}/relationships/skills")
    assert links["related"].endswith(f"/api/skill_plugins/{plugin.pk}/skills")
    assert client.get(links["self"]).status_code == 200
    assert client.get(links["related"]).status_code == 200
    url = reverse(
        "skill_plugins-relationships", kwargs={"pk": plugin.pk, "related_field": "created_by"}
    )
    assert url == f"/api/skill_plugins/{plugin.pk}/relationships/created_by"
    # A name that is no relationship of the type has no endpoint.
    assert client.get(f"/api/skill_plugins/{plugin.pk}/relationships/nope").status_code == 404


def test_endpoints_outside_the_viewsets_are_documented(document):
    paths = document["paths"]
    public = paths["/api/public/v2/skill-collections/{identifier}"]["get"]
    assert {"application/json", "application/zip"} <= set(public["responses"]["200"]["content"])
    assert "format" in {parameter["name"] for parameter in public["parameters"]}
    upload = paths["/api/skill_collections/{id}/versions"]["post"]
    assert set(upload["requestBody"]["content"]) == {"application/zip"}
    assert "201" in upload["responses"]
    assert "get" in paths["/api/downloads/{token}"]
    assert paths["/health"]["get"]["security"] == []


def test_meta_members_are_meta_not_attributes(document):
    schemas = document["components"]["schemas"]
    for name in ("SkillPlugin", "Export", "Member", "SkillCollectionVersion"):
        properties = schemas[name]["properties"]
        attributes = properties["attributes"]["properties"]
        assert not {"mode", "organization_id", "trace_id"} & set(attributes), name
        assert set(properties["meta"]["properties"]) == {"mode", "organization_id", "trace_id"}
    for name in ("SkillPluginRequest", "PatchedSkillPluginRequest"):
        attributes = schemas[name]["properties"]["data"]["properties"]["attributes"]
        assert "mode" not in attributes["properties"], name


def test_json_attributes_are_objects(document):
    schemas = document["components"]["schemas"]
    errors_log = schemas["Export"]["properties"]["attributes"]["properties"]["errors_log"]
    assert errors_log["type"] == "object"
    assert errors_log["nullable"] is True
    request = schemas["SkillCollectionVersionRequest"]["properties"]["data"]["properties"]
    assert request["attributes"]["properties"]["files"]["type"] == "object"


def test_errors_are_documented_as_json_api_error_documents(document):
    error = {"$ref": "#/components/schemas/ErrorDocument"}
    assert document["components"]["schemas"]["ErrorDocument"]["required"] == ["errors"]
    create = document["paths"]["/api/skill_plugins"]["post"]["responses"]
    assert {"400", "401", "406", "409", "415", "422", "429"} <= set(create)
    assert create["422"]["content"]["application/vnd.api+json"]["schema"] == error
    detail = document["paths"]["/api/skill_plugins/{id}"]["get"]["responses"]
    assert detail["404"]["content"]["application/vnd.api+json"]["schema"] == error
    listing = document["paths"]["/api/skill_plugins"]["get"]["responses"]
    assert "404" not in listing
