import pytest

from tests.factories import MemberFactory, TeamFactory

pytestmark = pytest.mark.django_db


def test_include_to_one_and_to_many(client, organization):
    team = TeamFactory(organization=organization)
    member = MemberFactory(organization=organization)
    member.teams.add(team)
    body = client.get(f"/api/members/{member.pk}?include=organization,teams").json()
    included = {(item["type"], item["id"]) for item in body["included"]}
    assert included == {("organizations", str(organization.pk)), ("teams", str(team.pk))}
    assert body["data"]["relationships"]["teams"]["data"] == [{"type": "teams", "id": str(team.pk)}]


def test_nested_include_path(client, organization):
    team = TeamFactory(organization=organization)
    client.api_key.member.teams.add(team)
    body = client.get("/api/organizations?include=members.teams").json()
    types = {item["type"] for item in body["included"]}
    assert types == {"members", "teams"}


@pytest.mark.parametrize("include", ["nope", "members.nope", "teams,bogus"])
def test_unknown_include_is_400(client, include):
    response = client.get(f"/api/organizations?include={include}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": "include"}


def test_an_include_path_named_twice_is_included_once(client, organization):
    # Found by tests/api/test_openapi_conformance.py: the second mention was walked one
    # level down, where the name means another relationship (a 500).
    from tests.skills.factories import SkillCollectionFactory, create_version

    collection = SkillCollectionFactory(organization=organization)
    create_version(collection)
    response = client.get(
        f"/api/skill_collections/{collection.pk}?include=versions,current_version,versions"
    )
    assert response.status_code == 200, response.content[:500]
    included = [(item["type"], item["id"]) for item in response.json()["included"]]
    assert len(included) == len(set(included)) == 1
