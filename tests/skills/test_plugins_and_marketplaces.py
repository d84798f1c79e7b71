import pytest

from skills.models import Skill, SkillMarketplace, SkillPlugin
from tests.skills.factories import (
    SkillCollectionFactory,
    SkillMarketplaceFactory,
    SkillPluginFactory,
    create_version,
    skill_files,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def skills(organization):
    collection = SkillCollectionFactory(organization=organization)
    create_version(collection, skill_files("alpha", "beta"))
    return list(Skill.objects.order_by("path"))


def identifiers(type_name, objects):
    return [{"type": type_name, "id": str(obj.pk)} for obj in objects]


def plugin_document(skills, **attributes):
    return {
        "data": {
            "type": "skill_plugins",
            "attributes": {
                "name": "doc-tools",
                "version": "1.2.0",
                "description": "Document skills.",
                "author": {"name": "Acme", "email": "dev@example.com", "url": "https://acme.test"},
                "homepage": "https://acme.test/doc-tools",
                "repository": "https://github.com/acme/doc-tools",
                "license": "MIT",
                "keywords": ["pdf", "docs"],
                **attributes,
            },
            "relationships": {"skills": {"data": identifiers("skills", skills)}},
        }
    }


def test_create_plugin_with_skills(client, skills, api_key):
    response = client.post("/api/skill_plugins", plugin_document(skills))
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["attributes"]["author"]["name"] == "Acme"
    assert data["attributes"]["keywords"] == ["pdf", "docs"]
    assert {item["id"] for item in data["relationships"]["skills"]["data"]} == {
        str(skill.pk) for skill in skills
    }
    plugin = SkillPlugin.objects.get()
    assert plugin.created_by_id == api_key.member_id
    related = client.get(f"/api/skill_plugins/{plugin.pk}/skills").json()["data"]
    assert sorted(item["attributes"]["name"] for item in related) == ["alpha", "beta"]
    relationship = client.get(f"/api/skill_plugins/{plugin.pk}/relationships/skills").json()
    assert {item["type"] for item in relationship["data"]} == {"skills"}


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({"name": "Doc Tools"}, "/data/attributes/name"),
        ({"version": "1.2"}, "/data/attributes/version"),
        ({"author": {"name": "x", "twitter": "y"}}, "/data/attributes/author"),
        ({"keywords": "pdf"}, "/data/attributes/keywords"),
        ({"homepage": "not a url"}, "/data/attributes/homepage"),
    ],
)
def test_plugin_validation(client, skills, attributes, pointer):
    response = client.post("/api/skill_plugins", plugin_document(skills, **attributes))
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == pointer


def test_plugin_name_unique_in_organization(client, skills, organization):
    SkillPluginFactory(organization=organization, name="doc-tools")
    response = client.post("/api/skill_plugins", plugin_document(skills))
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/name"


def test_plugin_cannot_take_another_organizations_skills(other_client, skills):
    response = other_client.post("/api/skill_plugins", plugin_document(skills))
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/relationships/skills"
    assert not SkillPlugin.objects.exists()


def test_update_plugin_skills(client, skills, organization):
    plugin = SkillPluginFactory(organization=organization)
    response = client.patch(
        f"/api/skill_plugins/{plugin.pk}",
        {
            "data": {
                "type": "skill_plugins",
                "id": str(plugin.pk),
                "attributes": {"version": "2.0.0"},
                "relationships": {"skills": {"data": identifiers("skills", skills[:1])}},
            }
        },
    )
    assert response.status_code == 200, response.json()
    plugin.refresh_from_db()
    assert plugin.version == "2.0.0"
    assert list(plugin.skills.all()) == skills[:1]


def test_marketplace_lists_plugins(client, organization):
    plugins = [SkillPluginFactory(organization=organization) for _ in range(2)]
    response = client.post(
        "/api/skill_marketplaces",
        {
            "data": {
                "type": "skill_marketplaces",
                "attributes": {
                    "name": "acme-market",
                    "owner": {"name": "Acme", "email": "ops@example.com"},
                    "description": "Our plugins.",
                    "version": "1.0.0",
                },
                "relationships": {"skill_plugins": {"data": identifiers("skill_plugins", plugins)}},
            }
        },
    )
    assert response.status_code == 201, response.json()
    marketplace = SkillMarketplace.objects.get()
    response = client.get(f"/api/skill_marketplaces/{marketplace.pk}?include=skill_plugins")
    assert {item["id"] for item in response.json()["included"]} == {str(p.pk) for p in plugins}
    related = client.get(f"/api/skill_marketplaces/{marketplace.pk}/skill_plugins").json()
    assert len(related["data"]) == 2


def test_marketplace_owner_shape(client):
    response = client.post(
        "/api/skill_marketplaces",
        {
            "data": {
                "type": "skill_marketplaces",
                "attributes": {"name": "m", "owner": {"name": "x", "url": "https://x"}},
            }
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/owner"


def test_tenancy_and_delete(client, other_client, organization):
    marketplace = SkillMarketplaceFactory(organization=organization)
    plugin = SkillPluginFactory(organization=organization)
    assert other_client.get(f"/api/skill_marketplaces/{marketplace.pk}").status_code == 404
    assert other_client.get(f"/api/skill_plugins/{plugin.pk}").status_code == 404
    assert other_client.delete(f"/api/skill_plugins/{plugin.pk}").status_code == 404
    assert client.delete(f"/api/skill_plugins/{plugin.pk}").status_code == 204
    assert client.delete(f"/api/skill_marketplaces/{marketplace.pk}").status_code == 204


def test_list_query_count(client, organization, skills, django_assert_max_num_queries):
    for _ in range(5):
        plugin = SkillPluginFactory(organization=organization)
        plugin.skills.set(skills)
        marketplace = SkillMarketplaceFactory(organization=organization)
        marketplace.skill_plugins.set([plugin])
    with django_assert_max_num_queries(8):
        response = client.get("/api/skill_marketplaces?include=skill_plugins.skills")
    assert len(response.json()["data"]) == 5
    with django_assert_max_num_queries(8):
        response = client.get("/api/skill_plugins?include=skills")
    assert len(response.json()["data"]) == 5


def test_relationship_endpoint_writes(client, skills, organization):
    plugin = SkillPluginFactory(organization=organization)
    url = f"/api/skill_plugins/{plugin.pk}/relationships/skills"
    response = client.patch(url, {"data": identifiers("skills", skills[:1])})
    assert response.status_code == 200, response.json()
    assert list(plugin.skills.all()) == skills[:1]
    response = client.post(url, {"data": identifiers("skills", skills[1:])})
    assert response.status_code == 200
    assert set(plugin.skills.all()) == set(skills)
    response = client.delete(url, {"data": identifiers("skills", skills[:1])})
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["data"]] == [str(skills[1].pk)]
    assert Skill.objects.count() == 2  # the skills themselves are untouched


def test_relationship_endpoint_refuses_other_organizations_items(
    client, other_client, skills, organization
):
    plugin = SkillPluginFactory(organization=organization)
    foreign = SkillPluginFactory()
    marketplace = SkillMarketplaceFactory(organization=organization)
    response = client.patch(
        f"/api/skill_marketplaces/{marketplace.pk}/relationships/skill_plugins",
        {"data": identifiers("skill_plugins", [plugin, foreign])},
    )
    assert response.status_code == 422
    assert not marketplace.skill_plugins.exists()
    response = other_client.patch(
        f"/api/skill_plugins/{plugin.pk}/relationships/skills",
        {"data": identifiers("skills", skills)},
    )
    assert response.status_code == 404
    assert not plugin.skills.exists()


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
@pytest.mark.parametrize(
    ("bad_id", "status"),
    # The parser already refuses a missing or empty id as a malformed identifier (400); what it
    # lets through is refused by the identifier serializer (422).
    [
        ([None, None], 422),
        ({"id": 1}, 422),
        (7, 422),
        (True, 422),
        ("not-a-uuid", 422),
        (None, 400),
        ("", 400),
    ],
)
def test_relationship_linkage_with_an_id_that_is_no_resource_id_is_refused(
    client, organization, method, bad_id, status
):
    # schemathesis found these as 500s on the six to-many relationship endpoints (#23).
    plugin = SkillPluginFactory(organization=organization)
    marketplace = SkillMarketplaceFactory(organization=organization)
    for url, type_name in (
        (f"/api/skill_plugins/{plugin.pk}/relationships/skills", "skills"),
        (f"/api/skill_marketplaces/{marketplace.pk}/relationships/skill_plugins", "skill_plugins"),
    ):
        response = getattr(client, method)(url, {"data": [{"type": type_name, "id": bad_id}]})
        assert response.status_code == status, response.content
        [error] = response.json()["errors"]
        assert error["status"] == str(status)
    assert not plugin.skills.exists()
    assert not marketplace.skill_plugins.exists()


def test_read_only_relationships_refuse_writes(client, skills):
    skill = skills[0]
    response = client.patch(
        f"/api/skills/{skill.pk}/relationships/skill_collection",
        {"data": None},
    )
    assert response.status_code == 405
