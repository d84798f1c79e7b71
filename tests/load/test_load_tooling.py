"""The `make load` tooling itself (benchmarks/load), without a load run: the figures on a recorded
sample, the locustfile's request mix, the webhook receiver and the throwaway PostgreSQL. The load
run is not part of the suite (it takes minutes); `make load` runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

from benchmarks.load import figures
from benchmarks.load.postgres import Cluster, server_bin
from benchmarks.load.receiver import received
from tests.served import ROOT, free_port, reachable
from tests.waiting import wait_for

SAMPLE = Path(__file__).parent / "sample_requests.jsonl"


def recorded() -> list[dict]:
    return [json.loads(line) for line in SAMPLE.read_text().splitlines()]


def test_percentiles_are_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert figures.percentile(values, 50) == 50.0
    assert figures.percentile(values, 95) == 95.0
    assert figures.percentile(values, 99) == 99.0
    assert figures.percentile([7.0], 99) == 7.0
    assert figures.percentile([], 50) == 0.0


def test_request_figures_on_a_recorded_sample():
    requests = recorded()
    requests.append({"kind": "promptlayer pull", "start": 0, "ms": 5.0, "status": 503})
    requests.append({"kind": "zip download", "start": 0, "ms": 1.0, "status": 0})
    result = figures.request_figures(requests, seconds=10.0)

    assert result["requests"] == len(requests) == 32
    assert result["requests_per_second"] == 3.2
    assert result["errors_by_status"] == {"0": 1, "503": 1}
    kinds = result["kinds"]
    assert sum(kind["count"] for kind in kinds.values()) == 32
    pulls = [r["ms"] for r in requests if r["kind"] == "promptlayer pull"]
    assert kinds["promptlayer pull"]["p50_ms"] == figures.percentile(pulls, 50)
    assert kinds["promptlayer pull"]["errors"] == 1
    for kind in kinds.values():
        assert kind["p50_ms"] <= kind["p95_ms"] <= kind["p99_ms"]


def test_server_errors_are_sorted_by_the_fault_that_explains_them():
    kill = {"kind": "web worker SIGKILL", "at": 100.0}
    restart = {"kind": "PostgreSQL restart", "at": 200.0, "until": 203.0}
    requests = [
        {"kind": "a", "start": 99.5, "ms": 1000.0, "status": 0},  # in flight at the kill
        {"kind": "a", "start": 100.5, "ms": 10.0, "status": 502},  # after the kill: beyond
        {"kind": "b", "start": 199.0, "ms": 1500.0, "status": 500},  # spans the restart
        {"kind": "b", "start": 204.0, "ms": 10.0, "status": 500},  # within the grace
        {"kind": "b", "start": 210.0, "ms": 10.0, "status": 500},  # beyond
        {"kind": "b", "start": 150.0, "ms": 10.0, "status": 404},  # not a server error
    ]
    result = figures.server_errors_around_faults(requests, [kill, restart])

    assert result == {
        "server_errors": 5,
        "by_status": {"0": 1, "500": 3, "502": 1},
        "explained_by_fault": {"web worker SIGKILL": 1, "PostgreSQL restart": 2},
        "beyond_faults": 2,
        "beyond_faults_by_kind": {"a": 1, "b": 1},
    }


def test_webhook_figures_count_duplicates_and_losses_by_webhook_id():
    result = figures.webhook_figures(["1", "2", "3"], ["1", "1", "2", "9"])
    assert result == {
        "emitted": 3,
        "received": 2,
        "received_total": 4,
        "duplicates": 1,
        "lost": 1,
        "unknown_received": 1,
    }


def test_the_locustfile_imports_with_the_whole_request_mix(tmp_path):
    context = tmp_path / "context.json"
    context.write_text(
        json.dumps(
            {
                "key": "sk_test_x",
                "record_dir": str(tmp_path),
                "upload_collection_id": "u",
                "plugin_id": "p",
                "marketplace_id": "m",
            }
        )
    )
    # Its own interpreter: locust monkeypatches the standard library with gevent on import.
    code = (
        "import json; from benchmarks.load.locustfile import ApiUser; "
        "print(json.dumps([task.__name__ for task in ApiUser.tasks]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"SKILLPORT_LOAD_CONTEXT": str(context), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    mix = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert {
        "list_numbered",
        "list_keyset",
        "detail_plugin",
        "upload_json",
        "upload_zip",
        "promptlayer_pull",
        "zip_download",
        "export",
        "skill_export",
    } <= mix


def test_the_receiver_logs_every_webhook_id(tmp_path):
    port, log = free_port(), tmp_path / "received.txt"
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.load.receiver", "--port", str(port), "--log", str(log)],
        cwd=ROOT,
    )
    try:
        wait_for(lambda: reachable("127.0.0.1", port))
        for webhook_id in ["msg_1", "msg_1", "msg_2"]:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/hooks",
                data=b"{}",
                headers={"webhook-id": webhook_id},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 204
        assert received(log) == ["msg_1", "msg_1", "msg_2"]
    finally:
        process.terminate()
        process.wait(30)


@pytest.mark.skipif(server_bin() is None, reason="no PostgreSQL server binaries here")
def test_the_throwaway_postgresql_starts_restarts_and_stops():
    import psycopg

    # Not pytest's tmp_path: as root the cluster runs as `postgres`, which cannot enter it.
    directory = Path(tempfile.mkdtemp(prefix="skillport-load-test-"))
    directory.chmod(0o755)
    cluster = Cluster(server_bin(), directory / "pg", free_port())
    cluster.init()
    cluster.start()
    try:
        url = cluster.url.replace("postgres://", "postgresql://")
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("CREATE TABLE kept (n int)")
            connection.execute("INSERT INTO kept VALUES (1)")
        cluster.restart()
        with psycopg.connect(url) as connection:
            assert connection.execute("SELECT n FROM kept").fetchall() == [(1,)]
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
    assert not reachable("127.0.0.1", cluster.port)
