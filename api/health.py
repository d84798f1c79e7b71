"""`GET /health`: no auth; database, storage and task queue, each with its own status."""

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.http import JsonResponse
from django.utils import timezone

from api.methods import allow


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok", "vendor": connection.vendor}


def _check_storage() -> dict:
    name = default_storage.save(f"health/{uuid.uuid4().hex}", ContentFile(b"ok"))
    default_storage.delete(name)
    return {"status": "ok", "backend": type(default_storage).__name__}


def _check_task_queue() -> dict:
    if settings.TASKS_QUEUE_BACKEND == "redis":
        return _check_redis_queue()
    # An optional backend: its models exist only when django_tasks_db is installed (the default).
    from django_tasks_db.models import DBTaskResult

    ready = DBTaskResult.objects.ready()
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    return {
        "status": "ok",
        "backend": "database",
        "ready": ready.count(),
        "running": DBTaskResult.objects.running().count(),
        "oldest_ready_age_seconds": (
            round((timezone.now() - oldest).total_seconds(), 1) if oldest else None
        ),
    }


def _check_redis_queue() -> dict:
    import django_rq  # an optional backend: installed as an app only when REDIS_URL is set

    queue = django_rq.get_queue("default")
    oldest = queue.get_jobs(0, 1)
    enqueued_at = oldest[0].enqueued_at if oldest else None
    return {
        "status": "ok",
        "backend": "redis",
        "ready": queue.count,
        "running": queue.started_job_registry.count,
        "oldest_ready_age_seconds": (
            round((timezone.now() - enqueued_at).total_seconds(), 1) if enqueued_at else None
        ),
    }


CHECKS = {"database": _check_database, "storage": _check_storage, "task_queue": _check_task_queue}


# Outside the request transaction (ATOMIC_REQUESTS), whose opening would fail first when the
# database is down: then the answer is still this document, naming the part that failed.
@transaction.non_atomic_requests
@allow("GET")
def health(request) -> JsonResponse:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as error:  # a health check reports failures, it does not raise them
            results[name] = {"status": "error", "detail": f"{type(error).__name__}: {error}"}
    healthy = all(result["status"] == "ok" for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": results}, status=200 if healthy else 503
    )
