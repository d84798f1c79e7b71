import pytest
from django.core.management import call_command

from organizations.models import ApiKey, Organization

pytestmark = pytest.mark.django_db


def test_bearer_header_authenticates(client, organization):
    response = client.get("/api/organizations")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["data"]] == [str(organization.pk)]


def test_x_api_key_header_authenticates(anonymous_client, api_key):
    response = anonymous_client.get("/api/organizations", HTTP_X_API_KEY=api_key.raw_key)
    assert response.status_code == 200


def test_missing_key_is_401_with_json_api_error(anonymous_client):
    response = anonymous_client.get("/api/organizations")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/vnd.api+json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    [error] = response.json()["errors"]
    assert error["status"] == "401"
    assert error["code"] == "not_authenticated"
    assert error["title"] == "Unauthorized"


def test_wrong_key_is_401(anonymous_client, api_key):
    response = anonymous_client.get(
        "/api/organizations", HTTP_AUTHORIZATION=f"Bearer {api_key.raw_key}x"
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "authentication_failed"


def test_revoked_key_is_401(client, api_key):
    api_key.revoke()
    response = client.get("/api/organizations")
    assert response.status_code == 401


def test_key_is_stored_hashed_and_last_use_recorded(client, api_key):
    assert api_key.raw_key not in api_key.key_hash
    assert api_key.last_used_at is None
    client.get("/api/organizations")
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_mode_is_echoed_in_meta(db):
    from tests.conftest import JsonApiClient
    from tests.factories import ApiKeyFactory

    live_key = ApiKeyFactory(mode="live")
    response = JsonApiClient(live_key).get("/api/organizations")
    assert response.json()["data"][0]["meta"]["mode"] == "live"


def test_create_api_key_command_prints_key_last_and_creates_org(capsys):
    call_command(
        "create_api_key",
        "--organization",
        "acme",
        "--mode",
        "live",
        "--member-email",
        "ops@acme.test",
    )
    raw_key = capsys.readouterr().out.strip().splitlines()[-1]
    assert raw_key.startswith("sk_live_")
    organization = Organization.objects.get(slug="acme")
    key = ApiKey.objects.get(organization=organization)
    assert key.member.email == "ops@acme.test"
    assert key.mode == "live"

    from tests.conftest import JsonApiClient

    anonymous = JsonApiClient()
    response = anonymous.get("/api/members", HTTP_X_API_KEY=raw_key)
    assert [m["attributes"]["email"] for m in response.json()["data"]] == ["ops@acme.test"]
