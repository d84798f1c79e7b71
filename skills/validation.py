"""Pure checks on a skill collection's file tree: paths, limits and SKILL.md frontmatter.

Nothing here touches the database or storage, so uploads from JSON and from zip archives (and
later importers) share exactly the same rules.
"""

import json
import posixpath
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

from core.values import contains_nul
from skills.conf import DEFAULTS, skills_conf
from skills.spec import spec_findings

SKILL_FILE = "SKILL.md"
SKILL_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
# How much of a SKILL.md's body is kept for full-text search (characters; PostgreSQL's tsvector
# holds at most 1 MB, and the start of a skill's instructions says what it is for).
SEARCH_BODY_LIMIT = 100_000


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without aliases, so a few bytes cannot expand into a 'billion laughs', and
    with bounded nesting, so a few kilobytes of `[` cannot exhaust the recursion limit."""

    max_depth = DEFAULTS["MAX_FRONTMATTER_DEPTH"].default

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases are not allowed", mark)
        if not self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
            return super().compose_node(parent, index)
        depth = getattr(self, "_depth", 0)  # collections open around this node
        if depth >= self.max_depth:
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, f"collections nest deeper than {self.max_depth} levels", mark
            )
        self._depth = depth + 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth = depth


class _SkillFrontmatter(YAMLHandler):
    def load(self, fm: str, max_depth: int | None = None, **kwargs: object) -> Any:
        loader = _NoAliasLoader(fm)
        if max_depth is not None:
            loader.max_depth = max_depth
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()


FRONTMATTER = _SkillFrontmatter()


@dataclass(frozen=True)
class Limits:
    max_file_size: int
    max_version_size: int
    max_files: int
    max_compression_ratio: float
    compression_ratio_min_size: int
    max_path_length: int
    max_frontmatter_size: int
    max_frontmatter_depth: int


def get_limits() -> Limits:
    """The limits of skills/conf.py (tests lower them)."""
    return Limits(**{f.name: getattr(skills_conf, f.name.upper()) for f in fields(Limits)})


class TreeError(ValueError):
    """A refused file tree; `path` is the offending file (None for the whole tree)."""

    def __init__(self, path: str | None, detail: str, code: str, status: int = 422):
        super().__init__(detail)
        self.path = path
        self.detail = detail
        self.code = code
        self.status = status


def normalise_path(raw: str) -> str:
    """The canonical relative POSIX form of `raw`, or TreeError for anything unsafe."""
    if not isinstance(raw, str) or not raw:
        raise TreeError(str(raw), "A file path must be a non-empty string.", "invalid_path")
    if CONTROL_CHARACTERS.search(raw):
        raise TreeError(raw, "File paths may not contain control characters.", "invalid_path")
    if "\\" in raw:
        raise TreeError(raw, "File paths use '/', never backslashes.", "invalid_path")
    if raw.startswith("/") or WINDOWS_DRIVE.match(raw):
        raise TreeError(raw, "File paths must be relative, not absolute.", "absolute_path")
    path = unicodedata.normalize("NFC", raw)
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise TreeError(raw, "File paths may not contain '..'.", "path_traversal")
    if not parts:
        raise TreeError(raw, "A file path must name a file.", "invalid_path")
    normalised = "/".join(parts)
    if len(normalised) > get_limits().max_path_length:
        raise TreeError(raw, "The file path is too long.", "invalid_path")
    return normalised


def fold_path(path: str) -> str:
    """The form under which two paths name one file on a case-insensitive or
    normalization-insensitive file system (macOS, Windows): NFC, then case-folded."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", path).casefold())


class TreeBudget:
    """Counts files and bytes against the limits while a tree is being read.

    Paths are compared folded (`fold_path`), so a tree never holds two names that overwrite
    each other, or a file and a folder that clash, once unpacked on macOS or Windows.
    """

    def __init__(self, limits: Limits | None = None):
        self.limits = limits or get_limits()
        self.paths: dict[str, str] = {}  # folded -> path, for files
        self.folders: dict[str, str] = {}  # folded -> path, for folders
        self.total_size = 0

    def add_path(self, raw: str) -> str:
        path = normalise_path(raw)
        folded = fold_path(path)
        if folded in self.paths:
            earlier = self.paths[folded]
            detail = (
                f"'{path}' appears more than once."
                if earlier == path
                else f"'{path}' and '{earlier}' differ only in case or Unicode normalization."
            )
            raise TreeError(raw, detail, "duplicate_path")
        parents, folder = {}, posixpath.dirname(path)
        while folder:
            parents[fold_path(folder)] = folder
            folder = posixpath.dirname(folder)
        if folded in self.folders or parents.keys() & self.paths.keys():
            raise TreeError(
                raw, f"'{path}' is both a file and a folder in this tree.", "path_conflict"
            )
        for folded_folder, folder in parents.items():
            earlier = self.folders.get(folded_folder, folder)
            if earlier != folder:
                raise TreeError(
                    raw,
                    f"The folders '{folder}' and '{earlier}' differ only in case or Unicode "
                    "normalization.",
                    "duplicate_path",
                )
        if len(self.paths) >= self.limits.max_files:
            raise TreeError(
                None, f"A version holds at most {self.limits.max_files} files.", "too_many_files"
            )
        self.folders.update(parents)
        self.paths[folded] = path
        return path

    def add_size(self, path: str, size: int) -> None:
        if size > self.limits.max_file_size:
            raise TreeError(
                path,
                f"'{path}' is {size} bytes; a file may hold at most "
                f"{self.limits.max_file_size} bytes.",
                "file_too_large",
            )
        self.total_size += size
        if self.total_size > self.limits.max_version_size:
            raise TreeError(
                None,
                f"A version may hold at most {self.limits.max_version_size} bytes.",
                "version_too_large",
            )


@dataclass(frozen=True)
class SkillManifest:
    """What a SKILL.md frontmatter says, after validation."""

    path: str  # the skill folder ('' for the collection root)
    name: str
    description: str
    license: str = ""
    compatibility: str = ""
    allowed_tools: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    body: str = ""  # the Markdown after the frontmatter, for search (at most SEARCH_BODY_LIMIT)
    spec_findings: list[dict[str, str]] = field(default_factory=list)


def skill_folder(path: str) -> str | None:
    """The folder a `SKILL.md` path defines, or None when `path` is no SKILL.md."""
    if posixpath.basename(path) != SKILL_FILE:
        return None
    return posixpath.dirname(path)


def _check_name(name: Any, folder_name: str, path: str) -> str:
    if not isinstance(name, str) or not name:
        raise TreeError(path, "SKILL.md frontmatter needs a 'name'.", "invalid_skill")
    if len(name) > 64 or not SKILL_NAME.match(name):
        raise TreeError(
            path,
            "The skill 'name' must be 1-64 characters of a-z, 0-9 and '-', without a leading, "
            "trailing or double hyphen.",
            "invalid_skill",
        )
    if name != folder_name:
        raise TreeError(
            path,
            f"The skill 'name' ({name}) must equal its folder's name ({folder_name}).",
            "invalid_skill",
        )
    return name


def _split_tools(text: str) -> list[str]:
    """Split on whitespace and commas outside parentheses: `Bash(git add:*)` is one tool."""
    tools, current, depth = [], [], 0
    for character in text:
        if character == "(":
            depth += 1
        elif character == ")":
            depth = max(depth - 1, 0)
        if depth == 0 and (character == "," or character.isspace()):
            tools.append("".join(current))
            current = []
        else:
            current.append(character)
    tools.append("".join(current))
    return [tool for tool in tools if tool]


def parse_allowed_tools(value: Any) -> list[str] | None:
    """`allowed-tools` as the Agent Skills format defines it: a space-separated string (commas,
    as Claude Code writes them, tolerated) or a YAML list of strings. None when it is neither."""
    if value is None:
        return []
    if isinstance(value, str):
        return _split_tools(value)
    if isinstance(value, list) and all(isinstance(tool, str) for tool in value):
        return [tool.strip().strip(",").strip() for tool in value if tool.strip().strip(",")]
    return None


def _optional_text(meta: Mapping, key: str, path: str, max_length: int) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > max_length:
        raise TreeError(
            path, f"'{key}' must be a string of at most {max_length} characters.", "invalid_skill"
        )
    return value


def parse_skill_md(
    path: str, content: bytes, root_name: str = "", limits: Limits | None = None
) -> SkillManifest:
    """Validate a SKILL.md against the Agent Skills frontmatter rules."""
    limits = limits or get_limits()
    folder = posixpath.dirname(path)
    folder_name = posixpath.basename(folder) if folder else posixpath.basename(root_name)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise TreeError(path, "SKILL.md must be UTF-8 text.", "invalid_skill") from None
    text = text.removeprefix("\ufeff")
    if not frontmatter.checks(text, FRONTMATTER):
        raise TreeError(path, "SKILL.md must start with YAML frontmatter.", "invalid_skill")
    try:
        block, body = FRONTMATTER.split(text)
    except ValueError:
        raise TreeError(path, "SKILL.md frontmatter is not closed.", "invalid_skill") from None
    if len(block) > limits.max_frontmatter_size:
        raise TreeError(
            path,
            f"SKILL.md frontmatter may be at most {limits.max_frontmatter_size} characters.",
            "invalid_skill",
        )
    try:
        meta = FRONTMATTER.load(block, max_depth=limits.max_frontmatter_depth)
    except (yaml.YAMLError, ValueError, TypeError) as error:
        raise TreeError(
            path, f"SKILL.md frontmatter is not valid YAML: {error}", "invalid_skill"
        ) from None
    if not isinstance(meta, Mapping):
        raise TreeError(path, "SKILL.md frontmatter must be a mapping.", "invalid_skill")
    if contains_nul(meta):  # YAML's "\0" escape: PostgreSQL stores no NUL in text or jsonb
        raise TreeError(
            path, "SKILL.md frontmatter must not contain NUL characters.", "invalid_skill"
        )
    name = _check_name(meta.get("name"), folder_name, path)
    description = meta.get("description")
    if not isinstance(description, str) or not 1 <= len(description.strip()) <= 1024:
        raise TreeError(path, "The skill 'description' must be 1-1024 characters.", "invalid_skill")
    allowed_tools = parse_allowed_tools(meta.get("allowed-tools"))
    if allowed_tools is None:
        raise TreeError(path, "'allowed-tools' must be a string or a list.", "invalid_skill")
    metadata = meta.get("metadata") or {}
    if not isinstance(metadata, Mapping):
        raise TreeError(path, "'metadata' must be a mapping.", "invalid_skill")
    return SkillManifest(
        path=folder,
        name=name,
        description=description.strip(),
        license=_optional_text(meta, "license", path, 500),
        compatibility=_optional_text(meta, "compatibility", path, 500),
        allowed_tools=allowed_tools,
        metadata=json.loads(json.dumps({str(k): v for k, v in metadata.items()}, default=str)),
        body=body.strip()[:SEARCH_BODY_LIMIT],
        spec_findings=spec_findings(content, folder_name),
    )


def index_skills(files: Mapping[str, bytes], root_name: str = "") -> list[SkillManifest]:
    """Every SKILL.md of a tree, validated, in path order."""
    limits = get_limits()
    return [
        parse_skill_md(path, files[path], root_name, limits)
        for path in sorted(files)
        if skill_folder(path) is not None
    ]


def check_tree(entries: Iterable[tuple[str, bytes]], limits: Limits | None = None) -> dict:
    """Normalise and check a whole in-memory tree: `{path: content}` in the given order."""
    budget = TreeBudget(limits)
    tree: dict[str, bytes] = {}
    for raw, content in entries:
        path = budget.add_path(raw)
        budget.add_size(path, len(content))
        tree[path] = content
    return tree
