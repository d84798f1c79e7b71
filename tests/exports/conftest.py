import csv
import gzip
import io
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from django.conf import settings as django_settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def read_export_file(client, export_json: dict):
    """Download `attachment_url` without a key and decode the gzipped JSON or CSV."""
    from tests.conftest import JsonApiClient

    url = export_json["attributes"]["attachment_url"]
    response = JsonApiClient().get(url)
    assert response.status_code == 200, response.content[:300]
    raw = gzip.decompress(b"".join(response.streaming_content))
    if export_json["attributes"]["format"] == "csv":
        return list(csv.DictReader(io.StringIO(raw.decode())))
    return orjson.loads(raw)


def list_all(client, path: str, params: str = "") -> list[dict]:
    """Every record of a collection, following `links.next`."""
    url, records = f"{path}?page[size]=100{'&' + params if params else ''}", []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json()
        body = response.json()
        records += body["data"]
        url = body["links"].get("next")
    return records


requires_postgres = pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="a worker process needs a database it can share (PostgreSQL); the SQLite test "
    "database is in memory",
)


def process_env(media: Path, **env: str) -> dict[str, str]:
    """The environment of a process that works on the test database and files."""
    params = connection.settings_dict
    url = (
        f"postgres://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
        f"/{params['NAME']}"
    )
    return {
        **os.environ,
        "DATABASE_URL": url,
        "MEDIA_ROOT": str(media),
        "DB_CONN_MAX_AGE": "0",
        **env,
    }


def manage(media: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=process_env(media, **env),
        capture_output=True,
        text=True,
        check=True,
    )


def worker_process(media: Path, *args: str, **env: str) -> subprocess.Popen:
    """A real `manage.py db_worker` process on the test database."""
    command = ["manage.py", "db_worker", "--no-startup-delay", "--interval", "0.1", *args]
    return subprocess.Popen(
        [sys.executable, *command],
        cwd=ROOT,
        env=process_env(media, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
