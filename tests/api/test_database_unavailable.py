"""A database that goes away for a moment (a restart, a failover; `make load FAULTS=1` restarts
PostgreSQL under load): requests meanwhile get a JSON:API 503 with `Retry-After`, never a 500,
`/health` says which part failed, and the first request after it does not fail on the dead kept
connection."""

from __future__ import annotations

import psycopg
import pytest
from django.core.signals import request_started
from django.db import connection
from django.test import Client

from tests.served import free_port


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
