"""Per-key rate limits: 429 with Retry-After beyond the limit, RateLimit-* headers, and one count
shared by every process (database by default, Redis when configured)."""

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from organizations.models import RateLimitCounter
from organizations.ratelimit import WINDOW_SECONDS
from tests.exports.conftest import process_env, requires_postgres
from tests.factories import ApiKeyFactory
from tests.served import get, gunicorn, manage, reachable, sqlite_install

pytestmark = pytest.mark.django_db


def test_key_rate_limit_answers_429_with_retry_after(client, api_key):
    api_key.rate_limit = 3
    api_key.save()
    statuses = [client.get("/api/members").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/members")
    [error] = response.json()["errors"]
    assert error["status"] == "429"
    assert error["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= WINDOW_SECONDS


def test_limited_responses_carry_ratelimit_headers(client, api_key):
    api_key.rate_limit = 2
    api_key.save()
    first, second, third = (client.get("/api/members") for _ in range(3))
    assert [r["RateLimit-Remaining"] for r in (first, second, third)] == ["1", "0", "0"]
    assert {r["RateLimit-Limit"] for r in (first, second, third)} == {"2"}
    assert 1 <= int(third["RateLimit-Reset"]) <= WINDOW_SECONDS
    assert third.status_code == 429
    assert third["Retry-After"] == third["RateLimit-Reset"]


def test_unlimited_keys_get_no_ratelimit_headers_and_no_counter(client):
    response = client.get("/api/members")
    assert response.status_code == 200
    assert "RateLimit-Limit" not in response
    assert not RateLimitCounter.objects.exists()


def test_failed_requests_count_too(client, api_key):
    # Error responses roll the request's transaction back; the count must survive that.
    api_key.rate_limit = 2
    api_key.save()
    assert client.get("/api/members?sort=shoe_size").status_code == 400
    assert client.get("/api/members/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/api/members").status_code == 429


def test_limits_are_per_key(client, api_key, other_client):
    api_key.rate_limit = 1
    api_key.save()
    assert client.get("/api/members").status_code == 200
    assert client.get("/api/members").status_code == 429
    assert other_client.get("/api/members").status_code == 200


def test_default_rate_limit_setting_applies_to_keys_without_their_own(client, settings):
    settings.SKILLPORT = {**settings.SKILLPORT, "DEFAULT_RATE_LIMIT": 2}
    assert [client.get("/api/members").status_code for _ in range(3)] == [200, 200, 429]


def test_old_windows_are_deleted_when_a_new_window_starts(client, api_key):
    api_key.rate_limit = 5
    api_key.save()
    now = int(time.time())
    RateLimitCounter.objects.create(ident="gone", window_start=now - 3600, hits=9)
    RateLimitCounter.objects.create(ident=str(api_key.pk), window_start=now - 120, hits=5)
    assert client.get("/api/members").status_code == 200
    assert list(RateLimitCounter.objects.values_list("ident", "hits")) == [(str(api_key.pk), 1)]


# -- several processes share one count ------------------------------------------------------


def wait_for_a_fresh_window(needed: float = 10.0) -> None:
    """Requests of one test must fall in one window."""
    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < needed:
        time.sleep(left + 0.5)


def hammer(urls: list[str], raw_key: str, total: int) -> list[tuple[int, dict]]:
    """`total` concurrent requests spread over the servers at `urls`."""

    def one(index: int) -> tuple[int, dict]:
        status, headers, _ = get(
            f"{urls[index % len(urls)]}/api/members", Authorization=f"Bearer {raw_key}"
        )
        return status, headers

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(total)))


def assert_exactly_limit_pass(env: dict[str, str], raw_key: str, limit: int) -> None:
    # Two servers of one worker each: every other request is served by another process.
    with gunicorn(env) as first, gunicorn(env) as second:
        wait_for_a_fresh_window()
        results = hammer([first, second], raw_key, 20)
    statuses = [status for status, _ in results]
    assert statuses.count(200) == limit, statuses
    assert statuses.count(429) == 20 - limit, statuses
    for status, headers in results:
        assert headers["RateLimit-Limit"] == str(limit)
        if status == 429:
            assert 1 <= int(headers["Retry-After"]) <= WINDOW_SECONDS


@pytest.fixture(scope="module")
def sqlite_served(tmp_path_factory):
    # One install for the SQLite and Redis runs (they count in different stores).
    env = sqlite_install(tmp_path_factory.mktemp("install"), SKILLPORT_DEFAULT_RATE_LIMIT="5")
    raw_key = manage(env, "create_api_key", "--organization", "acme").strip().splitlines()[-1]
    return env, raw_key


def key_pk(env: dict[str, str]) -> str:
    code = "from organizations.models import ApiKey; print(ApiKey.objects.get().pk)"
    return manage(env, "shell", "-v0", "-c", code).strip()


def test_two_processes_on_sqlite_let_exactly_the_limit_through(sqlite_served):
    env, raw_key = sqlite_served
    assert_exactly_limit_pass(env, raw_key, 5)
    code = "from organizations.models import RateLimitCounter as C; print(C.objects.get().hits)"
    assert manage(env, "shell", "-v0", "-c", code).strip() == "20"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_processes_on_postgresql_let_exactly_the_limit_through(tmp_path):
    key = ApiKeyFactory(rate_limit=5)
    env = process_env(tmp_path / "media", SKILLPORT_VAR_DIR=str(tmp_path / "var"))
    env.pop("REDIS_URL", None)
    assert_exactly_limit_pass(env, key.raw_key, 5)
    assert RateLimitCounter.objects.get(ident=str(key.pk)).hits == 20


REDIS_URL = os.environ.get("SKILLPORT_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.mark.skipif(
    not reachable("127.0.0.1", 6379),
    reason="no Redis at 127.0.0.1:6379: the Redis rate-limit store is not tested",
)
def test_two_processes_on_redis_let_exactly_the_limit_through(sqlite_served):
    import redis

    env, raw_key = sqlite_served
    assert_exactly_limit_pass({**env, "REDIS_URL": REDIS_URL}, raw_key, 5)
    # Counted in Redis (one key per API key and window, expiring), not in the database.
    client = redis.Redis.from_url(REDIS_URL)
    [counter] = client.keys(f"skillport:*:ratelimit:{key_pk(env)}:*")
    assert int(client.get(counter)) == 20
    assert 0 < client.ttl(counter) <= WINDOW_SECONDS + 5
    client.delete(counter)
