"""The npm JSON:API clients against the live server: each script in tests/clients/node/ runs
the scenario of tests/clients/scenario.py and prints what the client saw.

The clients are installed pinned into npm prefixes outside the repository, under
`$HOME/.cache/skillport-node/` (`.ci/run`): `clients`, named by SKILLPORT_NODE_CLIENTS; Ember
Data's packages in `ember-data`, named by SKILLPORT_EMBER_DATA; Orbit's in `orbit`, named by
SKILLPORT_ORBIT_DIR (tests/api/test_atomic_operations_orbit.py uses it too). Without one, or
without the client in it, that client skips, saying why. docs/guides/clients.md shows these
scripts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.clients.scenario import expected

NODE_DIR = Path(__file__).parent / "node"
# client -> (its script, the pinned version, the variable naming its npm prefix, node's options);
# .ci/run installs the same versions.
NODE_CLIENTS = {
    "devour-client": ("devour.cjs", "3.2.0", "SKILLPORT_NODE_CLIENTS", ()),
    "kitsu": ("kitsu.cjs", "11.1.0", "SKILLPORT_NODE_CLIENTS", ()),
    "jsona": ("jsona.cjs", "1.14.0", "SKILLPORT_NODE_CLIENTS", ()),
    # 5.8.2: the registry here has no @warp-drive/json-api 5.9.1, which 5.9.1 needs.
    "@ember-data/json-api": (
        "ember-data.mjs",
        "5.8.2",
        "SKILLPORT_EMBER_DATA",
        ("--conditions=unpkg", "--experimental-detect-module"),
    ),
    # With @orbit/records 0.17.0, in the prefix of tests/api/test_atomic_operations_orbit.py.
    "@orbit/jsonapi": ("orbit.cjs", "0.17.1", "SKILLPORT_ORBIT_DIR", ()),
}


def installed(package: str, variable: str) -> Path:
    """The package's directory in the npm prefix `variable` names, or a skip saying why not."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    prefix = os.environ.get(variable)
    if not prefix:
        pytest.skip(f"{variable} is not set (.ci/run installs {package} with npm and sets it)")
    root = Path(prefix) / "node_modules" / package
    if not (root / "package.json").is_file():
        pytest.skip(f"{package} is not installed in {prefix} (npm could not install it)")
    return root


def run_node(script: str, options, prefix: str, live, client: str, home: Path) -> dict:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "SKILLPORT_NODE_CLIENTS": prefix,
        "SKILLPORT_API": live.api,
        "SKILLPORT_KEY": live.key,
        "SKILLPORT_PLUGIN_ID": live.plugin_id,
        "SKILLPORT_CLIENT": client,
    }
    done = subprocess.run(
        ["node", *options, str(NODE_DIR / script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("package", sorted(NODE_CLIENTS))
def test_node_client(request, package, tmp_path):
    script, version, variable, options = NODE_CLIENTS[package]
    root = installed(package, variable)  # before the server starts: a skip costs nothing
    live = request.getfixturevalue("live")
    found = json.loads((root / "package.json").read_text())["version"]
    assert found == version, f"{package} {found} is installed; the matrix pins {version}"
    name = package.replace("@", "").replace("/", "-")
    seen = run_node(script, options, os.environ[variable], live, name, tmp_path)
    want = expected(live, name)
    if package == "devour-client":
        # devour rejects with the error objects keyed by the member `source.pointer` names
        # (their index without one), each as {title, detail}: no status.
        want["deleted"] = {
            "0": {"title": "Not Found", "detail": "No SkillPlugin matches the given query."}
        }
        want["error"] = {
            "name": {
                "title": "Unprocessable Entity",
                "detail": "Use kebab-case: a-z, 0-9 and single hyphens, at most 64.",
            }
        }
    if package == "@orbit/jsonapi":
        # Orbit reads a 404 as no record; asked to raise, it rejects without the status.
        want["deleted"] = "RecordNotFoundException"
    assert seen == want
