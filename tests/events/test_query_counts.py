"""List endpoints cost the same number of queries for 1 or 30 records."""

import pytest
from django.core.management import call_command

from tests.events.factories import WebhookFactory
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/events?page[size]=50",
    "/api/versions?page[size]=50",
    "/api/event_stores?page[size]=50",
    "/api/webhooks?page[size]=50",
    "/api/event_callbacks?page[size]=50",
    "/api/events?include=event_store&page[size]=50",
    "/api/teams?page[size]=50",
    "/api/events?page[after]=&page[size]=50",
]


def _activity(organization, receiver, count: int) -> None:
    WebhookFactory(organization=organization, callback_url=receiver.url)
    for _ in range(count):
        WebhookFactory(organization=organization, topic="teams.destroy")
        team = TeamFactory(organization=organization)
        team.name = f"{team.name}!"
        team.save()
    call_command("deliver_webhooks", stdout=open("/dev/null", "w"))  # noqa: SIM115


def _queries(client, url, django_assert_max_num_queries, limit: int) -> int:
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.mark.parametrize("url", LISTS)
def test_list_query_count_is_constant(
    client, organization, receiver, no_backoff, django_assert_max_num_queries, url
):
    _activity(organization, receiver, 1)
    client.get(url)  # the key's first use of the minute also records last_used_at
    few = _queries(client, url, django_assert_max_num_queries, 12)
    _activity(organization, receiver, 12)
    many = _queries(client, url, django_assert_max_num_queries, few)
    assert many == few
    assert len(client.get(url).json()["data"]) > 12
