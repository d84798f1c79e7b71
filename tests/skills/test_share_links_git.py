"""`git clone <share link url>.git` with the real git client and no credential: read-only, the
link's one resource (a pinned link's history ends at its version), 404 once revoked."""

import pytest

from skills import services, sharing
from tests.factories import tenant_of
from tests.skill_exports.factories import plugin_with_skills
from tests.skills.factories import SkillCollectionFactory, create_version, skill_files, skill_md
from tests.skills.gitclient import run_git, tree_of

pytestmark = pytest.mark.django_db(transaction=True)

V1 = skill_files("pdf-tools")
V2 = {**V1, "pdf-tools/SKILL.md": skill_md("pdf-tools", "Second version.")}


def encoded(files: dict) -> dict[str, bytes]:
    return {path: content.encode() for path, content in files.items()}


@pytest.fixture
def collection(key):
    collection = SkillCollectionFactory(organization=key.organization, created_by=key.member)
    create_version(collection, V1, commit_message="First", release_label="stable")
    create_version(collection, V2, commit_message="Second")
    return collection


def link_url(live_server, target, **pin) -> str:
    link = sharing.create_share_link(tenant=target.tenant, actor=None, target=target, **pin)
    return live_server.url + sharing.share_path(link), link


def test_clone_through_a_share_link_needs_no_key(live_server, home, collection):
    url, _ = link_url(live_server, collection)
    run_git(home, "clone", f"{url}.git", str(home / "repo"))
    assert tree_of(home / "repo") == encoded(V2)
    log = run_git(home, "log", "--format=%s", cwd=home / "repo").stdout.split()
    assert log == ["Second", "First"]


def test_a_pinned_link_clones_the_history_up_to_its_version(live_server, home, collection):
    url, _ = link_url(live_server, collection, label="stable")
    run_git(home, "clone", f"{url}.git", str(home / "repo"))
    assert tree_of(home / "repo") == encoded(V1)
    assert run_git(home, "log", "--format=%s", cwd=home / "repo").stdout.split() == ["First"]
    tags = run_git(home, "ls-remote", "--tags", f"{url}.git").stdout
    assert "refs/tags/v1" in tags and "refs/tags/v2" not in tags


def test_a_share_link_refuses_pushes(live_server, home, collection):
    url, _ = link_url(live_server, collection)
    run_git(home, "clone", f"{url}.git", str(home / "repo"))
    (home / "repo" / "pdf-tools" / "NEW.md").write_text("new\n")
    run_git(home, "add", ".", cwd=home / "repo")
    run_git(home, "commit", "-qm", "try", cwd=home / "repo")
    pushed = run_git(home, "push", "origin", "main", cwd=home / "repo", check=False)
    assert pushed.returncode != 0
    assert "read-only" in pushed.stderr
    assert collection.versions.count() == 2


def test_a_revoked_link_clones_nothing(live_server, home, collection):
    url, link = link_url(live_server, collection)
    sharing.revoke(link)
    cloned = run_git(home, "clone", f"{url}.git", str(home / "repo"), check=False)
    assert cloned.returncode != 0
    assert "not found" in cloned.stderr.lower() or "404" in cloned.stderr


def test_plugin_links_clone_the_plugin(live_server, home, key):
    plugin = plugin_with_skills(key.organization, "review-kit", ["style"])
    marketplace = services.create_marketplace(
        tenant=tenant_of(key.organization), actor=None, skill_plugins=[plugin], name="market"
    )
    for target, manifest in ((plugin, "plugin.json"), (marketplace, "marketplace.json")):
        url, _ = link_url(live_server, target)
        run_git(home, "clone", f"{url}.git", str(home / target.name))
        assert (home / target.name / ".claude-plugin" / manifest).is_file()
