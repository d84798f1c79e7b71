"""Backup and restore proven by a round trip on real installs (gunicorn, a worker, git):

an install is filled through its API (collections with versions and labels, plugins, a
marketplace, completed exports and a skill export, a webhook), backed up with `manage.py
backup` while a writer keeps creating versions, and restored with `manage.py restore` into a
fresh install (its own database and storage). The restored install answers every resource
with the same JSON:API document, every version with the same zip, every git repository with
the same commit ids and tags, signs webhooks with the same secret and accepts the same key.
On SQLite, and on PostgreSQL when DATABASE_URL points at one.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from tests.events.receiver import Receiver
from tests.operations.api import Api, many, one
from tests.served import gunicorn, install_env, manage, postgres_databases, run_manage
from tests.skills.factories import skill_files

pytestmark = pytest.mark.worker  # served installs and `task_worker --burst` processes

SECRET_KEY = secrets.token_urlsafe(50)  # a signing key of this run only
# Resources compared one by one (the churned collection's own document excepted: it moves on).
TYPES = [
    "skill_collections",
    "skill_collection_versions",
    "skills",
    "skill_plugins",
    "skill_marketplaces",
    "exports",
    "skill_exports",
    "files",
    "webhooks",
    "event_callbacks",
    "events",
    "versions",
    "members",
    "teams",
    "organizations",
]
POSTGRES = os.environ.get("DATABASE_URL", "")


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request) -> Iterator[list[str | None]]:
    """The source and target databases: SQLite files, or two PostgreSQL databases."""
    if request.param == "sqlite":
        yield [None, None]
        return
    if not POSTGRES.startswith(("postgres://", "postgresql://")):
        pytest.skip("DATABASE_URL does not point at PostgreSQL")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("the PostgreSQL client tools (pg_dump, pg_restore) are not installed")
    # Named after the suite's database, so parallel runs on other databases do not collide.
    base = urlsplit(POSTGRES).path.lstrip("/") or "skillport"
    with postgres_databases(POSTGRES, f"{base}_backup_source", f"{base}_backup_target") as urls:
        yield urls


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def environment(root: Path, database: str | None) -> dict[str, str]:
    env = install_env(
        root, SECRET_KEY=SECRET_KEY, SKILLPORT_WEBHOOKS_ALLOW_PRIVATE="true", DEBUG="false"
    )
    if database:
        env["DATABASE_URL"] = database
    env.pop("AWS_STORAGE_BUCKET_NAME", None)
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return run_manage(env, *args, timeout=600)


def new_key(env: dict[str, str]) -> str:
    return manage(env, "create_api_key", "--organization", "acme").strip().splitlines()[-1]


# -- filling the source install ----------------------------------------------------------------


def files_of(*skills: str, note: str = "") -> dict[str, str]:
    return {**skill_files(*skills), "NOTES.md": f"{note}\n"}


RECORD_LAYOUT_2 = (
    "from types import SimpleNamespace; from django.apps import apps; "
    "from django.db import connection; "
    "from skills.bundles.epochs import record_layout_epoch; "
    "record_layout_epoch(apps, SimpleNamespace(connection=connection), 2)"
)


def fill(api: Api, receiver: Receiver, env: dict[str, str]) -> dict:
    made: dict = {}
    collections = []
    for n, skills in enumerate([("pdf-tools", "csv-tools"), ("git-helper",)]):
        collection = api.create(
            "skill_collections",
            {"name": f"team-{n}", "root_path": f".claude/skills-{n}", "provider": "claude"},
        )
        for number in range(1, 4):
            attributes = {
                "files": files_of(*skills, note=f"v{number}"),
                "commit_message": f"version {number} of team-{n}",
            }
            if number == 2:
                attributes["release_label"] = "stable"
            if number == 3:
                attributes["release_label"] = "beta"
            api.create(
                "skill_collection_versions",
                attributes,
                {"skill_collection": one("skill_collections", collection["id"])},
            )
        collections.append(collection["id"])
    skills = api.ids(f"/api/skill_collections/{collections[0]}/skills")
    plugin = api.create(
        "skill_plugins",
        {"name": "doc-tools", "version": "1.2.0", "description": "Documents."},
        {"skills": many("skills", skills)},
    )
    marketplace = api.create(
        "skill_marketplaces",
        {"name": "acme-market", "owner": {"name": "Acme"}, "description": "Ours."},
        {"skill_plugins": many("skill_plugins", [plugin["id"]])},
    )
    # Upgraded while it had plugins: what the `bundle_layout_epochs` migration records, so their
    # repositories end in a layout change commit that the restored install must derive again.
    manage(env, "shell", "-c", RECORD_LAYOUT_2)
    webhook = api.create(
        "webhooks",
        {
            "name": "versions",
            "topic": "skill_collection_versions.create",
            "callback_url": receiver.url,
        },
    )
    for resource_type, format_ in [("skill_collections", "json"), ("skills", "csv")]:
        api.create("exports", {"resource_type": resource_type, "format": format_})
    api.create(
        "skill_exports",
        {"target": "plugin"},
        {"skill_plugin": one("skill_plugins", plugin["id"])},
    )
    manage(env, "task_worker", "--burst")  # exports, the skill export, webhook deliveries
    for export in api.get("/api/exports")["data"]:
        assert export["attributes"]["status"] == "completed", export
    for export in api.get("/api/skill_exports")["data"]:
        assert export["attributes"]["status"] == "completed", export
    churn = api.create(
        "skill_collections",
        {"name": "churn", "root_path": ".claude/churn", "provider": "generic"},
    )
    made.update(
        collections=collections,
        plugin=plugin["id"],
        marketplace=marketplace["id"],
        webhook_secret=webhook["attributes"]["shared_secret"],
        churn=churn["id"],
    )
    return made


class Writer(threading.Thread):
    """Creates versions of the churned collection until stopped, as a user would."""

    def __init__(self, api: Api, collection: str) -> None:
        super().__init__(daemon=True)
        self.api, self.collection = api, collection
        self.stop = threading.Event()
        self.created = 0
        self.errors: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            status, body = self.api.call(
                "POST",
                "/api/skill_collection_versions",
                {
                    "data": {
                        "type": "skill_collection_versions",
                        "attributes": {
                            "files": {"README.md": f"churn {self.created}\n"},
                            "commit_message": f"churn {self.created}",
                        },
                        "relationships": {
                            "skill_collection": one("skill_collections", self.collection)
                        },
                    }
                },
            )
            if status != 201:
                self.errors.append(f"{status} {body[:300]!r}")
                return
            self.created += 1


# -- comparing ---------------------------------------------------------------------------------

SIGNED = re.compile(r"/api/downloads/[^\"?]+")


def normalized(document: dict, base: str) -> dict:
    """The document with what differs by design taken out: the server's own address, the
    request id, and the freshly signed (time-stamped) download URLs."""
    text = json.dumps(document, sort_keys=True).replace(base, "http://server")
    text = SIGNED.sub("/api/downloads/<signed>", text)
    document = json.loads(text)
    document.get("meta", {}).pop("trace_id", None)
    for resource in [document.get("data"), *document.get("included", [])]:
        if isinstance(resource, dict):
            resource.get("meta", {}).pop("trace_id", None)
    return document


def git_refs(home: Path, base: str, path: str, key: str) -> dict[str, str]:
    done = subprocess.run(
        ["git", "-c", f"http.extraHeader=Authorization: Bearer {key}", "ls-remote", base + path],
        env={**os.environ, "HOME": str(home), "GIT_TERMINAL_PROMPT": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (base + path, done.stderr)
    return {ref: sha for sha, ref in (line.split("\t") for line in done.stdout.splitlines())}


def git_path(api: Api, type_: str, id_: str) -> str:
    url = api.get(f"/api/{type_}/{id_}")["data"]["attributes"]["git_url"]
    return urlsplit(url).path


def zip_digest(api: Api, collection: str, number: int) -> str:
    """The digest of a version's zip: its entries' paths and contents, in archive order (the
    archive's bytes carry the time it was streamed at)."""
    body = api.raw(f"/api/skill_collections/{collection}?version={number}&format=zip")
    digest = hashlib.sha256()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        for info in archive.infolist():
            digest.update(info.filename.encode() + b"\0" + archive.read(info) + b"\0")
    return digest.hexdigest()


def test_backup_during_writes_restores_everything(tmp_path, databases, receiver):
    source_db, target_db = databases
    source_env = environment(tmp_path / "source", source_db)
    target_env = environment(tmp_path / "target", target_db)
    manage(source_env, "migrate", "--noinput", "-v0")
    key = new_key(source_env)
    home = tmp_path / "home"
    home.mkdir()

    with gunicorn(source_env, workers=2) as source_base:
        source = Api(source_base, key)
        made = fill(source, receiver, source_env)
        writer = Writer(source, made["churn"])
        writer.start()
        with contextlib.ExitStack() as stack:
            stack.callback(writer.join, 60)
            stack.callback(writer.stop.set)
            while writer.created < 3 and not writer.errors:
                writer.stop.wait(0.05)
            before = writer.created
            backup = run(source_env, "backup", str(tmp_path / "backup"))
            assert backup.returncode == 0, backup.stderr
            after = writer.created
            while writer.created < after + 2 and not writer.errors:
                writer.stop.wait(0.05)
        assert not writer.errors, writer.errors
        assert after > before, "the writer wrote while the backup was taken"

        restore = run(target_env, "restore", str(tmp_path / "backup"))
        assert restore.returncode == 0, restore.stderr
        assert "warning" not in restore.stderr  # the same signing key
        integrity = run(target_env, "check_integrity")
        assert integrity.returncode == 0, integrity.stdout + integrity.stderr
        assert integrity.stdout.startswith("integrity ok:")

        served_log = tmp_path / "restored-server.log"
        with gunicorn(target_env, workers=1, log=served_log) as target_base:
            target = Api(target_base, key)  # the same API key works
            try:
                compare(source, target, made, home, key)
            except AssertionError as failure:  # what the restored server said, to tell why
                raise AssertionError(f"{failure}\n{served_log.read_text()[-4000:]}") from None
            check_webhook_secret(target, target_env, receiver, made)


def compare(source: Api, target: Api, made: dict, home: Path, key: str) -> None:
    # Every resource of the restored install answers as the source does.
    compared = 0
    for type_ in TYPES:
        restored = target.ids(f"/api/{type_}")
        assert restored or type_ in {"teams", "event_callbacks"}, type_
        for id_ in restored:
            if id_ == made["churn"]:
                continue
            path = f"/api/{type_}/{id_}"
            assert normalized(target.get(path), target.base) == normalized(
                source.get(path), source.base
            ), path
            compared += 1
    assert compared > 30

    # The churned collection: a prefix of its versions, each one the same; nothing half-made.
    churned = [
        source.get(f"/api/skill_collection_versions/{id_}")["data"]["attributes"]["number"]
        for id_ in target.ids(f"/api/skill_collections/{made['churn']}/versions")
    ]
    assert sorted(churned) == list(range(1, len(churned) + 1))
    assert len(churned) >= 3
    assert len(source.ids(f"/api/skill_collections/{made['churn']}/versions")) > len(churned)

    # Every version's zip is byte for byte the same.
    for collection in [*made["collections"], made["churn"]]:
        versions = target.ids(f"/api/skill_collections/{collection}/versions")
        for id_ in versions:
            number = target.get(f"/api/skill_collection_versions/{id_}")["data"]["attributes"][
                "number"
            ]
            assert zip_digest(target, collection, number) == zip_digest(source, collection, number)

    # Every git repository: the same commit ids and tags (the churned one: those it has).
    repositories = [("skill_collections", id_) for id_ in made["collections"]]
    repositories += [("skill_plugins", made["plugin"]), ("skill_marketplaces", made["marketplace"])]
    for type_, id_ in repositories:
        path = git_path(target, type_, id_)
        refs = git_refs(home, target.base, path, key)
        assert refs and refs == git_refs(home, source.base, path, key), path
        if type_ == "skill_plugins":  # the layout change: on top of the tagged commit
            (tag,) = [sha for ref, sha in refs.items() if ref.startswith("refs/tags/")]
            assert refs["refs/heads/main"] != tag
    path = git_path(target, "skill_collections", made["churn"])
    restored = git_refs(home, target.base, path, key)
    tags = {ref: sha for ref, sha in restored.items() if ref.startswith("refs/tags/")}
    assert len(tags) == len(churned)
    source_refs = git_refs(home, source.base, path, key)
    assert all(source_refs[ref] == sha for ref, sha in tags.items())
    assert restored["refs/heads/main"] == source_refs[f"refs/tags/v{len(churned)}"]

    # A file link minted by the source before the backup downloads from the restored install.
    [export] = [
        item for item in source.get("/api/exports")["data"] if item["attributes"]["format"] == "csv"
    ]
    link = export["attributes"]["attachment_url"].replace(source.base, target.base)
    assert target.raw(link.removeprefix(target.base)) == source.raw(link.removeprefix(target.base))


def check_webhook_secret(target: Api, env: dict[str, str], receiver: Receiver, made: dict):
    """The restored webhook signs with the secret shown when it was created."""
    receiver.requests.clear()
    version = target.create(
        "skill_collection_versions",
        {"files": files_of("pdf-tools", "csv-tools", note="after"), "commit_message": "after"},
        {"skill_collection": one("skill_collections", made["collections"][0])},
    )
    manage(env, "task_worker", "--burst")
    signed = [request for request in receiver.requests if version["id"].encode() in request.body]
    assert signed, "the restored install delivered the new version's event"
    headers = {name.lower(): value for name, value in signed[0].headers.items()}
    StandardWebhook(made["webhook_secret"]).verify(signed[0].body, headers)
