"""`meta.skill_lids` of a version's atomic `add`: the skills the version makes get local ids, so
one request creates a collection, its version, and a plugin linking those skills."""

import pytest

from events.models import Event
from skills.models import (
    Skill,
    SkillCollection,
    SkillCollectionVersion,
    SkillMarketplace,
    SkillPlugin,
)
from tests.api.test_atomic_operations import add, add_collection, add_plugin, run
from tests.skills.factories import skill_md

pytestmark = pytest.mark.django_db

FILES = {
    "pdf/SKILL.md": skill_md("pdf"),
    "office/docx/SKILL.md": skill_md("docx"),
    "README.md": "Two skills.\n",
}


def add_version(skill_lids, collection_lid="c", lid="v") -> dict:
    operation = add(
        "skill_collection_versions",
        lid,
        {"files": FILES, "commit_message": "first"},
        skill_collection={"type": "skill_collections", "lid": collection_lid},
    )
    operation["data"]["meta"] = {"skill_lids": skill_lids}
    return operation


def skill(lid: str) -> dict:
    return {"type": "skills", "lid": lid}


def test_one_request_makes_a_collection_its_version_and_a_plugin_of_its_skills(client):
    response = run(
        client,
        add_collection(),
        add_version({"pdf": "s-pdf", "office/docx": "s-docx"}),
        add(
            "skill_plugins", "p", {"name": "doc-tools", "version": "1.0.0"}, skills=[skill("s-pdf")]
        ),
        {
            "op": "add",
            "ref": {"type": "skill_plugins", "lid": "p", "relationship": "skills"},
            "data": [skill("s-docx")],
        },
        {
            "op": "add",
            "data": {
                "type": "skill_marketplaces",
                "attributes": {"name": "market", "owner": {"name": "Acme"}},
                "relationships": {
                    "skill_plugins": {"data": [{"type": "skill_plugins", "lid": "p"}]}
                },
            },
        },
    )
    assert response.status_code == 200, response.json()
    skills = dict(Skill.objects.values_list("path", "pk"))
    assert set(skills) == {"pdf", "office/docx"}
    plugin = SkillPlugin.objects.get()
    linkage = client.get(f"/api/skill_plugins/{plugin.pk}/relationships/skills").json()["data"]
    assert sorted(item["id"] for item in linkage) == sorted(str(pk) for pk in skills.values())
    assert {item["type"] for item in linkage} == {"skills"}
    assert list(SkillMarketplace.objects.get().skill_plugins.all()) == [plugin]


@pytest.mark.parametrize(
    ("skill_lids", "status", "code", "pointer"),
    [
        (["pdf"], 400, "invalid_operation", ""),
        ("s", 400, "invalid_operation", ""),
        ({"pdf": 5}, 400, "invalid_operation", "/pdf"),
        ({"pdf": ""}, 400, "invalid_operation", "/pdf"),
        ({"pdf": "s", "office/docx": "s"}, 400, "duplicate_lid", "/office~1docx"),
        ({"pdf": "s", "docx": "t"}, 422, "unknown_made_key", "/docx"),
        ({"office/pdf": "s"}, 422, "unknown_made_key", "/office~1pdf"),
    ],
)
def test_a_bad_declaration_points_at_it_and_stores_nothing(
    client, skill_lids, status, code, pointer
):
    response = run(client, add_collection(), add_version(skill_lids), add_plugin())
    assert response.status_code == status, response.json()
    [error] = response.json()["errors"]
    assert error["code"] == code
    assert error["source"]["pointer"] == f"/atomic:operations/1/data/meta/skill_lids{pointer}"
    assert_nothing_stored()


def test_a_lid_a_version_gave_cannot_be_given_again(client):
    second = add_version({"pdf": "s"}, lid="v2")
    response = run(client, add_collection(), add_version({"pdf": "s"}), second)
    assert response.status_code == 400, response.json()
    [error] = response.json()["errors"]
    assert error["code"] == "duplicate_lid"
    assert error["source"]["pointer"] == "/atomic:operations/2/data/meta/skill_lids/pdf"
    assert_nothing_stored()


def test_a_version_that_fails_is_its_own_error_not_its_declarations(client):
    version = add_version({"pdf": "s"})
    version["data"]["attributes"]["files"] = {"pdf/SKILL.md": "no frontmatter"}
    response = run(client, add_collection(), version)
    assert response.status_code == 422, response.json()
    pointer = response.json()["errors"][0]["source"]["pointer"]
    assert pointer.startswith("/atomic:operations/1/data/attributes/files")
    assert_nothing_stored()


def test_a_skill_lid_is_unknown_without_its_declaration(client):
    plugin = add_plugin()
    plugin["data"]["relationships"] = {"skills": {"data": [skill("s")]}}
    response = run(client, add_collection(), add_version({}), plugin)
    assert response.status_code == 400, response.json()
    [error] = response.json()["errors"]
    assert error["code"] == "unknown_lid"
    assert error["source"]["pointer"] == "/atomic:operations/2/data/relationships/skills/data/0/lid"
    assert_nothing_stored()


@pytest.mark.parametrize("meta", [{"skill_lids": {"pdf": "s"}}, {"skill_lids": ["not", "an", 1]}])
def test_a_plain_post_ignores_skill_lids_as_any_resource_meta(client, meta):
    collection = client.post(
        "/api/skill_collections",
        {
            "data": {
                "type": "skill_collections",
                "attributes": add_collection()["data"]["attributes"],
            }
        },
    ).json()["data"]
    response = client.post(
        "/api/skill_collection_versions",
        {
            "data": {
                "type": "skill_collection_versions",
                "attributes": {"files": FILES, "commit_message": "first"},
                "relationships": {
                    "skill_collection": {
                        "data": {"type": "skill_collections", "id": collection["id"]}
                    }
                },
                "meta": meta,
            }
        },
    )
    assert response.status_code == 201, response.json()
    assert Skill.objects.count() == 2


def test_the_openapi_document_describes_skill_lids(client):
    document = client.get("/api/openapi.json").json()
    schema = document["components"]["schemas"]["AtomicOperationsDocument"]
    data = schema["properties"]["atomic:operations"]["items"]["properties"]["data"]
    assert "meta.skill_lids" in data["description"]
    assert "skill_collection_versions" in data["description"]


def assert_nothing_stored() -> None:
    assert not SkillCollection.objects.exists()
    assert not SkillCollectionVersion.objects.exists()
    assert not Skill.objects.exists()
    assert not SkillPlugin.objects.exists()
    assert not Event.objects.filter(name__startswith="skill").exists()  # the key's own are older


def test_a_skill_at_the_root_is_named_by_the_empty_path(client):
    version = add_version({"": "s"})
    version["data"]["attributes"]["files"] = {"SKILL.md": skill_md("pdf")}
    plugin = add_plugin()
    plugin["data"]["relationships"] = {"skills": {"data": [skill("s")]}}
    response = run(client, add_collection(root_path="tools/pdf"), version, plugin)
    assert response.status_code == 200, response.json()
    assert list(SkillPlugin.objects.get().skills.values_list("path", flat=True)) == [""]
