"""Each target's zip, made by the real worker, opened and checked entry by entry."""

import hashlib
import json
import re

import pytest

from skills import services
from tests.factories import tenant_of
from tests.skill_exports.factories import collection_with_skills, plugin_with_skills
from tests.skill_exports.helpers import completed_export, download, included, zip_entries
from tests.skills.factories import create_version, skill_md

pytestmark = pytest.mark.django_db(transaction=True)


def test_skill_zip_holds_the_skill_folder(client, organization, run_worker):
    skill = collection_with_skills(organization, ["pdf-tools", "lint"])[1]
    body = completed_export(client, run_worker, "skill", "skill", "skills", skill.pk)
    data = download(included(body, "file_links")["attributes"]["url"])
    entries = zip_entries(data)
    assert sorted(entries) == ["pdf-tools/SKILL.md", "pdf-tools/scripts/run.py"]
    assert entries["pdf-tools/SKILL.md"] == skill_md("pdf-tools").encode()
    file = included(body, "files")["attributes"]
    assert file["file_name"] == "pdf-tools.zip"
    assert file["file_type"] == "application/zip"
    assert file["purpose"] == "skill_export"
    assert file["file_size"] == len(data)
    assert file["sha256"] == hashlib.sha256(data).hexdigest()


def test_plugin_zip_is_a_claude_code_plugin(client, organization, run_worker):
    plugin = plugin_with_skills(
        organization,
        "review-kit",
        ["style", "security"],
        version="1.2.0",
        description="Code review skills",
        author={"name": "Ada", "email": "ada@example.com", "url": "https://ada.example"},
        homepage="https://example.com/review-kit",
        repository="https://github.com/example/review-kit",
        license="MIT",
        keywords=["review", "lint"],
    )
    body = completed_export(
        client, run_worker, "plugin", "skill_plugin", "skill_plugins", plugin.pk
    )
    entries = zip_entries(download(included(body, "file_links")["attributes"]["url"]))
    assert sorted(entries) == [
        ".claude-plugin/plugin.json",
        "gemini-extension.json",
        "skills/security/SKILL.md",
        "skills/security/scripts/run.py",
        "skills/style/SKILL.md",
        "skills/style/scripts/run.py",
    ]
    manifest = json.loads(entries[".claude-plugin/plugin.json"])
    assert list(manifest) == [
        "name",
        "version",
        "description",
        "author",
        "homepage",
        "repository",
        "license",
        "keywords",
    ]
    # The plugin's version plus build metadata from its content (a new version per change).
    assert re.fullmatch(r"1\.2\.0\+[0-9a-f]{12}", manifest["version"])
    assert manifest == {
        "name": "review-kit",
        "version": manifest["version"],
        "description": "Code review skills",
        "author": {"name": "Ada", "email": "ada@example.com", "url": "https://ada.example"},
        "homepage": "https://example.com/review-kit",
        "repository": "https://github.com/example/review-kit",
        "license": "MIT",
        "keywords": ["review", "lint"],
    }
    assert entries["skills/style/SKILL.md"] == skill_md("style").encode()
    # Gemini CLI's extension manifest, from the same fields and the same served version.
    assert json.loads(entries["gemini-extension.json"]) == {
        "name": "review-kit",
        "version": manifest["version"],
        "description": "Code review skills",
    }


def test_marketplace_zip_lists_and_holds_every_plugin(client, organization, run_worker):
    first = plugin_with_skills(organization, "alpha", ["one"], description="A", version="1.0.0")
    second = plugin_with_skills(
        organization, "beta", ["two", "three"], version="2.0.0", description=""
    )
    marketplace = services.create_marketplace(
        tenant=tenant_of(organization),
        actor=None,
        skill_plugins=[second, first],
        name="team-market",
        owner={"name": "Platform", "email": "platform@example.com"},
        description="Our plugins",
        version="3.1.0",
    )
    body = completed_export(
        client,
        run_worker,
        "marketplace",
        "skill_marketplace",
        "skill_marketplaces",
        marketplace.pk,
    )
    entries = zip_entries(download(included(body, "file_links")["attributes"]["url"]))
    versions = {
        name: json.loads(entries[f"plugins/{name}/.claude-plugin/plugin.json"])["version"]
        for name in ("alpha", "beta")
    }
    assert re.fullmatch(r"1\.0\.0\+[0-9a-f]{12}", versions["alpha"])
    assert re.fullmatch(r"2\.0\.0\+[0-9a-f]{12}", versions["beta"])
    assert json.loads(entries[".claude-plugin/marketplace.json"]) == {
        "name": "team-market",
        "owner": {"name": "Platform", "email": "platform@example.com"},
        "metadata": {"description": "Our plugins", "version": "3.1.0"},
        "plugins": [
            {
                "name": "alpha",
                "source": "./plugins/alpha",
                "description": "A",
                "version": versions["alpha"],
            },
            {"name": "beta", "source": "./plugins/beta", "version": versions["beta"]},
        ],
    }
    assert sorted(name for name in entries if name.endswith("plugin.json")) == [
        "plugins/alpha/.claude-plugin/plugin.json",
        "plugins/beta/.claude-plugin/plugin.json",
    ]
    assert entries["plugins/beta/skills/three/SKILL.md"] == skill_md("three").encode()
    assert "plugins/alpha/skills/one/scripts/run.py" in entries
    # marketplace.json, 2 x (plugin.json, gemini-extension.json), 3 skills x 2 files
    assert len(entries) == 1 + 2 * 2 + 2 * 3


def test_identical_content_gives_byte_identical_zips(client, organization, run_worker):
    plugin = plugin_with_skills(organization, "same", ["a-skill", "b-skill"], version="1.0.0")
    first = completed_export(
        client, run_worker, "plugin", "skill_plugin", "skill_plugins", plugin.pk
    )
    second = completed_export(
        client, run_worker, "plugin", "skill_plugin", "skill_plugins", plugin.pk
    )
    first_zip = download(included(first, "file_links")["attributes"]["url"])
    second_zip = download(included(second, "file_links")["attributes"]["url"])
    assert first_zip == second_zip
    assert included(first, "files")["id"] != included(second, "files")["id"]


def test_skill_export_uses_the_latest_version(client, organization, run_worker):
    skill = collection_with_skills(organization, ["evolving"])[0]
    create_version(
        skill.skill_collection, {"evolving/SKILL.md": skill_md("evolving", "Second take.")}
    )
    skill.refresh_from_db()
    body = completed_export(client, run_worker, "skill", "skill", "skills", skill.pk)
    entries = zip_entries(download(included(body, "file_links")["attributes"]["url"]))
    assert entries == {"evolving/SKILL.md": skill_md("evolving", "Second take.").encode()}


def test_lifecycle_timestamps_and_failure(client, organization, run_worker):
    from tests.skill_exports.helpers import create_skill_export

    plugin = plugin_with_skills(organization, "doomed", ["x-skill"])
    created = create_skill_export(client, "plugin", "skill_plugin", "skill_plugins", plugin.pk)
    assert created["attributes"]["status"] == "pending"
    assert created["attributes"]["started_at"] is None
    plugin.delete()
    run_worker()
    attributes = client.get(f"/api/skill_exports/{created['id']}").json()["data"]["attributes"]
    assert attributes["status"] == "failed"
    assert "no longer exists" in attributes["error"]
    assert attributes["started_at"] is not None
