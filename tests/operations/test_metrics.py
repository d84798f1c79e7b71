"""`/metrics` (core/metrics.py, api/metrics.py): off unless a token is set, then only for that
token; what it counts, in this process (the events and the database's states)."""

from __future__ import annotations

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from exports.models import Export
from tests.conftest import run_queued_tasks
from tests.events.factories import WebhookFactory

pytestmark = pytest.mark.django_db

TOKEN = "scrape-me-1234"


@pytest.fixture
def metrics_on(settings):
    settings.SKILLPORT = {**settings.SKILLPORT, "METRICS_TOKEN": TOKEN}


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of an exposition, by name and labels (parsing it also checks its syntax)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(**labels_of_interest) -> dict[tuple[str, frozenset], float]:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return samples(response.content.decode())


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_metrics_are_a_404_while_no_token_is_set():
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["status"] == "404"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "],
)
def test_metrics_answer_only_the_token(metrics_on, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = Client().get("/metrics", **headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_requests_are_counted_by_route_name_and_status(metrics_on, client, organization):
    before = scrape()
    for _ in range(3):
        assert client.get(f"/api/organizations/{organization.pk}").status_code == 200
    assert client.get("/api/organizations/not-there").status_code == 404
    assert client.get("/no/such/path").status_code == 404
    after = scrape()

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    detail = {"method": "GET", "route": "organizations-detail"}
    assert delta("skillport_http_requests_total", **detail, status="200") == 3
    assert delta("skillport_http_requests_total", **detail, status="404") == 1
    assert (
        delta("skillport_http_requests_total", method="GET", route="unmatched", status="404") == 1
    )
    assert delta("skillport_http_request_duration_seconds_count", **detail, status="200") == 3
    # Labels name the pattern, never the raw path.
    assert not any(str(organization.pk) in str(labels) for _, labels in after)


@pytest.mark.django_db(transaction=True)  # the worker commits, as in a worker process
def test_jobs_the_queue_and_their_durations(metrics_on, client, django_capture_on_commit_callbacks):
    before = scrape()
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/exports",
            {"data": {"type": "exports", "attributes": {"resource_type": "members"}}},
        )
    assert created.status_code == 201, created.json()
    waiting = scrape()
    task = "exports.tasks.run_export"
    assert value(waiting, "skillport_jobs", kind="exports", status="pending") == 1
    assert value(waiting, "skillport_jobs", kind="exports", status="in_progress") == 0
    assert value(waiting, "skillport_task_queue_ready", task=task) == 1
    assert value(waiting, "skillport_task_queue_oldest_ready_age_seconds", task=task) >= 0
    assert (
        "skillport_job_oldest_age_seconds",
        frozenset({"kind": "skill_exports", "status": "pending"}.items()),
    ) in waiting

    run_queued_tasks()
    assert Export.objects.get().status == "completed"
    done = scrape()
    assert value(done, "skillport_jobs", kind="exports", status="pending") == 0
    assert value(done, "skillport_task_queue_ready", task=task) == 0
    count = "skillport_job_duration_seconds_count"
    finished = {"kind": "exports", "status": "completed"}
    assert value(done, count, **finished) - value(before, count, **finished) == 1


def test_rate_limit_refusals_are_counted(metrics_on, client, api_key):
    api_key.rate_limit = 1
    api_key.save()
    before = value(scrape(), "skillport_rate_limit_refusals_total")
    assert client.get("/api/organizations").status_code == 200
    assert client.get("/api/organizations").status_code == 429
    assert client.get("/api/organizations").status_code == 429
    assert value(scrape(), "skillport_rate_limit_refusals_total") - before == 2


def test_open_circuits_are_read_from_the_database(metrics_on, organization):
    WebhookFactory(organization=organization, circuit_state="open")
    WebhookFactory(organization=organization)
    assert value(scrape(), "skillport_webhook_circuits_open") == 1
