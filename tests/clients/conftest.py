"""One live Skillport for the whole client matrix: gunicorn on a fresh SQLite install with
`make serve`'s demo data (`manage.py demo`), and a key of the demo organization."""

from __future__ import annotations

import json
import re
import urllib.request
from dataclasses import dataclass

import pytest

from tests.served import gunicorn, manage, sqlite_install


@dataclass(frozen=True)
class Live:
    url: str  # http://127.0.0.1:<port>
    key: str
    plugin_id: str  # the demo plugin 'support-kit'
    skill_ids: tuple[str, ...]  # its skills, sorted

    @property
    def api(self) -> str:
        return f"{self.url}/api"

    def get(self, path: str) -> dict:
        request = urllib.request.Request(
            f"{self.api}/{path}", headers={"Authorization": f"Bearer {self.key}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> Live:
    env = sqlite_install(tmp_path_factory.mktemp("clients"))
    output = manage(env, "demo")
    key = re.search(r"^  KEY=(\S+);", output, re.M).group(1)
    with gunicorn(env, "--threads", "4") as url:
        server = Live(url, key, "", ())
        plugin = server.get("skill_plugins?filter[name]=support-kit&include=skills")["data"][0]
        skills = sorted(item["id"] for item in plugin["relationships"]["skills"]["data"])
        yield Live(url, key, plugin["id"], tuple(skills))
