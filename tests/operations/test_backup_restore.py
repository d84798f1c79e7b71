"""`manage.py backup` / `restore` on real installs (SQLite files, local directories and an S3
server): what a backup holds, the S3 path, and every restore that is refused, saying why."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import secrets
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from core.backup.manifest import FORMAT_VERSION
from tests.served import ROOT, install_env, manage, run_manage
from tests.test_s3_storage import CREDENTIALS, s3_server  # noqa: F401  (a fixture)

SECRET_KEY = secrets.token_urlsafe(50)  # a signing key of this run only


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return run_manage(env, *args, timeout=300)


def environment(root: Path, **env: str) -> dict[str, str]:
    return install_env(root, **{"SECRET_KEY": SECRET_KEY, **env})


@pytest.fixture(scope="module")
def backup(tmp_path_factory) -> Path:
    """A backup of a demo install (collections, versions, a plugin, a marketplace)."""
    root = tmp_path_factory.mktemp("source")
    env = environment(root)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "demo")
    manage(env, "backup", str(root / "backup"))
    return root / "backup"


def refused(env: dict[str, str], backup: Path, reason: str) -> None:
    done = run(env, "restore", str(backup))
    assert done.returncode != 0
    assert "Restore refused: " in done.stderr
    assert reason in done.stderr, done.stderr


def test_a_backup_holds_the_snapshot_the_files_and_a_manifest(backup):
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["database_vendor"] == "sqlite"
    assert manifest["skillport_version"] == "0.1.0"
    assert manifest["row_counts"]["skills_skillcollectionversion"] >= 1
    listing = [json.loads(line) for line in (backup / "storage.jsonl").read_text().splitlines()]
    assert len(listing) == manifest["storage_files"] > 0
    for entry in listing:
        assert (backup / "storage" / entry["name"]).stat().st_size == entry["size"]


def test_a_backup_goes_only_into_a_new_or_empty_directory(tmp_path, backup):
    env = environment(tmp_path)
    manage(env, "migrate", "--noinput", "-v0")
    done = run(env, "backup", str(backup))
    assert done.returncode != 0
    assert "is not empty; back up into a new or empty directory" in done.stderr


def test_restore_into_a_migrated_database_is_refused(tmp_path, backup):
    env = environment(tmp_path)
    manage(env, "migrate", "--noinput", "-v0")
    refused(env, backup, "The database is not empty")


def test_restore_into_a_storage_with_files_is_refused(tmp_path, backup):
    env = environment(tmp_path)
    (tmp_path / "media" / "skill-blobs").mkdir(parents=True)
    (tmp_path / "media" / "skill-blobs" / "left-over").write_text("x")
    refused(env, backup, "The file storage is not empty")
    (tmp_path / "media" / "skill-blobs" / "left-over").unlink()
    done = run(env, "restore", str(backup))  # nothing was written by the refused one
    assert done.returncode == 0, done.stderr


def test_a_damaged_backup_is_refused(tmp_path, backup):
    damaged = tmp_path / "damaged"
    subprocess.run(["cp", "-r", str(backup), str(damaged)], check=True)
    with (damaged / "database.sqlite3").open("ab") as handle:
        handle.write(b"x")
    refused(environment(tmp_path / "a"), damaged, "does not match the manifest's checksum")

    subprocess.run(["rm", "-r", str(damaged)], check=True)
    subprocess.run(["cp", "-r", str(backup), str(damaged)], check=True)
    first = json.loads((damaged / "storage.jsonl").read_text().splitlines()[0])["name"]
    (damaged / "storage" / first).write_bytes(b"not what was stored")
    refused(environment(tmp_path / "b"), damaged, f"The backup's copy of {first} does not match")


def test_another_format_vendor_or_no_manifest_is_refused(tmp_path, backup):
    other = tmp_path / "other"
    subprocess.run(["cp", "-r", str(backup), str(other)], check=True)
    manifest = json.loads((other / "manifest.json").read_text())
    (other / "manifest.json").write_text(json.dumps({**manifest, "format_version": 99}))
    refused(environment(tmp_path / "a"), other, "this Skillport reads version 1")
    (other / "manifest.json").write_text(json.dumps({**manifest, "database_vendor": "postgresql"}))
    refused(environment(tmp_path / "b"), other, "of a postgresql database")
    (other / "manifest.json").write_text(json.dumps({**manifest, "skillport_version": "9.0.0"}))
    refused(environment(tmp_path / "c"), other, "newer than this install's 0.1.0")
    (other / "manifest.json").unlink()
    refused(environment(tmp_path / "d"), other, "not a Skillport backup")


def test_a_restore_with_another_signing_key_warns(tmp_path, backup):
    env = environment(tmp_path, SECRET_KEY=secrets.token_urlsafe(50))
    done = run(env, "restore", str(backup))
    assert done.returncode == 0, done.stderr
    assert "warning: This install's signing key (SECRET_KEY) is not the one" in done.stderr


def bucket(endpoint: str, name: str) -> dict[str, str]:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **_credentials())
    client.create_bucket(Bucket=name)
    return {
        **CREDENTIALS,
        "AWS_STORAGE_BUCKET_NAME": name,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
    }


def _credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


def objects(env: dict[str, str]) -> dict[str, str]:
    client = boto3.client(
        "s3", endpoint_url=env["AWS_S3_ENDPOINT_URL"], region_name="us-east-1", **_credentials()
    )
    listed = client.list_objects_v2(Bucket=env["AWS_STORAGE_BUCKET_NAME"]).get("Contents", [])
    return {found["Key"]: found["ETag"] for found in listed}


def test_s3_storage_backs_up_and_restores_into_an_empty_bucket(tmp_path, s3_server):  # noqa: F811
    source = environment(tmp_path / "source", **bucket(s3_server, "backup-source"))
    manage(source, "migrate", "--noinput", "-v0")
    manage(source, "demo")
    manage(source, "backup", str(tmp_path / "backup"))
    assert objects(source)

    target_bucket = bucket(s3_server, "backup-target")
    target = environment(tmp_path / "target", **target_bucket)
    done = run(target, "restore", str(tmp_path / "backup"))
    assert done.returncode == 0, done.stderr
    assert objects(target) == objects(source)
    integrity = run(target, "check_integrity")
    assert integrity.returncode == 0, integrity.stdout
    # A second install (new database) on the same bucket finds it in use.
    again = environment(tmp_path / "again", **target_bucket)
    refused(again, tmp_path / "backup", "The file storage is not empty")


def test_check_integrity_shows_progress_only_on_a_terminal(tmp_path):
    env = environment(tmp_path)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "demo")
    piped = run(env, "check_integrity")
    assert piped.returncode == 0
    assert piped.stdout.splitlines() == [piped.stdout.strip()]
    assert piped.stdout.startswith("integrity ok: 7 checks,")

    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "check_integrity"],
        cwd=ROOT,
        env=env,
        stdout=terminal,
        stderr=subprocess.DEVNULL,
    )
    os.close(terminal)
    shown = b""
    with contextlib.suppress(OSError):  # EIO once the command has exited
        while chunk := os.read(controller, 4096):
            shown += chunk
    os.close(controller)
    assert process.wait(60) == 0
    assert b"checking: " in shown
    assert b"integrity ok: 7 checks," in shown
