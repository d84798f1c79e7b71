"""The crash test on SQLite (the default database): real processes on a database file, since
the SQLite test database of pytest-django lives in this process's memory."""

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.exports.conftest import ROOT
from tests.exports.test_crash_safety import SLOW
from tests.waiting import wait_for

pytestmark = pytest.mark.worker

CREATE = """
from exports.bulk import services
from tests.factories import ApiKeyFactory, MemberFactory
key = ApiKeyFactory()
MemberFactory.create_batch(199, organization=key.organization)
export = services.create_export(key.tenant, key.member, {
    "resource_type": "members", "format": "json", "includes": ["teams"]})
print(export.pk)
"""


@pytest.fixture
def site(tmp_path):
    """A migrated SQLite database file and a media directory, for manage.py processes."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SKILLPORT_VAR_DIR": str(tmp_path),
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    return env, tmp_path


def manage(env, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def worker(env, *args: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--interval", "0.1",
         *args],
        cwd=ROOT,
        env={**env, **extra},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip


def row(tmp_path, export_id: str) -> dict:
    with sqlite3.connect(tmp_path / "db.sqlite3", timeout=20) as database:
        database.row_factory = sqlite3.Row
        found = database.execute(
            "SELECT * FROM exports_export WHERE id = ?", [export_id.replace("-", "")]
        ).fetchone()
    return dict(found)


def test_killed_worker_export_is_completed_by_another_worker_on_sqlite(site):
    env, tmp_path = site
    export_id = manage(env, "shell", "-c", CREATE).strip().splitlines()[-1]
    first = worker(env, **SLOW)
    try:
        wait_for(lambda: row(tmp_path, export_id)["records_exported"] > 0)
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.kill()  # no-op after the SIGKILL; never leave a worker behind on failure
        first.wait(10)
    stuck = row(tmp_path, export_id)
    assert stuck["status"] == "in_progress" and 0 < stuck["records_exported"] < 200
    time.sleep(1.6)  # the lease runs out
    assert "export_leases requeued=1" in manage(env, "scheduler", "--once")
    second = worker(env, "--batch")
    assert second.wait(60) == 0, second.stdout.read()
    done = row(tmp_path, export_id)
    assert (done["status"], done["attempts"], done["records_count"]) == ("completed", 2, 200)
    records = json.loads(gzip.decompress((tmp_path / "media" / done["attachment"]).read_bytes()))
    assert len({record["id"] for record in records}) == len(records) == 200
