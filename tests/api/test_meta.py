"""Resource object shape: id, type, links.self, relationships links, meta; X-Request-Id."""

import uuid

import pytest

pytestmark = pytest.mark.django_db


def test_resource_object_shape(client, organization):
    response = client.get(f"/api/organizations/{organization.pk}")
    data = response.json()["data"]
    assert data["type"] == "organizations"
    assert uuid.UUID(data["id"])
    assert data["links"]["self"] == f"http://testserver/api/organizations/{organization.pk}"
    for relationship in data["relationships"].values():
        assert set(relationship["links"]) == {"self", "related"}
    assert data["meta"] == {
        "mode": "test",
        "organization_id": str(organization.pk),
        "trace_id": response["X-Request-Id"],
    }


def test_client_request_id_is_kept(client):
    response = client.get("/api/members", HTTP_X_REQUEST_ID="trace-abc.123")
    assert response["X-Request-Id"] == "trace-abc.123"
    assert response.json()["data"][0]["meta"]["trace_id"] == "trace-abc.123"


def test_unsafe_request_id_is_replaced(client):
    response = client.get("/api/members", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-Id"] != "bad id\nwith newline"
    assert len(response["X-Request-Id"]) == 32


def test_errors_carry_request_id_too(anonymous_client):
    response = anonymous_client.get("/api/members")
    assert response.status_code == 401
    assert response["X-Request-Id"]


def test_links_follow_the_urlconf_in_use(client, organization, settings):
    """Memoised link templates must not outlive a URLconf change (tests switch URLconfs)."""
    from tests.factories import TeamFactory

    team = TeamFactory(organization=organization)
    settings.ROOT_URLCONF = "tests.api.urls"
    under_test_urls = client.get(f"/test-api/teams/{team.pk}").json()["data"]["links"]["self"]
    assert under_test_urls == f"http://testserver/test-api/teams/{team.pk}"
    settings.ROOT_URLCONF = "config.urls"
    link = client.get(f"/api/teams/{team.pk}").json()["data"]["links"]["self"]
    assert link == f"http://testserver/api/teams/{team.pk}"
