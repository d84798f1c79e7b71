"""A served Skillport holding the demo registry (`manage.py demo`, what `make serve` offers: the
collection 'support', the plugin 'support-kit', the marketplace 'acme-tools'), read and written
the way a user does: the JSON:API with the demo key, and `git clone` with the key as a header.
tests/agents/conftest.py seeds it once per session and serves a copy once per module."""

from __future__ import annotations

import base64
import json
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.skills.gitclient import git_with_key, tree_of

MARKETPLACE = "acme-tools"
PLUGIN = "support-kit"
SKILLS = ("pdf-tools", "release-notes")
UUID = r"[0-9a-f-]{36}"


@dataclass(frozen=True)
class LiveDemo:
    url: str
    key: str
    collection_id: str
    plugin_id: str
    marketplace_id: str

    @classmethod
    def parse(cls, url: str, demo_output: str) -> LiveDemo:
        """The key and ids `manage.py demo` printed."""
        ids = re.search(
            rf"'support' ({UUID}).*?'support-kit' ({UUID}), marketplace 'acme-tools' ({UUID})",
            demo_output,
            re.S,
        )
        key = re.search(r"^  KEY=(\S+);", demo_output, re.M).group(1)
        return cls(url, key, *ids.groups())

    def api(self, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.url}/api/{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.key}",
                "Content-Type": "application/vnd.api+json",
            },
            method="GET" if body is None else "POST",
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)

    def git_url(self, kind: str) -> str:
        """The `git_url` the API gives the demo plugin (`skill_plugins`) or marketplace."""
        pk = self.plugin_id if kind == "skill_plugins" else self.marketplace_id
        return self.api(f"{kind}/{pk}")["data"]["attributes"]["git_url"]

    def version_files(self) -> dict[str, bytes]:
        """The files of the collection's current version, by path, as bytes."""
        collection = self.api(f"skill_collections/{self.collection_id}?include=current_version")
        version_id = collection["data"]["relationships"]["current_version"]["data"]["id"]
        files = self.api(f"skill_collection_versions/{version_id}")["data"]["attributes"]["files"]
        return {
            path: base64.b64decode(content["base64"])
            if isinstance(content, dict)
            else content.encode()
            for path, content in files.items()
        }

    def new_version(self, description: str) -> dict[str, bytes]:
        """A new version of the collection through the API: `pdf-tools` gets a new description
        and a new script; its files, as `version_files` gives them."""
        files = {path: data.decode() for path, data in self.version_files().items()}
        files["pdf-tools/SKILL.md"] = (
            f"---\nname: pdf-tools\ndescription: {description}\n---\n\n# pdf-tools\n"
        )
        files["pdf-tools/scripts/fill.py"] = f"print({description!r})\n"
        relationship = {"data": {"type": "skill_collections", "id": self.collection_id}}
        self.api(
            "skill_collection_versions",
            {
                "data": {
                    "type": "skill_collection_versions",
                    "attributes": {"files": files, "commit_message": description},
                    "relationships": {"skill_collection": relationship},
                }
            },
        )
        return self.version_files()

    def served_plugin(self, home: Path, into: Path) -> dict[str, bytes]:
        """The demo plugin's files as its git repository serves them (a clone with the key)."""
        url = self.git_url("skill_plugins")
        git_with_key(home, url, self.key, "clone", "-q", url, str(into))
        return tree_of(into)


def skill_files(files: dict[str, bytes], prefix: str = "") -> dict[str, bytes]:
    """The plugin's skills' files of a version (`files`), at `<prefix><skill>/...`."""
    return {
        f"{prefix}{path}": data for path, data in files.items() if path.partition("/")[0] in SKILLS
    }
