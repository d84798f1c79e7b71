"""The real Gemini CLI (npm `@google/gemini-cli`, the version `.ci/run` pins) installs the demo
skills from the marketplace repository (`gemini skills install <url> --path ...`) and the demo
plugin as an extension from its own repository (`gemini extensions install <url>`, through the
`gemini-extension.json` Skillport serves at a plugin's root), and takes a new skill version
(installing the skills again; `gemini extensions update`); without a key it gets nothing.

Gemini runs `git` with the global and system config hidden and credential helpers off
(`getSafeGitEnv`), so neither `extraHeader` nor a helper reaches it: the key goes through
GIT_ASKPASS (a program answering git's password prompt with $SKILLPORT_API_KEY), which must be
set for updates too. A key in the URL works as well but is stored with the extension. For an
extension from git, Gemini compares the installed clone's HEAD with the remote's (`git
ls-remote`): a new version of a linked skill gives the plugin repository a new commit."""

import json
from pathlib import Path

from tests.agents import clients
from tests.agents.live import PLUGIN, SKILLS, skill_files

BIN = ("SKILLPORT_GEMINI_BIN", "gemini/node_modules/.bin/gemini", "@google/gemini-cli@0.61.0")
SKILLS_PATH = f"plugins/{PLUGIN}/skills"


def gemini(home: Path, *args: str, key: str = "", check: bool = True, stdin: str = ""):
    binary = clients.require(*BIN)
    env = {"GIT_ASKPASS": str(clients.askpass(home)), "SKILLPORT_API_KEY": key} if key else {}
    # No second node process with a bigger heap (Gemini's own relaunch): seconds less a call.
    env["GEMINI_CLI_NO_RELAUNCH"] = "true"
    return clients.run(home, binary, *args, check=check, stdin=stdin, **env)


def installed_skills(home: Path) -> dict[str, bytes]:
    root = home / ".gemini" / "skills"
    return clients.tree(root) if root.is_dir() else {}


def test_gemini_installs_and_updates_the_demo_skills(tmp_path, live_demo):
    clients.require(*BIN)
    home = clients.new_home(tmp_path)
    market = live_demo.git_url("skill_marketplaces")
    install = ("skills", "install", market, "--path", SKILLS_PATH, "--consent")

    gemini(home, *install, key=live_demo.key)
    assert installed_skills(home) == skill_files(live_demo.version_files())
    assert sorted(path.name for path in (home / ".gemini" / "skills").iterdir()) == list(SKILLS)

    files = live_demo.new_version("Fill PDF forms, version three.")
    gemini(home, *install, key=live_demo.key)  # installing again overwrites: Gemini's update
    assert installed_skills(home) == skill_files(files)


def test_gemini_installs_and_updates_the_demo_plugin_as_an_extension(tmp_path, live_demo):
    clients.require(*BIN)
    home = clients.new_home(tmp_path)
    plugin = live_demo.git_url("skill_plugins")
    root = home / ".gemini" / "extensions" / PLUGIN
    metadata = ".gemini-extension-install.json"

    gemini(home, "extensions", "install", plugin, "--consent", key=live_demo.key)
    served = live_demo.served_plugin(home, tmp_path / "served-1")
    assert clients.tree(root, metadata) == served
    assert skill_files(live_demo.version_files(), "skills/").items() <= served.items()
    # The key is in no file Gemini keeps: only the URL is recorded.
    assert json.loads((root / metadata).read_text()) == {"source": plugin, "type": "git"}
    manifest = json.loads(served["gemini-extension.json"])
    plugin_json = json.loads(served[".claude-plugin/plugin.json"])
    assert manifest == {k: plugin_json[k] for k in ("name", "version", "description")}
    listed = gemini(home, "extensions", "list", key=live_demo.key)
    assert manifest["version"] in listed.stdout + listed.stderr

    files = live_demo.new_version("Fill PDF forms as an extension.")
    # `update` asks to confirm the extension's new skills on its standard input.
    done = gemini(home, "extensions", "update", PLUGIN, key=live_demo.key, stdin="y\n")
    served = live_demo.served_plugin(home, tmp_path / "served-2")
    new_version = json.loads(served["gemini-extension.json"])["version"]
    assert f"{manifest['version']} → {new_version}" in done.stdout + done.stderr
    assert clients.tree(root, metadata) == served
    assert skill_files(files, "skills/").items() <= served.items()
    again = gemini(home, "extensions", "update", PLUGIN, key=live_demo.key)
    assert "already up to date" in again.stdout + again.stderr


def test_gemini_without_a_key_gets_nothing(tmp_path, live_demo):
    clients.require(*BIN)
    home = clients.new_home(tmp_path)
    market = live_demo.git_url("skill_marketplaces")
    # Neither the header nor a credential helper, which other clients use, reach Gemini's git.
    clients.send_key_header(home, market, live_demo.key)
    clients.store_credentials(home, market, live_demo.key)

    install = ("skills", "install", market, "--path", SKILLS_PATH, "--consent")
    done = gemini(home, *install, check=False)
    assert done.returncode != 0
    assert "could not read Username" in done.stdout + done.stderr
    plugin = live_demo.git_url("skill_plugins")
    done = gemini(home, "extensions", "install", plugin, "--consent", check=False)
    assert done.returncode != 0
    assert installed_skills(home) == {}
    assert not (home / ".gemini" / "extensions" / PLUGIN).exists()
