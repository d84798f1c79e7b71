"""Real worker processes: a SIGKILLed worker never leaves an export stuck, and two workers
never run the same export."""

import os
import signal
import time

import pytest
from django_tasks_db.models import DBTaskResult

from core.jobs import leases as jobs
from exports.models import Export
from exports.tasks import run_export
from tests.exports.conftest import manage, read_export_file, requires_postgres, worker_process
from tests.exports.factories import ExportFactory
from tests.factories import MemberFactory
from tests.waiting import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

SLOW = {
    "SKILLPORT_EXPORT_CHUNK_SIZE": "20",
    "SKILLPORT_EXPORT_CHUNK_PAUSE": "0.1",
    "SKILLPORT_JOB_LEASE_SECONDS": "1.5",
}


def start_export(client) -> Export:
    response = client.post(
        "/api/exports",
        {"data": {"type": "exports", "attributes": {"resource_type": "members", "format": "csv"}}},
    )
    assert response.status_code == 201
    return Export.objects.get(pk=response.json()["data"]["id"])


def kill_mid_export(export: Export, media_root) -> None:
    worker = worker_process(media_root, **SLOW)
    try:
        running = wait_for(
            lambda: Export.objects.filter(
                pk=export.pk, status="in_progress", records_exported__gt=0
            ).first()
        )
        assert running.lease_expires_at is not None
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.kill()  # no-op after the SIGKILL; never leave a worker behind on failure
        worker.wait(10)
    progress = Export.objects.get(pk=export.pk).records_exported
    assert 0 < progress < 200  # killed mid-export, with a live progress figure
    time.sleep(1.6)  # the lease runs out
    assert Export.objects.get(pk=export.pk).status == "in_progress"


@requires_postgres
def test_killed_worker_export_is_completed_by_another_worker(client, organization, media_root):
    MemberFactory.create_batch(199, organization=organization)
    export = start_export(client)
    kill_mid_export(export, media_root)
    sweep = manage(media_root, "scheduler", "--once", "--only", "export_leases")
    assert "requeued=1" in sweep.stdout
    second = worker_process(media_root, "--batch")
    assert second.wait(60) == 0, second.stdout.read()
    export.refresh_from_db()
    assert export.status == "completed"
    assert export.attempts == 2
    assert export.records_count == 200
    data = client.get(f"/api/exports/{export.pk}").json()["data"]
    rows = read_export_file(client, data)
    assert len({row["id"] for row in rows}) == len(rows) == 200


@requires_postgres
def test_killed_worker_export_is_interrupted_after_last_attempt(
    client, organization, media_root, settings
):
    settings.SKILLPORT = {**settings.SKILLPORT, "JOB_MAX_ATTEMPTS": 1}
    MemberFactory.create_batch(199, organization=organization)
    export = start_export(client)
    kill_mid_export(export, media_root)
    # The scheduler's lease recovery (its `export_leases` job).
    assert jobs.sweep_leases(Export) == {"requeued": 0, "failed": 1}
    export.refresh_from_db()
    assert export.status == "interrupted"
    assert export.interrupted_at is not None
    assert list(export.errors_log) == ["WorkerLost"]
    assert "stopped responding" in export.errors_log["WorkerLost"]


@requires_postgres
def test_two_workers_never_run_the_same_export(organization, media_root):
    MemberFactory.create_batch(99, organization=organization)
    export = ExportFactory(organization=organization, created_by=None)
    for _ in range(4):  # the same export enqueued several times
        run_export.enqueue(str(export.pk))
    workers = [worker_process(media_root, "--batch", **SLOW) for _ in range(2)]
    for worker in workers:
        assert worker.wait(60) == 0, worker.stdout.read()
    export.refresh_from_db()
    assert export.status == "completed"
    assert export.attempts == 1
    assert export.records_count == 100
    results = DBTaskResult.objects.filter(args_kwargs__args=[str(export.pk)])
    assert sorted(result.return_value for result in results) == ["done", *["skipped"] * 3]


def test_claim_is_exclusive(organization):
    export = ExportFactory(organization=organization)
    first = jobs.claim(Export, export.pk, "worker-a")
    assert first is not None and first.lease_owner == "worker-a"
    assert jobs.claim(Export, export.pk, "worker-b") is None
    Export.objects.filter(pk=export.pk).update(lease_expires_at="2000-01-01T00:00:00Z")
    taken_over = jobs.claim(Export, export.pk, "worker-b")
    assert taken_over.lease_owner == "worker-b" and taken_over.attempts == 2
    assert not jobs.finish(first, status="completed")  # the old owner can no longer write
    assert jobs.finish(taken_over, status="completed")


@requires_postgres
def test_interrupting_a_running_export_stops_its_worker(client, organization, media_root):
    from exports.bulk import services

    MemberFactory.create_batch(199, organization=organization)
    export = start_export(client)
    worker = worker_process(media_root, "--batch", **SLOW)
    try:
        wait_for(
            lambda: Export.objects.filter(
                pk=export.pk, status="in_progress", records_exported__gt=0
            ).exists()
        )
        assert services.interrupt_export(export, "Stopped by a test.")
        assert worker.wait(30) == 0, worker.stdout.read()
    finally:
        worker.kill()
    export.refresh_from_db()
    assert export.status == "interrupted"
    assert export.errors_log == {"Interrupted": "Stopped by a test."}
    assert export.attachment == "" and export.completed_at is None
    [result] = DBTaskResult.objects.filter(args_kwargs__args=[str(export.pk)])
    assert result.return_value == "lost"
    assert not list(media_root.rglob("*.gz"))


@requires_postgres
def test_a_worker_stopped_twice_hands_its_export_back(client, organization, media_root):
    MemberFactory.create_batch(199, organization=organization)
    export = start_export(client)
    worker = worker_process(media_root, **SLOW)
    try:
        wait_for(
            lambda: Export.objects.filter(
                pk=export.pk, status="in_progress", records_exported__gt=0
            ).exists()
        )
        worker.send_signal(signal.SIGTERM)  # graceful: would finish the task...
        time.sleep(0.2)
        worker.send_signal(signal.SIGTERM)  # ...the second one stops it now
        worker.wait(30)  # (the worker records the task as failed and exits)
    finally:
        worker.kill()
    export.refresh_from_db()
    assert export.status == "pending" and export.lease_owner == ""
    assert DBTaskResult.objects.ready().filter(args_kwargs__args=[str(export.pk)]).count() == 1
    second = worker_process(media_root, "--batch")
    assert second.wait(60) == 0, second.stdout.read()
    export.refresh_from_db()
    assert export.status == "completed" and export.records_count == 200
