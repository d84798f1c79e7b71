import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_key_rate_limit_answers_429_with_retry_after(client, api_key):
    api_key.rate_limit = 3
    api_key.save()
    statuses = [client.get("/api/members").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/members")
    [error] = response.json()["errors"]
    assert error["status"] == "429"
    assert error["code"] == "throttled"
    assert int(response["Retry-After"]) >= 1


def test_limits_are_per_key(client, api_key, other_client):
    api_key.rate_limit = 1
    api_key.save()
    assert client.get("/api/members").status_code == 200
    assert client.get("/api/members").status_code == 429
    assert other_client.get("/api/members").status_code == 200


def test_default_rate_limit_setting_applies_to_keys_without_their_own(client, settings):
    settings.SKILLPORT = {**settings.SKILLPORT, "DEFAULT_RATE_LIMIT": 2}
    assert [client.get("/api/members").status_code for _ in range(3)] == [200, 200, 429]
