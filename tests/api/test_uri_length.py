"""Over-long URIs and request lines are JSON:API errors, from Django and from gunicorn."""

import json

import pytest

from api.conf import api_conf
from tests.served import get, gunicorn, install_env

pytestmark = pytest.mark.django_db

JSON_API = "application/vnd.api+json"


def members_url(length: int) -> str:
    """A valid list URL of exactly `length` characters."""
    prefix = "/api/members?filter[email.cont]="
    return prefix + "a" * (length - len(prefix))


def test_a_uri_over_the_limit_is_a_json_api_414(client, settings):
    limit = api_conf.MAX_URI_LENGTH
    assert client.get(members_url(limit)).status_code == 200
    response = client.get(members_url(limit + 1))
    assert response.status_code == 414
    assert response["Content-Type"].startswith(JSON_API)
    [error] = response.json()["errors"]
    assert error["code"] == "uri_too_long" and str(limit) in error["detail"]


def test_the_limit_is_configurable(client, settings):
    settings.SKILLPORT = {**settings.SKILLPORT, "MAX_URI_LENGTH": 100}
    assert client.get(members_url(100)).status_code == 200
    assert client.get(members_url(101)).status_code == 414


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    # Nothing here reaches the database: the answers come before any view runs.
    with gunicorn(install_env(tmp_path_factory.mktemp("install"))) as url:
        yield url


@pytest.mark.parametrize(
    ("length", "headers", "status"),
    [
        (6000, {}, 414),  # above Django's limit, below gunicorn's: Django answers
        (9000, {}, 414),  # above gunicorn's limit_request_line: gunicorn answers
        (100, {"X-Big": "b" * 9000}, 431),  # a header above limit_request_field_size
    ],
)
def test_the_http_server_answers_json_api_errors(served, length, headers, status):
    code, response_headers, body = get(served + members_url(length), **headers)
    assert code == status
    assert response_headers["Content-Type"].startswith(JSON_API)
    [error] = json.loads(body)["errors"]
    assert error["status"] == str(status)
