"""The Atomic Operations extension at `POST /api/operations`: every operation or none, through
the resources' own endpoints (validation, tenancy, scopes, idempotency, events, webhooks)."""

import functools
import json
import os
from pathlib import Path

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Event, Webhook, WebhookDelivery
from exports.models import Export
from organizations.models import Mode, Scope
from skills.models import SkillCollection, SkillCollectionVersion, SkillMarketplace, SkillPlugin
from tests.api.test_rate_limit import wait_for_a_fresh_window
from tests.conftest import JsonApiClient
from tests.events.factories import WebhookFactory
from tests.factories import ApiKeyFactory
from tests.skills.factories import SkillPluginFactory, skill_md

pytestmark = pytest.mark.django_db

ATOMIC = 'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"'
# A copy of the official JSON:API 1.1 schema (https://jsonapi.org/schemas/spec/v1.1/draft), when
# the environment names one: every document of this file is validated against it.
OFFICIAL_SCHEMA = Path(os.environ.get("SKILLPORT_JSONAPI_SCHEMA", "") or "/nonexistent")
SEEN: list[dict] = []


@functools.cache
def official_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(OFFICIAL_SCHEMA.read_text()))


def assert_official(document: dict) -> None:
    """The base schema knows no `atomic:` members: each result's data is validated as the
    document a single-resource endpoint would answer, an error document as it is."""
    if not OFFICIAL_SCHEMA.is_file():
        return
    validator = official_validator()
    if "atomic:results" in document:
        for result in document["atomic:results"]:
            if "data" in result:
                validator.validate({"data": result["data"]})
    else:
        validator.validate(document)


def post(client, operations, content_type=ATOMIC, **headers):
    body = operations if isinstance(operations, str) else json.dumps(operations)
    response = client.generic("POST", "/api/operations", body, content_type=content_type, **headers)
    if response.content:
        document = response.json()
        assert_atomic_document(document)
        assert_official(document)
        SEEN.append(document)
    return response


def run(client, *operations, **headers):
    return post(client, {"atomic:operations": list(operations)}, **headers)


def assert_atomic_document(document: dict) -> None:
    """The extension's rules for a response document: `atomic:results` (objects, with `data`
    a resource object when present) or `errors`, never both, never `data`/`included`."""
    assert isinstance(document, dict)
    assert not {"data", "included"} & set(document)
    assert ("atomic:results" in document) != ("errors" in document)
    for result in document.get("atomic:results", []):
        assert isinstance(result, dict) and set(result) <= {"data", "meta"}
        if "data" in result:
            assert {"type", "id"} <= set(result["data"])
    for error in document.get("errors", []):
        assert {"status", "code", "detail"} <= set(error)


def add(type_name: str, lid: str, attributes: dict, **relationships) -> dict:
    """An `add` operation of a new resource; relationships by name -> linkage."""
    data = {"type": type_name, "lid": lid, "attributes": attributes}
    if relationships:
        data["relationships"] = {name: {"data": link} for name, link in relationships.items()}
    return {"op": "add", "data": data}


def add_collection(lid="c", name="docs", root_path=".claude/skills"):
    attributes = {"name": name, "root_path": root_path, "provider": "claude"}
    return add("skill_collections", lid, attributes)


def add_version(collection_lid="c", lid="v", skill="pdf"):
    attributes = {"files": {f"{skill}/SKILL.md": skill_md(skill)}, "commit_message": "first"}
    collection = {"type": "skill_collections", "lid": collection_lid}
    return add("skill_collection_versions", lid, attributes, skill_collection=collection)


def add_plugin(lid="p", name="doc-tools", **attributes):
    return add("skill_plugins", lid, {"name": name, "version": "1.0.0", **attributes})


def test_a_lid_chain_across_types_runs_in_order(client, organization):
    response = run(
        client,
        add_collection(),
        add_version(),
        add_plugin(),
        {
            "op": "add",
            "data": {
                "type": "skill_marketplaces",
                "lid": "m",
                "attributes": {"name": "market", "owner": {"name": "Acme"}},
                "relationships": {
                    "skill_plugins": {"data": [{"type": "skill_plugins", "lid": "p"}]}
                },
            },
        },
        {
            "op": "update",
            "ref": {"type": "skill_plugins", "lid": "p"},
            "data": {"type": "skill_plugins", "attributes": {"version": "1.1.0"}},
        },
        {
            "op": "update",
            "data": {"type": "skill_marketplaces", "lid": "m", "attributes": {"version": "2.0.0"}},
        },
    )
    assert response.status_code == 200, response.json()
    assert response["Content-Type"] == ATOMIC
    assert "Accept" in response["Vary"]
    results = response.json()["atomic:results"]
    assert [result["data"]["type"] for result in results] == [
        "skill_collections",
        "skill_collection_versions",
        "skill_plugins",
        "skill_marketplaces",
        "skill_plugins",
        "skill_marketplaces",
    ]
    collection = SkillCollection.objects.get()
    version = SkillCollectionVersion.objects.get()
    plugin = SkillPlugin.objects.get()
    marketplace = SkillMarketplace.objects.get()
    assert results[0]["data"]["id"] == str(collection.pk)
    assert version.skill_collection_id == collection.pk and version.number == 1
    assert results[1]["data"]["relationships"]["skills"]["meta"]["count"] == 1
    assert list(marketplace.skill_plugins.all()) == [plugin]
    assert (plugin.version, marketplace.version) == ("1.1.0", "2.0.0")
    assert results[4]["data"]["id"] == results[2]["data"]["id"] == str(plugin.pk)
    # The resources are the tenant's, written by the key's member, as through their endpoints.
    assert collection.organization_id == organization.pk and collection.mode == Mode.TEST
    assert plugin.created_by_id == client.api_key.member_id
    assert results[0]["data"]["meta"]["mode"] == "test"
    names = set(Event.objects.values_list("name", flat=True))
    assert {
        "skill_collections.create",
        "skill_collection_versions.create",
        "skill_plugins.create",
        "skill_plugins.update",
        "skill_marketplaces.create",
    } <= names


def test_the_other_apps_writable_types_go_through_their_endpoints(
    client, django_capture_on_commit_callbacks
):
    hook = {"topic": "exports.create", "callback_url": "https://93.184.216.34/hooks"}
    with django_capture_on_commit_callbacks(execute=True):
        response = run(
            client,
            add("webhooks", "w", {"name": "Exports", **hook}),
            add("exports", "e", {"resource_type": "skill_plugins", "format": "csv"}),
            {"op": "update", "data": {"type": "webhooks", "lid": "w", "attributes": {"name": "X"}}},
            {"op": "remove", "ref": {"type": "exports", "lid": "e"}},
        )
    assert response.status_code == 200, response.json()
    webhook, export, renamed, removed = response.json()["atomic:results"]
    # The webhook endpoint's own rule: the secret is shown on create only.
    assert webhook["data"]["attributes"]["shared_secret"].startswith("whsec_")
    assert "shared_secret" not in renamed["data"]["attributes"]
    assert renamed["data"]["attributes"]["name"] == "X"
    assert export["data"]["attributes"]["status"] == "pending"
    assert removed == {}
    assert not Export.objects.exists()
    assert Webhook.objects.get().name == "X"


def test_relationship_operations_and_removals(client, organization):
    plugin = SkillPluginFactory(organization=organization, name="kit")
    created = run(
        client, add_collection(), add_version(skill="alpha"), add_version(lid="w", skill="beta")
    )
    assert created.status_code == 200, created.json()
    skill_ids = [
        item["id"]
        for result in created.json()["atomic:results"][1:]
        for item in result["data"]["relationships"]["skills"]["data"]
    ]
    assert len(set(skill_ids)) == 2
    ref = {"type": "skill_plugins", "id": str(plugin.pk), "relationship": "skills"}
    linkage = [{"type": "skills", "id": skill_id} for skill_id in skill_ids]
    response = run(
        client,
        {"op": "update", "ref": ref, "data": linkage[:1]},
        {"op": "add", "ref": ref, "data": linkage[1:]},
    )
    # Relationship operations have no data in their results: 204 when none has.
    assert response.status_code == 204 and response.content == b""
    assert sorted(str(pk) for pk in plugin.skills.values_list("pk", flat=True)) == sorted(skill_ids)
    response = run(
        client,
        {"op": "remove", "ref": ref, "data": linkage[:1]},
        {
            "op": "remove",
            "ref": {
                "type": "skill_collections",
                "id": created.json()["atomic:results"][0]["data"]["id"],
            },
        },
        {"op": "add", "ref": {"type": "skill_plugins"}, "data": add_plugin(name="new-kit")["data"]},
    )
    assert response.status_code == 200, response.json()
    results = response.json()["atomic:results"]
    assert results[:2] == [{}, {}]
    assert results[2]["data"]["attributes"]["name"] == "new-kit"
    assert [str(pk) for pk in plugin.skills.values_list("pk", flat=True)] == skill_ids[1:]
    assert SkillCollection.objects.get().is_deleted  # the endpoint's own (soft) delete


def test_the_third_operation_failing_stores_nothing_and_emits_nothing(
    client, organization, django_capture_on_commit_callbacks
):
    WebhookFactory(organization=organization, topic="skill_collections.create")
    WebhookFactory(organization=organization, topic="skill_plugins.create")
    events = Event.objects.count()  # the webhooks' own
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = run(client, add_collection(), add_version(), add_plugin(name="Not Kebab"))
    assert response.status_code == 422
    assert response["Content-Type"] == ATOMIC
    [error] = response.json()["errors"]
    assert error["source"]["pointer"] == "/atomic:operations/2/data/attributes/name"
    assert error["status"] == "422"
    assert SkillCollection.objects.count() == 0
    assert SkillCollectionVersion.objects.count() == 0
    assert SkillPlugin.objects.count() == 0
    assert Event.objects.count() == events
    assert WebhookDelivery.objects.count() == 0
    assert callbacks == []  # no delivery task queued

    # The same request, fixed, commits every operation and its events and deliveries.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = run(client, add_collection(), add_version(), add_plugin())
    assert response.status_code == 200
    assert WebhookDelivery.objects.count() == 2
    assert callbacks


def test_an_error_of_the_endpoint_keeps_its_pointer_under_the_operation(client, organization):
    SkillPluginFactory(organization=organization, name="doc-tools")
    response = run(client, add_collection(), add_plugin())
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == (
        "/atomic:operations/1/data/attributes/name"
    )
    bad_files = add_version()
    bad_files["data"]["attributes"]["files"] = {"../evil/SKILL.md": "x"}
    response = run(client, add_collection(), bad_files)
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"].startswith(
        "/atomic:operations/1/data/attributes/files"
    )
    assert SkillCollection.objects.count() == 0


def test_another_organizations_or_modes_resources_are_not_found(client, organization):
    others = SkillPluginFactory()  # another organization
    live = SkillPluginFactory(organization=organization, mode=Mode.LIVE)
    for plugin in (others, live):
        response = run(
            client,
            add_collection(),
            {
                "op": "update",
                "data": {
                    "type": "skill_plugins",
                    "id": str(plugin.pk),
                    "attributes": {"version": "9.9.9"},
                },
            },
        )
        assert response.status_code == 404
        assert response.json()["errors"][0]["source"]["pointer"] == "/atomic:operations/1/data"
        plugin.refresh_from_db()
        assert plugin.version != "9.9.9"
    mine = SkillPluginFactory(organization=organization)
    response = run(
        client,
        {
            "op": "add",
            "data": {
                "type": "skill_marketplaces",
                "attributes": {"name": "market", "owner": {"name": "Acme"}},
                "relationships": {
                    "skill_plugins": {
                        "data": [
                            {"type": "skill_plugins", "id": str(mine.pk)},
                            {"type": "skill_plugins", "id": str(others.pk)},
                        ]
                    }
                },
            },
        },
    )
    assert response.status_code == 422
    pointer = response.json()["errors"][0]["source"]["pointer"]
    assert pointer.startswith("/atomic:operations/0/data/relationships/skill_plugins")
    assert SkillCollection.objects.count() == SkillMarketplace.objects.count() == 0


def test_a_read_key_is_refused_and_nothing_is_stored(api_key):
    reader = JsonApiClient(ApiKeyFactory(member=api_key.member, scope=Scope.READ))
    response = run(reader, add_collection())
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "read_only_key"
    assert SkillCollection.objects.count() == 0


def test_no_key_is_a_401(anonymous_client):
    assert run(anonymous_client, add_collection()).status_code == 401


def test_idempotency_key_replays_the_first_outcome(client):
    first = run(client, add_collection(), add_plugin(), HTTP_IDEMPOTENCY_KEY="ops-1")
    again = run(client, add_collection(), add_plugin(), HTTP_IDEMPOTENCY_KEY="ops-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again["Content-Type"] == ATOMIC
    assert again.json() == first.json()
    assert SkillCollection.objects.count() == SkillPlugin.objects.count() == 1
    other = run(client, add_plugin(name="other"), HTTP_IDEMPOTENCY_KEY="ops-1")
    assert other.status_code == 422
    assert other.json()["errors"][0]["code"] == "idempotency_key_reused"


def test_a_failed_request_is_replayed_as_its_failure(client):
    failed = run(client, add_collection(), add_plugin(name="Bad"), HTTP_IDEMPOTENCY_KEY="ops-2")
    replayed = run(client, add_collection(), add_plugin(name="Bad"), HTTP_IDEMPOTENCY_KEY="ops-2")
    assert failed.status_code == replayed.status_code == 422
    assert replayed["Idempotent-Replayed"] == "true"
    assert SkillCollection.objects.count() == 0


def test_a_request_counts_once_against_the_rate_limit(client, api_key):
    api_key.rate_limit = 2
    api_key.save()
    wait_for_a_fresh_window(needed=5)
    first = run(client, add_plugin("a", "a"), add_plugin("b", "b"), add_plugin("c", "c"))
    assert first.status_code == 200
    assert (first["RateLimit-Limit"], first["RateLimit-Remaining"]) == ("2", "1")
    assert run(client, add_plugin("d", "d")).status_code == 200
    refused = run(client, add_plugin("e", "e"))
    assert refused.status_code == 429 and "Retry-After" in refused
    assert SkillPlugin.objects.count() == 4


def test_more_operations_than_the_limit_is_a_413(client, settings):
    settings.SKILLPORT = {**settings.SKILLPORT, "MAX_ATOMIC_OPERATIONS": 2}
    response = run(client, add_plugin("a", "a"), add_plugin("b", "b"), add_plugin("c", "c"))
    assert response.status_code == 413
    [error] = response.json()["errors"]
    assert error["code"] == "too_many_operations"
    assert error["source"]["pointer"] == "/atomic:operations"
    assert "at most 2" in error["detail"]
    assert SkillPlugin.objects.count() == 0
    assert run(client, add_plugin("a", "a"), add_plugin("b", "b")).status_code == 200


def ops(*operations) -> dict:
    return {"atomic:operations": list(operations)}


OP0, PLUGIN = "/atomic:operations/0", {"type": "skill_plugins"}
MISMATCHED_ADD = {"op": "add", "ref": {"type": "skill_marketplaces"}, "data": PLUGIN}


@pytest.mark.parametrize(
    ("document", "status", "pointer"),
    [
        ([], 400, ""),
        ({}, 400, "/atomic:operations"),
        (ops(), 400, "/atomic:operations"),
        ({**ops(add_plugin()), "data": {}}, 400, "/data"),
        (ops("add"), 400, OP0),
        (ops({"op": "replace"}), 400, f"{OP0}/op"),
        (ops({"op": "add", "href": "/api/skill_plugins", "data": {}}), 400, f"{OP0}/href"),
        (ops({"op": "remove"}), 400, f"{OP0}/ref"),
        (ops({"op": "remove", "ref": PLUGIN}), 400, f"{OP0}/ref"),
        (ops({"op": "update", "data": PLUGIN}), 400, f"{OP0}/data/id"),
        (ops({"op": "add", "data": {"type": 7}}), 400, f"{OP0}/data/type"),
        (ops({"op": "remove", "ref": {**PLUGIN, "lid": "x"}}), 400, f"{OP0}/ref/lid"),
        (ops(add_plugin(), add_plugin(name="b")), 400, "/atomic:operations/1/data/lid"),
        (ops({"op": "add", "data": {"type": "nothing"}}), 404, f"{OP0}/data/type"),
        (ops({"op": "add", "data": {"type": "skills"}}), 403, f"{OP0}/op"),
        (ops({"op": "remove", "ref": {**PLUGIN, "id": "not/an/id"}}), 404, f"{OP0}/ref"),
        (ops(MISMATCHED_ADD), 409, f"{OP0}/data/type"),
    ],
)
def test_malformed_operations_point_at_the_member(client, document, status, pointer):
    response = post(client, document)
    assert response.status_code == status, response.json()
    assert response.json()["errors"][0]["source"]["pointer"] == pointer
    assert SkillPlugin.objects.count() == 0


def test_query_parameters_are_refused(client):
    response = client.generic(
        "POST",
        "/api/operations?include=skills",
        json.dumps({"atomic:operations": [add_plugin()]}),
        content_type=ATOMIC,
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": "include"}
    assert SkillPlugin.objects.count() == 0


def test_an_unknown_relationship_is_a_404(client, organization):
    plugin = SkillPluginFactory(organization=organization)
    response = run(
        client,
        {
            "op": "add",
            "ref": {"type": "skill_plugins", "id": str(plugin.pk), "relationship": "nope"},
            "data": [],
        },
    )
    assert response.status_code == 404
    assert response.json()["errors"][0]["source"]["pointer"] == "/atomic:operations/0/ref"


OTHER_EXT = 'application/vnd.api+json; ext="https://example.com/ext/other"'


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        # Content-Type: the extension is required, and no other one is applied here.
        ({"content_type": "application/vnd.api+json"}, 415),
        ({"content_type": OTHER_EXT}, 415),
        ({"content_type": ATOMIC.replace('atomic"', 'atomic https://example.com/x"')}, 415),
        ({"content_type": "application/json"}, 415),
        # Accept: a 406 only when every JSON:API media type names an unsupported extension.
        ({"HTTP_ACCEPT": OTHER_EXT}, 406),
        ({"HTTP_ACCEPT": ATOMIC}, 200),
        ({"HTTP_ACCEPT": "application/vnd.api+json"}, 200),
        ({"HTTP_ACCEPT": f"{OTHER_EXT}, application/vnd.api+json"}, 200),
        ({"HTTP_ACCEPT": "*/*"}, 200),
    ],
)
def test_content_negotiation_of_the_extension(client, headers, status):
    response = run(client, add_plugin(), **headers)
    assert response.status_code == status
    # The answer names the extension exactly when it applied it.
    applied = ATOMIC if status == 200 else "application/vnd.api+json"
    assert response["Content-Type"] == applied
    assert SkillPlugin.objects.count() == (1 if status == 200 else 0)


def test_resource_endpoints_refuse_an_extension_they_do_not_apply(client):
    body = json.dumps({"type": "skill_plugins", "attributes": {"name": "kit", "version": "1.0.0"}})
    for content_type in (ATOMIC, 'application/vnd.api+json; ext="https://example.com/x"'):
        response = client.generic(
            "POST", "/api/skill_plugins", f'{{"data": {body}}}', content_type=content_type
        )
        assert response.status_code == 415
    accept = 'application/vnd.api+json; ext="https://example.com/x"'
    assert client.get("/api/skill_plugins", HTTP_ACCEPT=accept).status_code == 406


def test_get_is_not_allowed(client):
    response = client.get("/api/operations")
    assert response.status_code == 405
    assert "POST" in response["Allow"]


def test_the_query_count_grows_by_a_constant_per_operation(client):
    def queries(count: int, offset: int) -> int:
        operations = [add_plugin(f"p{offset + n}", f"kit-{offset + n}") for n in range(count)]
        with CaptureQueriesContext(connection) as captured:
            assert run(client, *operations).status_code == 200
        return len(captured)

    queries(1, 0)  # warm-up: the first request loads what every later one shares
    one, two, five = queries(1, 10), queries(2, 20), queries(5, 30)
    per_operation = two - one
    assert five - one == 4 * per_operation
    assert per_operation <= 15  # a single POST /api/skill_plugins makes 13, auth included


def test_the_endpoint_is_in_the_openapi_document(client):
    document = client.get("/api/openapi.json").json()
    operation = document["paths"]["/api/operations"]["post"]
    assert ATOMIC in operation["requestBody"]["content"]
    assert {"200", "204", "400", "403", "404", "406", "409", "413", "415", "422"} <= set(
        operation["responses"]
    )
    schemas = document["components"]["schemas"]
    assert "AtomicOperationsDocument" in schemas and "AtomicResultsDocument" in schemas
    assert "get" not in document["paths"]["/api/operations"]


def test_the_guides_example_runs_as_written(client):
    guide = (Path(__file__).parents[2] / "docs" / "guides" / "registry.md").read_text()
    body = guide.split("$API/operations", 1)[1].split("-d '", 1)[1].split("'\n", 1)[0]
    response = post(client, body)
    assert response.status_code == 200, response.json()
    assert len(response.json()["atomic:results"]) == 4
    marketplace = SkillMarketplace.objects.get(name="team-market")
    assert list(marketplace.skill_plugins.values_list("name", flat=True)) == ["team-kit"]
    plugin = SkillPlugin.objects.get(name="team-kit")
    assert list(plugin.skills.values_list("path", flat=True)) == ["pdf-tools"]


def test_a_single_identifier_adds_to_a_to_many_relationship_as_a_list_of_one(client, organization):
    plugin = SkillPluginFactory(organization=organization)
    marketplace = {
        "op": "add",
        "data": {
            "type": "skill_marketplaces",
            "lid": "m",
            "attributes": {"name": "m", "owner": {"name": "A"}},
        },
    }
    response = run(
        client,
        marketplace,
        {
            "op": "add",
            "ref": {"type": "skill_marketplaces", "lid": "m", "relationship": "skill_plugins"},
            "data": {"type": "skill_plugins", "id": str(plugin.pk)},
        },
    )
    assert response.status_code == 200, response.json()
    assert list(SkillMarketplace.objects.get().skill_plugins.all()) == [plugin]


@pytest.mark.skipif(
    not OFFICIAL_SCHEMA.is_file(),
    reason="SKILLPORT_JSONAPI_SCHEMA names no copy of the official JSON:API 1.1 schema "
    "(https://jsonapi.org/schemas/spec/v1.1/draft): the documents were checked against the "
    "extension's rules only",
)
def test_the_official_schema_was_applied(client):
    response = run(client, add_plugin())
    assert response.status_code == 200
    assert_official(response.json())  # also every document above, as it was answered
