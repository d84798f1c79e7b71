"""JSON:API 1.1 content negotiation: 415 and 406 rules."""

import pytest

pytestmark = pytest.mark.django_db

TEAM = {"data": {"type": "teams", "attributes": {"name": "Core", "slug": "core"}}}


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "*/*",
        "application/vnd.api+json",
        'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"',
        'application/vnd.api+json; profile="https://example.com/p"',
        "application/json",
        "application/vnd.api+json; charset=utf-8, application/vnd.api+json",
    ],
)
def test_acceptable_accept_headers(client, accept):
    extra = {"HTTP_ACCEPT": accept} if accept else {}
    if accept is None:
        response = client.get("/api/organizations", HTTP_ACCEPT="")
    else:
        response = client.get("/api/organizations", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.api+json")


@pytest.mark.parametrize(
    "accept",
    [
        "application/vnd.api+json; charset=utf-8",
        "application/vnd.api+json; version=1, application/vnd.api+json; foo=bar",
    ],
)
def test_406_when_every_json_api_accept_has_foreign_parameters(client, accept):
    response = client.get("/api/organizations", HTTP_ACCEPT=accept)
    assert response.status_code == 406
    assert response["Content-Type"].startswith("application/vnd.api+json")
    assert response.json()["errors"][0]["status"] == "406"


@pytest.mark.urls("tests.api.urls")
def test_415_for_content_type_with_foreign_parameters(client):
    response = client.post(
        "/test-api/teams", TEAM, content_type="application/vnd.api+json; charset=utf-8"
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["code"] == "unsupported_media_type"


@pytest.mark.urls("tests.api.urls")
def test_ext_and_profile_parameters_are_accepted_on_requests(client):
    import json

    response = client.generic(
        "POST",
        "/test-api/teams",
        json.dumps(TEAM),
        content_type='application/vnd.api+json; profile="https://example.com/p"',
    )
    assert response.status_code == 201


@pytest.mark.urls("tests.api.urls")
def test_415_for_non_json_api_body(client):
    response = client.generic("POST", "/test-api/teams", "{}", content_type="text/plain")
    assert response.status_code == 415
