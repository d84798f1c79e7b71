"""POST /api/skill_exports: exactly the relationship the target needs, else 422 with a pointer."""

import pytest

from exports.models import SkillExport
from files import services as file_services
from skills import services
from tests.factories import tenant_of
from tests.skill_exports.factories import collection_with_skills, plugin_with_skills
from tests.skill_exports.helpers import create_skill_export

pytestmark = pytest.mark.django_db


def post(client, attributes: dict, relationships: dict):
    return client.post(
        "/api/skill_exports",
        {
            "data": {
                "type": "skill_exports",
                "attributes": attributes,
                "relationships": {
                    name: {"data": {"type": type_name, "id": str(pk)}}
                    for name, (type_name, pk) in relationships.items()
                },
            }
        },
    )


def pointers(response) -> set[str]:
    assert response.status_code == 422, response.json()
    return {error["source"]["pointer"] for error in response.json()["errors"]}


@pytest.fixture
def plugin(organization):
    return plugin_with_skills(organization, "kit", ["alpha", "beta"])


def test_create_answers_201_pending_with_location(client, plugin):
    created = create_skill_export(client, "plugin", "skill_plugin", "skill_plugins", plugin.pk)
    assert created["attributes"]["status"] == "pending"
    assert created["relationships"]["skill_plugin"]["data"] == {
        "type": "skill_plugins",
        "id": str(plugin.pk),
    }
    assert set(created["relationships"]) >= {"file", "file_link", "created_by", "skill"}
    export = SkillExport.objects.get(pk=created["id"])
    assert export.created_by == client.api_key.member


def test_missing_or_bad_target(client, plugin):
    assert pointers(post(client, {}, {"skill_plugin": ("skill_plugins", plugin.pk)})) == {
        "/data/attributes/target"
    }
    assert pointers(post(client, {"target": "galaxy"}, {})) == {"/data/attributes/target"}


def test_missing_matching_relationship(client, plugin):
    assert pointers(post(client, {"target": "plugin"}, {})) == {"/data/relationships/skill_plugin"}


def test_mismatched_relationship(client, plugin):
    response = post(client, {"target": "skill"}, {"skill_plugin": ("skill_plugins", plugin.pk)})
    assert pointers(response) == {"/data/relationships/skill", "/data/relationships/skill_plugin"}


def test_extra_relationship(client, organization, plugin):
    skill = collection_with_skills(organization, ["gamma"])[0]
    response = post(
        client,
        {"target": "plugin"},
        {"skill_plugin": ("skill_plugins", plugin.pk), "skill": ("skills", skill.pk)},
    )
    assert pointers(response) == {"/data/relationships/skill"}


def test_target_of_another_organization_is_not_found(client, other_api_key):
    foreign = plugin_with_skills(other_api_key.organization, "theirs", ["delta"])
    response = post(client, {"target": "plugin"}, {"skill_plugin": ("skill_plugins", foreign.pk)})
    assert pointers(response) == {"/data/relationships/skill_plugin"}
    assert "does not exist" in response.json()["errors"][0]["detail"]


def test_plugin_with_two_skills_of_one_name_is_refused(client, organization):
    first = collection_with_skills(organization, ["twin"], collection_name="one")
    second = collection_with_skills(organization, ["twin"], collection_name="two")
    plugin = services.create_plugin(
        tenant=tenant_of(organization), actor=None, skills=first + second, name="twins"
    )
    response = post(client, {"target": "plugin"}, {"skill_plugin": ("skill_plugins", plugin.pk)})
    assert pointers(response) == {"/data/relationships/skill_plugin"}
    assert not SkillExport.objects.exists()


def test_list_filters_sort_and_tenancy(client, other_client, organization, plugin):
    skill = plugin.skills.first()
    plugin_export = create_skill_export(
        client, "plugin", "skill_plugin", "skill_plugins", plugin.pk
    )
    skill_export = create_skill_export(client, "skill", "skill", "skills", skill.pk)
    SkillExport.objects.filter(pk=skill_export["id"]).update(status="completed")

    def ids(query: str) -> list[str]:
        response = client.get(f"/api/skill_exports?{query}")
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["data"]]

    assert ids("filter[target]=skill") == [skill_export["id"]]
    assert ids("filter[status]=pending") == [plugin_export["id"]]
    assert set(ids("filter[status]=pending,completed")) == {plugin_export["id"], skill_export["id"]}
    assert ids(f"filter[id]={plugin_export['id']},{skill_export['id']}&sort=created_at") == [
        plugin_export["id"],
        skill_export["id"],
    ]
    assert ids("sort=-created_at&page[after]=") == [skill_export["id"], plugin_export["id"]]
    assert other_client.get("/api/skill_exports").json()["data"] == []
    assert other_client.get(f"/api/skill_exports/{skill_export['id']}").status_code == 404


def test_list_query_count_is_constant(
    client, organization, plugin, tmp_path, django_assert_max_num_queries
):
    source = tmp_path / "bundle.zip"
    source.write_bytes(b"zip")
    for _ in range(5):
        created = create_skill_export(client, "plugin", "skill_plugin", "skill_plugins", plugin.pk)
        # Completed exports carry a file and a link, whose URL needs the file too.
        file = file_services.store_file(
            tenant=tenant_of(organization),
            source=source,
            file_name="kit.zip",
            file_type="application/zip",
            purpose="skill_export",
        )
        SkillExport.objects.filter(pk=created["id"]).update(
            file=file, file_link=file_services.create_link(file)
        )
    with django_assert_max_num_queries(10):
        response = client.get("/api/skill_exports?include=file,file_link,skill_plugin")
    assert len(response.json()["data"]) == 5
