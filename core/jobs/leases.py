"""Run a database-tracked job in a background worker, safely under crashes and concurrency.

Reusable by any long-running job model (exports, skill exports, ...):

- subclass `LeasedJob` (abstract model: `status`, `started_at`, `attempts`, `lease_owner`,
  `lease_expires_at`) and set the status names it uses (`PENDING`, `RUNNING`, `FAILED`);
  implement `fail_fields(errors)` to say how a failure is recorded;
- in the task: `run_leased(Model, pk, work)` claims the job (never twice: `SELECT ... FOR UPDATE
  SKIP LOCKED` where supported, a conditional `UPDATE` otherwise), calls `work(job, heartbeat)`,
  and records any exception as a failure. `work` calls `heartbeat.beat(progress)` often (cheap:
  it writes at most every `heartbeat_seconds`) and ends with `finish(job, **fields)`;
- `sweep_leases(Model, requeue)` (a job of the periodic schedule, core/jobs/schedule.py) gives
  every job whose worker stopped renewing its lease back to the queue, or fails it after
  `max_attempts`.

`take_lease` is the claim itself, shared with the rows that are not `LeasedJob`s (webhook
deliveries): a conditional UPDATE guarded by the lease being free, so two workers never both win.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import connection, connections, models, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone

from core import metrics
from core.conf import core_conf
from core.jobs.queue import enqueue

logger = logging.getLogger(__name__)

J = TypeVar("J", bound="LeasedJob")

# Sent inside the transaction of a job's status change that has a topic (`STATUS_EVENTS`), with
# `job`, `topic`, `old` and `new`: the events app records it (and its webhooks) from there.
job_status_changed = Signal()


def lease_seconds() -> float:
    return float(core_conf.JOB_LEASE_SECONDS)


def max_attempts() -> int:
    return int(core_conf.JOB_MAX_ATTEMPTS)


class LeaseLost(RuntimeError):
    """Another worker took the job over (our lease expired); stop without writing."""


class LeasedJob(models.Model):
    PENDING = "pending"
    RUNNING = "in_progress"
    FAILED = "interrupted"

    started_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    lease_owner = models.CharField(max_length=120, blank=True, default="", editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)

    class Meta:
        abstract = True

    # status -> the event recorded when the job enters it (a topic declared with `track`).
    STATUS_EVENTS: dict[str, str] = {}
    # The `kind` label of this model's jobs in the metrics (core/jobs/metrics.py).
    METRICS_KIND: str = ""

    @classmethod
    def metrics_kind(cls) -> str:
        return cls.METRICS_KIND or cls._meta.model_name

    def fail_fields(self, errors: dict[str, str]) -> dict[str, Any]:
        """The fields to write when the job fails with `errors` ({"ExceptionName": "message"})."""
        raise NotImplementedError

    def record_status(self, old: str, new: str) -> None:
        """Record a status change made with `update()` as an event (call it in the change's
        transaction, so both commit or neither does), and a job's end in the metrics once that
        transaction commits."""
        if new not in (self.PENDING, self.RUNNING):
            transaction.on_commit(lambda: self._count_end(str(new)))
        name = self.STATUS_EVENTS.get(new)
        if name:
            self.status = new
            job_status_changed.send(type(self), job=self, topic=name, old=str(old), new=str(new))

    def _count_end(self, status: str) -> None:
        started = self.started_at
        seconds = (timezone.now() - started).total_seconds() if started else 0.0
        metrics.JOB_DURATION.labels(self.metrics_kind(), status).observe(max(seconds, 0.0))

    # The dotted path of the task that runs one job, given the job's primary key as a string.
    RUN_TASK: str = ""

    @classmethod
    def enqueue_run(cls, pk) -> None:
        """Enqueue the task that runs the job `pk` (after the current transaction commits)."""
        enqueue(cls.RUN_TASK, str(pk))


def new_lease_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_free(field: str, now: datetime) -> Q:
    """Rows whose lease (the expiry time in `field`) nobody holds: never taken, or run out."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": now})


def take_lease(
    rows: models.QuerySet,
    *,
    seconds: float,
    field: str = "lease_expires_at",
    now: datetime | None = None,
    **fields: Any,
) -> bool:
    """Lease the row that `rows` selects (with the caller's own conditions: a status, a due
    time) if its lease is free: one conditional UPDATE that sets the expiry `seconds` ahead,
    counts the attempt (`attempts` + 1) and writes `fields`. True when we won it; the database
    lets only one of two concurrent takers match the guard."""
    now = now or timezone.now()
    return bool(
        rows.filter(lease_free(field, now)).update(
            **{field: now + timedelta(seconds=seconds)}, attempts=F("attempts") + 1, **fields
        )
    )


def _claimable(model: type[LeasedJob], now: datetime) -> Q:
    return Q(status=model.PENDING) | Q(status=model.RUNNING, lease_expires_at__lt=now)


def claim(model: type[J], pk, owner: str) -> J | None:
    """Take job `pk` if it is pending or its lease expired; None when someone else has it."""
    now = timezone.now()
    fields = {"status": model.RUNNING, "lease_owner": owner, "updated_at": now}
    jobs = model._default_manager.filter(pk=pk)

    def take(status: str) -> bool:
        return take_lease(jobs.filter(status=status), seconds=lease_seconds(), now=now, **fields)

    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            job = jobs.select_for_update(skip_locked=True).filter(_claimable(model, now)).first()
            if job is None or not take(job.status):
                return None
            previous = job.status
        else:
            # Trying pending first tells what the job was (a pending job holds no lease).
            for previous in (model.PENDING, model.RUNNING):
                if take(previous):
                    break
            else:
                return None
        jobs.filter(started_at__isnull=True).update(started_at=now)
        job = jobs.get()
        if previous != model.RUNNING:
            job.record_status(previous, model.RUNNING)
    return job


def finish(job: LeasedJob, **fields: Any) -> bool:
    """Write the job's final fields, only while we still hold its lease. True when written."""
    fields.setdefault("updated_at", timezone.now())
    with transaction.atomic():
        written = (
            type(job)
            ._default_manager.filter(pk=job.pk, lease_owner=job.lease_owner, status=job.RUNNING)
            .update(**fields, lease_owner="", lease_expires_at=None)
        )
        if written:
            for name, value in fields.items():
                setattr(job, name, value)
            if fields.get("status", job.RUNNING) != job.RUNNING:
                job.record_status(job.RUNNING, fields["status"])
    return bool(written)


class Heartbeat:
    """Renews the job's lease and records its progress, at most every `interval` seconds.

    When the caller holds a long transaction open (a snapshot read), the renewals go through a
    separate database connection so that other processes see them immediately.
    """

    def __init__(
        self,
        job: LeasedJob,
        *,
        progress_field: str | None = None,
        separate_connection: bool = False,
        interval: float | None = None,
    ):
        self.job = job
        self.progress_field = progress_field
        self.interval = interval if interval is not None else max(lease_seconds() / 3, 0.2)
        self._last = timezone.now()
        self._conn = connections.create_connection("default") if separate_connection else None

    def beat(self, progress: int | None = None, *, force: bool = False, **extra: Any) -> None:
        now = timezone.now()
        if not force and (now - self._last).total_seconds() < self.interval:
            return
        self._last = now
        expires = now + timedelta(seconds=lease_seconds())
        model = type(self.job)
        values: dict[str, Any] = {"lease_expires_at": expires, **extra}
        if self.progress_field and progress is not None:
            values[self.progress_field] = progress
        if self._conn is None:
            updated = model._default_manager.filter(
                pk=self.job.pk, lease_owner=self.job.lease_owner, status=model.RUNNING
            ).update(**values)
        else:
            updated = self._raw_update(model, values)
        if not updated:
            raise LeaseLost(f"Job {self.job.pk} was taken over by another worker.")

    def _raw_update(self, model: type[LeasedJob], values: dict[str, Any]) -> int:
        table = self._conn.ops.quote_name(model._meta.db_table)
        assignments, params = [], []
        for name, value in values.items():
            field = model._meta.get_field(name)
            assignments.append(f"{self._conn.ops.quote_name(field.column)} = %s")
            params.append(field.get_db_prep_value(value, self._conn))
        pk_field = model._meta.pk
        sql = (
            f"UPDATE {table} SET {', '.join(assignments)} WHERE "
            f"{self._conn.ops.quote_name(pk_field.column)} = %s AND "
            f"{self._conn.ops.quote_name('lease_owner')} = %s AND "
            f"{self._conn.ops.quote_name('status')} = %s"
        )
        params += [
            pk_field.get_db_prep_value(self.job.pk, self._conn),
            self.job.lease_owner,
            model.RUNNING,
        ]
        with self._conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    @contextlib.contextmanager
    def progress_in_background(self) -> Iterator[Callable[[int], None]]:
        """`progress(count)`, each call a forced beat, written from a thread of its own.

        With a separate connection every beat is a round trip and a commit on another backend
        (milliseconds each on a loaded machine, once per chunk); here the caller only hands
        the latest count over and goes on reading. Counts handed over while a write is under
        way are coalesced (the latest one is written next); a lost lease is raised at the
        next call and at the end. Without a separate connection beats stay in this thread."""
        if self._conn is None:
            yield lambda progress: self.beat(progress, force=True)
            return
        writer = _BackgroundBeats(self)
        try:
            yield writer.hand_over
        except BaseException:
            writer.stop()
            raise
        writer.stop()
        writer.raise_error()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class _BackgroundBeats:
    """The thread behind `Heartbeat.progress_in_background` (the only user of the heartbeat's
    connection while it runs)."""

    def __init__(self, heartbeat: Heartbeat):
        self.heartbeat = heartbeat
        self.latest: int | None = None
        self.stopping = False
        self.error: BaseException | None = None
        self.changed = threading.Condition()
        heartbeat._conn.inc_thread_sharing()
        self.thread = threading.Thread(target=self._run, name="job-heartbeat", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            with self.changed:
                while self.latest is None and not self.stopping:
                    self.changed.wait()
                progress, self.latest = self.latest, None
            if progress is None:  # stopping, nothing left to write
                return
            try:
                self.heartbeat.beat(progress, force=True)
            except BaseException as error:  # LeaseLost or a database error: the caller's
                self.error = error
                return

    def hand_over(self, progress: int) -> None:
        self.raise_error()
        with self.changed:
            self.latest = progress
            self.changed.notify()

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        """Write what was handed over last, then end the thread."""
        with self.changed:
            self.stopping = True
            self.changed.notify()
        self.thread.join()
        self.heartbeat._conn.dec_thread_sharing()


def release(job: LeasedJob) -> bool:
    """Give a job we hold back to the queue (pending, enqueued again)."""
    released = (
        type(job)
        ._default_manager.filter(pk=job.pk, lease_owner=job.lease_owner, status=job.RUNNING)
        .update(status=job.PENDING, lease_owner="", lease_expires_at=None)
    )
    if released:
        type(job).enqueue_run(job.pk)
    return bool(released)


def requeue(model: type[LeasedJob], pk, **reset: Any) -> bool:
    """Put a failed job back in the queue from scratch (`reset`: its own result fields)."""
    updated = model._default_manager.filter(pk=pk, status=model.FAILED).update(
        status=model.PENDING,
        started_at=None,
        attempts=0,
        lease_owner="",
        lease_expires_at=None,
        updated_at=timezone.now(),
        **reset,
    )
    if updated:
        model.enqueue_run(pk)
    return bool(updated)


def interrupt(job: LeasedJob, reason: str) -> bool:
    """Fail a pending or running job; a worker running it notices at its next heartbeat."""
    failure = job.fail_fields({"Interrupted": reason})
    model = type(job)
    with transaction.atomic():
        interrupted = model._default_manager.filter(
            pk=job.pk, status__in=[model.PENDING, model.RUNNING]
        ).update(**failure, lease_owner="", lease_expires_at=None, updated_at=timezone.now())
        if interrupted:
            job.record_status(job.status, failure["status"])
    return bool(interrupted)


def error_log(error: BaseException) -> dict[str, str]:
    return {type(error).__name__: str(error) or type(error).__name__}


def run_leased(
    model: type[J],
    pk,
    work: Callable[[J, Heartbeat], None],
    *,
    progress_field: str | None = None,
    separate_connection: bool = False,
) -> str:
    """Claim job `pk`, run `work(job, heartbeat)`, record a failure. Returns what happened."""
    owner = new_lease_owner()
    job = claim(model, pk, owner)
    if job is None:
        return "skipped"
    if job.attempts > max_attempts():
        finish(job, **job.fail_fields({"WorkerLost": _lost_message(job.attempts - 1)}))
        return "failed"
    heartbeat = Heartbeat(
        job, progress_field=progress_field, separate_connection=separate_connection
    )
    try:
        work(job, heartbeat)
    except LeaseLost:
        logger.warning("Lost the lease of %s %s; another worker owns it.", model.__name__, pk)
        return "lost"
    except (KeyboardInterrupt, SystemExit):
        release(job)  # the worker is being stopped: hand the job back right away
        raise
    except Exception as error:
        logger.exception("%s %s failed", model.__name__, pk)
        finish(job, **job.fail_fields(error_log(error)))
        return "failed"
    finally:
        heartbeat.close()
    return "done"


def _lost_message(attempts: int) -> str:
    return f"The worker running this job stopped responding ({attempts} attempt(s))."


def sweep_leases(model: type[LeasedJob], *, requeue: bool = True) -> dict[str, int]:
    """Requeue (or fail, after the last attempt) every running job whose lease expired."""
    now = timezone.now()
    stale = model._default_manager.filter(status=model.RUNNING, lease_expires_at__lt=now)
    counts = {"requeued": 0, "failed": 0}
    for pk, attempts in stale.values_list("pk", "attempts"):
        base = model._default_manager.filter(pk=pk, status=model.RUNNING, lease_expires_at__lt=now)
        if requeue and attempts < max_attempts():
            if base.update(status=model.PENDING, lease_owner="", lease_expires_at=None):
                model.enqueue_run(pk)
                counts["requeued"] += 1
            continue
        job = model._default_manager.get(pk=pk)
        failure = job.fail_fields({"WorkerLost": _lost_message(attempts)})
        with transaction.atomic():
            if base.update(**failure, lease_owner="", lease_expires_at=None):
                job.record_status(model.RUNNING, failure["status"])
                counts["failed"] += 1
    return counts
