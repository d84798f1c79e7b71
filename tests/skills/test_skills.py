import pytest

from tests.skills.factories import SkillCollectionFactory, create_version, skill_files, skill_md

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


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("Read, Bash", ["Read", "Bash"]),  # commas tolerated (Claude Code's spelling)
        ("Read Grep  Glob", ["Read", "Grep", "Glob"]),  # the spec: space-separated
        ("Bash(git add:*), Read", ["Bash(git add:*)", "Read"]),  # spaces inside arguments
        ("\n  - Read\n  - 'Bash(jq:*)'\n", ["Read", "Bash(jq:*)"]),  # a YAML list
    ],
)
def test_allowed_tools_follow_the_agent_skills_format(client, organization, declared, expected):
    collection = SkillCollectionFactory(organization=organization)
    create_version(
        collection, {"alpha/SKILL.md": skill_md("alpha", extra=f"allowed-tools: {declared}\n")}
    )
    skill = client.get("/api/skills?filter[name]=alpha").json()["data"][0]
    assert skill["attributes"]["allowed_tools"] == expected
