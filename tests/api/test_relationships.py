"""Relationship endpoints (`/relationships/<name>`) and related endpoints (`/<name>`)."""

import uuid

import pytest

from tests.factories import MemberFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(organization):
    team = TeamFactory(organization=organization)
    for _ in range(3):
        MemberFactory(organization=organization).teams.add(team)
    return team


def test_to_many_relationship_endpoint(client, team):
    body = client.get(f"/api/teams/{team.pk}/relationships/members").json()
    assert len(body["data"]) == 3
    assert {item["type"] for item in body["data"]} == {"members"}
    assert body["links"]["self"].endswith(f"/api/teams/{team.pk}/relationships/members")


def test_to_one_relationship_endpoint(client, team, organization):
    body = client.get(f"/api/teams/{team.pk}/relationships/organization").json()
    assert body["data"] == {"type": "organizations", "id": str(organization.pk)}


def test_related_to_many_is_a_paginated_collection(client, team):
    body = client.get(f"/api/teams/{team.pk}/members?page[size]=2").json()
    assert len(body["data"]) == 2
    assert body["meta"]["record_count"] == 3
    assert all(item["type"] == "members" for item in body["data"])


def test_related_to_one(client, team, organization):
    body = client.get(f"/api/teams/{team.pk}/organization").json()
    assert body["data"]["id"] == str(organization.pk)
    assert body["data"]["type"] == "organizations"


def test_unknown_relationship_is_404(client, team):
    assert client.get(f"/api/teams/{team.pk}/relationships/nope").status_code == 404
    assert client.get(f"/api/teams/{team.pk}/nope").status_code == 404


def test_relationships_are_read_only_here(client, team):
    response = client.post(f"/api/teams/{team.pk}/relationships/members", {"data": []})
    assert response.status_code == 405


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("sort=name", "sort"),
        ("filter[name]=x", "filter[name]"),
        ("include=nope", "include"),
        ("colour=red", "colour"),
    ],
)
def test_related_endpoint_refuses_list_parameters(client, team, query, parameter):
    response = client.get(f"/api/teams/{team.pk}/members?{query}")
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": parameter}


def test_related_endpoint_include(client, team):
    body = client.get(f"/api/teams/{team.pk}/members?include=teams").json()
    assert {item["type"] for item in body["included"]} == {"teams"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/skill_plugins/{id}/relationships/skills",
        "/api/skill_collections/{id}/relationships/versions",
        "/api/teams/{id}/relationships/members",
    ],
)
def test_options_on_a_relationship_of_an_unknown_id_is_no_server_error(client, path):
    # The renderer named the type from the related instance, which an unknown id has not (#23).
    # OPTIONS is now answered from the route, before the view (tests/api/test_paths_and_options.py).
    response = client.options(path.format(id=uuid.uuid4()))
    assert response.status_code == 204, response.content
    assert "GET" in response["Allow"] and response.content == b""
