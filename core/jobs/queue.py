"""The one way to enqueue background work: by task path, once the current transaction commits.

Naming the task by its dotted path (not importing it) keeps models and services free of task
modules, which import them in turn: no import circle, and a model never imports a task.

The request id (core/context.py) travels with the work: `enqueue` adds it to the task's keyword
arguments (`REQUEST_ID_KWARG`) when the task was declared with this module's `task`, and the
worker puts it back in its log context while it runs the task (django-tasks' own
`state=RUNNING`/`SUCCESSFUL` lines included), so one export or one push can be followed from the
web process's lines to the worker's."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import django_tasks
from django.db import transaction
from django.utils.module_loading import import_string
from django_tasks import signals as task_signals

from core.context import request_id_var

REQUEST_ID_KWARG = "_request_id"


def task(**options: Any) -> Callable[[Callable[..., Any]], django_tasks.Task]:
    """`django_tasks.task(**options)` for a function that may be handed the request id of the
    request that enqueued it: the keyword is taken off before the function runs."""

    def declare(function: Callable[..., Any]) -> django_tasks.Task:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            request_id = kwargs.pop(REQUEST_ID_KWARG, None)
            if request_id is None:
                return function(*args, **kwargs)
            token = request_id_var.set(request_id)
            try:
                return function(*args, **kwargs)
            finally:
                request_id_var.reset(token)

        run.carries_request_id = True  # type: ignore[attr-defined]
        return django_tasks.task(**options)(run)

    return declare


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
    request_id = request_id_var.get()

    def send() -> None:
        task = import_string(task_path)
        if request_id is not None and getattr(task.func, "carries_request_id", False):
            kwargs[REQUEST_ID_KWARG] = request_id
        if run_after is not None:
            task = task.using(run_after=run_after)
        task.enqueue(*args, **kwargs)

    if at_once:
        send()
    else:
        transaction.on_commit(send)


# The ids set by `_task_started`, to be undone by `_task_finished` (a task run in the thread of a
# request, as the immediate backend does, gives the request its own id back).
_started = threading.local()


def _task_started(sender: Any, task_result: Any, **kwargs: Any) -> None:
    tokens = _started.__dict__.setdefault("tokens", [])
    tokens.append(request_id_var.set(task_result.kwargs.get(REQUEST_ID_KWARG)))


def _task_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    tokens = _started.__dict__.get("tokens")
    if tokens:
        token = tokens.pop()
        try:
            request_id_var.reset(token)
        except ValueError:  # set in another context (a backend that switches): just clear it
            request_id_var.set(None)


def connect_request_ids() -> None:
    """Connected first, so django-tasks' own `state=RUNNING` line already carries the id; the
    id is dropped after its `state=SUCCESSFUL`/`FAILED` line (connected after that one)."""
    started = task_signals.task_started
    started.disconnect(task_signals.log_task_started)
    started.connect(_task_started, dispatch_uid="skillport-request-id")
    started.connect(task_signals.log_task_started)
    task_signals.task_finished.connect(_task_finished, dispatch_uid="skillport-request-id")
