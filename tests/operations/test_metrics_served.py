"""`/metrics` under a real gunicorn with two workers (config/gunicorn.py), in prometheus-client's
multiprocess mode: requests answered by either worker add up in one scrape, whichever worker
answers it."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.operations.test_logs import post
from tests.operations.test_metrics import TOKEN, samples, value
from tests.served import get, gunicorn, manage, sqlite_install

ROUTE = {"method": "GET", "route": "organizations-list", "status": "401"}


def writers(directory: Path) -> set[str]:
    """The pids whose counter files are in the multiprocess directory."""
    return {
        m.group(1) for p in directory.iterdir() if (m := re.match(r"counter_(\d+)\.db", p.name))
    }


def test_requests_spread_over_two_workers_sum_in_one_scrape(tmp_path):
    directory = tmp_path / "prometheus"
    env = sqlite_install(
        tmp_path, SKILLPORT_METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(directory)
    )
    key = manage(env, "create_api_key", "--organization", "acme").strip().splitlines()[-1]
    with gunicorn(env, workers=2) as url:
        assert get(f"{url}/metrics")[0] == 401
        assert get(f"{url}/metrics", Authorization="Bearer nope")[0] == 401
        sent = 0
        with ThreadPoolExecutor(8) as pool:
            # Concurrent requests keep both sync workers busy; more rounds until both answered.
            for _ in range(20):
                statuses = list(pool.map(lambda _: get(f"{url}/api/organizations")[0], range(24)))
                assert set(statuses) == {401}
                sent += len(statuses)
                if len(writers(directory)) >= 2:
                    break
        assert len(writers(directory)) >= 2, "one worker answered every request"
        # A job finished by the task worker, another process, is counted in the web's scrape.
        export = {"data": {"type": "exports", "attributes": {"resource_type": "members"}}}
        assert post(f"{url}/api/exports", key, export)[0] == 201
        manage(env, "task_worker", "--burst")
        for _ in range(4):  # whichever worker answers the scrape, the sum is the same
            status, headers, body = get(f"{url}/metrics", Authorization=f"Bearer {TOKEN}")
            assert status == 200
            assert headers["Content-Type"].startswith("text/plain")
            found = samples(body.decode())
            assert value(found, "skillport_http_requests_total", **ROUTE) == sent
            assert value(found, "skillport_http_request_duration_seconds_count", **ROUTE) == sent
            assert ("skillport_task_queue_ready", frozenset()) not in found  # labelled by task
            assert value(found, "skillport_webhook_circuits_open") == 0
            finished = {"kind": "exports", "status": "completed"}
            assert value(found, "skillport_job_duration_seconds_count", **finished) == 1
            assert value(found, "skillport_jobs", kind="exports", status="pending") == 0


def test_metrics_are_off_without_a_token(tmp_path):
    env = sqlite_install(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"))
    env.pop("SKILLPORT_METRICS_TOKEN", None)
    with gunicorn(env, workers=1) as url:
        status, _, body = get(f"{url}/metrics", Authorization=f"Bearer {TOKEN}")
        assert status == 404 and b'"errors"' in body
