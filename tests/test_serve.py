"""The supervised process layout of `make serve` (config/supervisord.conf): the real supervisord
with web, task worker and scheduler on a random port; a task worker killed in the middle of an
export is started again, and the export still completes."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.exports.test_crash_safety import SLOW
from tests.exports.test_crash_safety_sqlite import CREATE
from tests.served import ROOT, free_port, get, manage, reachable, sqlite_install
from tests.waiting import wait_for

pytestmark = pytest.mark.worker

SUPERVISORD = [sys.executable, "-m", "supervisor.supervisord", "-c", "config/supervisord.conf"]
SUPERVISORCTL = [sys.executable, "-m", "supervisor.supervisorctl", "-c", "config/supervisord.conf"]


def supervisorctl(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*SUPERVISORCTL, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    return done.stdout


def pid(env: dict[str, str], program: str) -> int:
    """The running pid of `program`, 0 while it is not running."""
    return int(supervisorctl(env, "pid", program).strip() or 0)


def row(tmp_path: Path, export_id: str) -> dict:
    with sqlite3.connect(tmp_path / "skillport.sqlite3", timeout=20) as database:
        database.row_factory = sqlite3.Row
        found = database.execute(
            "SELECT * FROM exports_export WHERE id = ?", [export_id.replace("-", "")]
        ).fetchone()
    return dict(found)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path, str]]:
    """supervisord running config/supervisord.conf on a temporary SQLite install."""
    port = free_port()
    env = sqlite_install(
        tmp_path,
        **{
            **SLOW,
            # about 5 s of export, so the kill lands mid-export even on a loaded machine
            "SKILLPORT_EXPORT_CHUNK_PAUSE": "0.5",
        },
        SKILLPORT_ROOT=str(ROOT),
        SKILLPORT_PYTHON=sys.executable,
        PORT=str(port),
        WEB_CONCURRENCY="1",
        SKILLPORT_SWEEP_INTERVAL="0.5",
        SKILLPORT_WEBHOOK_SWEEP_INTERVAL="5",
    )
    (tmp_path / "var" / "log").mkdir(parents=True, exist_ok=True)
    with (tmp_path / "supervisord.out").open("wb") as out:
        process = subprocess.Popen(
            SUPERVISORD, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            wait_for(lambda: reachable("127.0.0.1", port) or process.poll() is not None, 60)
            assert process.poll() is None, (tmp_path / "supervisord.out").read_text()
            wait_for(lambda: all(pid(env, name) for name in ("worker", "scheduler")), 30)
            yield env, tmp_path, f"http://127.0.0.1:{port}"
        finally:
            process.send_signal(signal.SIGINT)  # what Ctrl-C on `make serve` sends
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
    # Ctrl-C stopped every supervised process with supervisord.
    log = (tmp_path / "supervisord.out").read_text()
    for name in ("web", "worker", "scheduler"):
        assert f"stopped: {name}" in log, log[-2000:]


def seen(env: dict[str, str], tmp_path: Path, export_id: str) -> str:
    """What a timed-out wait last saw: the export row, the processes and the logs' tails."""
    found = row(tmp_path, export_id)
    fields = ("status", "attempts", "records_exported", "lease_owner", "lease_expires_at")
    logs = [tmp_path / "supervisord.out", tmp_path / "var" / "log" / "scheduler.log"]
    tails = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs if log.exists())
    return f"{ {name: found[name] for name in fields} }\n{supervisorctl(env, 'status')}\n{tails}"


def test_a_killed_task_worker_is_restarted_and_its_export_completes(stack):
    env, tmp_path, url = stack
    assert get(f"{url}/health")[0] == 200
    status = supervisorctl(env, "status")
    for name in ("web", "worker", "scheduler"):
        assert f"{name} " in status and "RUNNING" in status.split(name, 1)[1].splitlines()[0]

    export_id = manage(env, "shell", "-c", CREATE).strip().splitlines()[-1]
    first = pid(env, "worker")
    wait_for(lambda: row(tmp_path, export_id)["records_exported"] > 0)
    os.kill(first, signal.SIGKILL)
    killed = row(tmp_path, export_id)
    assert killed["status"] == "in_progress" and killed["records_exported"] < 200, killed

    second = wait_for(lambda: pid(env, "worker") not in (0, first) and pid(env, "worker"), 30)
    assert second != first
    done = wait_for(
        lambda: (found := row(tmp_path, export_id))["status"] == "completed" and found,
        describe=lambda: seen(env, tmp_path, export_id),
    )
    assert (done["attempts"], done["records_count"]) == (2, 200)
    records = json.loads(gzip.decompress((tmp_path / "media" / done["attachment"]).read_bytes()))
    assert len({record["id"] for record in records}) == 200
