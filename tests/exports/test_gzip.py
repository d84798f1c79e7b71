"""Export files are standard gzip at every level: read back by the `gzip` module and `gunzip`."""

import gzip
import io
import shutil
import subprocess

import pytest
from django.core.files.storage import default_storage

from exports.conf import exports_conf
from exports.models import Export
from files.compression import gzip_writer
from tests.exports.conftest import read_export_file
from tests.factories import MemberFactory

DATA = "".join(f"{i},Mémber {i},member{i}@example.com,user\r\n" for i in range(20_000)).encode()


def gunzip(data: bytes) -> bytes:
    binary = shutil.which("gunzip")
    if binary is None:
        pytest.skip("the gunzip binary is not installed")
    return subprocess.run([binary, "-c"], input=data, capture_output=True, check=True).stdout


@pytest.mark.parametrize("level", [0, 1, 2, 3, 6, 9])
def test_every_level_is_standard_gzip(level):
    target = io.BytesIO()
    with gzip_writer(target, level) as out:
        out.write(DATA[:1000])
        out.write(DATA[1000:])
    raw = target.getvalue()
    assert raw[:3] == b"\x1f\x8b\x08"  # a gzip member, deflate
    assert gzip.decompress(raw) == DATA
    assert gunzip(raw) == DATA


def test_low_levels_use_isal_and_compress_like_zlib():
    fast, reference = io.BytesIO(), io.BytesIO()
    with gzip_writer(fast, 1) as out:
        out.write(DATA)
    with gzip.GzipFile(fileobj=reference, mode="wb", compresslevel=6, mtime=0) as out:
        out.write(DATA)
    assert type(gzip_writer(io.BytesIO(), 1)).__module__ == "isal.igzip"
    # about the same ratio as zlib's default level on export-like CSV
    assert len(fast.getvalue()) < 1.6 * len(reference.getvalue())


def test_same_input_gives_same_bytes():
    outputs = set()
    for _ in range(2):
        target = io.BytesIO()
        with gzip_writer(target, 1) as out:
            out.write(DATA)
        outputs.add(target.getvalue())
    assert len(outputs) == 1


def test_bad_level_is_refused():
    with pytest.raises(ValueError, match="0-9"):
        gzip_writer(io.BytesIO(), 10)


def test_default_level_is_isal_level_1():
    assert exports_conf.EXPORT_GZIP_LEVEL == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_worker_export_reads_back_with_gunzip(client, run_worker, organization, file_format):
    MemberFactory.create_batch(30, organization=organization, name="Zoë \"quoted\", 'x'\nnext")
    response = client.post(
        "/api/exports",
        {
            "data": {
                "type": "exports",
                "attributes": {"resource_type": "members", "format": file_format},
            }
        },
    )
    assert response.status_code == 201
    run_worker()
    export = Export.objects.get(pk=response.json()["data"]["id"])
    assert export.status == Export.Status.COMPLETED, export.errors_log
    data = client.get(f"/api/exports/{export.pk}").json()["data"]
    with default_storage.open(export.attachment, "rb") as handle:
        raw = handle.read()
    assert gunzip(raw) == gzip.decompress(raw)
    rows = read_export_file(client, data)
    assert len(rows) == 31
    assert sum(row["name"] == "Zoë \"quoted\", 'x'\nnext" for row in rows) == 30
