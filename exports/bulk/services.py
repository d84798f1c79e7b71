"""Writes for exports: create, run (in the worker), retry, interrupt, delete, clean up."""

from __future__ import annotations

import contextlib
import tempfile
import time
from datetime import timedelta
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from api.filters import FilterError, apply_filters
from core.errors import TooMany, ValidationFailed
from core.jobs.leases import (
    Heartbeat,
    LeaseLost,
    finish,
    interrupt,
    requeue,
    run_leased,
)
from core.models import Tenant
from exports.bulk import engine, pgcopy, registry
from exports.conf import exports_conf
from exports.models import Export


class RecordLimitExceeded(RuntimeError):
    pass


def max_records() -> int | None:
    value = exports_conf.EXPORT_MAX_RECORDS
    return int(value) if value else None


def export_queryset(export: Export):
    declaration = registry.get(export.resource_type)
    queryset = declaration.queryset(export.tenant)
    queryset = apply_filters(declaration.filterset, queryset, export.filters or {})
    return queryset.order_by(*declaration.ordering)


def validate_spec(tenant: Tenant, data: dict[str, Any]) -> engine.Plan:
    """Check resource_type, includes, fields and filters; 422 naming the attribute."""
    try:
        plan = engine.build_plan(
            data["resource_type"],
            data.get("includes") or [],
            data.get("fields") or [],
            data.get("dry_data", False),
        )
    except engine.PlanError as error:
        raise ValidationFailed({error.attribute: [str(error)]}) from None
    declaration = plan.exportable
    try:
        queryset = apply_filters(
            declaration.filterset, declaration.queryset(tenant), data.get("filters") or {}
        )
    except FilterError as error:
        raise ValidationFailed({"filters": [f"{error.key}: {error.message}"]}) from None
    limit = max_records()
    if limit is not None:
        count = queryset.count()
        if count > limit:
            raise ValidationFailed(
                {
                    "filters": [
                        f"These filters select {count} records; an export may have at "
                        f"most {limit}. Narrow the filters."
                    ]
                }
            )
    return plan


def create_export(tenant: Tenant, member, data: dict[str, Any]) -> Export:
    """A pending export of `tenant`; the concurrency quota counts that tenant's exports only."""
    limit = int(exports_conf.EXPORT_MAX_CONCURRENT)
    with transaction.atomic():
        # Serialise concurrent creates of one organization so the quota cannot be overshot.
        organizations = Export._meta.get_field("organization").related_model.objects
        organizations.select_for_update().filter(pk=tenant.organization_id).first()
        running = Export.objects.for_tenant(tenant).filter(
            status__in=[Export.Status.PENDING, Export.Status.IN_PROGRESS]
        )
        if limit and running.count() >= limit:
            raise TooMany(
                f"At most {limit} exports may be pending or in progress at once "
                "for an organization in one mode; wait for one to finish.",
                wait=30,
            )
        export = Export.objects.create(**tenant.owner_fields(), created_by=member, **data)
        Export.enqueue_run(export.pk)
    return export


@contextlib.contextmanager
def snapshot():
    """One consistent view of the data for the whole export (REPEATABLE READ on PostgreSQL)."""
    if connection.vendor != "postgresql":
        yield  # SQLite: a single SELECT statement already reads one snapshot
        return
    nested = connection.in_atomic_block
    with transaction.atomic():
        if not nested:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def perform_export(export: Export, heartbeat: Heartbeat) -> None:
    """The worker's part: stream the records into a temp file, then publish it."""
    plan = engine.build_plan(
        export.resource_type, export.includes or [], export.fields or [], export.dry_data
    )
    chunk_size = int(exports_conf.EXPORT_CHUNK_SIZE)
    pause = float(exports_conf.EXPORT_CHUNK_PAUSE_SECONDS)
    level = int(exports_conf.EXPORT_GZIP_LEVEL)
    limit = max_records()
    writer_class = engine.WRITERS[export.format]
    exported = 0
    with tempfile.TemporaryFile() as temp:
        with snapshot():
            queryset = export_queryset(export)
            total = queryset.count()
            if limit is not None and total > limit:
                raise RecordLimitExceeded(
                    f"The filters select {total} records; an export may have at most {limit}."
                )
            heartbeat.beat(0, force=True, records_total=total)
            if pgcopy.can_encode(plan):  # PostgreSQL writes the file's text itself
                # once per block, written while the next blocks are read
                with heartbeat.progress_in_background() as progress:
                    exported = pgcopy.write_export(
                        plan,
                        queryset,
                        export.format,
                        export.tenant,
                        temp,
                        compresslevel=level,
                        chunk_size=chunk_size,
                        progress=progress,
                        pause=pause,
                        parallel_workers=int(exports_conf.EXPORT_PARALLEL_WORKERS),
                    )
            else:
                writer = writer_class(temp, plan, export.tenant, compresslevel=level)
                try:
                    for rows in engine.stream_rows(plan, queryset, chunk_size):
                        writer.write(rows)
                        exported += len(rows)
                        # Progress is written once per chunk (not only with the lease
                        # renewals), so clients watching `records_exported` see it advance.
                        heartbeat.beat(exported, force=True)
                        if pause:
                            time.sleep(pause)
                except BaseException:
                    writer.abort()
                    raise
                writer.close()
        temp.seek(0)
        name = f"exports/{export.organization_id}/{export.pk}.{writer_class.extension}"
        if default_storage.exists(name):
            default_storage.delete(name)
        name = default_storage.save(name, File(temp, name=name))
    now = timezone.now()
    retention = int(exports_conf.EXPORT_FILE_RETENTION_SECONDS)
    published = finish(
        export,
        status=Export.Status.COMPLETED,
        completed_at=now,
        records_count=exported,
        records_exported=exported,
        attachment=name,
        file_expires_at=now + timedelta(seconds=retention) if retention else None,
    )
    if not published:  # interrupted or taken over meanwhile: the file is not published
        default_storage.delete(name)
        raise LeaseLost(f"Export {export.pk} is no longer ours to complete.")


def run(export_id: str) -> str:
    return run_leased(
        Export,
        export_id,
        perform_export,
        progress_field="records_exported",
        separate_connection=connection.vendor == "postgresql",
    )


def delete_file(export: Export) -> None:
    if export.attachment:
        default_storage.delete(export.attachment)


def delete_export(export: Export) -> None:
    delete_file(export)
    export.delete()


def retry_export(export: Export) -> bool:
    """Put an interrupted export back in the queue from scratch."""
    return requeue(
        Export,
        export.pk,
        interrupted_at=None,
        errors_log=None,
        records_exported=0,
        records_total=None,
    )


def interrupt_export(export: Export, reason: str = "Interrupted by an administrator.") -> bool:
    """Stop a pending or running export; its worker notices at its next heartbeat."""
    return interrupt(export, reason)


def cleanup_expired_files() -> int:
    """Delete the files of exports kept longer than the retention time."""
    expired = Export.objects.filter(file_expires_at__lt=timezone.now()).exclude(attachment="")
    count = 0
    for export in expired.iterator():
        delete_file(export)
        count += Export.objects.filter(pk=export.pk).update(attachment="", file_expires_at=None)
    return count
