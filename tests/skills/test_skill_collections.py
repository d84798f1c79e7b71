from urllib.parse import quote

import pytest

from skills.models import SkillCollection
from tests.skills.factories import SkillCollectionFactory, create_version, skill_files

pytestmark = pytest.mark.django_db


def test_create_collection(client, organization, api_key):
    response = client.post(
        "/api/skill_collections",
        {
            "data": {
                "type": "skill_collections",
                "attributes": {
                    "name": "support",
                    "root_path": ".claude/skills",
                    "provider": "claude",
                },
            }
        },
    )
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert response["Location"].endswith(f"/api/skill_collections/{data['id']}")
    assert data["attributes"]["name"] == "support"
    assert data["attributes"]["root_path"] == ".claude/skills"
    assert data["attributes"]["is_deleted"] is False
    assert data["relationships"]["created_by"]["data"]["id"] == str(api_key.member_id)
    assert data["relationships"]["current_version"]["data"] is None
    assert data["meta"]["organization_id"] == str(organization.pk)


def test_name_and_root_path_unique_in_organization(client, organization):
    SkillCollectionFactory(organization=organization, name="taken", root_path="a/b")
    response = client.post(
        "/api/skill_collections",
        {
            "data": {
                "type": "skill_collections",
                "attributes": {"name": "taken", "root_path": "a/b"},
            }
        },
    )
    assert response.status_code == 422
    pointers = {error["source"]["pointer"] for error in response.json()["errors"]}
    assert pointers == {"/data/attributes/name", "/data/attributes/root_path"}


def test_root_path_must_be_relative(client):
    response = client.post(
        "/api/skill_collections",
        {"data": {"type": "skill_collections", "attributes": {"name": "x", "root_path": "/etc"}}},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/root_path"


@pytest.mark.parametrize("identifier", ["uuid", "name", "root_path"])
def test_lookup_by_every_identifier(client, organization, identifier):
    collection = SkillCollectionFactory(
        organization=organization, name="support", root_path=".claude/skills"
    )
    value = {"uuid": str(collection.pk), "name": "support", "root_path": ".claude/skills"}
    response = client.get(f"/api/skill_collections/{quote(value[identifier], safe='')}")
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["id"] == str(collection.pk)


def test_root_path_with_raw_slashes_resolves(client, organization):
    collection = SkillCollectionFactory(organization=organization, root_path="team/a/skills")
    response = client.get("/api/skill_collections/team/a/skills")
    assert response.json()["data"]["id"] == str(collection.pk)


def test_uuid_relationship_and_related_urls_still_win(client, organization):
    collection = SkillCollectionFactory(organization=organization)
    version = create_version(collection)
    related = client.get(f"/api/skill_collections/{collection.pk}/versions")
    assert related.status_code == 200
    assert [item["id"] for item in related.json()["data"]] == [str(version.pk)]
    relationship = client.get(f"/api/skill_collections/{collection.pk}/relationships/versions")
    assert relationship.json()["data"] == [
        {"type": "skill_collection_versions", "id": str(version.pk)}
    ]
    current = client.get(f"/api/skill_collections/{collection.pk}/current_version")
    assert current.json()["data"]["id"] == str(version.pk)


@pytest.mark.parametrize("identifier", ["uuid", "name", "root_path"])
def test_other_organizations_collection_is_404(other_client, organization, identifier):
    collection = SkillCollectionFactory(
        organization=organization, name="secret", root_path="secret/skills"
    )
    value = {"uuid": str(collection.pk), "name": "secret", "root_path": "secret/skills"}
    response = other_client.get(f"/api/skill_collections/{quote(value[identifier], safe='')}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["status"] == "404"


def test_other_organization_cannot_list_or_use_related(other_client, organization):
    collection = SkillCollectionFactory(organization=organization)
    create_version(collection)
    assert other_client.get("/api/skill_collections").json()["data"] == []
    assert other_client.get(f"/api/skill_collections/{collection.pk}/versions").status_code == 404
    assert (
        other_client.get(f"/api/skill_collections/{collection.pk}/relationships/skills").status_code
        == 404
    )


def test_current_version_skips_archived(client, organization):
    collection = SkillCollectionFactory(organization=organization)
    first = create_version(collection)
    second = create_version(collection)
    second.archived = True
    second.save()
    response = client.get(f"/api/skill_collections/{collection.pk}")
    assert response.json()["data"]["relationships"]["current_version"]["data"]["id"] == str(
        first.pk
    )


def test_update_collection(client, organization, api_key):
    collection = SkillCollectionFactory(organization=organization)
    response = client.patch(
        f"/api/skill_collections/{collection.pk}",
        {
            "data": {
                "type": "skill_collections",
                "id": str(collection.pk),
                "attributes": {"provider": "codex", "folder_id": 7},
            }
        },
    )
    assert response.status_code == 200, response.json()
    collection.refresh_from_db()
    assert (collection.provider, collection.folder_id) == ("codex", 7)
    assert collection.updated_by_id == api_key.member_id


def test_soft_delete_hides_from_list(client, organization):
    collection = SkillCollectionFactory(organization=organization, name="gone")
    kept = SkillCollectionFactory(organization=organization)
    response = client.delete(f"/api/skill_collections/{collection.pk}")
    assert response.status_code == 204
    collection.refresh_from_db()
    assert collection.is_deleted is True
    assert SkillCollection.objects.filter(pk=collection.pk).exists()
    listed = client.get("/api/skill_collections").json()["data"]
    assert [item["id"] for item in listed] == [str(kept.pk)]
    deleted = client.get("/api/skill_collections?filter[is_deleted]=true").json()["data"]
    assert [item["id"] for item in deleted] == [str(collection.pk)]
    assert deleted[0]["attributes"]["is_deleted"] is True
    # The name is free again and no longer resolves to the deleted collection.
    assert client.get("/api/skill_collections/gone").status_code == 404


def test_list_query_count_is_constant(client, organization, django_assert_max_num_queries):
    for _ in range(6):
        collection = SkillCollectionFactory(organization=organization)
        create_version(collection, files=skill_files("alpha", "beta"))
        create_version(collection, files=skill_files("alpha", "gamma"))
    url = "/api/skill_collections?include=versions,current_version,skills,created_by&page[size]=100"
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    body = response.json()
    assert len(body["data"]) == 6
    types = {item["type"] for item in body["included"]}
    assert types == {"skill_collection_versions", "skills", "members"}
    assert len(body["data"][0]["relationships"]["versions"]["data"]) == 2
    assert len(body["data"][0]["relationships"]["skills"]["data"]) == 3


def test_filters_and_sort(client, organization):
    SkillCollectionFactory(organization=organization, name="beta", provider="codex")
    SkillCollectionFactory(organization=organization, name="alpha", provider="claude")
    response = client.get("/api/skill_collections?filter[provider]=codex")
    assert [item["attributes"]["name"] for item in response.json()["data"]] == ["beta"]
    response = client.get("/api/skill_collections?filter[q][name_cont]=ph&sort=name")
    assert [item["attributes"]["name"] for item in response.json()["data"]] == ["alpha"]


def test_oversized_json_body_is_413_not_500(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post(
        "/api/skill_collections",
        {
            "data": {
                "type": "skill_collections",
                "attributes": {"name": "x" * 2000, "root_path": "a"},
            }
        },
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "payload_too_large"
