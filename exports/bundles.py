"""The zip layouts agents install from: a skill, a Claude Code plugin, a plugin marketplace.

Entries are `skills.archives.ZipSource`s (path, size, lazily opened chunks), so a bundle never
holds file contents in memory. `write_zip` is deterministic: sorted entries, fixed timestamps
and permissions, so two exports of the same content are byte-identical.
"""

import json
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from typing import BinaryIO

from files.compression import deflate_compressor
from skills import blobs
from skills.archives import ZipSource
from skills.models import Skill, SkillMarketplace, SkillPlugin, VersionFile

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644 << 16
# Deflate level of bundle zips: ISA-L's level 1 (see `files.compression`).
ZIP_LEVEL = 1
MANIFEST_DIR = ".claude-plugin"


class BundleError(ValueError):
    """The target cannot be laid out (e.g. two skills of a plugin share a name)."""


def _bytes_source(path: str, data: bytes) -> ZipSource:
    return ZipSource(path=path, size=len(data), open_chunks=lambda: iter((data,)))


def _manifest(path: str, document: dict) -> ZipSource:
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return _bytes_source(path, text.encode())


def _skill_files(skills: Iterable[Skill]) -> dict[str, list[VersionFile]]:
    """Each skill's files (from its latest version), fetched in one query for all skills."""
    skills = list(skills)
    files_by_version = defaultdict(list)
    version_ids = {skill.skill_collection_version_id for skill in skills}
    for item in (
        VersionFile.objects.filter(version_id__in=version_ids)
        .select_related("blob")
        .order_by("path")
    ):
        files_by_version[item.version_id].append(item)
    result = {}
    for skill in skills:
        prefix = f"{skill.path}/" if skill.path else ""
        result[skill.pk] = [
            item
            for item in files_by_version[skill.skill_collection_version_id]
            if item.path.startswith(prefix)
        ]
    return result


def _skill_sources(skill: Skill, files: list[VersionFile], folder: str) -> list[ZipSource]:
    prefix = f"{skill.path}/" if skill.path else ""
    return [
        blobs.zip_source(
            f"{folder}/{item.path[len(prefix) :]}", item.blob.storage_name, item.blob.size
        )
        for item in files
    ]


def skill_bundle(skill: Skill) -> list[ZipSource]:
    """`<skill-name>/SKILL.md` and the rest of the skill's folder."""
    return _skill_sources(skill, _skill_files([skill])[skill.pk], skill.name)


def plugin_manifest(plugin: SkillPlugin) -> dict:
    """`.claude-plugin/plugin.json`: fixed key order, empty values left out."""
    document = {
        "name": plugin.name,
        "version": plugin.version,
        "description": plugin.description,
        "author": {k: plugin.author[k] for k in ("name", "email", "url") if plugin.author.get(k)},
        "homepage": plugin.homepage,
        "repository": plugin.repository,
        "license": plugin.license,
        "keywords": list(plugin.keywords),
    }
    return {key: value for key, value in document.items() if value}


def _plugin_sources(plugin: SkillPlugin, prefix: str, files: dict) -> list[ZipSource]:
    skills = sorted(plugin.skills.all(), key=lambda skill: (skill.name, str(skill.pk)))
    names = [skill.name for skill in skills]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise BundleError(
            f"Plugin '{plugin.name}' has several skills named {', '.join(duplicates)}."
        )
    sources = [_manifest(f"{prefix}{MANIFEST_DIR}/plugin.json", plugin_manifest(plugin))]
    for skill in skills:
        sources += _skill_sources(skill, files[skill.pk], f"{prefix}skills/{skill.name}")
    return sources


def plugin_bundle(plugin: SkillPlugin) -> list[ZipSource]:
    """`.claude-plugin/plugin.json` and `skills/<skill-name>/...`."""
    return _plugin_sources(plugin, "", _skill_files(plugin.skills.all()))


def marketplace_manifest(marketplace: SkillMarketplace, plugins: list[SkillPlugin]) -> dict:
    owner = {k: marketplace.owner[k] for k in ("name", "email") if marketplace.owner.get(k)}
    metadata = {"description": marketplace.description, "version": marketplace.version}
    return {
        "name": marketplace.name,
        "owner": owner,
        "metadata": {key: value for key, value in metadata.items() if value},
        "plugins": [
            {
                key: value
                for key, value in {
                    "name": plugin.name,
                    "source": f"./plugins/{plugin.name}",
                    "description": plugin.description,
                    "version": plugin.version,
                }.items()
                if value
            }
            for plugin in plugins
        ],
    }


def marketplace_bundle(marketplace: SkillMarketplace) -> list[ZipSource]:
    """`.claude-plugin/marketplace.json` and every plugin in full under `plugins/<name>/`."""
    plugins = sorted(
        marketplace.skill_plugins.prefetch_related("skills"), key=lambda plugin: plugin.name
    )
    files = _skill_files(skill for plugin in plugins for skill in plugin.skills.all())
    sources = [
        _manifest(f"{MANIFEST_DIR}/marketplace.json", marketplace_manifest(marketplace, plugins))
    ]
    for plugin in plugins:
        sources += _plugin_sources(plugin, f"plugins/{plugin.name}/", files)
    return sources


def write_zip(sources: Iterable[ZipSource], fileobj: BinaryIO, level: int = ZIP_LEVEL) -> int:
    """Write a deterministic archive, one entry streamed at a time; return the entry count.

    Entries are deflated by `files.compression.deflate_compressor` (ISA-L at levels 0-3, about
    eight times faster than zlib's level 6 with a similar size); the archive stays a standard
    zip that every unzip reads."""
    count = 0
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for source in sorted(sources, key=lambda source: source.path):
            info = zipfile.ZipInfo(source.path, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = FILE_MODE
            info.file_size = source.size
            with zf.open(info, "w", force_zip64=source.size > 2**31) as entry:
                # zipfile deflates with zlib only; its entry writer calls just `compress` and
                # `flush` on this object, so the faster codec slots in before the first byte.
                entry._compressor = deflate_compressor(level)
                for chunk in source.open_chunks():
                    entry.write(chunk)
            count += 1
    return count
