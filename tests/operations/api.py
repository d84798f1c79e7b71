"""A small JSON:API client over real HTTP (urllib), for tests against served installs."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

JSON_API = "application/vnd.api+json"


@dataclass
class Api:
    base: str  # e.g. http://127.0.0.1:8131
    key: str

    def call(
        self, method: str, path: str, body: dict | None = None, accept: str = JSON_API
    ) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self.key}", "Accept": accept}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = JSON_API
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def get(self, path: str) -> dict:
        status, body = self.call("GET", path)
        assert status == 200, (path, status, body[:500])
        return json.loads(body)

    def raw(self, path: str) -> bytes:
        status, body = self.call("GET", path, accept="*/*")
        assert status == 200, (path, status, body[:500])
        return body

    def create(self, type_: str, attributes: dict, relationships: dict | None = None) -> dict:
        data = {"type": type_, "attributes": attributes}
        if relationships:
            data["relationships"] = relationships
        status, body = self.call("POST", f"/api/{type_}", {"data": data})
        assert status == 201, (type_, status, body[:800])
        return json.loads(body)["data"]

    def ids(self, path: str) -> list[str]:
        """Every id of a collection endpoint, page by page."""
        found: list[str] = []
        url = f"{path}{'&' if '?' in path else '?'}page[size]=100"
        while url:
            document = self.get(url)
            found += [item["id"] for item in document["data"]]
            url = (document.get("links") or {}).get("next")
            url = url.removeprefix(self.base) if url else None
        return found


def one(type_: str, id_: str) -> dict:
    return {"data": {"type": type_, "id": id_}}


def many(type_: str, ids: list[str]) -> dict:
    return {"data": [{"type": type_, "id": id_} for id_ in ids]}
