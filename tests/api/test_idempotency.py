"""`Idempotency-Key` on creating POSTs: replays, conflicts, scope, expiry and real concurrency."""

import json
import threading
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from core.models import IdempotencyKey
from events.models import Event, Webhook, WebhookDelivery
from exports.models import Export, SkillExport
from files.models import FileLink
from organizations.models import Mode, Team
from skills.models import (
    Skill,
    SkillCollection,
    SkillCollectionVersion,
    SkillMarketplace,
    SkillPlugin,
)
from tests.conftest import JsonApiClient
from tests.events.factories import WebhookFactory
from tests.exports.factories import ExportFactory
from tests.factories import ApiKeyFactory
from tests.skill_exports.factories import FileFactory, collection_with_skills
from tests.skills.factories import (
    SkillCollectionFactory,
    SkillPluginFactory,
    make_zip,
    skill_files,
)

HEADER = "HTTP_IDEMPOTENCY_KEY"


def quiet(command: str, *args: str) -> None:
    with open("/dev/null", "w") as devnull:
        call_command(command, *args, stdout=devnull)


def identifiers(type_name: str, objects) -> list[dict]:
    return [{"type": type_name, "id": str(obj.pk)} for obj in objects]


# Each creating endpoint: (path, document, model) built for an organization.
def webhook_create(organization):
    attributes = {"name": "CI", "topic": "skill_plugins.create"}
    attributes["callback_url"] = "http://127.0.0.1:9/hooks"
    return "/api/webhooks", {"data": {"type": "webhooks", "attributes": attributes}}, Webhook


def collection_create(organization):
    attributes = {"name": "support", "root_path": ".claude/skills", "provider": "claude"}
    document = {"data": {"type": "skill_collections", "attributes": attributes}}
    return "/api/skill_collections", document, SkillCollection


def plugin_create(organization):
    document = {"data": {"type": "skill_plugins", "attributes": {"name": "doc-tools"}}}
    return "/api/skill_plugins", document, SkillPlugin


def marketplace_create(organization):
    attributes = {"name": "market", "owner": {"name": "Acme"}}
    document = {"data": {"type": "skill_marketplaces", "attributes": attributes}}
    return "/api/skill_marketplaces", document, SkillMarketplace


def export_create(organization):
    attributes = {"resource_type": "skill_collections", "format": "csv"}
    return "/api/exports", {"data": {"type": "exports", "attributes": attributes}}, Export


def version_create(organization):
    collection = SkillCollectionFactory(organization=organization)
    document = {
        "data": {
            "type": "skill_collection_versions",
            "attributes": {"commit_message": "first", "files": skill_files("pdf-tools")},
            "relationships": {
                "skill_collection": {
                    "data": {"type": "skill_collections", "id": str(collection.pk)}
                }
            },
        }
    }
    return "/api/skill_collection_versions", document, SkillCollectionVersion


def skill_export_create(organization):
    [skill] = collection_with_skills(organization, ["pdf-tools"])
    document = {
        "data": {
            "type": "skill_exports",
            "attributes": {"target": "skill"},
            "relationships": {"skill": {"data": {"type": "skills", "id": str(skill.pk)}}},
        }
    }
    return "/api/skill_exports", document, SkillExport


def file_link_create(organization):
    file = FileFactory(organization=organization)
    document = {
        "data": {
            "type": "file_links",
            "attributes": {"expires_in": 600},
            "relationships": {"file": {"data": {"type": "files", "id": str(file.pk)}}},
        }
    }
    return "/api/file_links", document, FileLink


CREATES = [
    webhook_create,
    collection_create,
    plugin_create,
    marketplace_create,
    export_create,
    version_create,
    skill_export_create,
    file_link_create,
]


@pytest.fixture(autouse=True)
def _webhooks_on_loopback(settings):
    settings.SKILLPORT_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.mark.django_db
@pytest.mark.parametrize("build", CREATES, ids=lambda build: build.__name__)
def test_same_key_and_request_replays_the_first_response(client, organization, build):
    path, document, model = build(organization)
    first = client.post(path, document, **{HEADER: "create-1"})
    assert first.status_code == 201, first.json()
    events = Event.objects.count()

    second = client.post(path, document, **{HEADER: "create-1"})

    assert second.status_code == 201
    assert second.content == first.content
    assert second["Location"] == first["Location"]
    assert second["Content-Type"] == first["Content-Type"]
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert model.objects.count() == 1
    assert Event.objects.count() == events  # no second create event


@pytest.mark.django_db
def test_without_a_key_every_post_acts(client, organization):
    path, document, _ = plugin_create(organization)
    document["data"]["attributes"]["name"] = "one"
    assert client.post(path, document).status_code == 201
    document["data"]["attributes"]["name"] = "two"
    assert client.post(path, document).status_code == 201
    assert SkillPlugin.objects.count() == 2
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.django_db
def test_another_key_creates_another_resource(client, organization):
    path, document, _ = export_create(organization)
    first = client.post(path, document, **{HEADER: "a"})
    second = client.post(path, document, **{HEADER: "b"})
    assert first.status_code == second.status_code == 201
    assert first.json()["data"]["id"] != second.json()["data"]["id"]
    assert "Idempotent-Replayed" not in second
    assert Export.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["body", "path", "query"])
def test_same_key_with_another_request_is_422(client, organization, change):
    path, document, _ = export_create(organization)
    assert client.post(path, document, **{HEADER: "k"}).status_code == 201
    if change == "body":
        document["data"]["attributes"]["format"] = "json"
    elif change == "path":
        path, document, _ = plugin_create(organization)
    else:
        path = f"{path}?include=events"

    response = client.post(path, document, **{HEADER: "k"})

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["code"] == "idempotency_key_reused"
    assert error["source"] == {"header": "Idempotency-Key"}
    assert "POST /api/exports" in error["detail"]
    assert Export.objects.count() == 1
    assert SkillPlugin.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key", ["", "x" * 256, "tab\there", "caf\u00e9", "line\nbreak", "\x7f"], ids=repr
)
def test_malformed_keys_are_400_with_the_header_named(client, organization, key):
    path, document, _ = plugin_create(organization)
    response = client.post(path, document, **{HEADER: key})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "invalid_idempotency_key"
    assert error["source"] == {"header": "Idempotency-Key"}
    assert SkillPlugin.objects.count() == 0


@pytest.mark.django_db
def test_longest_and_punctuated_keys_are_accepted(client, organization):
    path, document, _ = plugin_create(organization)
    key = "~ !" + "k" * 252
    assert client.post(path, document, **{HEADER: key}).status_code == 201
    replay = client.post(path, document, **{HEADER: key})
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_keys_are_scoped_by_organization_and_mode(client, api_key, organization):
    path, document, _ = plugin_create(organization)
    first = client.post(path, document, **{HEADER: "shared"})
    assert first.status_code == 201

    # Another key of the same organization and mode sees the same replay.
    sibling = JsonApiClient(ApiKeyFactory(member=api_key.member, mode=api_key.mode))
    replay = sibling.post(path, document, **{HEADER: "shared"})
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == first.content

    # Another organization uses the same key for its own resource.
    stranger = JsonApiClient(ApiKeyFactory())
    theirs = stranger.post(path, document, **{HEADER: "shared"})
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert theirs.json()["data"]["id"] != first.json()["data"]["id"]

    # The same organization in the other mode does not see the test mode's key.
    live = JsonApiClient(ApiKeyFactory(member=api_key.member, mode=Mode.LIVE))
    document["data"]["attributes"]["name"] = "live-tools"
    in_live = live.post(path, document, **{HEADER: "shared"})
    assert in_live.status_code == 201, in_live.json()
    assert "Idempotent-Replayed" not in in_live
    assert SkillPlugin.objects.count() == 3


@pytest.mark.django_db
def test_a_validation_error_is_replayed_too(client, organization):
    path, document, _ = export_create(organization)
    document["data"]["attributes"]["format"] = "xml"
    first = client.post(path, document, **{HEADER: "bad"})
    assert first.status_code == 422
    second = client.post(path, document, **{HEADER: "bad"})
    assert second.status_code == 422
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    # A corrected request needs a new key: the key is bound to the first request.
    document["data"]["attributes"]["format"] = "csv"
    reused = client.post(path, document, **{HEADER: "bad"})
    assert reused.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert Export.objects.count() == 0


@pytest.mark.django_db
def test_a_retryable_429_is_not_stored(client, organization, settings):
    settings.SKILLPORT = {**settings.SKILLPORT, "EXPORT_MAX_CONCURRENT": 1}
    running = ExportFactory(organization=organization)
    path, document, _ = export_create(organization)
    refused = client.post(path, document, **{HEADER: "later"})
    assert refused.status_code == 429
    running.delete()

    retried = client.post(path, document, **{HEADER: "later"})

    assert retried.status_code == 201, retried.json()
    assert "Idempotent-Replayed" not in retried
    assert Export.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.urls("tests.api.urls")
def test_a_server_error_is_not_stored_and_the_retry_runs(client, organization):
    from tests.api.urls import FlakyTeamViewSet

    FlakyTeamViewSet.failures_left = 1
    document = {"data": {"type": "teams", "attributes": {"name": "Ops", "slug": "ops"}}}
    failed = client.post("/test-api/flaky-teams", document, **{HEADER: "retry-me"})
    assert failed.status_code == 500
    assert not IdempotencyKey.objects.exists()
    assert not Team.objects.filter(slug="ops").exists()  # its write rolled back with it

    retried = client.post("/test-api/flaky-teams", document, **{HEADER: "retry-me"})
    assert retried.status_code == 201, retried.json()
    assert "Idempotent-Replayed" not in retried
    replayed = client.post("/test-api/flaky-teams", document, **{HEADER: "retry-me"})
    assert replayed["Idempotent-Replayed"] == "true"
    assert replayed.content == retried.content


@pytest.mark.django_db
def test_zip_upload_is_replayed_and_a_different_zip_is_refused(client, organization):
    collection = SkillCollectionFactory(organization=organization)
    path = f"/api/skill_collections/{collection.pk}/versions?commit_message=zip"
    archive = make_zip(skill_files("pdf-tools"))

    def upload(body: bytes):
        return client.post(path, body, content_type="application/zip", **{HEADER: "zip-1"})

    first = upload(archive)
    assert first.status_code == 201, first.json()
    second = upload(archive)
    assert second.status_code == 201
    assert second.content == first.content
    assert second["Location"] == first["Location"]
    assert second["Idempotent-Replayed"] == "true"
    assert SkillCollectionVersion.objects.filter(skill_collection=collection).count() == 1

    other = upload(make_zip(skill_files("xlsx")))
    assert other.status_code == 422
    assert other.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert SkillCollectionVersion.objects.filter(skill_collection=collection).count() == 1


@pytest.mark.django_db
def test_relationship_post_is_replayed_not_run_again(client, organization):
    skills = collection_with_skills(organization, ["alpha", "beta"])
    plugin = SkillPluginFactory(organization=organization)
    url = f"/api/skill_plugins/{plugin.pk}/relationships/skills"
    document = {"data": identifiers("skills", skills[:1])}
    first = client.post(url, document, **{HEADER: "add-alpha"})
    assert first.status_code == 200, first.json()
    # Someone removes the skill again; a retry of the add must not put it back.
    assert client.delete(url, document).status_code == 200

    replay = client.post(url, document, **{HEADER: "add-alpha"})

    assert replay.status_code == 200
    assert replay.content == first.content
    assert replay["Idempotent-Replayed"] == "true"
    assert list(plugin.skills.all()) == []
    assert Skill.objects.count() == 2


@pytest.mark.django_db
def test_a_replay_sends_no_second_event_or_webhook(client, organization):
    from tests.events.receiver import Receiver

    receiver = Receiver().start()
    try:
        webhook = WebhookFactory(
            organization=organization, topic="skill_plugins.create", callback_url=receiver.url
        )
        path, document, _ = plugin_create(organization)
        for _ in range(3):
            assert client.post(path, document, **{HEADER: "once"}).status_code == 201
        assert Event.objects.filter(name="skill_plugins.create").count() == 1
        assert WebhookDelivery.objects.filter(webhook=webhook).count() == 1
        quiet("deliver_webhooks")
        assert len(receiver.requests) == 1
    finally:
        receiver.stop()


@pytest.mark.django_db
def test_non_post_requests_ignore_the_header(client, organization):
    plugin = SkillPluginFactory(organization=organization)
    document = {"data": {"type": "skill_plugins", "id": str(plugin.pk), "attributes": {}}}
    for key in ("same", "same", ""):
        response = client.patch(f"/api/skill_plugins/{plugin.pk}", document, **{HEADER: key})
        assert response.status_code == 200
        assert "Idempotent-Replayed" not in response
    assert client.get("/api/skill_plugins", **{HEADER: "x" * 300}).status_code == 200
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.django_db
def test_expired_keys_run_again_and_are_purged_by_the_scheduler(client, organization, settings):
    settings.SKILLPORT = {**settings.SKILLPORT, "IDEMPOTENCY_KEY_TTL_SECONDS": 3600}
    path, document, _ = export_create(organization)
    assert client.post(path, document, **{HEADER: "old"}).status_code == 201
    assert client.post(path, document, **{HEADER: "fresh"}).status_code == 201
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(seconds=3601)
    )

    again = client.post(path, document, **{HEADER: "old"})
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Export.objects.count() == 3

    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(seconds=3601))
    IdempotencyKey.objects.filter(key="fresh").update(created_at=timezone.now())
    quiet("scheduler", "--once")
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]


@pytest.mark.django_db
def test_the_openapi_document_offers_the_header_on_posts(anonymous_client):
    document = anonymous_client.get("/api/openapi.json", HTTP_ACCEPT="application/json").json()
    for path in ("/api/exports", "/api/skill_plugins/{id}/relationships/skills"):
        names = [parameter["name"] for parameter in document["paths"][path]["post"]["parameters"]]
        assert "Idempotency-Key" in names
    assert "Idempotency-Key" not in str(document["paths"]["/api/exports"]["get"])
    names = [
        parameter["name"] for parameter in document["paths"]["/skill-exports"]["post"]["parameters"]
    ]
    assert "Idempotency-Key" in names
    # git's POSTs are protocol exchanges that take no such header: not offered there.
    git_posts = [
        item["post"]
        for path, item in document["paths"].items()
        if path.startswith("/git/") and "post" in item
    ]
    assert git_posts
    assert all("Idempotency-Key" not in str(operation) for operation in git_posts)


# Real concurrency: a live server on PostgreSQL, requests from threads.

requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"
)


def live_post(url: str, raw_key: str, document: dict, key: str) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(document).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {raw_key}",
            "Content-Type": "application/vnd.api+json",
            "Accept": "application/vnd.api+json",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_resource(live_server, api_key):
    path, document, _ = plugin_create(api_key.organization)
    results: list = []
    barrier = threading.Barrier(8)

    def post() -> None:
        barrier.wait()
        results.append(live_post(live_server.url + path, api_key.raw_key, document, "race"))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [status for status, _, _ in results] == [201] * 8, results
    assert len({body["data"]["id"] for _, _, body in results}) == 1
    assert len({headers["Location"] for _, headers, _ in results}) == 1
    replayed = [headers.get("Idempotent-Replayed") for _, headers, _ in results]
    assert replayed.count("true") == 7
    assert SkillPlugin.objects.count() == 1
    assert Event.objects.filter(name="skill_plugins.create").count() == 1


class RequestInFlight(threading.Thread):
    """Holds what a running request holds: its key's row, in a transaction not yet finished."""

    def __init__(self, api_key, key: str, commit: bool, **fields):
        super().__init__()
        self.row = {"organization": api_key.organization, "mode": api_key.mode, "key": key}
        self.row.update(fields)
        self.commit = commit
        self.reserved, self.release = threading.Event(), threading.Event()

    def run(self) -> None:
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(**self.row)
                self.reserved.set()
                self.release.wait(30)
                transaction.set_rollback(not self.commit)  # rolled back: a server error
        finally:
            connections.close_all()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_request_waits_for_the_first_and_replays_it(live_server, api_key):
    path, document, _ = plugin_create(api_key.organization)
    first = live_post(live_server.url + path, api_key.raw_key, document, "first")
    stored = IdempotencyKey.objects.get(key="first")
    holder = RequestInFlight(
        api_key,
        "slow",
        commit=True,
        fingerprint=stored.fingerprint,
        request_method="POST",
        request_path=path,
        status_code=201,
        response_headers=stored.response_headers,
        response_body=bytes(stored.response_body),
    )
    holder.start()
    assert holder.reserved.wait(10)
    threading.Timer(1.0, holder.release.set).start()

    status, headers, body = live_post(live_server.url + path, api_key.raw_key, document, "slow")

    holder.join()
    assert status == 201
    assert headers["Idempotent-Replayed"] == "true"
    assert body == first[2]
    assert SkillPlugin.objects.count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_key_in_flight_is_409_until_its_request_finishes(live_server, api_key, settings):
    settings.SKILLPORT = {**settings.SKILLPORT, "IDEMPOTENCY_WAIT_SECONDS": 0.5}
    path, document, _ = plugin_create(api_key.organization)
    holder = RequestInFlight(
        api_key,
        "busy",
        commit=False,
        fingerprint="0" * 64,
        request_method="POST",
        request_path=path,
    )
    reserved, release = holder.reserved, holder.release
    holder.start()
    try:
        assert reserved.wait(10)
        status, _, body = live_post(live_server.url + path, api_key.raw_key, document, "busy")
        assert status == 409, body
        [error] = body["errors"]
        assert error["code"] == "idempotency_key_in_use"
        assert error["source"] == {"header": "Idempotency-Key"}
    finally:
        release.set()
        holder.join()

    status, headers, body = live_post(live_server.url + path, api_key.raw_key, document, "busy")
    assert status == 201, body
    assert "Idempotent-Replayed" not in headers
    assert SkillPlugin.objects.count() == 1
