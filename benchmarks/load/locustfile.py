"""The request mix of `make load` (locust, headless). `python -m benchmarks.load` writes the
context (key, ids, where to record) to the file named by `SKILLPORT_LOAD_CONTEXT` and runs this.

Every request is recorded, one JSON line each (kind, start, ms, status), to `requests.jsonl`;
every acknowledged write (a 201) with its `Location` to `acks.jsonl`, so the run can read each
one back afterwards. The figures come from these files (benchmarks/load/figures.py).
"""

from __future__ import annotations

import io
import json
import os
import time
import uuid
import zipfile
from pathlib import Path

from locust import HttpUser, between, events, task

CONTEXT = json.loads(Path(os.environ["SKILLPORT_LOAD_CONTEXT"]).read_text())
RECORD_DIR = Path(CONTEXT["record_dir"])
JSONAPI = "application/vnd.api+json"
POLL_SECONDS = 120.0  # an export not finished by then is recorded as `export poll timeout`

_requests = (RECORD_DIR / "requests.jsonl").open("a", buffering=1)
_acks = (RECORD_DIR / "acks.jsonl").open("a", buffering=1)


@events.request.add_listener
def record_request(name, start_time, response_time, response, exception, **kwargs) -> None:
    status = getattr(response, "status_code", 0) or 0
    line = {"kind": name, "start": start_time, "ms": response_time, "status": status}
    if exception is not None and not status:
        line["error"] = type(exception).__name__
    _requests.write(json.dumps(line) + "\n")


def skill_md(name: str, description: str) -> str:
    return f"---\nname: {name}\ndescription: {description}\n---\n\n# {name}\n"


def version_files() -> dict[str, str]:
    """A small, always different file tree (two skills)."""
    nonce = uuid.uuid4().hex
    return {
        "load-notes/SKILL.md": skill_md("load-notes", f"Notes of load run {nonce}."),
        "load-notes/notes.md": f"{nonce}\n" * 20,
        "load-tools/SKILL.md": skill_md("load-tools", "Tools for the load run."),
    }


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return buffer.getvalue()


class ApiUser(HttpUser):
    """One API client of the demo organization: reads mostly, some writes and exports."""

    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.client.headers.update({"Authorization": f"Bearer {CONTEXT['key']}"})

    def acknowledged(self, kind: str, response) -> str | None:
        """Record a 201's `Location` as an acknowledged write; return it."""
        if response.status_code != 201:
            return None
        location = response.headers.get("Location", "")
        _acks.write(json.dumps({"kind": kind, "url": location}) + "\n")
        return location

    def post(self, path: str, document: dict, name: str):
        return self.client.post(
            path, data=json.dumps(document), headers={"Content-Type": JSONAPI}, name=name
        )

    # Lists: include, sort, filter, numbered and keyset pages.
    @task(5)
    def list_numbered(self) -> None:
        self.client.get(
            "/api/skill_collection_versions?include=skill_collection&sort=-created_at"
            "&filter[archived]=false&page[number]=1&page[size]=20",
            name="list versions (numbered, include, filter)",
        )

    @task(5)
    def list_keyset(self) -> None:
        response = self.client.get(
            "/api/skills?sort=name&page[size]=2&page[after]=&include=skill_collection",
            name="list skills (keyset, include)",
        )
        if response.status_code == 200 and response.json()["links"].get("next"):
            self.client.get(response.json()["links"]["next"], name="list skills (keyset, next)")

    @task(3)
    def list_members(self) -> None:
        self.client.get(
            "/api/members?include=organization,teams&sort=-created_at&filter[email.cont]=@",
            name="list members (include, sort, filter)",
        )

    @task(2)
    def list_events(self) -> None:
        self.client.get(
            "/api/events?filter[name.start]=skill_collection_versions&sort=-created_at"
            "&page[number]=2&page[size]=10",
            name="list events (filter, page 2)",
        )

    # Detail reads.
    @task(4)
    def detail_collection(self) -> None:
        self.client.get(
            "/api/skill_collections/support?label=prod&include=current_version",
            name="detail collection (label, include)",
        )

    @task(3)
    def detail_plugin(self) -> None:
        self.client.get(
            f"/api/skill_plugins/{CONTEXT['plugin_id']}?include=skills", name="detail plugin"
        )

    # PromptLayer pulls and zip downloads.
    @task(4)
    def promptlayer_pull(self) -> None:
        self.client.get(
            "/api/public/v2/skill-collections/support?label=prod",
            headers={"X-API-KEY": CONTEXT["key"]},
            name="promptlayer pull",
        )

    @task(3)
    def zip_download(self) -> None:
        self.client.get("/api/skill_collections/support?format=zip&version=1", name="zip download")

    # Version uploads.
    @task(2)
    def upload_json(self) -> None:
        document = {
            "data": {
                "type": "skill_collection_versions",
                "attributes": {"commit_message": "load (json)", "files": version_files()},
                "relationships": {
                    "skill_collection": {
                        "data": {"type": "skill_collections", "id": CONTEXT["upload_collection_id"]}
                    }
                },
            }
        }
        response = self.post("/api/skill_collection_versions", document, "upload version (json)")
        self.acknowledged("version", response)

    @task(1)
    def upload_zip(self) -> None:
        response = self.client.post(
            f"/api/skill_collections/{CONTEXT['upload_collection_id']}/versions"
            "?commit_message=load+(zip)",
            data=zipped(version_files()),
            headers={"Content-Type": "application/zip"},
            name="upload version (zip)",
        )
        self.acknowledged("version", response)

    # Exports: create, poll until done, download.
    def poll(self, url: str, name: str, done: tuple[str, ...]) -> dict | None:
        deadline = time.monotonic() + POLL_SECONDS
        while time.monotonic() < deadline:
            response = self.client.get(url, name=name)
            if response.status_code == 200:
                document = response.json()
                if document["data"]["attributes"]["status"] in done:
                    return document
            time.sleep(0.5)
        events.request.fire(
            request_type="POLL",
            name=f"{name} timeout",
            response_time=0,
            response_length=0,
            response=None,
            exception=TimeoutError(url),
            context={},
            start_time=time.time(),
        )
        return None

    @task(1)
    def export(self) -> None:
        attributes = {"resource_type": "skill_collection_versions", "format": "csv"}
        if uuid.uuid4().int % 2:
            attributes = {
                "resource_type": "skills",
                "format": "json",
                "includes": ["skill_collection"],
            }
        response = self.post(
            "/api/exports", {"data": {"type": "exports", "attributes": attributes}}, "create export"
        )
        location = self.acknowledged("export", response)
        if not location:
            return
        document = self.poll(location, "poll export", ("completed", "interrupted"))
        url = document and document["data"]["attributes"].get("attachment_url")
        if url:
            self.client.get(url, name="download export")

    @task(1)
    def skill_export(self) -> None:
        target, relation, kind, key = (
            ("plugin", "skill_plugin", "skill_plugins", "plugin_id")
            if uuid.uuid4().int % 2
            else ("marketplace", "skill_marketplace", "skill_marketplaces", "marketplace_id")
        )
        document = {
            "data": {
                "type": "skill_exports",
                "attributes": {"target": target},
                "relationships": {relation: {"data": {"type": kind, "id": CONTEXT[key]}}},
            }
        }
        response = self.post("/api/skill_exports", document, "create skill export")
        location = self.acknowledged("skill_export", response)
        if not location:
            return
        done = self.poll(
            f"{location}?include=file_link", "poll skill export", ("completed", "failed")
        )
        for included in (done or {}).get("included", []):
            if included["type"] == "file_links":
                self.client.get(included["attributes"]["url"], name="download skill export")
