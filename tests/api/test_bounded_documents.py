"""A to-many relationship never makes a resource document grow with the relationship.

A resource object's to-many linkage carries `links` and `meta.count`; its `data` is complete
when the relationship is included, and otherwise capped at
`SKILLPORT["MAX_RELATIONSHIP_LINKAGE"]` with `meta.capped` saying so.
"""

import pytest

from api.conf import api_conf
from organizations.models import Member
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

CROWD = 2000


def _add_members(organization, count: int) -> None:
    Member.objects.bulk_create(
        MemberFactory.build(organization=organization, email=f"crowd-{n}@example.test")
        for n in range(count)
    )


def test_organization_document_stays_small_with_many_members(client, organization):
    url = f"/api/organizations/{organization.pk}"
    before = client.get(url)
    assert before.status_code == 200
    _add_members(organization, CROWD)

    after = client.get(url)

    assert after.status_code == 200
    assert len(after.content) <= 2 * len(before.content) + 2048
    members = after.json()["data"]["relationships"]["members"]
    cap = api_conf.MAX_RELATIONSHIP_LINKAGE
    assert members["meta"] == {"count": CROWD + 1, "capped": True}
    assert len(members["data"]) == cap
    assert set(members["links"]) == {"self", "related"}


def test_small_relationship_is_complete_and_not_capped(client, organization):
    _add_members(organization, 2)
    members = client.get(f"/api/organizations/{organization.pk}").json()["data"]["relationships"][
        "members"
    ]
    assert members["meta"] == {"count": 3}
    assert len(members["data"]) == 3


def test_included_relationship_is_complete(client, organization, settings):
    settings.SKILLPORT = {**settings.SKILLPORT, "MAX_RELATIONSHIP_LINKAGE": 2}
    _add_members(organization, 4)
    document = client.get(f"/api/organizations/{organization.pk}?include=members").json()
    members = document["data"]["relationships"]["members"]
    assert members["meta"] == {"count": 5}
    assert len(members["data"]) == 5
    assert len(document["included"]) == 5


def test_cap_is_configurable(client, organization, settings):
    settings.SKILLPORT = {**settings.SKILLPORT, "MAX_RELATIONSHIP_LINKAGE": 2}
    _add_members(organization, 4)
    members = client.get(f"/api/organizations/{organization.pk}").json()["data"]["relationships"][
        "members"
    ]
    assert members["meta"] == {"count": 5, "capped": True}
    assert len(members["data"]) == 2


def test_capped_detail_costs_constant_queries(client, organization, django_assert_max_num_queries):
    _add_members(organization, 300)
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/organizations/{organization.pk}")
    assert response.status_code == 200
