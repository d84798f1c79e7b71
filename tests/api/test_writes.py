"""POST answers 201 + Location, PATCH updates, DELETE answers 204 (base viewset behaviour)."""

import pytest

from organizations.models import Team
from tests.factories import TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.urls")]


def test_post_answers_201_with_location(client, organization):
    response = client.post(
        "/test-api/teams", {"data": {"type": "teams", "attributes": {"name": "A", "slug": "a"}}}
    )
    assert response.status_code == 201
    body = response.json()["data"]
    assert response["Location"] == body["links"]["self"]
    assert Team.objects.get(pk=body["id"]).organization == organization


def test_patch_and_delete(client, organization):
    team = TeamFactory(organization=organization)
    response = client.patch(
        f"/test-api/teams/{team.pk}",
        {"data": {"type": "teams", "id": str(team.pk), "attributes": {"name": "Renamed"}}},
    )
    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["name"] == "Renamed"
    response = client.delete(f"/test-api/teams/{team.pk}")
    assert response.status_code == 204
    assert not Team.objects.filter(pk=team.pk).exists()


def test_other_organization_cannot_patch_or_delete(client, other_api_key):
    team = TeamFactory(organization=other_api_key.organization)
    patch = client.patch(
        f"/test-api/teams/{team.pk}",
        {"data": {"type": "teams", "id": str(team.pk), "attributes": {"name": "x"}}},
    )
    assert patch.status_code == 404
    assert client.delete(f"/test-api/teams/{team.pk}").status_code == 404
    assert Team.objects.filter(pk=team.pk, name=team.name).exists()
