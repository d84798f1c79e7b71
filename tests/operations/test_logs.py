"""Structured logs (core/logs.py, `SKILLPORT_LOG_FORMAT=json`): one export followed across
processes by its request id, from the web server's line to the task worker's lines."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.served import ROOT, gunicorn, manage, sqlite_install

REQUEST_ID = "follow-me.export:42"


def json_lines(path: Path) -> list[dict]:
    """Every line of a log file, each of which must be a JSON object."""
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    assert lines, f"{path.name} is empty"
    return [json.loads(line) for line in lines]


def post(url: str, key: str, document: dict, **headers: str) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(document).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/vnd.api+json",
            **headers,
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, dict(response.headers), json.loads(response.read())


def test_an_exports_request_id_reaches_the_worker_lines(tmp_path):
    env = sqlite_install(tmp_path, SKILLPORT_LOG_FORMAT="json")
    key = manage(env, "create_api_key", "--organization", "acme").strip().splitlines()[-1]
    web_log = tmp_path / "web.log"
    with gunicorn(env, "--access-logfile", "-", log=web_log) as url:
        status, headers, document = post(
            f"{url}/api/exports",
            key,
            {"data": {"type": "exports", "attributes": {"resource_type": "members"}}},
            **{"X-Request-ID": REQUEST_ID},
        )
        assert status == 201
        assert headers["X-Request-Id"] == REQUEST_ID
        assert document["data"]["meta"]["trace_id"] == REQUEST_ID
        # A made-up id that is not a sane token is replaced by a fresh one.
        status, headers, _ = post(
            f"{url}/api/exports",
            key,
            {"data": {"type": "exports", "attributes": {"resource_type": "members"}}},
            **{"X-Request-ID": "bad id\twith spaces"},
        )
        assert status == 201 and len(headers["X-Request-Id"]) == 32

    worker_log = tmp_path / "worker.log"
    with worker_log.open("wb") as out:
        subprocess.run(
            [sys.executable, "manage.py", "task_worker", "--burst"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=True,
        )

    web = json_lines(web_log)
    request_line = [
        line
        for line in web
        if line["logger"] == "skillport.requests" and line["request_id"] == REQUEST_ID
    ]
    assert len(request_line) == 1, web
    assert request_line[0]["route"] == "exports-list"
    assert request_line[0]["status"] == 201
    assert request_line[0]["method"] == "POST"
    # gunicorn's own lines (access log included) are JSON lines too.
    assert any(line["logger"] == "gunicorn.access" for line in web)

    worker = json_lines(worker_log)
    task_lines = [line for line in worker if line["request_id"] == REQUEST_ID]
    messages = " | ".join(line["message"] for line in task_lines)
    assert "path=exports.tasks.run_export state=RUNNING" in messages, worker
    assert "path=exports.tasks.run_export state=SUCCESSFUL" in messages, worker
    # The other export's lines carry the other request's id, never this one.
    assert len(task_lines) == 2, task_lines
    assert all(line["process"] != request_line[0]["process"] for line in task_lines)
