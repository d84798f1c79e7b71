"""What changed between two versions of a skill collection: the files added, removed and changed,
with a unified diff of each text file, bounded by the `DIFF_*` limits of `SKILLPORT_SKILLS`.

Versions are content-addressed, so "changed" is a different blob at the same path and the list
of changes comes from the database alone; storage is read only for the files that get a diff.
"""

import mimetypes
from dataclasses import dataclass

from skills import blobs, linediff
from skills.conf import skills_conf
from skills.models import SkillCollectionVersion, VersionFile

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
# Why a changed file has no `diff`.
BINARY, TOO_LARGE, LIMIT = "binary", "too_large", "limit"
NO_NEWLINE = "\\ No newline at end of file\n"
# Media types that are never text, known from the path alone (no need to read the file).
_BINARY_TYPES = {
    "application/gzip",
    "application/octet-stream",
    "application/pdf",
    "application/x-7z-compressed",
    "application/x-bzip2",
    "application/x-tar",
    "application/x-xz",
    "application/zip",
}


@dataclass(frozen=True)
class DiffLimits:
    max_file_size: int  # bytes of either side of one file; larger files get no diff
    max_total_size: int  # bytes read from storage for all the diffs of one answer
    max_files: int  # files that get a diff in one answer


def diff_limits() -> DiffLimits:
    return DiffLimits(
        max_file_size=skills_conf.DIFF_MAX_FILE_SIZE,
        max_total_size=skills_conf.DIFF_MAX_TOTAL_SIZE,
        max_files=skills_conf.DIFF_MAX_FILES,
    )


@dataclass(frozen=True)
class Side:
    """One side of a changed path: the blob it holds."""

    sha256: str
    size: int
    storage_name: str


@dataclass
class FileChange:
    path: str
    old: Side | None  # None: added
    new: Side | None  # None: removed
    binary: bool | None = None  # None: not looked at (too large, beyond the limits)
    diff: str | None = None
    omitted: str | None = None  # why `diff` is None: BINARY, TOO_LARGE or LIMIT
    lines_added: int = 0
    lines_removed: int = 0

    @property
    def status(self) -> str:
        if self.old is None:
            return ADDED
        return REMOVED if self.new is None else CHANGED


@dataclass
class VersionDiff:
    version: SkillCollectionVersion
    against: SkillCollectionVersion | None  # None: the empty tree
    files: list[FileChange]
    unchanged: int
    limits: DiffLimits
    truncated: bool = False  # some text file got no diff because of the answer's limits

    @property
    def counts(self) -> dict[str, int]:
        """Files by status: {ADDED: n, REMOVED: n, CHANGED: n}."""
        counts = dict.fromkeys((ADDED, REMOVED, CHANGED), 0)
        for change in self.files:
            counts[change.status] += 1
        return counts

    @property
    def lines_added(self) -> int:
        return sum(change.lines_added for change in self.files)

    @property
    def lines_removed(self) -> int:
        return sum(change.lines_removed for change in self.files)


def _trees(
    version: SkillCollectionVersion, against: SkillCollectionVersion | None
) -> tuple[dict[str, Side], dict[str, Side]]:
    """(old, new) path -> Side, both versions in one query."""
    ids = [version.pk] + ([against.pk] if against is not None else [])
    rows = (
        VersionFile.objects.for_tenant(version.tenant)
        .filter(version_id__in=ids)
        .values_list("version_id", "path", "blob__sha256", "blob__size", "blob__storage_name")
    )
    old: dict[str, Side] = {}
    new: dict[str, Side] = {}
    for version_id, path, sha256, size, storage_name in rows:
        side = Side(sha256, size, storage_name)
        if version_id == version.pk:
            new[path] = side
        if against is not None and version_id == against.pk:
            old[path] = side  # both, when a version is compared with itself
    return old, new


def binary_by_name(path: str) -> bool:
    kind = mimetypes.guess_type(path, strict=False)[0] or ""
    if kind == "image/svg+xml":
        return False
    return kind.startswith(("image/", "audio/", "video/", "font/")) or kind in _BINARY_TYPES


def as_text(content: bytes) -> str | None:
    """The content as text, or None for binary content (not UTF-8, or a NUL byte as git says)."""
    if b"\0" in content:
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _lines(text: str) -> list[str]:
    """Lines split at `\\n` only (not at the other breaks `str.splitlines` knows), ends kept."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def unified_diff(path: str, old: str | None, new: str | None) -> tuple[str, int, int]:
    """A git-style unified diff (`a/`, `b/`, `/dev/null`, 3 lines of context) and the counts
    of added and removed lines."""
    output, added, removed = [], 0, 0
    lines = linediff.unified_diff(
        _lines(old or ""),
        _lines(new or ""),
        fromfile="/dev/null" if old is None else f"a/{path}",
        tofile="/dev/null" if new is None else f"b/{path}",
    )
    for number, line in enumerate(lines):
        if number >= 2:  # after the `---`/`+++` header
            added += line.startswith("+")
            removed += line.startswith("-")
        output.append(line if line.endswith("\n") else f"{line}\n{NO_NEWLINE}")
    return "".join(output), added, removed


def _fill_diff(change: FileChange) -> None:
    """Read both sides and write the diff, or mark the file binary."""
    texts = []
    for side in (change.old, change.new):
        text = None if side is None else as_text(blobs.read_content(side.storage_name))
        if side is not None and text is None:
            change.binary, change.omitted = True, BINARY
            return
        texts.append(text)
    change.binary = False
    change.diff, change.lines_added, change.lines_removed = unified_diff(change.path, *texts)


def diff_versions(
    version: SkillCollectionVersion, against: SkillCollectionVersion | None
) -> VersionDiff:
    """`version` compared with `against` (None: the empty tree), paths in order."""
    limits = diff_limits()
    old, new = _trees(version, against)
    changes = [
        FileChange(path, old.get(path), new.get(path))
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
    ]
    unchanged = sum(old.get(path) == side for path, side in new.items())
    diff = VersionDiff(version, against, changes, unchanged=unchanged, limits=limits)
    budget, diffed = limits.max_total_size, 0
    for change in changes:
        sides = [side for side in (change.old, change.new) if side is not None]
        if binary_by_name(change.path):
            change.binary, change.omitted = True, BINARY
        elif max(side.size for side in sides) > limits.max_file_size:
            change.omitted = TOO_LARGE
        elif diffed >= limits.max_files or sum(side.size for side in sides) > budget:
            # Later, smaller files may still fit the bytes left.
            change.omitted, diff.truncated = LIMIT, True
        else:
            budget -= sum(side.size for side in sides)
            diffed += 1
            _fill_diff(change)
    return diff
