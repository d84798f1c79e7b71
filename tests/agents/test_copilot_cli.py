"""The real GitHub Copilot CLI (npm `@github/copilot`, the version `.ci/run` pins) adds the demo
marketplace by its git URL, installs the demo plugin from it, and takes a new skill version with
`copilot plugin update`; without a key it gets nothing. No GitHub login is needed for any of it.

The key goes as git's `http.<url>.extraHeader`: Copilot runs the user's `git` with the global
config (1.0.102 keeps a `store` credential helper working too; github/copilot-cli#4103 reports
helpers disabled on other setups, which the header does not depend on). Copilot installs into
`~/.copilot/installed-plugins/<marketplace>/<plugin>/` and records `plugin.json`'s version in
`~/.copilot/config.json`; `plugin update` fetches the marketplace again and reinstalls."""

import json
from pathlib import Path

from tests.agents import clients
from tests.agents.live import MARKETPLACE, PLUGIN, skill_files

BIN = ("SKILLPORT_COPILOT_BIN", "copilot/node_modules/.bin/copilot", "@github/copilot@1.0.102")
# Where Copilot unpacks its own runtime (235 MB) once, instead of in every throwaway HOME.
RUNTIME_CACHE = str(clients.NODE_CACHE / "copilot" / "xdg-cache")


def copilot(home: Path, *args: str, check: bool = True):
    binary = clients.require(*BIN)
    return clients.run(home, binary, *args, check=check, XDG_CACHE_HOME=RUNTIME_CACHE)


def installed(home: Path) -> tuple[str | None, dict[str, bytes]]:
    """The recorded version and the files of the installed demo plugin."""
    config = home / ".copilot" / "config.json"
    lines = config.read_text().splitlines() if config.is_file() else []
    # The file starts with `//` comment lines.
    record = json.loads("\n".join(line for line in lines if not line.startswith("//")) or "{}")
    versions = [
        plugin["version"]
        for plugin in record.get("installedPlugins", [])
        if (plugin["name"], plugin["marketplace"]) == (PLUGIN, MARKETPLACE)
    ]
    root = home / ".copilot" / "installed-plugins" / MARKETPLACE / PLUGIN
    return (versions[0] if versions else None), clients.tree(root) if root.is_dir() else {}


def install(tmp_path: Path, live_demo, send_key) -> Path:
    """A new HOME whose git gets the key by `send_key`, the demo marketplace added and its
    plugin installed there."""
    clients.require(*BIN)
    home = clients.new_home(tmp_path)
    market = live_demo.git_url("skill_marketplaces")
    send_key(home, market, live_demo.key)
    copilot(home, "plugin", "marketplace", "add", market)
    done = copilot(home, "plugin", "install", f"{PLUGIN}@{MARKETPLACE}")
    assert "Installed 2 skills" in done.stdout
    return home


def test_copilot_installs_and_updates_the_demo_plugin(tmp_path, live_demo):
    home = install(tmp_path, live_demo, clients.send_key_header)
    version, files = installed(home)
    served = live_demo.served_plugin(home, tmp_path / "served-1")
    assert files == served
    assert skill_files(live_demo.version_files(), "skills/").items() <= served.items()
    assert json.loads(served[".claude-plugin/plugin.json"])["version"] == version

    new_files = live_demo.new_version("Fill PDF forms, version three.")
    copilot(home, "plugin", "update", f"{PLUGIN}@{MARKETPLACE}")
    new_version, files = installed(home)
    assert new_version != version
    served = live_demo.served_plugin(home, tmp_path / "served-2")
    assert files == served
    assert skill_files(new_files, "skills/").items() <= served.items()


def test_copilot_without_a_key_gets_nothing(tmp_path, live_demo):
    clients.require(*BIN)
    home = clients.new_home(tmp_path)
    market = live_demo.git_url("skill_marketplaces")

    done = copilot(home, "plugin", "marketplace", "add", market, check=False)
    assert done.returncode != 0
    assert "could not read Username" in done.stdout + done.stderr
    assert installed(home) == (None, {})


def test_copilot_takes_the_key_from_a_credential_helper_too(tmp_path, live_demo):
    # github/copilot-cli#4103 reports helpers disabled when Copilot clones; not so in 1.0.102.
    home = install(tmp_path, live_demo, clients.store_credentials)
    assert installed(home)[1] == live_demo.served_plugin(home, tmp_path / "served")
