"""Writes and the worker's job for skill exports (zips of a skill, plugin or marketplace)."""

import tempfile
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from exports import bundles
from exports.jobs import Heartbeat, finish, interrupt, requeue, run_leased, sweep_leases
from exports.models import SkillExport
from files import services as files
from files.models import File

BUNDLERS = {
    SkillExport.Target.SKILL: bundles.skill_bundle,
    SkillExport.Target.PLUGIN: bundles.plugin_bundle,
    SkillExport.Target.MARKETPLACE: bundles.marketplace_bundle,
}


def create_skill_export(*, organization, member, target: str, subject) -> SkillExport:
    relationship = SkillExport.TARGET_RELATIONSHIPS[target]
    with transaction.atomic():
        export = SkillExport.objects.create(
            organization=organization, created_by=member, target=target, **{relationship: subject}
        )
        SkillExport.enqueue_run(export.pk)
    return export


def zip_name(export: SkillExport) -> str:
    subject = export.subject
    version = getattr(subject, "version", "")
    return f"{subject.name}-{version}.zip" if version else f"{subject.name}.zip"


def perform_skill_export(export: SkillExport, heartbeat: Heartbeat) -> None:
    subject = export.subject
    if subject is None:
        raise LookupError(f"The {export.target} to export no longer exists.")
    sources = BUNDLERS[export.target](subject)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bundle.zip"
        with path.open("wb") as handle:
            bundles.write_zip(sources, handle)
        heartbeat.beat(force=True)
        stored = files.store_file(
            organization=export.organization,
            source=path,
            file_name=zip_name(export),
            file_type="application/zip",
            purpose=File.Purpose.SKILL_EXPORT,
            title=f"{export.target} {subject.name}",
            created_by=export.created_by,
        )
    link = files.create_link(stored, created_by=export.created_by)
    if not finish(
        export,
        status=SkillExport.Status.COMPLETED,
        completed_at=timezone.now(),
        file=stored,
        file_link=link,
    ):
        files.delete_file(stored)


def run(export_id: str) -> str:
    return run_leased(SkillExport, export_id, perform_skill_export)


def retry_skill_export(export: SkillExport) -> bool:
    """Put a failed skill export back in the queue from scratch."""
    return requeue(SkillExport, export.pk, error="", completed_at=None, file=None, file_link=None)


def interrupt_skill_export(
    export: SkillExport, reason: str = "Interrupted by an administrator."
) -> bool:
    """Stop a pending or running skill export (it fails); its worker notices and stores
    nothing."""
    return interrupt(export, reason)


def sweep() -> dict[str, int]:
    return sweep_leases(SkillExport)
