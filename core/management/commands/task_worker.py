"""`manage.py task_worker`: the worker of the configured task queue (config/settings.py).

`make serve` and the process layouts run this one command, whichever backend carries the tasks:
`db_worker` for the database queue, `rqworker` with django-tasks-rq's job class for Redis.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the task worker of the configured backend (database or Redis)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--burst", action="store_true", help="Run the queued tasks, then exit.")

    def handle(self, *args, burst: bool, **options) -> None:
        queues = settings.TASKS["default"]["QUEUES"]
        if settings.TASKS_QUEUE_BACKEND == "redis":
            extra = ["--burst"] if burst else []
            call_command("rqworker", "--job-class", "django_tasks_rq.Job", *extra, *queues)
        else:
            extra = ["--batch"] if burst else []
            call_command("db_worker", "--no-startup-delay", *extra)
