"""The PyPI JSON:API clients, pinned in requirements/test.txt, each with its defaults, against
the live server: the scenario of tests/clients/scenario.py. docs/guides/clients.md shows
these same calls."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.clients.scenario import BAD_NAME, LIST_QUERY, expected

# -- jsonapi-requests -----------------------------------------------------------------------------


# --8<-- [start:jsonapi-requests]
def jsonapi_requests_scenario(api_root: str, key: str, plugin_id: str, name: str) -> dict:
    import jsonapi_requests
    import requests
    from jsonapi_requests.data import JsonApiObject
    from jsonapi_requests.request_factory import ApiClientError

    class Bearer(requests.auth.AuthBase):
        def __call__(self, request):
            request.headers["Authorization"] = f"Bearer {key}"
            return request

    # Its defaults (APPEND_SLASH included) but a patient TIMEOUT (1 s by default).
    api = jsonapi_requests.Api.config({"API_ROOT": api_root, "AUTH": Bearer(), "TIMEOUT": 30})
    seen = {}

    page = api.endpoint("skills").get(params=LIST_QUERY)
    seen["page1"] = [item.attributes["name"] for item in page.data]
    seen["included"] = [item.attributes["name"] for item in page.content.included]
    # A `links.next` URL: its path as the endpoint, its query as the params.
    link = urlsplit(page.content.links["next"])
    page = api.endpoint(link.path).get(params=parse_qsl(link.query))
    seen["page2"] = [item.attributes["name"] for item in page.data]

    collection_id = page.content.included[0].id
    collection = api.endpoint(f"skill_collections/{collection_id}").get().data
    seen["fetched"] = collection.attributes["name"]

    plugin = JsonApiObject(
        type="skill_plugins", attributes={"name": f"client-{name}", "version": "1.0.0"}
    )
    created = api.endpoint("skill_plugins").post(object=plugin).data
    seen["created"] = created.attributes["name"]
    change = JsonApiObject(type="skill_plugins", id=created.id, attributes={"version": "1.1.0"})
    updated = api.endpoint(f"skill_plugins/{created.id}").patch(object=change).data
    seen["updated"] = updated.attributes["version"]
    api.endpoint(f"skill_plugins/{created.id}").delete()
    try:
        api.endpoint(f"skill_plugins/{created.id}").get()
    except ApiClientError as error:
        seen["deleted"] = error.status_code

    linkage = api.endpoint(f"skill_plugins/{plugin_id}/relationships/skills").get().data
    seen["relationship"] = sorted(item.id for item in linkage)

    bad = JsonApiObject(type="skill_plugins", attributes={"name": BAD_NAME, "version": "1.0.0"})
    try:
        api.endpoint("skill_plugins").post(object=bad)
    except ApiClientError as error:
        [problem] = json.loads(error.content)["errors"]
        seen["error"] = {"status": problem["status"], "pointer": problem["source"]["pointer"]}
    return seen


# --8<-- [end:jsonapi-requests]


def test_jsonapi_requests(live):
    pytest.importorskip("jsonapi_requests", reason="jsonapi-requests is not installed")
    seen = jsonapi_requests_scenario(live.api, live.key, live.plugin_id, "jsonapi-requests")
    assert seen == expected(live, "jsonapi-requests")


# -- jsonapi-client -------------------------------------------------------------------------------


# --8<-- [start:jsonapi-client]
def jsonapi_client_scenario(api_root: str, key: str, plugin_id: str, name: str) -> dict:
    from jsonapi_client import Inclusion, Modifier, Session
    from jsonapi_client.exceptions import DocumentError

    # `create` needs the type's schema (its docs' "usage-schema"); a type with a schema keeps
    # only the members the schema names.
    plugin_schema = {
        "name": {"type": "string"},
        "version": {"type": "string"},
        "skills": {"relation": "to-many", "resource": ["skills"]},
    }
    schema = {"skill_plugins": {"properties": plugin_schema}}
    session = Session(
        api_root, schema=schema, request_kwargs={"headers": {"Authorization": f"Bearer {key}"}}
    )
    seen = {}

    query = Modifier("filter[name.in]=pdf-tools,release-notes") + Modifier("sort=-name")
    query = query + Inclusion("skill_collection") + Modifier("page[size]=1")
    page = session.get("skills", query)
    seen["page1"] = [skill.name for skill in page.resources]
    # Attribute access turns `_` into `-` (its convention); item access takes the name as is.
    collection = page.resources[0]["skill_collection"]  # the included resource
    seen["included"] = [collection.name]
    page = page.links.next.fetch()
    seen["page2"] = [skill.name for skill in page.resources]

    seen["fetched"] = session.get("skill_collections", collection.id).resource.name

    plugin = session.create("skill_plugins", name=f"client-{name}", version="1.0.0")
    plugin.commit()
    seen["created"] = plugin.name
    plugin.version = "1.1.0"
    plugin.commit()
    seen["updated"] = plugin.version  # as the server answered the PATCH
    plugin.delete()
    try:
        plugin.commit()
    except ValueError:
        # qvantel/jsonapi-client#55: it reads a body from the 204 (the delete is done) and
        # raises before forgetting the resource, which it would do next.
        session.remove_resource(plugin)
    session.invalidate()  # the session caches documents by URL: ask the server again
    try:
        session.get("skill_plugins", plugin.id)
    except DocumentError as error:
        seen["deleted"] = error.errors["status_code"]

    demo = session.get("skill_plugins", plugin_id).resource
    seen["relationship"] = sorted(skill.id for skill in demo.relationships.skills.resources)

    try:
        session.create("skill_plugins", name=BAD_NAME, version="1.0.0").commit()
    except DocumentError as error:
        [problem] = error.response.json()["errors"]
        seen["error"] = {"status": problem["status"], "pointer": problem["source"]["pointer"]}
    session.close()
    return seen


# --8<-- [end:jsonapi-client]


def test_jsonapi_client(live):
    pytest.importorskip("jsonapi_client", reason="jsonapi-client is not installed")
    seen = jsonapi_client_scenario(live.api, live.key, live.plugin_id, "jsonapi-client")
    assert seen == expected(live, "jsonapi-client")
