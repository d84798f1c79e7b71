"""Writes and the worker's job for skill exports (zips of a skill, plugin or marketplace)."""

import tempfile
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from core.jobs.leases import Heartbeat, finish, interrupt, requeue, run_leased
from core.models import Tenant
from exports.models import SkillExport
from exports.skill_exports import bundles
from files import services as files
from files.models import File

BUNDLERS = {
    SkillExport.Target.SKILL: bundles.skill_bundle,
    SkillExport.Target.PLUGIN: bundles.plugin_bundle,
    SkillExport.Target.MARKETPLACE: bundles.marketplace_bundle,
}


def target_errors(
    target: str, subjects: dict, labels: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """What is wrong with a target and its subjects (`{"skill": obj|None, ...}`), by relationship
    name; both API surfaces check a create with this, so they refuse the same things. `labels`
    names the relationships as the caller's clients know them (default: the relationship)."""
    labels = labels or {}
    expected = SkillExport.TARGET_RELATIONSHIPS[target]
    wanted = labels.get(expected, f"'{expected}' relationship")
    errors: dict[str, list[str]] = {}
    for name in SkillExport.TARGET_RELATIONSHIPS.values():
        given = subjects.get(name) is not None
        if name == expected and not given:
            errors[name] = [f"A '{target}' export needs the {wanted}."]
        elif name != expected and given:
            errors[name] = [f"Only the {wanted} goes with target '{target}'."]
    if not errors and target == SkillExport.Target.PLUGIN:
        names = [skill.name for skill in subjects[expected].skills.all()]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            errors[expected] = [f"The plugin has several skills named {', '.join(duplicates)}."]
    return errors


def create_skill_export(*, tenant: Tenant, member, target: str, subject) -> SkillExport:
    relationship = SkillExport.TARGET_RELATIONSHIPS[target]
    with transaction.atomic():
        export = SkillExport.objects.create(
            **tenant.owner_fields(), created_by=member, target=target, **{relationship: subject}
        )
        SkillExport.enqueue_run(export.pk)
    return export


def zip_name(export: SkillExport) -> str:
    subject = export.subject
    version = getattr(subject, "version", "")
    return f"{subject.name}-{version}.zip" if version else f"{subject.name}.zip"


def perform_skill_export(export: SkillExport, heartbeat: Heartbeat) -> None:
    subject = export.subject
    # The job packages its own tenant's data only, whatever its row points at.
    if subject is None or not export.tenant.owns(subject):
        raise LookupError(f"The {export.target} to export no longer exists.")
    sources = BUNDLERS[export.target](subject)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bundle.zip"
        with path.open("wb") as handle:
            bundles.write_zip(sources, handle)
        heartbeat.beat(force=True)
        stored = files.store_file(
            tenant=export.tenant,
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
