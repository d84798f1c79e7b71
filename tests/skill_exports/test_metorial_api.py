"""The Metorial-compatible surface: `/skill-exports` with Metorial's objects, list and errors.

Field by field against Metorial's reference (https://metorial.com/api/skill-exports), on the same
data and tenancy as `/api/skill_exports`.
"""

import json
import re
import uuid
from datetime import UTC, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from api.conf import api_conf
from events.models import Event
from exports.models import SkillExport
from tests.factories import ApiKeyFactory, TeamFactory
from tests.skill_exports.factories import (
    SkillExportFactory,
    collection_with_skills,
    plugin_with_skills,
)
from tests.skill_exports.helpers import zip_entries
from tests.skills.factories import SkillMarketplaceFactory

pytestmark = pytest.mark.django_db

ISO_MS = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


class MetorialClient(Client):
    """What a Metorial SDK sends: plain JSON and `Authorization: Bearer <key>`."""

    def __init__(self, api_key=None, **kwargs):
        if api_key is not None:
            kwargs["HTTP_AUTHORIZATION"] = f"Bearer {api_key.raw_key}"
        super().__init__(**kwargs)

    def post_json(self, path: str, body, **extra):
        return self.post(path, json.dumps(body), content_type="application/json", **extra)


@pytest.fixture
def metorial(api_key):
    return MetorialClient(api_key)


@pytest.fixture
def plugin(organization):
    return plugin_with_skills(organization, "kit", ["alpha", "beta"])


def iso(value) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) <= {"object", "status", "code", "message", "errors"}
    assert body["object"] == "error"
    assert body["status"] == status
    assert body["code"] == code
    assert body["message"]
    return body


def error_paths(response) -> set[str]:
    body = assert_error(response, 422, "invalid_data")
    return {"/".join(error["path"]) for error in body["errors"]}


def actor(member) -> dict:
    return {
        "type": "organization_actor",
        "organization_actor": {
            "object": "organization.actor",
            "id": str(member.pk),
            "type": "member",
            "organization_id": str(member.organization_id),
            "name": member.name,
            "email": member.email,
            "image_url": member.image_url or None,
            "teams": [
                {
                    "id": str(team.pk),
                    "name": team.name,
                    "slug": team.slug,
                    "assignment_id": str(
                        uuid.uuid5(
                            uuid.UUID("5b0f6f52-6c1d-4f39-9a55-3c1f4b9e2a10"),
                            f"{member.pk}:{team.pk}",
                        )
                    ),
                }
                for team in member.teams.order_by("created_at")
            ],
        },
    }


# --- create ---------------------------------------------------------------------------------


def test_create_answers_201_with_the_pending_skill_export_object(metorial, api_key, plugin):
    member = api_key.member
    member.image_url = "https://img.example/alex.png"
    member.save()
    member.teams.set([TeamFactory(organization=api_key.organization, name="Engineering")])

    response = metorial.post_json(
        "/skill-exports", {"target": "plugin", "skill_plugin_id": str(plugin.pk)}
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    export = SkillExport.objects.get(pk=body["id"])
    assert response["Location"] == f"http://testserver/skill-exports/{export.pk}"
    assert body == {
        "object": "skill.export",
        "id": str(export.pk),
        "target": "plugin",
        "status": "pending",
        "file": None,
        "file_link": None,
        "created_by": actor(member),
        "created_at": iso(export.created_at),
        "started_at": None,
        "completed_at": None,
    }
    assert body["created_by"]["organization_actor"]["teams"][0]["name"] == "Engineering"
    # The same service as the JSON:API create: same row, same event.
    assert export.skill_plugin == plugin and export.created_by == member
    assert Event.objects.filter(name="skill_exports.create", resource_id=str(export.pk)).exists()


def test_create_for_a_skill_and_a_marketplace(metorial, organization, plugin):
    skill = collection_with_skills(organization, ["gamma"])[0]
    marketplace = SkillMarketplaceFactory(organization=organization)
    marketplace.skill_plugins.set([plugin])
    for body in (
        {"target": "skill", "skill_id": str(skill.pk)},
        {"target": "marketplace", "skill_marketplace_id": str(marketplace.pk), "skill_id": None},
    ):
        response = metorial.post_json("/skill-exports", body)
        assert response.status_code == 201, response.json()
        assert response.json()["target"] == body["target"]
    assert SkillExport.objects.get(target="skill").skill == skill
    assert SkillExport.objects.get(target="marketplace").skill_marketplace == marketplace


def test_create_refuses_a_body_that_is_not_a_json_object(metorial):
    assert_error(
        metorial.post("/skill-exports", "{nope", content_type="application/json"),
        400,
        "bad_request",
    )
    assert_error(metorial.post_json("/skill-exports", ["plugin"]), 400, "bad_request")
    assert_error(
        metorial.post("/skill-exports", "target=plugin", content_type="text/plain"),
        415,
        "unsupported_media_type",
    )
    assert not SkillExport.objects.exists()


def test_create_refuses_a_body_nested_too_deep(metorial, settings):
    # Before: json.loads recursed until a RecursionError, answered as a 500.
    limit = api_conf.MAX_JSON_DEPTH
    deep = '{"target": "plugin", "skill_plugin_id": ' + "[" * 10_000 + "]" * 10_000 + "}"
    body = assert_error(
        metorial.post("/skill-exports", deep, content_type="application/json"), 400, "bad_request"
    )
    assert str(limit) in body["message"]
    assert not SkillExport.objects.exists()


def test_create_with_an_idempotency_key_is_replayed_not_run_again(metorial, plugin):
    # Before: the header was documented for this POST but ignored: a retry made a second export.
    body = {"target": "plugin", "skill_plugin_id": str(plugin.pk)}
    first = metorial.post_json("/skill-exports", body, HTTP_IDEMPOTENCY_KEY="retry-1")
    again = metorial.post_json("/skill-exports", body, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert SkillExport.objects.count() == 1
    assert Event.objects.filter(name="skill_exports.create").count() == 1

    other = metorial.post_json(
        "/skill-exports", {**body, "target": "skill"}, HTTP_IDEMPOTENCY_KEY="retry-1"
    )
    assert_error(other, 422, "idempotency_key_reused")
    assert_error(
        metorial.post_json("/skill-exports", body, HTTP_IDEMPOTENCY_KEY="\x7f"),
        400,
        "invalid_idempotency_key",
    )
    assert SkillExport.objects.count() == 1


def test_create_validation_errors_name_the_body_field(metorial, organization, plugin):
    post = metorial.post_json
    assert error_paths(post("/skill-exports", {"skill_plugin_id": str(plugin.pk)})) == {"target"}
    assert error_paths(post("/skill-exports", {"target": "galaxy"})) == {"target"}
    assert error_paths(post("/skill-exports", {"target": "plugin"})) == {"skill_plugin_id"}
    assert error_paths(
        post("/skill-exports", {"target": "skill", "skill_plugin_id": str(plugin.pk)})
    ) == {"skill_id", "skill_plugin_id"}
    assert error_paths(
        post("/skill-exports", {"target": "plugin", "skill_plugin_id": "not-an-id"})
    ) == {"skill_plugin_id"}
    assert error_paths(
        post("/skill-exports", {"target": "plugin", "skill_plugin_id": str(uuid.uuid4())})
    ) == {"skill_plugin_id"}
    assert error_paths(
        post(
            "/skill-exports",
            {"target": "plugin", "skill_plugin_id": str(plugin.pk), "format": "tar"},
        )
    ) == {"format"}
    body = assert_error(post("/skill-exports", {"target": "plugin"}), 422, "invalid_data")
    assert body["errors"] == [
        {
            "code": "invalid",
            "message": "A 'plugin' export needs the 'skill_plugin_id'.",
            "path": ["skill_plugin_id"],
        }
    ]
    assert not SkillExport.objects.exists()


def test_create_refuses_a_plugin_with_two_skills_of_one_name(metorial, organization):
    plugin = plugin_with_skills(organization, "twins", ["alpha"])
    plugin.skills.add(*collection_with_skills(organization, ["alpha"]))
    response = metorial.post_json(
        "/skill-exports", {"target": "plugin", "skill_plugin_id": str(plugin.pk)}
    )
    assert error_paths(response) == {"skill_plugin_id"}


def test_create_with_another_organizations_target_is_invalid(metorial, other_api_key):
    foreign = plugin_with_skills(other_api_key.organization, "theirs", ["delta"])
    response = metorial.post_json(
        "/skill-exports", {"target": "plugin", "skill_plugin_id": str(foreign.pk)}
    )
    assert error_paths(response) == {"skill_plugin_id"}
    assert str(foreign.pk) in response.json()["message"]


# --- the full run with the real worker ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_full_run_create_worker_completed_file_link_download(api_key, run_worker):
    metorial = MetorialClient(api_key)
    plugin = plugin_with_skills(api_key.organization, "kit", ["alpha", "beta"], version="2.1.0")
    created = metorial.post_json(
        "/skill-exports", {"target": "plugin", "skill_plugin_id": str(plugin.pk)}
    ).json()
    assert created["status"] == "pending"

    run_worker()

    response = metorial.get(f"/skill-exports/{created['id']}")
    assert response.status_code == 200
    body = response.json()
    export = SkillExport.objects.select_related("file", "file_link").get(pk=created["id"])
    file, link, member = export.file, export.file_link, api_key.member
    assert body["status"] == "completed"
    assert body["started_at"] == iso(export.started_at)
    assert body["completed_at"] == iso(export.completed_at)
    assert body["created_at"] == created["created_at"]
    assert body["created_by"] == actor(member)
    assert body["file"] == {
        "object": "file",
        "id": str(file.pk),
        "status": "active",
        "file_name": "kit-2.1.0.zip",
        "file_size": file.file_size,
        "file_type": "application/zip",
        "title": "plugin kit",
        "purpose": "skill_export",
        "created_by": actor(member),
        "created_at": iso(file.created_at),
        "updated_at": iso(file.updated_at),
    }
    url = body["file_link"].pop("url")
    assert body["file_link"] == {
        "object": "file.file_link",
        "id": str(link.pk),
        "file_id": str(file.pk),
        "created_at": iso(link.created_at),
        "expires_at": iso(link.expires_at),
    }
    assert url.startswith("http://testserver/api/downloads/")
    download = Client().get(url)  # no API key: the signed URL is the authorization
    assert download.status_code == 200
    entries = zip_entries(b"".join(download.streaming_content))
    assert set(entries) >= {
        ".claude-plugin/plugin.json",
        "skills/alpha/SKILL.md",
        "skills/beta/SKILL.md",
    }
    # The plugin's version plus build metadata from its content (a new version per change).
    version = json.loads(entries[".claude-plugin/plugin.json"])["version"]
    assert re.fullmatch(r"2\.1\.0\+[0-9a-f]{12}", version)
    [listed] = metorial.get("/skill-exports?status=completed").json()["items"]
    assert listed["file_link"].pop("url").startswith("http://testserver/api/downloads/")
    assert listed == body


# --- get and tenancy ------------------------------------------------------------------------


def test_get_a_completed_export_embeds_file_and_link(metorial, api_key):
    export = SkillExportFactory(
        organization=api_key.organization, created_by=api_key.member, completed=True
    )
    body = metorial.get(f"/skill-exports/{export.pk}").json()
    assert body["file"]["id"] == str(export.file.pk)
    assert body["file_link"]["file_id"] == str(export.file.pk)
    assert body["file_link"]["url"].startswith("http://testserver/api/downloads/")
    for value in (body["created_at"], body["started_at"], body["completed_at"]):
        assert value and re.match(ISO_MS, value)


def test_a_revoked_link_has_no_url(metorial, api_key):
    export = SkillExportFactory(organization=api_key.organization, completed=True)
    export.file_link.revoked_at = timezone.now()
    export.file_link.save()
    assert metorial.get(f"/skill-exports/{export.pk}").json()["file_link"]["url"] is None


def test_another_organizations_export_is_a_metorial_404(metorial, other_api_key):
    foreign = SkillExportFactory(organization=other_api_key.organization, completed=True)
    body = assert_error(metorial.get(f"/skill-exports/{foreign.pk}"), 404, "not_found")
    assert "skill export" in body["message"]
    assert metorial.get("/skill-exports").json()["items"] == []
    assert_error(metorial.get(f"/skill-exports?after={foreign.pk}"), 400, "invalid_query")
    # ... and the other organization sees it.
    assert MetorialClient(other_api_key).get(f"/skill-exports/{foreign.pk}").status_code == 200


def test_the_other_modes_exports_and_targets_are_invisible(metorial, api_key, plugin):
    """Same mode boundary as `/api`: a test key neither sees nor targets live data."""
    live_key = ApiKeyFactory(member=api_key.member, mode="live")
    live = SkillExportFactory(organization=api_key.organization, mode="live", completed=True)
    live_plugin = plugin_with_skills(api_key.organization, "live-kit", ["gamma"], mode="live")
    assert_error(metorial.get(f"/skill-exports/{live.pk}"), 404, "not_found")
    assert metorial.get("/skill-exports").json()["items"] == []
    assert_error(metorial.get(f"/skill-exports?before={live.pk}"), 400, "invalid_query")
    body = {"target": "plugin", "skill_plugin_id": str(live_plugin.pk)}
    assert error_paths(metorial.post_json("/skill-exports", body)) == {"skill_plugin_id"}
    # ... while the live key sees its export, and only it.
    live_client = MetorialClient(live_key)
    assert [item["id"] for item in live_client.get("/skill-exports").json()["items"]] == [
        str(live.pk)
    ]
    assert live_client.post_json("/skill-exports", body).status_code == 201
    assert SkillExport.objects.filter(mode="live").count() == 2


# --- list: pagination -----------------------------------------------------------------------


@pytest.fixture
def five(api_key):
    """Five exports, created a minute apart: e0 oldest ... e4 newest."""
    now = timezone.now()
    exports = []
    for index in range(5):
        export = SkillExportFactory(organization=api_key.organization, created_by=api_key.member)
        SkillExport.objects.filter(pk=export.pk).update(
            created_at=now - timedelta(minutes=5 - index)
        )
        exports.append(str(export.pk))
    return exports


def page(metorial, query: str) -> tuple[list[str], dict]:
    response = metorial.get(f"/skill-exports{query}")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"items", "pagination"}
    assert set(body["pagination"]) == {"has_more_before", "has_more_after"}
    pagination = body["pagination"]
    return [item["id"] for item in body["items"]], (
        pagination["has_more_before"],
        pagination["has_more_after"],
    )


def test_list_is_newest_first_with_a_default_limit(metorial, five, settings):
    assert page(metorial, "") == (five[::-1], (False, False))
    settings.SKILLPORT = {**settings.SKILLPORT, "METORIAL_DEFAULT_LIMIT": 2}
    assert page(metorial, "") == ([five[4], five[3]], (False, True))


def test_list_pages_forward_and_back_with_after_and_before(metorial, five):
    e0, e1, e2, e3, e4 = five
    assert page(metorial, "?limit=2") == ([e4, e3], (False, True))
    assert page(metorial, f"?limit=2&after={e3}") == ([e2, e1], (True, True))
    assert page(metorial, f"?limit=2&after={e1}") == ([e0], (True, False))
    assert page(metorial, f"?limit=2&after={e0}") == ([], (True, False))
    assert page(metorial, f"?limit=2&before={e0}") == ([e2, e1], (True, True))
    assert page(metorial, f"?limit=2&before={e2}") == ([e4, e3], (False, True))
    assert page(metorial, f"?limit=2&before={e4}") == ([], (False, True))


def test_cursor_continues_like_after(metorial, five):
    assert page(metorial, f"?limit=2&cursor={five[3]}") == (
        page(metorial, f"?limit=2&after={five[3]}")
    )


def test_order_asc_reverses_the_pages(metorial, five):
    e0, e1, e2, e3, e4 = five
    assert page(metorial, "?order=asc&limit=2") == ([e0, e1], (False, True))
    assert page(metorial, f"?order=asc&limit=2&after={e1}") == ([e2, e3], (True, True))
    assert page(metorial, f"?order=asc&limit=2&before={e3}") == ([e1, e2], (True, True))
    assert page(metorial, "?order=desc&limit=5") == ([e4, e3, e2, e1, e0], (False, False))


def test_an_export_created_at_the_same_instant_is_neither_lost_nor_repeated(metorial, five):
    same = SkillExport.objects.get(pk=five[2]).created_at
    SkillExport.objects.filter(pk__in=five).update(created_at=same)
    seen, after = [], None
    while True:
        ids, (_, more) = page(metorial, "?limit=2" + (f"&after={after}" if after else ""))
        seen += ids
        if not more:
            break
        after = ids[-1]
    assert sorted(seen) == sorted(five) and len(seen) == 5


@pytest.mark.parametrize(
    "query",
    [
        "?limit=0",
        "?limit=101",
        "?limit=ten",
        "?order=newest",
        "?after=not-an-id",
        f"?before={uuid.uuid4()}",
        "?cursor=abc",
        "?after=X&before=Y",
        "?page[size]=2",
        "?sort=-created_at",
    ],
)
def test_bad_list_parameters_are_400(metorial, five, query):
    query = query.replace("X", five[0]).replace("Y", five[1])
    body = assert_error(metorial.get(f"/skill-exports{query}"), 400, "invalid_query")
    [detail] = body["errors"]
    assert detail["path"][0] in {
        "limit",
        "order",
        "after",
        "before",
        "cursor",
        "page[size]",
        "sort",
    }


# --- list: filters --------------------------------------------------------------------------


@pytest.fixture
def mixed(api_key):
    organization = api_key.organization
    return {
        "pending": SkillExportFactory(organization=organization),
        "completed": SkillExportFactory(organization=organization, completed=True),
        "failed": SkillExportFactory(organization=organization, status="failed"),
        "skill": SkillExportFactory(
            organization=organization,
            target="skill",
            skill_plugin=None,
            skill=collection_with_skills(organization, ["solo"])[0],
            status="in_progress",
        ),
    }


def ids(metorial, query: str) -> set[str]:
    return set(page(metorial, query)[0])


def test_filters_take_one_value(metorial, mixed):
    assert ids(metorial, "?status=completed") == {str(mixed["completed"].pk)}
    assert ids(metorial, "?target=skill") == {str(mixed["skill"].pk)}
    assert ids(metorial, f"?id={mixed['failed'].pk}") == {str(mixed["failed"].pk)}


@pytest.mark.parametrize(
    "query",
    [
        "?status=completed&status=failed",
        "?status[]=completed&status[]=failed",
        "?status[0]=completed&status[1]=failed",
        "?status=completed,failed",
    ],
)
def test_filters_take_a_list_in_every_array_form(metorial, mixed, query):
    assert ids(metorial, query) == {str(mixed["completed"].pk), str(mixed["failed"].pk)}


def test_filters_combine(metorial, mixed):
    both = f"?id={mixed['pending'].pk}&id={mixed['skill'].pk}"
    assert ids(metorial, both) == {str(mixed["pending"].pk), str(mixed["skill"].pk)}
    assert ids(metorial, both + "&target=plugin") == {str(mixed["pending"].pk)}
    assert ids(metorial, "?target[]=plugin&status=in_progress") == set()


@pytest.mark.parametrize("query", ["?status=done", "?target=galaxy", "?id=42", "?status[]=x"])
def test_bad_filter_values_are_400(metorial, mixed, query):
    body = assert_error(metorial.get(f"/skill-exports{query}"), 400, "invalid_query")
    assert body["errors"][0]["path"][0] in {"status", "target", "id"}


def test_list_query_count_is_constant(metorial, api_key, django_assert_max_num_queries):
    organization = api_key.organization
    member = api_key.member
    member.teams.set(TeamFactory.create_batch(2, organization=organization))

    def create(count: int) -> None:
        for _ in range(count):
            SkillExportFactory(organization=organization, created_by=member, completed=True)

    create(2)
    with django_assert_max_num_queries(7):
        assert len(metorial.get("/skill-exports?limit=100").json()["items"]) == 2
    create(30)
    with django_assert_max_num_queries(7):
        assert len(metorial.get("/skill-exports?limit=100").json()["items"]) == 32
    first = metorial.get("/skill-exports?limit=100").json()["items"][5]["id"]
    with django_assert_max_num_queries(8):  # + the anchor and the has_more_before check
        assert len(metorial.get(f"/skill-exports?limit=100&after={first}").json()["items"]) == 26


# --- errors ---------------------------------------------------------------------------------


def test_missing_or_bad_key_is_401(anonymous_client, five):
    response = MetorialClient().get("/skill-exports")
    assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")
    bad = MetorialClient(HTTP_AUTHORIZATION="Bearer sk_test_nope")
    assert_error(bad.get(f"/skill-exports/{five[0]}"), 401, "unauthorized")
    assert_error(
        MetorialClient().post_json("/skill-exports", {"target": "plugin"}), 401, "unauthorized"
    )


def test_unknown_ids_and_paths_are_404(metorial):
    assert_error(metorial.get(f"/skill-exports/{uuid.uuid4()}"), 404, "not_found")
    assert_error(metorial.get("/skill-exports/not-an-id"), 404, "not_found")
    # Matches the URL pattern but is no UUID (found by schemathesis): a 404, not a 500.
    assert_error(
        metorial.get("/skill-exports/7baa96A6d21F301171F2abAAF1C6db2cd-31"), 404, "not_found"
    )
    assert_error(metorial.get(f"/skill-exports/{uuid.uuid4()}/file"), 404, "not_found")
    assert_error(metorial.get("/skill-exports/"), 404, "not_found")


def test_unsupported_methods_are_405(metorial, five):
    assert_error(metorial.delete(f"/skill-exports/{five[0]}"), 405, "method_not_allowed")
    assert_error(metorial.patch(f"/skill-exports/{five[0]}"), 405, "method_not_allowed")
    assert_error(metorial.put("/skill-exports"), 405, "method_not_allowed")


def test_rate_limited_key_is_429_with_retry_after(db):
    key = ApiKeyFactory(rate_limit=1)
    metorial = MetorialClient(key)
    assert metorial.get("/skill-exports").status_code == 200
    response = metorial.get("/skill-exports")
    assert_error(response, 429, "too_many_requests")
    assert int(response["Retry-After"]) > 0


def test_errors_are_json_even_when_html_is_asked_for(metorial):
    response = metorial.get("/skill-exports/not-an-id", HTTP_ACCEPT="text/html")
    assert_error(response, 404, "not_found")
    response = metorial.get("/skill-exports?limit=0", HTTP_ACCEPT="application/vnd.api+json")
    assert_error(response, 400, "invalid_query")
    assert "errors" not in response.json() or response.json()["errors"][0]["path"] == ["limit"]


@pytest.mark.urls("tests.skill_exports.metorial_urls")
def test_an_unexpected_error_is_a_metorial_500(metorial):
    metorial.raise_request_exception = False
    body = assert_error(metorial.get("/skill-exports-explode"), 500, "internal_server_error")
    assert "boom" not in body["message"]


# --- OpenAPI --------------------------------------------------------------------------------


def test_documented_in_openapi_under_its_own_tag(client):
    document = client.get("/api/openapi.json").json()
    collection = document["paths"]["/skill-exports"]
    detail = document["paths"]["/skill-exports/{id}"]
    operations = [collection["get"], collection["post"], detail["get"]]
    assert all(operation["tags"] == ["Metorial-compatible"] for operation in operations)
    # (`options`: every path's, api.schema.document_options)
    assert set(collection) == {"get", "post", "options"} and set(detail) == {"get", "options"}
    body = collection["post"]["requestBody"]["content"]
    assert list(body) == ["application/json"]
    schemas = document["components"]["schemas"]
    request_schema = body["application/json"]["schema"]
    assert request_schema["additionalProperties"] is False
    assert set(request_schema["properties"]) == {
        "target",
        "skill_id",
        "skill_plugin_id",
        "skill_marketplace_id",
    }
    ok = collection["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    envelope = schemas[ok.rsplit("/", 1)[-1]]
    assert set(envelope["properties"]) == {"items", "pagination"}
    error = detail["get"]["responses"]["404"]["content"]["application/json"]["schema"]["$ref"]
    assert set(schemas[error.rsplit("/", 1)[-1]]["properties"]) >= {
        "object",
        "status",
        "code",
        "message",
    }
    # Its own components, never the JSON:API resources of the same names.
    ref = detail["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    export = schemas[ref.rsplit("/", 1)[-1]]
    assert ref.rsplit("/", 1)[-1].startswith("Metorial")
    assert set(export["properties"]) == {
        "object",
        "id",
        "target",
        "status",
        "file",
        "file_link",
        "created_by",
        "created_at",
        "started_at",
        "completed_at",
    }
    enum = export["properties"]["object"]["allOf"][0]["$ref"].rsplit("/", 1)[-1]
    assert schemas[enum]["enum"] == ["skill.export"]
    nested = [export["properties"][name]["allOf"][0]["$ref"] for name in ("file", "file_link")]
    assert all(ref.rsplit("/", 1)[-1].startswith("Metorial") for ref in nested)
    parameters = {parameter["name"] for parameter in collection["get"]["parameters"]}
    assert parameters >= {"limit", "after", "before", "cursor", "order", "id", "target", "status"}
