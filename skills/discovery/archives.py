"""Each skill as a deterministic zip, the `archive` artifact of the Agent Skills discovery index.

The same files give the same bytes on every build and on every install: entries in path order,
relative to the skill's folder (`SKILL.md` at the root, no wrapper folder, no folder entries),
stored without compression (a deflate stream may differ between zlib builds; the bytes, and so
the index's digest, must not), a fixed timestamp (1980-01-01, the first a zip can hold), mode
0644, Unix as the creating system, no comment and no extra fields.

What the index says of an archive (its SHA-256 and size, the SKILL.md's description)
is derived once per content and kept in `SkillArchive`, keyed by a digest of the entries, so
an index lists many skills without reading their files; a download rebuilds the bytes from the
stored blobs (and corrects the kept digest should the zip writer ever change).
"""

import hashlib
import stat
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from skills.blobs import content_chunks, read_content
from skills.bundles.layouts import StoredFile
from skills.models import SkillArchive
from skills.validation import SKILL_FILE, TreeError, parse_skill_md

FORMAT = b"skillport-skill-zip-1\n"  # bump when the bytes of an archive change
DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_ATTRIBUTES = (stat.S_IFREG | 0o644) << 16
UNIX = 3
SPOOL_SIZE = 8 * 1024 * 1024  # archives beyond this are built in a temporary file
READ_SIZE = 256 * 1024


@dataclass(frozen=True)
class ArchiveEntry:
    """A file of a skill's archive: its path inside the archive and its stored blob."""

    path: str
    sha256: str
    storage_name: str
    size: int


@dataclass(frozen=True)
class SkillFiles:
    """One skill as served: its folder's name (what its SKILL.md's `name` equals), its
    description from the database (used only if its SKILL.md no longer parses) and its entries."""

    name: str
    description: str
    entries: tuple[ArchiveEntry, ...]

    @property
    def key(self) -> str:
        return archive_key(self.entries)


def skill_entries(skill_path: str, files: Iterable[StoredFile]) -> tuple[ArchiveEntry, ...]:
    """The archive entries of the skill at `skill_path`, from its version's files."""
    prefix = f"{skill_path}/" if skill_path else ""
    return tuple(
        ArchiveEntry(item.path[len(prefix) :], item.sha256, item.storage_name, item.size)
        for item in sorted(files, key=lambda item: item.path)
        if item.path.startswith(prefix)
    )


def archive_key(entries: Iterable[ArchiveEntry]) -> str:
    digest = hashlib.sha256(FORMAT)
    for entry in sorted(entries, key=lambda entry: entry.path):
        digest.update(f"{entry.path}\0{entry.sha256}\n".encode())
    return digest.hexdigest()


def write_zip(entries: Iterable[ArchiveEntry], out: BinaryIO) -> None:
    """The archive of `entries` into the seekable `out` (zipfile writes each local header's
    CRC and sizes in place, so no data descriptors)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for entry in sorted(entries, key=lambda entry: entry.path):
            info = zipfile.ZipInfo(entry.path, date_time=DATE_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = UNIX
            info.external_attr = FILE_ATTRIBUTES
            info.file_size = entry.size
            with archive.open(info, "w") as handle:
                for chunk in content_chunks(entry.storage_name):
                    handle.write(chunk)


@dataclass
class BuiltArchive:
    """A built archive: its bytes in a (spooled) temporary file, their SHA-256 and size."""

    file: BinaryIO
    sha256: str
    size: int

    def chunks(self) -> Iterator[bytes]:
        try:
            self.file.seek(0)
            while chunk := self.file.read(READ_SIZE):
                yield chunk
        finally:
            self.file.close()


def build(skill: SkillFiles) -> BuiltArchive:
    # Closed by whoever streams or drops the archive (BuiltArchive.chunks, describe).
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_SIZE)  # noqa: SIM115
    write_zip(skill.entries, spool)
    size = spool.tell()
    spool.seek(0)
    digest = hashlib.sha256()
    while chunk := spool.read(READ_SIZE):
        digest.update(chunk)
    return BuiltArchive(spool, digest.hexdigest(), size)


def _description(skill: SkillFiles) -> str:
    """The description the archive's SKILL.md gives (the database's if it no longer parses,
    e.g. under lower limits than when it was stored)."""
    entry = next((entry for entry in skill.entries if entry.path == SKILL_FILE), None)
    if entry is None:
        return skill.description
    try:
        manifest = parse_skill_md(f"{skill.name}/{SKILL_FILE}", read_content(entry.storage_name))
    except TreeError:
        return skill.description
    return manifest.description


def _record(skill: SkillFiles, built: BuiltArchive) -> SkillArchive:
    return SkillArchive(
        key=skill.key, sha256=built.sha256, size=built.size, description=_description(skill)
    )


def describe(skills: Iterable[SkillFiles]) -> dict[str, SkillArchive]:
    """What the index says of each skill's archive, by key: kept ones in one query, the others
    built (and kept) now."""
    skills = list(skills)
    known = SkillArchive.objects.in_bulk({skill.key for skill in skills})
    new = {}
    for skill in skills:
        if skill.key not in known and skill.key not in new:
            built = build(skill)
            built.file.close()
            new[skill.key] = _record(skill, built)
    # A concurrent request may keep the same rows meanwhile: their values are equal.
    SkillArchive.objects.bulk_create(new.values(), ignore_conflicts=True)
    return {**known, **new}


def archive_for_download(skill: SkillFiles) -> BuiltArchive:
    """The archive's bytes; its kept description is corrected if these bytes differ from it
    (a changed zip writer), so the next index lists the digest that downloads match."""
    built = build(skill)
    kept = SkillArchive.objects.filter(pk=skill.key).first()
    if kept is None:
        SkillArchive.objects.bulk_create([_record(skill, built)], ignore_conflicts=True)
    elif (kept.sha256, kept.size) != (built.sha256, built.size):
        SkillArchive.objects.filter(pk=skill.key).update(sha256=built.sha256, size=built.size)
    return built
