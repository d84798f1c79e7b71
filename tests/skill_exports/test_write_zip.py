"""`write_zip` deflates through ISA-L and still writes standard, byte-deterministic archives:
read back by `zipfile` and by the `unzip` binary, the same bytes for the same entries."""

import io
import shutil
import subprocess
import zipfile
import zlib

import pytest

from exports.skill_exports.bundles import write_zip
from files.compression import deflate_compressor
from skills.archives import ZipSource

TEXT = "".join(f"line {i}: ünïcode and repeated words, words, words\n" for i in range(5000))
ENTRIES = {
    "b/SKILL.md": b"---\nname: b\n---\n# b\n",
    "a/reference.md": TEXT.encode(),
    "a/empty.txt": b"",
    "c/blob.bin": bytes(range(256)) * 300,
}


def sources() -> list[ZipSource]:
    """Each entry in chunks of 1000 bytes, as blobs are read."""

    def chunked(data: bytes):
        return lambda: iter([data[i : i + 1000] for i in range(0, len(data), 1000)] or [b""])

    return [ZipSource(path, len(data), chunked(data)) for path, data in ENTRIES.items()]


def archive(level: int) -> bytes:
    target = io.BytesIO()
    assert write_zip(sources(), target, level=level) == len(ENTRIES)
    return target.getvalue()


@pytest.mark.parametrize("level", [0, 1, 3, 6, 9])
def test_every_level_is_a_standard_zip(level, tmp_path):
    data = archive(level)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None  # every CRC checks
        assert zf.namelist() == sorted(ENTRIES)  # sorted, whatever the order given
        assert {name: zf.read(name) for name in zf.namelist()} == ENTRIES
        assert {info.compress_type for info in zf.infolist()} == {zipfile.ZIP_DEFLATED}
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    binary = shutil.which("unzip")
    if binary is None:
        pytest.skip("the unzip binary is not installed")
    path = tmp_path / "bundle.zip"
    path.write_bytes(data)
    tested = subprocess.run([binary, "-t", str(path)], capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "No errors detected" in tested.stdout


def test_same_entries_give_the_same_bytes():
    assert archive(1) == archive(1)


def test_default_level_deflates_with_isal_as_small_as_zlib():
    fast = archive(1)
    target = io.BytesIO()
    write_zip(sources(), target)  # the default level
    assert target.getvalue() == fast
    assert type(deflate_compressor(1)).__module__.startswith("isal")
    assert type(deflate_compressor(6)) is type(zlib.compressobj())
    assert len(fast) < 1.3 * len(archive(6))


def test_deflate_compressor_writes_raw_deflate():
    compressor = deflate_compressor(1)
    raw = compressor.compress(TEXT.encode()) + compressor.flush()
    assert zlib.decompress(raw, -zlib.MAX_WBITS) == TEXT.encode()
    with pytest.raises(ValueError, match="0-9"):
        deflate_compressor(10)
