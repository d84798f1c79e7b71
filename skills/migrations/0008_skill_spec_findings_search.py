"""Skills gain `body` (searched) and `spec_findings`; existing skills are filled from their
latest version's SKILL.md. On PostgreSQL, a GIN index per searched type on the exact expression
skills/search.py matches (frozen here, as migrations must be)."""

import posixpath

import frontmatter
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.core.files.storage import default_storage
from django.db import migrations, models

from skills.spec import spec_findings

SEARCHED = {
    "skill": ("skill_search", (("name", "A"), ("description", "B"), ("body", "C"))),
    "skillcollection": ("skill_collection_search", (("name", "A"), ("root_path", "B"))),
    "skillplugin": ("skill_plugin_search", (("name", "A"), ("description", "B"))),
    "skillmarketplace": ("skill_marketplace_search", (("name", "A"), ("description", "B"))),
}
SEARCH_BODY_LIMIT = 100_000


def _index(fields, name):
    vector = None
    for field, weight in fields:
        part = SearchVector(field, weight=weight, config="english")
        vector = part if vector is None else vector + part
    return GinIndex(vector, name=name)


def add_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, (index_name, fields) in SEARCHED.items():
        schema_editor.add_index(apps.get_model("skills", model_name), _index(fields, index_name))


def remove_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, (index_name, fields) in SEARCHED.items():
        schema_editor.remove_index(
            apps.get_model("skills", model_name), _index(fields, index_name)
        )


def fill_skills(apps, schema_editor):
    Skill = apps.get_model("skills", "Skill")
    VersionFile = apps.get_model("skills", "VersionFile")
    skills = Skill.objects.using(schema_editor.connection.alias).select_related(
        "skill_collection"
    )
    for skill in skills.iterator(chunk_size=500):
        path = posixpath.join(skill.path, "SKILL.md")
        row = (
            VersionFile.objects.using(schema_editor.connection.alias)
            .filter(version_id=skill.skill_collection_version_id, path=path)
            .select_related("blob")
            .first()
        )
        if row is None or not default_storage.exists(row.blob.storage_name):
            continue
        with default_storage.open(row.blob.storage_name, "rb") as handle:
            content = handle.read()
        text = content.decode("utf-8", errors="replace").removeprefix("\ufeff")
        try:
            body = frontmatter.loads(text).content
        except Exception:  # noqa: BLE001 — a body we cannot split is simply not searched
            body = ""
        folder = skill.path or skill.skill_collection.root_path
        skill.body = body.strip()[:SEARCH_BODY_LIMIT]
        skill.spec_findings = spec_findings(content, posixpath.basename(folder))
        skill.save(update_fields=["body", "spec_findings"])


class Migration(migrations.Migration):
    dependencies = [
        ("skills", "0007_drop_git_bundle_commits"),
    ]

    operations = [
        migrations.AddField(
            model_name="skill",
            name="body",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="skill",
            name="spec_findings",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(fill_skills, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(add_search_indexes, remove_search_indexes),
    ]
