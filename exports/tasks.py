"""Background work for exports: the tasks run by `manage.py task_worker`, and the lease recovery
that the scheduler runs (core/jobs/schedule.py)."""

from core.jobs.leases import sweep_leases
from core.jobs.queue import task
from exports.bulk import services
from exports.models import Export, SkillExport
from exports.skill_exports import services as skill_exports


@task()
def run_export(export_id: str) -> str:
    return services.run(export_id)


@task()
def run_skill_export(export_id: str) -> str:
    return skill_exports.run(export_id)


def recover_leases() -> dict[str, int]:
    """Requeue (or fail, after the last attempt) the exports and skill exports whose worker
    stopped renewing its lease. Periodic, not a task: a killed worker cannot rescue itself."""
    counts = sweep_leases(Export)
    counts.update({f"skill_exports_{k}": v for k, v in sweep_leases(SkillExport).items()})
    return counts
