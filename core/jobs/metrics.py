"""What the metrics scrape reads of the jobs from the database (core/metrics.py): the task queue
by task, and the leased jobs (exports, skill exports) still pending or running by kind.

Terminal statuses are not counted here (their rows grow without end): finished jobs are the
`skillport_job_duration_seconds` histogram, counted by the process that finishes them."""

from __future__ import annotations

from collections.abc import Iterator

from django.apps import apps
from django.conf import settings
from django.db.models import Case, Count, Min, When
from django.db.models.functions import Greatest
from django.utils import timezone
from prometheus_client.core import Metric

from core.jobs.leases import LeasedJob
from core.metrics import gauge


def _age(oldest) -> float:
    return max((timezone.now() - oldest).total_seconds(), 0.0) if oldest else 0.0


def task_queue() -> Iterator[Metric]:
    """`skillport_task_queue_ready`, `_running` and `_oldest_ready_age_seconds` per task."""
    ready = gauge("skillport_task_queue_ready", "Tasks waiting for a worker, by task.", ["task"])
    running = gauge("skillport_task_queue_running", "Tasks a worker is running, by task.", ["task"])
    age = gauge(
        "skillport_task_queue_oldest_ready_age_seconds",
        "How long the oldest waiting task has been due, by task (0 when none waits).",
        ["task"],
    )
    for task, count, oldest in _queue_rows():
        ready.add_metric([task], count)
        age.add_metric([task], _age(oldest))
    for task, count in _running_rows():
        running.add_metric([task], count)
    yield from (ready, running, age)


def _queue_rows() -> list[tuple[str, int, object]]:
    if settings.TASKS_QUEUE_BACKEND == "redis":
        import django_rq  # an optional backend: installed as an app only with REDIS_URL

        queue = django_rq.get_queue("default")
        oldest = queue.get_jobs(0, 1)
        return [("all", queue.count, oldest[0].enqueued_at if oldest else None)]
    # An optional backend too: its models exist only when django_tasks_db is installed.
    from django_tasks_db.models import DBTaskResult, get_date_max

    # Due since it was enqueued, or since its run_after when that came later (retries).
    due_since = Case(
        When(run_after=get_date_max(), then="enqueued_at"),
        default=Greatest("enqueued_at", "run_after"),
    )
    rows = (
        DBTaskResult.objects.ready()
        .values("task_path")
        .annotate(count=Count("id"), oldest=Min(due_since))
        .order_by("task_path")
    )
    return [(row["task_path"], row["count"], row["oldest"]) for row in rows]


def _running_rows() -> list[tuple[str, int]]:
    if settings.TASKS_QUEUE_BACKEND == "redis":
        import django_rq

        return [("all", django_rq.get_queue("default").started_job_registry.count)]
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.running().values("task_path").annotate(count=Count("id"))
    return [(row["task_path"], row["count"]) for row in rows.order_by("task_path")]


def leased_jobs() -> Iterator[Metric]:
    """`skillport_jobs` (pending, in progress) and the age of the oldest of each, by kind."""
    jobs = gauge(
        "skillport_jobs", "Jobs pending or running, by kind and status.", ["kind", "status"]
    )
    age = gauge(
        "skillport_job_oldest_age_seconds",
        "Age of the oldest job of a kind in a status: pending since created_at, running since "
        "started_at (0 when there is none).",
        ["kind", "status"],
    )
    for model in apps.get_models():
        if not issubclass(model, LeasedJob):
            continue
        kind = model.metrics_kind()
        for status, since in ((model.PENDING, "created_at"), (model.RUNNING, "started_at")):
            found = model._default_manager.filter(status=status).aggregate(
                count=Count("pk"), oldest=Min(since)
            )
            jobs.add_metric([kind, str(status)], found["count"])
            age.add_metric([kind, str(status)], _age(found["oldest"]))
    yield from (jobs, age)
