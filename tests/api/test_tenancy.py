"""Another organization's resources are 404 everywhere: detail, relationships, related, include."""

import pytest

from tests.factories import MemberFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign(other_api_key):
    team = TeamFactory(organization=other_api_key.organization)
    member = MemberFactory(organization=other_api_key.organization)
    member.teams.add(team)
    return {"organizations": other_api_key.organization, "teams": team, "members": member}


def test_lists_show_only_own_organization(client, organization, foreign):
    for type_name in ("organizations", "teams", "members"):
        body = client.get(f"/api/{type_name}?page[size]=100").json()
        assert all(item["meta"]["organization_id"] == str(organization.pk) for item in body["data"])
        assert str(foreign[type_name].pk) not in {item["id"] for item in body["data"]}


@pytest.mark.parametrize("type_name", ["organizations", "teams", "members"])
@pytest.mark.parametrize(
    "suffix", ["", "/relationships/organization", "/organization", "/relationships/teams", "/teams"]
)
def test_foreign_resources_are_404(client, foreign, type_name, suffix):
    response = client.get(f"/api/{type_name}/{foreign[type_name].pk}{suffix}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["status"] == "404"


def test_filtering_by_foreign_id_finds_nothing(client, foreign):
    response = client.get(f"/api/members?filter[id]={foreign['members'].pk}")
    assert response.json()["data"] == []


def test_include_never_leaks(client, organization, foreign):
    body = client.get("/api/organizations?include=members.teams,teams").json()
    organization_ids = {item["meta"]["organization_id"] for item in body.get("included", [])}
    assert organization_ids <= {str(organization.pk)}
