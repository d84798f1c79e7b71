"""A database that goes away for a moment (a restart, a failover; `make load FAULTS=1` restarts
PostgreSQL under load): requests meanwhile get a JSON:API 503 with `Retry-After`, never a 500,
`/health` says which part failed, and the first request after it does not fail on the dead kept
connection."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest
from django.core.signals import request_started
from django.db import connection
from django.test import Client

from tests.served import ROOT, free_port
from tests.waiting import wait_for


@pytest.fixture
def unreachable_database():
    """The default connection pointed at a server that does not answer, then restored."""
    if connection.vendor != "postgresql":
        pytest.skip("the SQLite test database lives in memory; it cannot go away")
    connection.close()
    saved = dict(connection.settings_dict)
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("unreachable_database")
def test_a_request_while_the_database_is_unreachable_is_a_503_to_retry():
    response = Client(raise_request_exception=False).get("/api/skill_collections")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/vnd.api+json")
    assert response["Retry-After"] == "5"
    [error] = response.json()["errors"]
    assert error["status"] == "503"
    assert error["code"] == "database_unavailable"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("unreachable_database")
def test_health_names_the_database_when_it_is_unreachable():
    response = Client(raise_request_exception=False).get("/health")

    assert response.status_code == 503
    document = response.json()
    assert document["status"] == "error"
    assert document["checks"]["database"]["status"] == "error"
    assert "OperationalError" in document["checks"]["database"]["detail"]
    assert document["checks"]["storage"]["status"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_a_connection_cut_by_a_database_restart_is_replaced_at_the_next_request():
    if connection.vendor != "postgresql":
        pytest.skip("kept connections and their health checks are a PostgreSQL matter here")
    connection.ensure_connection()
    backend = connection.connection.info.backend_pid
    # What a restart does to every kept connection: the server ends it.
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [backend])

    request_started.send(sender=None)  # every request starts by vetting kept connections
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != backend


def maintenance() -> psycopg.Connection:
    """A connection to the server's `postgres` database (a database cannot close itself)."""
    params = {**connection.get_connection_params(), "dbname": "postgres"}
    return psycopg.connect(**params, autocommit=True)


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_outlives_the_end_of_its_database_connection(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("ending another process's connection needs a server database")
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    out = tmp_path / "out.txt"
    # Not unbuffered: each pass's line must reach a pipe or file at once anyway.
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SKILLPORT_SWEEP_INTERVAL": "0.2",
        "SKILLPORT_WEBHOOK_SWEEP_INTERVAL": "0.2",
    }
    with out.open("w") as stdout:
        scheduler = subprocess.Popen(
            [sys.executable, "manage.py", "scheduler"],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=subprocess.STDOUT,
        )
    name = connection.ops.quote_name(database["NAME"])
    try:
        lines = lambda: out.read_text().splitlines()  # noqa: E731
        failed = lambda: out.read_text().count("database unavailable")  # noqa: E731
        # A first pass: every job ran (the webhook re-enqueue is the last of the table).
        wait_for(lambda: "webhooks deliveries_enqueued=" in out.read_text(), describe=out.read_text)
        # A database that refuses connections for a while, as during a restart: the scheduler's
        # kept connection ends and its next passes cannot connect.
        connection.ensure_connection()
        with maintenance() as admin:
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> %s",
                [database["NAME"], connection.connection.info.backend_pid],
            )
        wait_for(lambda: failed() >= 2 or scheduler.poll() is not None, describe=out.read_text)
        assert scheduler.poll() is None, out.read_text()
        with maintenance() as admin:
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        before = len(lines())
        # A pass after the outage succeeds again: its summary line comes last.
        wait_for(
            lambda: len(lines()) > before and "database unavailable" not in lines()[-1],
            describe=out.read_text,
        )
        assert scheduler.poll() is None, out.read_text()
    finally:
        with maintenance() as admin:
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        scheduler.terminate()
        scheduler.wait(30)
