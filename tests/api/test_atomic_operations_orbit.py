"""A real JSON:API client's atomic operations: Orbit's `@orbit/jsonapi` serializes Orbit record
operations into an `atomic:operations` document, sends it to a live server and reads the
`atomic:results` back; a failing request comes back as an error document and changes nothing.

`.ci/run` installs the pinned packages into a cache outside the repository and names it in
SKILLPORT_ORBIT_DIR; without it the test looks in that cache and skips when it is absent."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from skills.models import SkillCollection, SkillPlugin
from tests.factories import ApiKeyFactory
from tests.skill_exports.factories import plugin_with_skills
from tests.skills.factories import SkillCollectionFactory, create_version, skill_md

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = Path(__file__).with_name("orbit_atomic.js")
CACHE = Path(os.environ.get("SKILLPORT_NODE_PREFIX", Path.home() / ".cache" / "skillport-node")) / (
    "orbit"
)


def orbit_modules() -> Path | None:
    for candidate in (os.environ.get("SKILLPORT_ORBIT_DIR"), str(CACHE)):
        if candidate and (Path(candidate) / "node_modules" / "@orbit" / "jsonapi").is_dir():
            return Path(candidate) / "node_modules"
    return None


def test_orbit_sends_atomic_operations_and_reads_the_results(tmp_path, live_server):
    node, modules = shutil.which("node"), orbit_modules()
    if node is None or modules is None:
        pytest.skip(
            "node or @orbit/jsonapi not installed: set SKILLPORT_ORBIT_DIR or run `npm install "
            f"--prefix {CACHE} @orbit/jsonapi@0.17.1 @orbit/records@0.17.0` (.ci/run does)"
        )
    key = ApiKeyFactory()
    plugin = plugin_with_skills(key.organization, "base-kit", ["style"], version="1.0.0")
    other = SkillCollectionFactory(organization=key.organization, root_path=".other/skills")
    skill = create_version(other, {"lint/SKILL.md": skill_md("lint")}).skills.get()
    home = tmp_path / "home"
    home.mkdir()
    done = subprocess.run(
        [node, str(SCRIPT), live_server.url, key.raw_key, str(plugin.pk), str(skill.pk)],
        env={"PATH": os.environ["PATH"], "HOME": str(home), "NODE_PATH": str(modules)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])

    assert summary["status"] == 200
    assert summary["contentType"] == (
        'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"'
    )
    assert summary["results"] == 4
    collection = SkillCollection.objects.get(name="orbit-docs")
    created = SkillPlugin.objects.get(name="orbit-kit")
    records = summary["records"]
    assert [(record["type"], record["remoteId"]) for record in records] == [
        ("skill_collections", str(collection.pk)),
        ("skill_plugins", str(created.pk)),
        ("skill_plugins", str(plugin.pk)),
    ]
    assert records[0]["attributes"]["root_path"] == ".orbit/skills"
    plugin.refresh_from_db()
    assert plugin.version == "2.0.0"
    assert skill in plugin.skills.all()

    failure = summary["failure"]
    assert (failure["name"], failure["status"]) == ("ClientError", 422)
    [error] = failure["document"]["errors"]
    assert error["source"]["pointer"] == "/atomic:operations/1/data/attributes/version"
    assert not SkillPlugin.objects.filter(name="fine-kit").exists()
