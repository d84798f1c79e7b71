"""The real OpenAI Codex CLI (npm `@openai/codex`, the version `.ci/run` pins) adds the demo
marketplace by its git URL, installs the demo plugin from it, and takes a new skill version with
`codex plugin marketplace upgrade`; without a key it gets nothing.

The key goes as git's `http.<url>.extraHeader` (Codex runs the user's `git`, so a credential
helper or a key in the URL work too; the URL would keep the key in `~/.codex/config.toml`).
Codex installs a plugin into `~/.codex/plugins/cache/<marketplace>/<plugin>/<version>/`, the
version being `plugin.json`'s, and `marketplace upgrade` refreshes the marketplace and the
plugins installed from it."""

from pathlib import Path

from tests.agents import clients
from tests.agents.live import MARKETPLACE, PLUGIN, skill_files

BIN = ("SKILLPORT_CODEX_BIN", "codex/node_modules/.bin/codex", "@openai/codex@0.171.0")


def installed(home: Path) -> dict[str, Path]:
    root = home / ".codex" / "plugins" / "cache" / MARKETPLACE / PLUGIN
    return {path.name: path for path in root.iterdir()} if root.is_dir() else {}


def install(tmp_path: Path, live_demo, send_key) -> tuple[Path, str, Path]:
    """A new HOME whose git gets the key by `send_key`, the demo marketplace added and its
    plugin installed there: the HOME, the installed version, its folder."""
    codex = clients.require(*BIN)
    home = clients.new_home(tmp_path)
    market = live_demo.git_url("skill_marketplaces")
    send_key(home, market, live_demo.key)
    clients.run(home, codex, "plugin", "marketplace", "add", market)
    clients.run(home, codex, "plugin", "add", f"{PLUGIN}@{MARKETPLACE}")
    [(version, path)] = installed(home).items()
    return home, version, path


def test_codex_installs_and_updates_the_demo_plugin(tmp_path, live_demo):
    home, version, path = install(tmp_path, live_demo, clients.send_key_header)
    served = live_demo.served_plugin(home, tmp_path / "served-1")
    assert clients.tree(path) == served
    assert skill_files(live_demo.version_files(), "skills/").items() <= served.items()
    assert f'"version": "{version}"' in served[".claude-plugin/plugin.json"].decode()

    files = live_demo.new_version("Fill PDF forms, version three.")
    clients.run(home, clients.require(*BIN), "plugin", "marketplace", "upgrade")
    [(new_version, path)] = installed(home).items()
    assert new_version != version
    served = live_demo.served_plugin(home, tmp_path / "served-2")
    assert clients.tree(path) == served
    assert skill_files(files, "skills/").items() <= served.items()


def test_codex_without_a_key_gets_nothing(tmp_path, live_demo):
    codex = clients.require(*BIN)
    home = clients.new_home(tmp_path)
    market = live_demo.git_url("skill_marketplaces")

    done = clients.run(home, codex, "plugin", "marketplace", "add", market, check=False)
    assert done.returncode != 0
    assert "could not read Username" in done.stderr
    assert installed(home) == {}


def test_codex_takes_the_key_from_a_credential_helper_too(tmp_path, live_demo):
    home, _, path = install(tmp_path, live_demo, clients.store_credentials)
    assert clients.tree(path) == live_demo.served_plugin(home, tmp_path / "served")
