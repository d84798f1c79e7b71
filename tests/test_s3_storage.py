"""The S3 storage path against a local S3 server (moto in server mode on a random 127.0.0.1
port): files are uploaded to the bucket, download links are presigned URLs that a real HTTP
client fetches from that server, and the retention job deletes the object."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
from django.utils import timezone

from config.storage import storages
from exports.bulk import services
from exports.models import Export
from files.models import File
from tests.served import free_port, install_env, manage, reachable
from tests.skill_exports.factories import plugin_with_skills
from tests.skill_exports.helpers import completed_export, included, zip_entries

BUCKET = "skillport-test"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """moto's S3 server on a random port, with an empty bucket; yields its endpoint URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not reachable("127.0.0.1", port):
            assert process.poll() is None and time.monotonic() < deadline, "moto did not start"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def s3_env(s3_server) -> dict[str, str]:
    """The environment of a deployment on that S3 server, with a fresh bucket."""
    bucket = bucket_client(s3_server)
    if any(found["Name"] == BUCKET for found in bucket.list_buckets()["Buckets"]):
        for found in bucket.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            bucket.delete_object(Bucket=BUCKET, Key=found["Key"])
    else:
        bucket.create_bucket(Bucket=BUCKET)
    return {
        **CREDENTIALS,
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": s3_server,
        "AWS_S3_REGION_NAME": "us-east-1",
    }


def bucket_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def keys(env: dict[str, str]) -> set[str]:
    listed = bucket_client(env["AWS_S3_ENDPOINT_URL"]).list_objects_v2(Bucket=BUCKET)
    return {found["Key"] for found in listed.get("Contents", [])}


def fetch(url: str) -> bytes:
    """A presigned URL, fetched with a real HTTP client from the S3 server, no API key."""
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return response.read()


@pytest.fixture
def s3(settings, s3_env) -> dict[str, str]:
    """This process stores on the S3 server, configured as config/settings.py does."""
    settings.STORAGES = storages(s3_env, media_root=settings.MEDIA_ROOT)
    return s3_env


def test_settings_read_the_bucket_and_endpoint_from_the_environment(tmp_path, s3_env):
    env = install_env(tmp_path, **s3_env)
    saved = manage(
        env,
        "shell",
        "-c",
        "from django.core.files.base import ContentFile;"
        "from django.core.files.storage import storages; s = storages['default'];"
        "print(type(s).__name__, s.save('probe/x.txt', ContentFile(b'ok')))",
    )
    assert saved.strip().splitlines()[-1].split() == ["S3Storage", "probe/x.txt"]
    assert keys(s3_env) == {"probe/x.txt"}


@pytest.mark.django_db(transaction=True)
def test_an_export_file_is_uploaded_downloaded_presigned_and_deleted_by_retention(
    s3, client, run_worker
):
    created = client.post(
        "/api/exports", {"data": {"type": "exports", "attributes": {"resource_type": "members"}}}
    )
    assert created.status_code == 201, created.json()
    run_worker()
    export = Export.objects.get(pk=created.json()["data"]["id"])
    assert export.status == Export.Status.COMPLETED
    assert keys(s3) == {export.attachment}

    url = client.get(f"/api/exports/{export.pk}").json()["data"]["attributes"]["attachment_url"]
    assert url.startswith(s3["AWS_S3_ENDPOINT_URL"] + f"/{BUCKET}/") and "Signature=" in url
    assert len(json.loads(gzip.decompress(fetch(url)))) == 1  # the key's own member

    Export.objects.filter(pk=export.pk).update(file_expires_at=timezone.now() - timedelta(1))
    assert services.cleanup_expired_files() == 1
    assert keys(s3) == set()


@pytest.mark.django_db(transaction=True)
def test_a_skill_export_zip_is_uploaded_and_its_file_link_is_a_presigned_download(
    s3, client, organization, run_worker
):
    plugin = plugin_with_skills(organization, "on-s3", ["one-skill"])
    body = completed_export(
        client, run_worker, "plugin", "skill_plugin", "skill_plugins", plugin.pk
    )
    stored = File.objects.get(pk=included(body, "files")["id"])
    assert stored.storage_name in keys(s3)  # with the version's file blobs
    url = included(body, "file_links")["attributes"]["url"]
    assert url.startswith(s3["AWS_S3_ENDPOINT_URL"] + f"/{BUCKET}/")
    entries = zip_entries(fetch(url))
    assert any(name.endswith("one-skill/SKILL.md") for name in entries), sorted(entries)
