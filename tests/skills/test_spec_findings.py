"""`spec_findings`: what the Agent Skills reference validator (skills-ref) says of each skill,
reported beside what Skillport (like Claude Code) accepts."""

import shutil
import subprocess
import sys
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from skills.models import Skill
from tests.skills.factories import SkillCollectionFactory, create_version, skill_md

pytestmark = pytest.mark.django_db


def findings(client, name: str) -> list[dict]:
    skill = client.get(f"/api/skills?filter[name]={name}").json()["data"][0]
    return skill["attributes"]["spec_findings"]


def test_a_clean_skill_has_no_findings(client, organization):
    create_version(
        SkillCollectionFactory(organization=organization), {"alpha/SKILL.md": skill_md("alpha")}
    )
    assert findings(client, "alpha") == []


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        # Claude Code reads these keys; the spec's list does not have them.
        ("model: sonnet\n", "unexpected_field"),
        ("user-invocable: true\nversion: 1.0.0\n", "unexpected_field"),
        # YAML flow style: PyYAML (Claude Code) reads it, the spec's strict YAML does not.
        ("allowed-tools: [Read, Grep]\n", "invalid_yaml"),
    ],
)
def test_what_claude_code_accepts_is_stored_and_reported(client, organization, extra, code):
    collection = SkillCollectionFactory(organization=organization)
    create_version(collection, {"alpha/SKILL.md": skill_md("alpha", extra=extra)})
    reported = findings(client, "alpha")
    assert [finding["code"] for finding in reported] == [code]
    assert all(finding["detail"] for finding in reported)


def test_the_findings_follow_the_latest_version(client, organization):
    collection = SkillCollectionFactory(organization=organization)
    create_version(collection, {"alpha/SKILL.md": skill_md("alpha", extra="model: x\n")})
    assert findings(client, "alpha")[0]["code"] == "unexpected_field"
    create_version(collection, {"alpha/SKILL.md": skill_md("alpha")})
    assert findings(client, "alpha") == []


def test_the_findings_are_what_agentskills_validate_prints(organization, tmp_path):
    """The stored findings are the reference validator's own messages for the same folder."""
    content = skill_md("alpha", extra="model: sonnet\nmetadata:\n  team: docs\n")
    collection = SkillCollectionFactory(organization=organization)
    create_version(collection, {"alpha/SKILL.md": content})
    folder = tmp_path / "alpha"
    folder.mkdir()
    (folder / "SKILL.md").write_text(content)
    agentskills = Path(sys.executable).with_name("agentskills")
    if not agentskills.exists():
        agentskills = shutil.which("agentskills")
    if not agentskills:
        pytest.skip("skills-ref's `agentskills` command is not installed (requirements/base.txt)")
    result = subprocess.run(
        [str(agentskills), "validate", str(folder)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    stored = Skill.objects.get(name="alpha").spec_findings
    assert stored and all(finding["detail"] in result.stdout + result.stderr for finding in stored)


def test_the_admin_shows_the_findings(admin_client, organization):
    collection = SkillCollectionFactory(organization=organization)
    create_version(collection, {"alpha/SKILL.md": skill_md("alpha", extra="model: sonnet\n")})
    skill = Skill.objects.get(name="alpha")
    page = admin_client.get(f"/admin/skills/skill/{skill.pk}/change/").content.decode()
    assert "unexpected_field" in page
    listing = admin_client.get("/admin/skills/skill/").content.decode()
    assert "spec findings" in listing.lower()


def test_the_migration_fills_existing_skills(organization):
    """Skills stored before `spec_findings` and `body` existed get both from their SKILL.md."""
    migration = import_module("skills.migrations.0008_skill_spec_findings_search")
    collection = SkillCollectionFactory(organization=organization)
    create_version(collection, {"alpha/SKILL.md": skill_md("alpha", extra="model: x\n") + "Body."})
    written = Skill.objects.values("body", "spec_findings").get(name="alpha")
    Skill.objects.update(body="", spec_findings=[])
    # The data step uses only the editor's connection (SQLite's editor cannot open in a test).
    migration.fill_skills(apps, SimpleNamespace(connection=connection))
    skill = Skill.objects.get(name="alpha")
    assert [finding["code"] for finding in skill.spec_findings] == ["unexpected_field"]
    assert skill.body == "# alpha\nBody."
    assert {"body": skill.body, "spec_findings": skill.spec_findings} == written
