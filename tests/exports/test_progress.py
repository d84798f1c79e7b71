"""`records_exported` advances while an export runs (at least once per chunk), with the real
worker in its own process and the default lease, so clients can show progress."""

import time

import pytest

from exports.models import Export
from tests.exports.conftest import requires_postgres, worker_process
from tests.exports.test_crash_safety import start_export
from tests.exports.test_crash_safety_sqlite import CREATE, manage, row, site, worker  # noqa: F401
from tests.factories import MemberFactory

pytestmark = pytest.mark.worker

# Small chunks with a pause between them; the lease (and so the heartbeat) stays the default.
CHUNKED = {
    "SKILLPORT_EXPORT_CHUNK_SIZE": "20",
    "SKILLPORT_EXPORT_CHUNK_PAUSE": "0.3",
    "SKILLPORT_JOB_LEASE_SECONDS": "60",
}


def watch(read, timeout: float = 60.0) -> tuple[set[int], dict]:
    """Poll `read()` (status, records_exported, ...) until the export leaves in_progress;
    return the progress figures seen while it ran and the final row."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = read()
        if current["status"] == "in_progress":
            seen.add(current["records_exported"])
        elif current["status"] != "pending":
            return seen, current
        time.sleep(0.05)
    raise AssertionError("the export did not finish")


def assert_progress(seen: set[int], final: dict, total: int) -> None:
    assert final["status"] == "completed"
    assert final["records_exported"] == final["records_count"] == total
    intermediate = {value for value in seen if 0 < value < total}
    assert intermediate, f"no intermediate progress seen: {sorted(seen)}"
    assert all(value % 20 == 0 for value in intermediate)  # written once per chunk


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_records_exported_advances_per_chunk_on_postgresql(client, organization, media_root):
    MemberFactory.create_batch(99, organization=organization)
    export = start_export(client)
    process = worker_process(media_root, "--batch", **CHUNKED)
    try:
        seen, final = watch(
            lambda: Export.objects.values("status", "records_exported", "records_count").get(
                pk=export.pk
            )
        )
        assert process.wait(30) == 0, process.stdout.read()
    finally:
        process.kill()
    assert_progress(seen, final, 100)


def test_records_exported_advances_per_chunk_on_sqlite(site):  # noqa: F811
    env, tmp_path = site
    export_id = manage(env, "shell", "-c", CREATE).strip().splitlines()[-1]
    process = worker(env, "--batch", **CHUNKED)
    try:
        seen, final = watch(lambda: row(tmp_path, export_id))
        assert process.wait(30) == 0, process.stdout.read()
    finally:
        process.kill()
    assert_progress(seen, final, 200)
