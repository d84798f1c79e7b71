import pytest

from tests.skills.factories import SkillCollectionFactory, create_version, skill_files

pytestmark = pytest.mark.django_db


def test_list_filter_and_include(client, organization, django_assert_max_num_queries):
    for _ in range(4):
        collection = SkillCollectionFactory(organization=organization)
        create_version(collection, skill_files("alpha", "beta"))
    with django_assert_max_num_queries(15):
        response = client.get(
            "/api/skills?include=skill_collection,skill_collection_version&page[size]=50"
        )
    assert response.status_code == 200
    assert len(response.json()["data"]) == 8
    response = client.get("/api/skills?filter[name]=alpha")
    assert {item["attributes"]["name"] for item in response.json()["data"]} == {"alpha"}


def test_skills_are_read_only_and_tenant_scoped(client, other_client, organization):
    collection = SkillCollectionFactory(organization=organization)
    create_version(collection, skill_files("alpha"))
    skill_id = client.get("/api/skills").json()["data"][0]["id"]
    assert client.delete(f"/api/skills/{skill_id}").status_code == 405
    assert other_client.get(f"/api/skills/{skill_id}").status_code == 404
    related = client.get(f"/api/skills/{skill_id}/skill_collection").json()["data"]
    assert related["id"] == str(collection.pk)
