"""The real `skills` CLI (tests/agents/test_skills_cli.py runs it by git URL) installs a
collection through the Agent Skills discovery index of a share link, against a live server
thread, in a throwaway HOME and project: `skills add <share link url> --yes` with no key (the
CLI sends none to a well-known URL), each skill's files byte for byte; a new version, `skills
update`, byte for byte again (the CLI compares the index's digests). The keyed
`skills_index_url` without a share link, or a revoked link, installs nothing."""

from pathlib import Path

import pytest

from skills import sharing
from skills.discovery.paths import index_path
from tests.agents import clients
from tests.agents.test_skills_cli import BIN, NODE, installed, skills
from tests.factories import ApiKeyFactory
from tests.skills.factories import SkillCollectionFactory, create_version, skill_files, skill_md

pytestmark = pytest.mark.django_db(transaction=True)

V1 = {
    **skill_files("pdf-tools", "release-notes"),
    "pdf-tools/logo.bin": bytes(range(256)),
}
V2 = {**V1, "pdf-tools/SKILL.md": skill_md("pdf-tools", "Reads PDFs, better.")}


def expected(files: dict) -> dict[str, bytes]:
    """The installed tree of a version (`<skill>/<path>`; files outside a skill are not)."""
    return {
        path: content if isinstance(content, bytes) else content.encode()
        for path, content in files.items()
        if "/" in path
    }


@pytest.fixture
def home(tmp_path) -> Path:
    clients.require(*BIN), clients.require(*NODE)  # skips, saying why, without the CLI
    return clients.new_home(tmp_path)


@pytest.fixture
def collection():
    key = ApiKeyFactory()
    collection = SkillCollectionFactory(organization=key.organization, created_by=key.member)
    create_version(collection, V1)
    return collection


def share(live_server, collection) -> tuple[str, sharing.ShareLink]:
    link = sharing.create_share_link(tenant=collection.tenant, actor=None, target=collection)
    return live_server.url + sharing.share_path(link), link


def test_skills_add_and_update_through_a_share_link(live_server, home, collection):
    url, _ = share(live_server, collection)

    skills(home, "add", url, "--yes")
    assert installed(home) == expected(V1)

    create_version(collection, V2)
    done = skills(home, "update", "--yes")
    assert "Updating pdf-tools" in done.stdout
    assert installed(home) == expected(V2)
    # Unchanged since: the digests match, nothing to update.
    again = skills(home, "update", "--yes")
    assert "Updating pdf-tools" not in again.stdout
    assert installed(home) == expected(V2)


def test_a_private_collection_without_a_share_link_is_refused(live_server, home, collection):
    done = skills(home, "add", live_server.url + index_path(collection), "--yes", check=False)
    # A 401 for the index without a key, and no root index to fall back to: nothing installed.
    assert done.returncode != 0
    assert "No well-known skills found" in done.stdout
    assert installed(home) == {}


def test_a_revoked_share_link_installs_nothing(live_server, home, collection):
    url, link = share(live_server, collection)
    sharing.revoke(link)
    done = skills(home, "add", url, "--yes", check=False)
    assert done.returncode != 0
    assert installed(home) == {}


def test_skills_find_searches_through_a_share_link(live_server, home, collection):
    """`SKILLS_API_URL=<share url>`: the CLI's `find` (no key) searches the skills the link
    serves, and what it prints installs with `skills add`."""
    url, link = share(live_server, collection)
    found = skills(home, "find", "release", SKILLS_API_URL=url)
    # `source` is the share URL on the public base (SKILLPORT_PUBLIC_URL), then `@<skill>`.
    assert f"{sharing.share_path(link)}@release-notes" in found.stdout
    assert "pdf-tools" not in found.stdout
    skills(home, "add", url, "--skill", "release-notes", "--yes")
    assert installed(home) == {
        path: content for path, content in expected(V1).items() if path.startswith("release-notes/")
    }
