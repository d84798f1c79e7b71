"""The Redis task backend (django-tasks-rq, chosen by `REDIS_URL`): exports and webhook
deliveries go through the real Redis at 127.0.0.1:6379 (db 14, flushed) and are run by
`manage.py task_worker`, while their leases and state stay in the database."""

from __future__ import annotations

import gzip
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.events.receiver import Receiver
from tests.exports.test_crash_safety_sqlite import CREATE
from tests.served import manage, sqlite_install

pytestmark = pytest.mark.worker

REDIS_URL = "redis://127.0.0.1:6379/14"

CHANGE_A_TEAM = """
from tests.events.factories import WebhookFactory
from tests.factories import TeamFactory
team = TeamFactory()
WebhookFactory(organization=team.organization, callback_url={url!r})
team.name = "renamed"
team.save()
"""

HEALTH = "from django.test import Client; print(Client().get('/health').content.decode())"


def query(tmp_path: Path, sql: str, *params) -> list[sqlite3.Row]:
    with sqlite3.connect(tmp_path / "skillport.sqlite3", timeout=20) as database:
        database.row_factory = sqlite3.Row
        return database.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def install(tmp_path_factory) -> tuple[dict[str, str], Path]:
    """One migrated SQLite install for the module (migrating is the slow part)."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379: the Redis task backend is not exercised here")
    tmp_path = tmp_path_factory.mktemp("redis")
    env = sqlite_install(tmp_path, REDIS_URL=REDIS_URL, SKILLPORT_WEBHOOKS_ALLOW_PRIVATE="true")
    return env, tmp_path


@pytest.fixture
def site(install) -> Iterator[tuple[dict[str, str], Path, redis.Redis]]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield *install, client
    client.flushdb()


def test_an_export_is_queued_in_redis_and_run_by_the_task_worker(site):
    env, tmp_path, client = site
    export_id = manage(env, "shell", "-c", CREATE).strip().splitlines()[-1]
    assert client.llen("rq:queue:default") == 1
    assert query(tmp_path, "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult")[0][0] == 0
    health = json.loads(manage(env, "shell", "-c", HEALTH).strip().splitlines()[-1])
    assert health["status"] == "ok", health
    assert health["checks"]["task_queue"]["backend"] == "redis"
    assert health["checks"]["task_queue"]["ready"] == 1

    manage(env, "task_worker", "--burst")

    (done,) = query(
        tmp_path, "SELECT * FROM exports_export WHERE id = ?", export_id.replace("-", "")
    )
    assert (done["status"], done["records_count"], done["attempts"]) == ("completed", 200, 1)
    records = json.loads(gzip.decompress((tmp_path / "media" / done["attachment"]).read_bytes()))
    assert len({record["id"] for record in records}) == 200
    assert client.llen("rq:queue:default") == 0


def test_a_webhook_delivery_is_queued_in_redis_and_delivered_by_the_task_worker(site):
    env, tmp_path, client = site
    receiver = Receiver().start()
    try:
        manage(env, "shell", "-c", CHANGE_A_TEAM.format(url=receiver.url))
        assert client.llen("rq:queue:default") == 1

        manage(env, "task_worker", "--burst")

        assert len(receiver.requests) == 1
        body = json.loads(receiver.requests[0].body)
        assert body["meta"]["event"]["name"] == "teams.update"
        assert body["data"]["attributes"]["name"] == "renamed"
        (delivery,) = query(tmp_path, "SELECT * FROM events_webhookdelivery")
        assert delivery["status"] == "delivered"
        assert receiver.requests[0].headers["Webhook-Id"] == str(uuid.UUID(delivery["id"]))
    finally:
        receiver.stop()
