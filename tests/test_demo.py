"""`manage.py demo` (run by `make serve`): demo data through the services, kept on re-runs, and
a fresh key whose printed example calls all work."""

import io
import json
import re
import shlex

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from events.models import Event
from exports.models import SkillExport
from organizations.models import Organization, Team
from skills.models import (
    Skill,
    SkillCollection,
    SkillCollectionVersion,
    SkillMarketplace,
    SkillPlugin,
)
from tests.conftest import JsonApiClient

pytestmark = pytest.mark.django_db


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", "--port", "8123", stdout=out)
    return out.getvalue()


def printed_calls(output: str) -> tuple[str, list[list[str]]]:
    """The printed key and each printed `curl` call (its arguments, `$API` and `$H` resolved)."""
    key = re.search(r"^  KEY=(\S+);", output, re.M).group(1)
    calls = []
    for line in output.splitlines():
        if line.strip().startswith("curl") and "$API" in line:
            words = shlex.split(line.replace("$API", "/api"))
            calls.append(words)
    return key, calls


def check_printed_calls(output: str) -> None:
    key, calls = printed_calls(output)
    client = JsonApiClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert len(calls) >= 9
    for words in calls:
        path = next(word for word in words if word.startswith("/api/"))
        if "-X" in words:  # the skill export POST
            body = json.loads(words[words.index("-d") + 1])
            response = client.post(path, body)
            assert response.status_code == 201, (path, response.json())
            continue
        response = client.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        if "format=zip" not in path:
            assert response.json()["data"], path


def test_demo_creates_the_data_through_the_services_and_keeps_it(settings):
    first = run_demo()
    assert "demo data created" in first
    organization = Organization.objects.get(slug="demo")
    collection = SkillCollection.objects.get(organization=organization, name="support")
    versions = SkillCollectionVersion.objects.filter(skill_collection=collection)
    assert sorted(versions.values_list("number", "release_label")) == [(1, "stable"), (2, "prod")]
    skills = Skill.objects.filter(skill_collection=collection)
    assert sorted(skills.values_list("name", flat=True)) == ["pdf-tools", "release-notes"]
    assert skills.get(name="pdf-tools").allowed_tools == ["Read", "Bash(python:*)"]
    plugin = SkillPlugin.objects.get(organization=organization, name="support-kit")
    assert set(plugin.skills.all()) == set(skills)
    marketplace = SkillMarketplace.objects.get(organization=organization, name="acme-tools")
    assert list(marketplace.skill_plugins.all()) == [plugin]
    team = Team.objects.get(organization=organization)
    assert team.members.count() == 1
    # Written through the services: blobs in storage, events and audit versions recorded.
    for version in versions:
        for item in version.files.select_related("blob"):
            assert default_storage.exists(item.blob.storage_name)
    names = set(Event.objects.filter(organization=organization).values_list("name", flat=True))
    assert {"skill_collections.create", "skill_plugins.create", "skill_marketplaces.create"} <= (
        names
    )
    for ident in (collection.pk, plugin.pk, marketplace.pk, team.pk):
        assert str(ident) in first
    check_printed_calls(first)
    assert SkillExport.objects.filter(organization=organization).count() == 1

    second = run_demo()
    assert "demo data already present, kept" in second
    assert SkillCollection.objects.count() == 1
    assert SkillCollectionVersion.objects.count() == 2
    assert (SkillPlugin.objects.count(), SkillMarketplace.objects.count()) == (1, 1)
    assert Team.objects.count() == 1
    assert printed_calls(first)[0] != printed_calls(second)[0]  # a fresh key, and it works
    for ident in (collection.pk, plugin.pk, marketplace.pk, team.pk):
        assert str(ident) in second
    check_printed_calls(second)
