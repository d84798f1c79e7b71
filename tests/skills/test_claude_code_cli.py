"""The real Claude Code CLI (npm `@anthropic-ai/claude-code`) adds a Skillport marketplace by
its git URL, installs a plugin from it, and picks up a new skill version with `marketplace
update` + `plugin update`, against a live server thread, in a throwaway HOME.

`.ci/run` installs the CLI into a cache outside the repository and names the binary in
SKILLPORT_CLAUDE_BIN; without it the test looks in that cache and skips when absent."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from skills import services
from skills.git.objects import git_path
from tests.factories import ApiKeyFactory, tenant_of
from tests.skill_exports.factories import plugin_with_skills
from tests.skills.factories import create_version, skill_md

pytestmark = pytest.mark.django_db(transaction=True)

CACHE_BIN = Path(
    os.environ.get("SKILLPORT_NODE_PREFIX", Path.home() / ".cache" / "skillport-node")
) / ("node_modules/.bin/claude")


def claude_bin() -> str | None:
    named = os.environ.get("SKILLPORT_CLAUDE_BIN")
    for candidate in (named, str(CACHE_BIN)):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def run(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "LANG": "C",
    }
    done = subprocess.run(
        list(args), cwd=home, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done


def installed(home: Path, marketplace: str, plugin: str) -> dict[str, Path]:
    """The installed copies of a plugin in Claude Code's cache, by version directory."""
    root = home / ".claude" / "plugins" / "cache" / marketplace / plugin
    return {path.name: path for path in root.iterdir()} if root.is_dir() else {}


def test_claude_code_installs_and_updates_a_plugin_from_a_marketplace(tmp_path, live_server):
    claude = claude_bin()
    if claude is None:
        pytest.skip(
            "Claude Code CLI not installed: set SKILLPORT_CLAUDE_BIN or run `npm install --prefix "
            f"{CACHE_BIN.parents[2]} @anthropic-ai/claude-code` (.ci/run does)"
        )
    key = ApiKeyFactory()
    plugin = plugin_with_skills(key.organization, "review-kit", ["style"], version="1.0.0")
    marketplace = services.create_marketplace(
        tenant=tenant_of(key.organization),
        actor=None,
        skill_plugins=[plugin],
        name="team-market",
        owner={"name": "Platform"},
    )
    home = tmp_path / "home"
    home.mkdir()
    url = live_server.url + git_path(marketplace)
    git = shutil.which("git")
    header = f"Authorization: Bearer {key.raw_key}"
    run(home, git, "config", "--global", f"http.{url}.extraHeader", header)

    run(home, claude, "plugin", "marketplace", "add", url)
    run(home, claude, "plugin", "install", "review-kit@team-market")
    [(first_version, first)] = installed(home, "team-market", "review-kit").items()
    served = json.loads((first / ".claude-plugin" / "plugin.json").read_text())["version"]
    assert served.startswith("1.0.0+")
    assert (first / "skills" / "style" / "SKILL.md").read_text() == skill_md("style")

    better = skill_md("style", "Checks style, better.")
    create_version(plugin.skills.get().skill_collection, {"style/SKILL.md": better})
    run(home, claude, "plugin", "marketplace", "update", "team-market")
    run(home, claude, "plugin", "update", "review-kit@team-market")

    versions = installed(home, "team-market", "review-kit")
    [new_version] = set(versions) - {first_version}
    updated = versions[new_version]
    new_served = json.loads((updated / ".claude-plugin" / "plugin.json").read_text())["version"]
    assert new_served.startswith("1.0.0+")
    assert new_served != served
    assert (updated / "skills" / "style" / "SKILL.md").read_text() == better
    assert not (updated / "skills" / "style" / "scripts").exists()
