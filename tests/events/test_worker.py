"""The real `db_worker` process delivers, and a worker killed mid-delivery loses nothing.

These tests share the test database with a subprocess, so they need PostgreSQL (an in-memory
SQLite database is private to this process); they are skipped on SQLite.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from events.models import EventCallback, WebhookDelivery
from tests.events.factories import WebhookFactory
from tests.factories import TeamFactory
from tests.waiting import wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the worker process needs a shared database"
    ),
]

ROOT = Path(__file__).resolve().parents[2]


def _worker(*extra: str) -> subprocess.Popen:
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SKILLPORT_WEBHOOKS_ALLOW_PRIVATE": "true",
        "SKILLPORT_WEBHOOKS_LEASE_SECONDS": "1",
    }
    command = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "-v0", *extra]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def test_worker_delivers_what_the_change_enqueued(receiver, organization):
    WebhookFactory(organization=organization, callback_url=receiver.url)
    team = TeamFactory(organization=organization)
    team.name = "renamed"
    team.save()  # commits: the delivery task is enqueued on commit
    worker = _worker("--batch")
    assert worker.wait(timeout=60) == 0
    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    assert EventCallback.objects.get().response_code == 200


def test_worker_killed_mid_delivery_does_not_lose_it(receiver, organization):
    receiver.hold = threading.Event()
    WebhookFactory(organization=organization, callback_url=receiver.url)
    team = TeamFactory(organization=organization)
    team.name = "renamed"
    team.save()
    worker = _worker()
    try:
        assert receiver.arrived.wait(30)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    receiver.hold.set()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.leased_until is not None  # held by the dead worker...

    time.sleep(1.2)  # ...until its lease runs out
    call_command("deliver_webhooks", stdout=open("/dev/null", "w"))  # noqa: SIM115
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    wait_for(lambda: len(receiver.requests) == 2)
    assert len({r.headers["Webhook-Id"] for r in receiver.requests}) == 1
