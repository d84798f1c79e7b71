"""The one way to enqueue background work: by task path, once the current transaction commits.

Naming the task by its dotted path (not importing it) keeps models and services free of task
modules, which import them in turn: no import circle, and a model never imports a task."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string


def enqueue(
    task_path: str,
    *args: Any,
    run_after: datetime | None = None,
    at_once: bool = False,
    **kwargs: Any,
) -> None:
    """Enqueue the django-tasks task at `task_path` with `args`/`kwargs` after the current
    transaction commits (at once outside a transaction); nothing is queued on a rollback, so a
    worker never looks for a row that was not written. `at_once` is for the periodic sweeps,
    which hand back rows committed long ago and must not wait for a caller's transaction."""

    def send() -> None:
        task = import_string(task_path)
        if run_after is not None:
            task = task.using(run_after=run_after)
        task.enqueue(*args, **kwargs)

    if at_once:
        send()
    else:
        transaction.on_commit(send)
