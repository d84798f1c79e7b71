"""Background work for exports, run by `python manage.py db_worker`."""

import logging

from django_tasks import task

from exports.bulk import services
from exports.skill_exports import services as skill_exports

logger = logging.getLogger(__name__)


@task()
def run_export(export_id: str) -> str:
    try:
        services.sweep()  # every run also rescues the jobs of crashed workers
    except Exception:
        logger.exception("Sweeping exports failed")
    return services.run(export_id)


@task()
def sweep_exports() -> dict[str, int]:
    return services.sweep()


@task()
def run_skill_export(export_id: str) -> str:
    skill_exports.sweep()
    return skill_exports.run(export_id)
