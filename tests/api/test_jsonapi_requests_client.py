"""jsonapi-requests (PyPI), the most used Python JSON:API client, with its defaults, against a
live server: it appends a trailing slash to every path (`APPEND_SLASH`), which was a 404 until
`/api/x/` answered as `/api/x` (issue #23)."""

import pytest
import requests
from jsonapi_requests import Api, data

from tests.skills.factories import SkillCollectionFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the live server's thread sees the rows


class BearerKey(requests.auth.AuthBase):
    """The API key, as the client's `AUTH` setting takes any requests auth."""

    def __init__(self, raw_key: str):
        self.raw_key = raw_key

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.raw_key}"
        return request


@pytest.fixture
def api(live_server, api_key):
    # Its defaults but the timeout: the client's 1 s is short on a busy test machine.
    return Api.config(
        {"API_ROOT": f"{live_server.url}/api", "AUTH": BearerKey(api_key.raw_key), "TIMEOUT": 30}
    )


def test_list_fetch_create_and_update_with_the_clients_defaults(api, api_key):
    assert api.requests.config.APPEND_SLASH is True  # the default: every path ends with `/`
    collection = SkillCollectionFactory(
        organization=api_key.organization, created_by=api_key.member
    )

    listing = api.endpoint("skill_collections").get()
    assert listing.status_code == 200
    assert [item.id for item in listing.data] == [str(collection.pk)]
    assert listing.content.links["first"].startswith(f"{api.requests.config.API_ROOT}skill")

    fetched = api.endpoint(f"skill_collections/{collection.pk}").get()
    assert fetched.data.attributes["name"] == collection.name

    created = api.endpoint("skill_collections").post(
        object=data.JsonApiObject(
            type="skill_collections", attributes={"name": "made", "root_path": ".made"}
        )
    )
    assert created.status_code == 201
    made = created.data.id

    updated = api.endpoint(f"skill_collections/{made}").patch(
        object=data.JsonApiObject(
            type="skill_collections", id=made, attributes={"provider": "codex"}
        )
    )
    assert updated.data.attributes["provider"] == "codex"
    related = api.endpoint(f"skill_collections/{made}/relationships/versions").get()
    assert list(related.data) == []
