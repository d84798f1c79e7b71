"""Every error is a JSON:API error document: status, code, title, detail, source."""

import orjson
import pytest

pytestmark = pytest.mark.django_db


def assert_error_document(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/vnd.api+json")
    [error] = response.json()["errors"]
    assert error["status"] == str(status)
    assert {"code", "title", "detail"} <= set(error)
    return error


def test_unknown_url_is_json_404(client):
    error = assert_error_document(client.get("/api/no-such-type"), 404)
    assert error["code"] == "not_found"


def test_errors_outside_drf_are_written_as_the_api_writes_its_own(client):
    """Django's handlers, downloads and git answer the same compact bytes as a DRF view."""
    api = client.get("/api/organizations/00000000-0000-0000-0000-000000000000")
    outside = [
        client.get("/no-such-page"),
        client.get("/api/downloads/not-a-token"),
        client.get("/git/skill_collections/00000000-0000-4000-8000-000000000000.git/info/refs"),
    ]
    for response in [api, *outside]:
        assert_error_document(response, response.status_code)
        assert response.content == orjson.dumps(response.json())
        assert b'": ' not in response.content


def test_unknown_id_is_404(client):
    response = client.get("/api/organizations/00000000-0000-0000-0000-000000000000")
    assert_error_document(response, 404)


def test_malformed_id_is_404_not_500(client):
    assert_error_document(client.get("/api/members/not-a-uuid"), 404)


def test_method_not_allowed_is_405(client):
    error = assert_error_document(client.delete("/api/organizations"), 405)
    assert error["code"] == "method_not_allowed"


@pytest.mark.urls("tests.api.urls")
def test_unhandled_error_in_api_view_is_json_500(client):
    client.raise_request_exception = False
    error = assert_error_document(client.get("/test-api/explode"), 500)
    assert "boom" not in error["detail"]


@pytest.mark.urls("tests.api.urls")
def test_unhandled_error_outside_drf_is_json_500(client):
    client.raise_request_exception = False
    assert_error_document(client.get("/test-api/explode-django"), 500)


@pytest.mark.urls("tests.api.urls")
def test_validation_error_is_422_with_pointer(client):
    response = client.post("/test-api/teams", {"data": {"type": "teams", "attributes": {}}})
    assert response.status_code == 422
    pointers = {error["source"]["pointer"] for error in response.json()["errors"]}
    assert pointers == {"/data/attributes/name", "/data/attributes/slug"}
    assert all(error["code"] == "required" for error in response.json()["errors"])


@pytest.mark.urls("tests.api.urls")
def test_type_mismatch_is_409(client):
    response = client.post(
        "/test-api/teams", {"data": {"type": "members", "attributes": {"name": "x"}}}
    )
    assert_error_document(response, 409)


@pytest.mark.urls("tests.api.urls")
def test_id_mismatch_on_patch_is_409(client, organization):
    from tests.factories import TeamFactory

    team = TeamFactory(organization=organization)
    response = client.patch(
        f"/test-api/teams/{team.pk}",
        {
            "data": {
                "type": "teams",
                "id": "00000000-0000-0000-0000-000000000000",
                "attributes": {"name": "Renamed"},
            }
        },
    )
    assert_error_document(response, 409)


@pytest.mark.urls("tests.api.urls")
def test_malformed_document_is_400(client):
    response = client.generic("POST", "/test-api/teams", "{not json")
    assert_error_document(response, 400)


@pytest.mark.urls("tests.api.urls")
def test_malformed_document_points_at_the_whole_document(client):
    response = client.generic("POST", "/test-api/teams", "{not json")
    assert assert_error_document(response, 400)["source"] == {"pointer": ""}


@pytest.mark.urls("tests.api.urls")
@pytest.mark.parametrize("depth", [65, 10_000])
def test_deeply_nested_document_is_400_not_500(client, depth):
    body = '{"data": {"type": "teams", "attributes": {"name": %s}}}' % ("[" * depth + "]" * depth)
    error = assert_error_document(client.generic("POST", "/test-api/teams", body), 400)
    assert (error["code"], error["source"]) == ("too_deep", {"pointer": ""})


@pytest.mark.urls("tests.api.urls")
def test_nesting_within_the_limit_is_parsed(client, settings):
    settings.SKILLPORT = {**settings.SKILLPORT, "MAX_JSON_DEPTH": 6}
    body = '{"data": {"type": "teams", "attributes": {"name": [[["a"]]], "x": "\\"[[[[[[\\\\"}}}'
    # Brackets inside strings (escaped quotes and backslashes included) do not nest: depth 6,
    # so the serializer sees it (422, not 400).
    assert client.generic("POST", "/test-api/teams", body).status_code == 422
    deeper = body.replace('[[["a"]]]', '[[[["a"]]]]')
    assert client.generic("POST", "/test-api/teams", deeper).status_code == 400


@pytest.mark.parametrize(
    "document",
    [
        {"data": {"type": "skill_plugins", "attributes": [], "relationships": {}}},
        {"data": {"type": "skill_plugins", "attributes": {"name": "x"}, "relationships": []}},
        {"data": {"type": "skill_plugins", "relationships": {"skills": 7}}},
        {"data": {"type": "skill_plugins", "relationships": {"skills": None}}},
        {"data": {"type": "skill_plugins", "relationships": {"skills": {"data": "x"}}}},
    ],
)
def test_malformed_attributes_or_relationships_are_400_not_500(client, document):
    # Found by tests/api/test_openapi_conformance.py: the library assumed objects here.
    response = client.post("/api/skill_plugins", document)
    error = assert_error_document(response, 400)
    assert error["source"]["pointer"].startswith("/data/")
